// gosmart's own script: no inline scripts anywhere (the CSP forbids them).
(function () {
  "use strict";

  // The messages in the page's language (base.html puts them on <body>); English if absent.
  var MESSAGES = {};
  try { MESSAGES = JSON.parse(document.body.dataset.messages || "{}"); } catch (e) { MESSAGES = {}; }

  function say(key, fallback) { return MESSAGES[key] || fallback; }

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
      403: say("403", "You do not have permission to do this."),
      404: say("404", "This item no longer exists."),
      413: say("413", "The file is too large."),
      429: say("429", "Too many attempts. Please wait a minute and try again."),
      400: say("400", "The form expired. Please reload the page and try again.")
    };
    showError(messages[xhr.status] ||
      say("error", "Something went wrong (error {status}). Please try again.").split("{status}").join(xhr.status));
  });
  document.addEventListener("htmx:sendError", function () {
    showError(say("offline", "The server cannot be reached. Check the connection and try again."));
  });
  document.addEventListener("htmx:beforeRequest", clearError);

  // Inline validation replaces a field's feedback element (id "<field>-feedback"); keep the
  // field's aria-invalid in step with it, so that assistive technology knows the verdict.
  document.addEventListener("htmx:afterRequest", function (event) {
    var field = event.detail.elt;
    if (!field || !field.id) { return; }
    var feedback = document.getElementById(field.id + "-feedback");
    if (!feedback) { return; }
    if (feedback.querySelector(".field-error")) {
      field.setAttribute("aria-invalid", "true");
    } else {
      field.removeAttribute("aria-invalid");
    }
  });
})();
