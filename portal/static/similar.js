// "Already being handled" as the member types (portal/gaps/templates/gaps/_suggestions.html).
// Without this file the form's "Check for similar issues" button does the same by sending the
// form back; here a small GET of the suggestions' JSON fills the list once the required fields are
// filled and the typing pauses. Every text is set as text, never as HTML.
(function () {
  "use strict";
  var WAIT_MS = 700;
  var SENT_MAX = 600;

  function init(box) {
    var form = box.closest("form");
    var results = box.querySelector("[data-similar-results]");
    if (!form || !results || !window.fetch || !window.URLSearchParams) {
      return;
    }
    var url = box.getAttribute("data-similar-url");
    var fields = (box.getAttribute("data-similar-fields") || "").split(" ").filter(Boolean);
    var required = (box.getAttribute("data-similar-required") || "").split(" ").filter(Boolean);
    var timer = null;
    var last = "";

    function value(name) {
      var element = form.elements[name];
      return element && element.value ? element.value.trim() : "";
    }

    function render(items) {
      while (results.firstChild) {
        results.removeChild(results.firstChild);
      }
      if (!items.length) {
        var none = document.createElement("p");
        none.textContent = box.getAttribute("data-none-label");
        results.appendChild(none);
        return;
      }
      var list = document.createElement("ul");
      list.className = "similar-list";
      items.forEach(function (item) {
        var row = document.createElement("li");
        row.className = "similar-item";
        var title = document.createElement("span");
        title.className = "similar-title";
        title.textContent = item.title;
        var status = document.createElement("span");
        status.className = "meta";
        status.textContent = box.getAttribute("data-status-label") + ": " + item.status_label;
        var button = document.createElement("button");
        button.type = "submit";
        button.name = "join_item";
        button.value = String(item.id);
        button.className = "button";
        button.textContent = box.getAttribute("data-join-label");
        row.appendChild(title);
        row.appendChild(document.createTextNode(" "));
        row.appendChild(status);
        row.appendChild(document.createTextNode(" "));
        row.appendChild(button);
        list.appendChild(row);
      });
      results.appendChild(list);
    }

    function check() {
      if (required.some(function (name) { return !value(name); })) {
        return;
      }
      var params = new URLSearchParams();
      fields.forEach(function (name) {
        params.set(name, value(name).slice(0, SENT_MAX));
      });
      var query = params.toString();
      if (query === last) {
        return;
      }
      last = query;
      fetch(url + "?" + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && query === last) {
            render(data.items || []);
          }
        })
        .catch(function () { /* the button still works */ });
    }

    function later(event) {
      if (fields.indexOf(event.target.name) < 0) {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(check, WAIT_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-similar]"), init);
  });
})();
