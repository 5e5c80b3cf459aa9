// Survey import in the background: follow the job's progress; reload when it ends (the page then shows the
// preview, the result or the failure). Without JS the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var box = document.querySelector("[data-survey-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-survey-status");
  var bar = box.querySelector("[data-progress-bar]");
  var text = box.querySelector("[data-progress-message]");
  function poll() {
    window.fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { window.setTimeout(poll, 5000); return; }
        if (bar) { bar.value = data.progress || 0; bar.textContent = Math.round((data.progress || 0) * 100) + " %"; }
        if (text && data.message) { text.textContent = data.message; }
        if (data.status !== "queued" && data.status !== "running") { window.location.reload(); return; }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 700);
})();
