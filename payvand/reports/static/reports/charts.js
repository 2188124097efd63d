/* Draws every <canvas data-chart="json-id"> with Chart.js from a json_script spec:
   {"type": "line"|"bar"|"doughnut", "labels": [...], "horizontal": bool, "stacked": bool,
    "datasets": [{"label": "...", "values": [...]}]}
   Right to left pages get mirrored axes, RTL legends and tooltips; fa gets Persian digits and Vazirmatn. */
(function () {
  "use strict";
  var root = document.documentElement;
  var rtl = root.dir === "rtl";
  var lang = root.lang || "en";
  var palette = ["#0d6efd", "#198754", "#dc3545", "#fd7e14", "#6f42c1", "#20c997", "#ffc107", "#0dcaf0",
    "#6c757d", "#d63384"];

  function draw(canvas) {
    if (typeof Chart === "undefined") { return; }
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var round = spec.type === "doughnut" || spec.type === "pie";
    var datasets = spec.datasets.map(function (d, i) {
      var colour = palette[i % palette.length];
      return {
        label: d.label,
        data: d.values,
        backgroundColor: round ? spec.labels.map(function (_, j) { return palette[j % palette.length]; }) : colour,
        borderColor: round ? "#fff" : colour,
        tension: 0.2,
        pointRadius: spec.labels.length > 60 ? 0 : 3,
        fill: false
      };
    });
    var horizontal = !!spec.horizontal;
    var scales = {};
    if (!round) {
      var valueAxis = { beginAtZero: true, stacked: !!spec.stacked, ticks: { precision: 0 } };
      var labelAxis = { stacked: !!spec.stacked, ticks: { autoSkip: true, maxRotation: 60 } };
      scales = horizontal ? { x: valueAxis, y: labelAxis } : { x: labelAxis, y: valueAxis };
      scales.x.reverse = rtl;
      scales.y.position = rtl ? "right" : "left";
    }
    if (canvas._payvandChart) { canvas._payvandChart.destroy(); }
    canvas._payvandChart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        locale: lang,
        indexAxis: horizontal ? "y" : "x",
        plugins: {
          legend: {
            display: round || datasets.length > 1,
            position: "bottom",
            rtl: rtl,
            textDirection: rtl ? "rtl" : "ltr"
          },
          tooltip: { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" }
        },
        scales: scales
      }
    });
  }

  function drawAll(scope) {
    if (typeof Chart !== "undefined" && lang.indexOf("fa") === 0) {
      Chart.defaults.font.family = "Vazirmatn, system-ui, sans-serif";
    }
    scope.querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
