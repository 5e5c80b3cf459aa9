// Home page: the coordinators' chart of active mentorships and coverage by region.
// Data comes from a <script type="application/json"> block (CSP forbids inline scripts);
// the table under the chart holds the same numbers and is the reference without JavaScript.
(function () {
  "use strict";

  function drawRegionChart() {
    var canvas = document.getElementById("region-chart");
    var source = document.getElementById("region-data");
    if (!canvas || !source) { return; }
    var figure = canvas.closest(".home-chart");
    if (typeof window.Chart === "undefined") {
      figure.classList.add("home-chart--hidden");
      return;
    }
    var data = JSON.parse(source.textContent);
    var styles = getComputedStyle(document.documentElement);
    var brand = styles.getPropertyValue("--brand").trim() || "#0b6e6e";
    var accent = styles.getPropertyValue("--accent").trim() || "#b5651d";
    var narrow = window.matchMedia("(max-width: 640px)").matches;
    new window.Chart(canvas, {
      data: {
        labels: data.labels,
        datasets: [
          {
            type: "bar",
            label: data.texts.active,
            data: data.active,
            backgroundColor: brand,
            borderRadius: 3,
            yAxisID: "count",
            order: 2
          },
          {
            type: "line",
            label: data.texts.coverage,
            data: data.coverage,
            borderColor: accent,
            backgroundColor: accent,
            pointRadius: 4,
            spanGaps: true,
            yAxisID: "share",
            order: 1
          }
        ]
      },
      options: {
        indexAxis: "x",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: {
            ticks: { autoSkip: false, maxRotation: narrow ? 60 : 0, font: { size: narrow ? 10 : 12 } },
            grid: { display: false }
          },
          count: {
            position: "left", beginAtZero: true, ticks: { precision: 0 },
            title: { display: !narrow, text: data.texts.active }
          },
          share: {
            position: "right", min: 0, max: 100, grid: { display: false },
            ticks: { callback: function (value) { return value + "%"; } }
          }
        },
        plugins: { legend: { position: "top", labels: { boxWidth: 14 } } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawRegionChart);
  } else {
    drawRegionChart();
  }
}());
