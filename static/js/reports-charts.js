// Draws every <canvas data-chart="ID"> from the JSON block with that id (json_script).
// The figures come as JSON numbers, never printed into the script; each chart has a
// table with the same figures next to it.
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }
  var palette = ["#0b5d4b", "#d97706", "#2563eb", "#9333ea", "#dc2626", "#0891b2", "#65a30d", "#6b7280", "#be185d"];

  function draw(canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var line = spec.type === "line";
    var datasets = spec.datasets.map(function (d, i) {
      var colours = spec.colors || palette;
      var colour = colours[i % colours.length];
      return {
        label: d.label,
        data: d.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: line ? 2 : 0,
        spanGaps: true,
        stepped: false,
        pointRadius: line ? 2 : 0,
      };
    });
    var scale = { beginAtZero: spec.yMin === 0 };
    if (spec.yMin !== null && spec.yMin !== undefined) {
      scale.min = spec.yMin;
    }
    if (spec.yMax !== null && spec.yMax !== undefined) {
      scale.max = spec.yMax;
    }
    var valueAxis = spec.indexAxis === "y" ? "x" : "y";
    var scales = { x: { stacked: spec.stacked }, y: { stacked: spec.stacked } };
    Object.assign(scales[valueAxis], scale);
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: spec.indexAxis || "x",
        scales: scales,
        plugins: { legend: { display: datasets.length > 1 || !!datasets[0].label } },
      },
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
