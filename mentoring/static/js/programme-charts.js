// Charts of the programme pages (outcomes, Smart Cities Study) with the vendored Chart.js. Data comes
// from <script type="application/json"> blocks (CSP forbids inline scripts); each chart has a table with
// the same numbers next to it, which stays the reference without JavaScript or for screen readers.
(function () {
  "use strict";

  function colours() {
    var styles = getComputedStyle(document.documentElement);
    return {
      brand: styles.getPropertyValue("--brand").trim() || "#0b6e6e",
      accent: styles.getPropertyValue("--accent").trim() || "#b5651d",
      bad: styles.getPropertyValue("--bad").trim() || "#b3261e"
    };
  }

  var builders = {
    outcomes: function (data, c) {
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [
            { label: data.texts.before, data: data.before, backgroundColor: c.accent, yAxisID: "level" },
            { label: data.texts.after, data: data.after, backgroundColor: c.brand, yAxisID: "level" }
          ]
        },
        options: { animation: false, maintainAspectRatio: false,
                   scales: { level: { beginAtZero: true, max: 4, position: "left" } } }
      };
    },
    study: function (data, c) {
      return {
        type: "bar",
        data: { labels: data.areas, datasets: [{ label: data.texts.mean, data: data.means, backgroundColor: c.brand }] },
        options: { indexAxis: "y", animation: false, maintainAspectRatio: false,
                   scales: { x: { beginAtZero: true, max: 4 } } }
      };
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-source"));
      var build = builders[canvas.getAttribute("data-chart")];
      if (!source || !build || typeof window.Chart === "undefined") {
        canvas.closest("figure").classList.add("pchart--hidden");
        return;
      }
      new window.Chart(canvas, build(JSON.parse(source.textContent), colours()));
    });
  });
}());
