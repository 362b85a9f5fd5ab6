// The site works without this file; it only adds conveniences. No inline scripts (CSP).
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.getAttribute("data-confirm"))) {
    event.preventDefault();
  }
});

// A form being sent cannot be sent again by a second click: its submit buttons are disabled once
// the browser has taken the form's data (a timeout of 0, so the clicked button's name and value
// are still sent). Back restores the page with them enabled again (pageshow). If no page comes
// (the network failed), they come back after a while.
// A resend after Back is the server's business: a create form's one-time token (input "once",
// portal/idempotency.py) makes it show the first result. The browser may load the page anew on
// Back (with a new token) and fill in the person's input again, so the history entry remembers
// the token each form was sent with and puts it back.
(function () {
  var SENDING_ATTRIBUTE = "data-sending";
  var SENDING_RETRY_MS = 15000;

  function setSending(form, sending) {
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.type !== "submit") {
        return;
      }
      if (sending && !element.disabled) {
        element.disabled = true;
        element.setAttribute(SENDING_ATTRIBUTE, "");
      } else if (!sending && element.hasAttribute(SENDING_ATTRIBUTE)) {
        element.disabled = false;
        element.removeAttribute(SENDING_ATTRIBUTE);
      }
    });
    if (sending) {
      form.setAttribute("aria-busy", "true");
    } else {
      form.removeAttribute("aria-busy");
    }
  }

  var ONCE_STATE = "portalOnceSent";

  function onceInput(form) {
    return form.querySelector("input[type=hidden][name=once]");
  }

  function rememberSentToken(form) {
    var input = onceInput(form);
    if (!input) {
      return;
    }
    var state = Object.assign({}, window.history.state || {});
    state[ONCE_STATE] = Object.assign({}, state[ONCE_STATE] || {});
    state[ONCE_STATE][form.action] = input.value;
    try {
      window.history.replaceState(state, "");
    } catch (error) {
      // No history state here (a sandboxed frame): the token is simply not remembered.
    }
  }

  function restoreSentTokens() {
    var sent = window.history.state && window.history.state[ONCE_STATE];
    if (!sent) {
      return;
    }
    Array.prototype.forEach.call(document.forms, function (form) {
      var input = onceInput(form);
      if (input && sent[form.action]) {
        input.value = sent[form.action];
      }
    });
  }

  restoreSentTokens();

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || (form.getAttribute("method") || "").toLowerCase() !== "post") {
      return;
    }
    rememberSentToken(form);
    // A form or button marked data-download answers with a file: the page stays, so do its buttons.
    var submitter = event.submitter;
    if (form.hasAttribute("data-download") || (submitter && submitter.hasAttribute("data-download"))) {
      return;
    }
    window.setTimeout(function () {
      setSending(form, true);
      window.setTimeout(function () { setSending(form, false); }, SENDING_RETRY_MS);
    }, 0);
  });

  window.addEventListener("pageshow", function () {
    restoreSentTokens();
    Array.prototype.forEach.call(document.querySelectorAll("form[aria-busy]"), function (form) {
      setSending(form, false);
    });
  });
})();

// "Copy link" buttons (data-copy holds the text): copied with the clipboard API, and the button
// says so for a moment (its data-copied text).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
    if (!button || !navigator.clipboard) {
      return;
    }
    var label = button.textContent;
    navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
      button.textContent = button.getAttribute("data-copied") || label;
      window.setTimeout(function () { button.textContent = label; }, 2000);
    });
  });
})();
