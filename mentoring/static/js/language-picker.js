// The city editor's language picker: a search box over the check boxes (the list works without it).
// Typing filters by name or code, ignoring case and accents; Enter moves to the first match instead
// of submitting the form; the number of languages shown is announced.
(function () {
  "use strict";

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  function setUp(picker) {
    var search = picker.querySelector("[data-language-search]");
    var input = search && search.querySelector("input");
    var count = picker.querySelector("[data-language-count]");
    if (!input) { return; }
    var lists = Array.prototype.slice.call(picker.querySelectorAll(".language-picker__list"));
    var items = Array.prototype.slice.call(picker.querySelectorAll(".language-picker__list li"));
    items.forEach(function (li) { li.dataset.text = fold(li.textContent); });
    search.hidden = false;

    function filter() {
      var query = fold(input.value);
      var shown = 0;
      items.forEach(function (li) {
        var box = li.querySelector("input");
        var match = !query || li.dataset.text.indexOf(query) !== -1 || (box && box.checked);
        li.hidden = !match;
        if (match) { shown += 1; }
      });
      lists.forEach(function (list) {  // an empty group disappears with its title
        var empty = !list.querySelector("li:not([hidden])");
        list.hidden = empty;
        var title = document.getElementById(list.getAttribute("aria-labelledby"));
        if (title) { title.hidden = empty; }
      });
      if (count) {
        count.textContent = !query ? "" : (shown ? count.dataset.some.replace("{n}", shown) : count.dataset.none);
      }
    }

    input.addEventListener("input", filter);
    input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      var first = items.filter(function (li) {
        var box = li.querySelector("input");
        return !li.hidden && box && !box.checked;
      })[0] || items.filter(function (li) { return !li.hidden; })[0];
      if (first) { first.querySelector("input").focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-language-picker]"), setUp);
  });
})();
