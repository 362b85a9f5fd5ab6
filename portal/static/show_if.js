// Show-if rules of a questionnaire, live (portal/trials/questionnaire.py holds the same rules;
// the server decides what is stored). Without this file the form works too: the hidden
// questions come back when the member presses "Update the questions".
(function () {
  "use strict";
  var form = document.querySelector("form[data-show-if]");
  if (!form) {
    return;
  }

  function answer(questionId) {
    var box = form.querySelector('[data-question="' + questionId + '"]');
    var checked = box ? box.querySelector("input[type=radio]:checked") : null;
    return checked ? checked.value : null;
  }

  function meets(kind, operator, values, value) {
    if (value === null || value === "" || !values.length) {
      return false;
    }
    if (kind === "rating" || kind === "nps") {
      var number = parseInt(value, 10);
      var limit = parseInt(values[0], 10);
      if (operator === "eq") { return number === limit; }
      if (operator === "le") { return number <= limit; }
      if (operator === "ge") { return number >= limit; }
      return false;
    }
    if (operator === "eq") { return value === values[0]; }
    if (operator === "ne") { return value !== values[0]; }
    return operator === "in" && values.indexOf(value) !== -1;
  }

  function update() {
    var shown = {};
    Array.prototype.forEach.call(form.querySelectorAll("[data-question]"), function (box) {
      var source = box.getAttribute("data-show-if-source");
      var visible = true;
      if (source) {
        var values = [];
        try {
          values = JSON.parse(box.getAttribute("data-show-if-values") || "[]").map(String);
        } catch (error) {
          values = [];
        }
        visible = shown[source] === true && meets(box.getAttribute("data-show-if-kind"),
          box.getAttribute("data-show-if-operator"), values, answer(source));
      }
      shown[box.getAttribute("data-question")] = visible;
      box.hidden = !visible;
      var seen = box.querySelector('input[name="seen"]');
      if (seen) {
        seen.disabled = !visible;
      }
    });
  }

  // The questions follow the answers as they change: the "Update" buttons are not needed.
  Array.prototype.forEach.call(form.querySelectorAll("[data-show-if-update]"), function (element) {
    element.parentNode.removeChild(element);
  });
  form.addEventListener("change", update);
  update();
}());
