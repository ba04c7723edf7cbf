// Answers the book's "Check your understanding" questions in the page itself, with no
// kernel and no network: when an option is chosen, the question's live region says
// whether it is right and why, and the option is marked in words as well as colour.
// The explanations are in the page already, in each question's "every answer,
// explained" list, in the order of the options.
(function () {
  "use strict";

  function clearMarks(item) {
    item.querySelectorAll(".ps-quiz-option").forEach(function (option) {
      option.removeAttribute("data-state");
      var mark = option.querySelector(".ps-quiz-mark");
      if (mark) { mark.remove(); }
    });
  }

  function answer(item, input) {
    var inputs = Array.prototype.slice.call(item.querySelectorAll('input[type="radio"]'));
    var entry = item.querySelectorAll(".ps-quiz-why > li")[inputs.indexOf(input)];
    if (!entry) { return; }
    var right = entry.classList.contains("ps-quiz-right");
    var state = right ? "right" : "wrong";

    clearMarks(item);
    var option = input.closest(".ps-quiz-option");
    option.setAttribute("data-state", state);
    var mark = document.createElement("span");
    mark.className = "ps-quiz-mark";
    mark.textContent = right ? "✓ right" : "✗ not right";
    option.querySelector("label").appendChild(mark);

    var feedback = item.querySelector(".ps-quiz-feedback");
    var verdict = document.createElement("strong");
    verdict.textContent = right ? "✓ Right. " : "✗ Not right. ";
    var why = entry.querySelector(".ps-quiz-explanation").textContent;
    feedback.setAttribute("data-state", state);
    feedback.replaceChildren(verdict, document.createTextNode(why));
  }

  function setUp() {
    document.querySelectorAll(".ps-quiz-item").forEach(function (item) {
      item.addEventListener("change", function (event) {
        if (event.target.matches('input[type="radio"]')) { answer(item, event.target); }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
