// Session form: show the "who travelled where" field only for study visits.
(function () {
  "use strict";
  var select = document.querySelector("select[data-toggle-travel]");
  var travel = document.querySelector(".ms-travel");
  if (!select || !travel) { return; }
  function update() {
    var hide = select.value !== select.getAttribute("data-toggle-travel");
    travel.classList.toggle("is-hidden", hide && !travel.classList.contains("field--invalid"));
  }
  select.addEventListener("change", update);
  update();
})();
