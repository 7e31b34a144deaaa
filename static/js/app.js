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

  // Nothing typed is dropped silently. A form marked data-unsaved-warning holds unsaved input
  // when its fields differ from what the page was given (or when the page is the answer to a
  // POST that saved nothing: data-unsaved-warning="unsaved"). Leaving such a page then asks
  // first: a link or another form that would replace the form (htmx), a full page load, closing
  // the tab. The form's own requests (saving, inline validation, autosave) do not ask, nor do
  // requests that replace another part of the page.
  var baselines = new WeakMap();
  var pendingSaves = new WeakMap();
  var pendingSubmits = new WeakMap();
  var submitting = null;  // a form on its way to the server: leaving the page for its answer is fine

  function state(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || /^(submit|button|reset|image|hidden)$/.test(el.type)) { return; }
      if (el.type === "checkbox" || el.type === "radio") {
        parts.push(el.name + "=" + el.value + ":" + el.checked);
      } else if (el.type === "file") {
        parts.push(el.name + "#" + (el.files ? el.files.length : 0));
      } else if (el.tagName === "SELECT") {
        parts.push(el.name + "=" + Array.prototype.filter.call(el.options, function (o) { return o.selected; })
          .map(function (o) { return o.value; }).join(","));
      } else {
        parts.push(el.name + "=" + el.value);
      }
    });
    return parts.join("\n");
  }

  function watch(root) {
    var forms = root.querySelectorAll ? root.querySelectorAll("form[data-unsaved-warning]") : [];
    Array.prototype.forEach.call(forms, function (form) {
      if (!baselines.has(form)) { baselines.set(form, state(form)); }
    });
    if (root.matches && root.matches("form[data-unsaved-warning]") && !baselines.has(root)) {
      baselines.set(root, state(root));
    }
  }

  function unsavedForms() {
    return Array.prototype.filter.call(document.querySelectorAll("form[data-unsaved-warning]"), function (form) {
      return form !== submitting && (form.getAttribute("data-unsaved-warning") === "unsaved" ||
        (baselines.has(form) && baselines.get(form) !== state(form)));
    });
  }

  watch(document);
  document.addEventListener("htmx:load", function (event) { watch(event.target); });
  document.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { submitting = event.target; }  // a plain POST (htmx's are below)
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt, target = event.detail.target;
    var form = elt && elt.closest ? elt.closest("form[data-unsaved-warning]") : null;
    if (form && elt.hasAttribute("data-saves-form")) {  // the autosave: what it sends becomes the saved state
      pendingSaves.set(event.detail.xhr, { form: form, state: state(form) });
    } else if (form && elt === form) {  // the form itself is sent: its answer may send the page elsewhere
      pendingSubmits.set(event.detail.xhr, form);
    }
    var lost = unsavedForms().filter(function (unsaved) {
      return !unsaved.contains(elt) && target && (target === unsaved || target.contains(unsaved));
    });
    if (lost.length && !window.confirm(say("unsaved", "What you typed on this page is not saved yet. Leave the page and lose it?"))) {
      event.preventDefault();
    }
  });
  // Before htmx acts on the answer (an HX-Redirect leaves the page at once): a form the server
  // accepted is no longer unsaved.
  document.addEventListener("htmx:beforeOnLoad", function (event) {
    var form = pendingSubmits.get(event.detail.xhr);
    if (form && event.detail.xhr.status < 300) { submitting = form; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var saved = pendingSaves.get(event.detail.xhr);
    if (saved && event.detail.xhr.status === 200) { baselines.set(saved.form, saved.state); }
  });
  window.addEventListener("beforeunload", function (event) {
    if (unsavedForms().length) {
      event.preventDefault();
      event.returnValue = "";  // older browsers ask only when this is set
    }
  });
})();
