// Round page: follow a background run's progress; reload when it ends. Works without JS (Refresh link).
(function () {
  "use strict";
  var box = document.querySelector("[data-round-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-round-status");
  var bar = box.querySelector("[data-progress-bar]");
  var text = box.querySelector("[data-progress-message]");
  function poll() {
    window.fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        if (bar) { bar.value = data.progress || 0; bar.textContent = Math.round((data.progress || 0) * 100) + " %"; }
        if (text && data.message) { text.textContent = data.message; }
        if (data.status === "done" || data.status === "failed") { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
