// A background job's page (a round's run, a survey check or import): follow its progress from the URL in
// data-job-status and reload when it ends; the page then shows the result. Without JS the page has a
// Refresh link or a <noscript> meta refresh.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-status]");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-job-status");
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
