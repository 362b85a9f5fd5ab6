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

// A rejected form opens with its error summary (templates/macros/forms.html): the focus goes
// there, so a keyboard or screen-reader user starts at the list of what to correct. A link of
// the summary puts the focus in its field (a fragment link alone only scrolls) and keeps the
// field's label in view.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
    var target = link && document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (target && !target.matches("input, select, textarea, button")) {
      target = target.querySelector("input, select, textarea, button");  // a question's fieldset
    }
    if (!target) {
      return;
    }
    event.preventDefault();
    var around = target.closest("fieldset") || target.closest(".field") || target;
    around.scrollIntoView();
    target.focus({ preventScroll: true });
  });
})();

// Files over the size limit (data-max-bytes) or too many of them (data-max-files) are refused in
// the browser, before anything is sent: the error shows on the field at once and the form is not
// sent, so the person keeps what they typed and chooses again. The server checks the same
// (portal/gaps/photos.py); its messages come in data-too-large ("{name}") and data-too-many
// ("{count}") in the page's language.
(function () {
  "use strict";
  var SELECTOR = "input[type=file][data-max-bytes]";

  function problems(input) {
    var found = [];
    var maxFiles = Number(input.getAttribute("data-max-files") || 0);
    var maxBytes = Number(input.getAttribute("data-max-bytes"));
    var files = input.files || [];
    if (maxFiles && files.length > maxFiles) {
      found.push((input.getAttribute("data-too-many") || "").replace("{count}", files.length));
    }
    Array.prototype.forEach.call(files, function (file) {
      if (file.size > maxBytes) {
        found.push((input.getAttribute("data-too-large") || "").replace("{name}", file.name));
      }
    });
    return found;
  }

  function describedBy(input, id, present) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (each) {
      return each && each !== id;
    });
    if (present) {
      ids.push(id);
    }
    if (ids.length) {
      input.setAttribute("aria-describedby", ids.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  // A new choice replaces the error of the previous one (the server's included): it was about
  // other files.
  function show(input, messages) {
    var id = input.id + "-error";
    var old = document.getElementById(id);
    if (old) {
      old.parentNode.removeChild(old);
    }
    var field = input.closest(".field");
    if (field) {
      field.classList.toggle("has-error", messages.length > 0);
    }
    describedBy(input, id, messages.length > 0);
    if (!messages.length) {
      input.removeAttribute("aria-invalid");
      return;
    }
    var error = document.createElement("p");
    error.className = "error";
    error.id = id;
    // Said at once: nothing else tells a screen-reader user that the choice was refused.
    error.setAttribute("role", "alert");
    messages.forEach(function (message, index) {
      if (index) {
        error.appendChild(document.createElement("br"));
      }
      error.appendChild(document.createTextNode(message));
    });
    input.parentNode.insertBefore(error, input);
    input.setAttribute("aria-invalid", "true");
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) {
      show(event.target, problems(event.target));
    }
  });

  // Capture: runs before the listener that disables the submit buttons of a form being sent.
  document.addEventListener("submit", function (event) {
    var refused = Array.prototype.filter.call(event.target.querySelectorAll(SELECTOR), function (input) {
      var found = problems(input);
      if (found.length) {
        show(input, found);
      }
      return found.length > 0;
    });
    if (refused.length) {
      event.preventDefault();
      refused[0].focus();
    }
  }, true);
})();

// Layout conveniences (the page works without them): a table's scroll region is a focus stop only
// while its table is wider than it (a keyboard needs the stop to scroll it; elsewhere it is one Tab
// too many), and where the browser cannot show a closed <details> menu's links on a wide screen
// (no ::details-content), the menu is opened there.
(function () {
  "use strict";
  function updateScrollRegions() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-scroll[role=region]"), function (region) {
      if (region.scrollWidth > region.clientWidth + 1) {
        region.setAttribute("tabindex", "0");
      } else if (region !== document.activeElement) {
        region.removeAttribute("tabindex");
      }
    });
  }
  var wide = window.matchMedia ? window.matchMedia("(min-width: 48.01rem)") : null;
  var menu = document.querySelector("details.nav-menu");
  var supported = window.CSS && CSS.supports && CSS.supports("selector(::details-content)");
  if (menu && wide && wide.matches && !supported) {
    menu.open = true;
  }
  var filters = document.querySelector("details.filter-menu");
  if (filters && !supported && window.matchMedia && window.matchMedia("(min-width: 40.01rem)").matches) {
    filters.open = true;
  }
  updateScrollRegions();
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(updateScrollRegions, 150);
  });
})();
