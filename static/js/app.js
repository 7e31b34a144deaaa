// gosmart's own script: no inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  function showError(text) {
    var box = document.getElementById("htmx-error");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  function clearError() {
    var box = document.getElementById("htmx-error");
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  // An htmx request that fails must say so, not leave the page silently unchanged.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var messages = {
      403: "You do not have permission to do this.",
      404: "This item no longer exists.",
      413: "The file is too large.",
      429: "Too many attempts. Please wait a minute and try again.",
      400: "The form expired. Please reload the page and try again."
    };
    showError(messages[xhr.status] || ("Something went wrong (error " + xhr.status + "). Please try again."));
  });
  document.addEventListener("htmx:sendError", function () {
    showError("The server cannot be reached. Check the connection and try again.");
  });
  document.addEventListener("htmx:beforeRequest", clearError);
})();
