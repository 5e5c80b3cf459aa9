// City pages: the capability chart on profiles and level hints in the editor.
// Data comes from <script type="application/json"> blocks (CSP forbids inline scripts);
// the table next to the chart holds the same data and is the reference without JavaScript.
(function () {
  "use strict";

  function drawCapabilityChart() {
    var canvas = document.getElementById("capability-chart");
    var source = document.getElementById("capability-data");
    if (!canvas || !source) { return; }
    if (typeof window.Chart === "undefined") {
      canvas.closest(".chart").classList.add("chart--hidden");
      return;
    }
    var data = JSON.parse(source.textContent);
    var labels = [], maturity = [], need = [], axisOf = [], mentor = [];
    data.axes.forEach(function (axis) {
      axis.areas.forEach(function (area) {
        labels.push(area.label);
        maturity.push(area.maturity);
        need.push(area.need);
        mentor.push(area.canMentor);
        axisOf.push(axis.label);
      });
    });
    var styles = getComputedStyle(document.documentElement);
    var brand = styles.getPropertyValue("--brand").trim() || "#0b6e6e";
    var accent = styles.getPropertyValue("--accent").trim() || "#b5651d";
    var ok = styles.getPropertyValue("--ok").trim() || "#1e7a3c";
    // Re-evaluated on every draw, so labels shrink when a window narrows (or a phone rotates).
    var narrowQuery = window.matchMedia("(max-width: 640px)");
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [
          {
            label: data.labels.maturity,
            data: maturity,
            backgroundColor: mentor.map(function (m) { return m ? ok : brand; }),
            borderRadius: 3,
            barPercentage: 0.9,
            categoryPercentage: 0.8
          },
          {
            label: data.labels.need,
            data: need,
            backgroundColor: accent + "b3",
            borderColor: accent,
            borderWidth: 1,
            borderRadius: 3,
            barPercentage: 0.9,
            categoryPercentage: 0.8
          }
        ]
      },
      options: {
        indexAxis: "y",
        maintainAspectRatio: false,
        animation: false,
        scales: {
          x: { min: 0, max: 4, ticks: { stepSize: 1 }, grid: { color: "#e3e7eb" } },
          y: {
            ticks: {
              autoSkip: false,
              font: function () { return { size: narrowQuery.matches ? 10 : 12 }; },
              callback: function (value) {
                var label = this.getLabelForValue(value);
                var max = narrowQuery.matches ? 24 : 48;
                return label.length > max ? label.slice(0, max - 1) + "…" : label;
              }
            },
            grid: { display: false }
          }
        },
        plugins: {
          legend: { position: "top" },
          tooltip: {
            callbacks: {
              title: function (items) {
                var i = items[0].dataIndex;
                return axisOf[i] + " — " + labels[i];
              },
              label: function (item) {
                var v = item.raw;
                if (v === null || v === undefined) { return item.dataset.label + ": " + data.labels.notAssessed; }
                var names = item.datasetIndex === 0 ? data.levelNames : data.needNames;
                var text = item.dataset.label + ": " + v + " · " + names[v];
                if (item.datasetIndex === 0 && mentor[item.dataIndex]) { text += " (" + data.labels.canMentor + ")"; }
                return text;
              }
            }
          }
        }
      }
    });
  }

  function highlightLevels() {
    // Show the descriptor of the chosen maturity level below each select, and emphasise it in
    // the list of all levels.
    document.querySelectorAll("[data-level-select]").forEach(function (select) {
      var list = document.getElementById(select.id + "-hint");
      var desc = document.getElementById(select.id + "-desc");
      if (!list) { return; }
      var update = function () {
        var chosen = null;
        list.querySelectorAll("li[data-level]").forEach(function (li) {
          var on = li.getAttribute("data-level") === select.value;
          li.classList.toggle("is-selected", on);
          if (on) { chosen = li.textContent; }
        });
        if (desc) { desc.textContent = chosen || ""; }
      };
      select.addEventListener("change", update);
      update();
    });
  }

  function showChosenLanguages() {
    // A long multiple select hides what is chosen: list the chosen names in its hint.
    var select = document.getElementById("languages");
    var hint = document.getElementById("languages-hint");
    if (!select || !hint) { return; }
    var text = hint.textContent;
    var prefix = text.slice(0, text.lastIndexOf(":") + 1) + " ";
    select.addEventListener("change", function () {
      var names = Array.prototype.filter.call(select.options, function (o) { return o.selected; })
        .map(function (o) { return o.textContent; });
      hint.textContent = prefix + (names.join(", ") || "—");
    });
  }

  function start() {
    drawCapabilityChart();
    highlightLevels();
    showChosenLanguages();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
