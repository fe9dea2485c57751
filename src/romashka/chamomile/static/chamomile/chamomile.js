/* The supplier report's chart: orders by calendar month, one bar series per year, from the JSON the page embeds. */
(function () {
  "use strict";
  var el = document.getElementById("supplier-data");
  var box = document.getElementById("supplier-chart");
  if (!el || !box || !window.echarts) { return; }
  var d = JSON.parse(el.textContent);
  var lang = document.documentElement.lang === "en" ? "en-GB" : "ru-RU";
  var whole = function (v) { return v == null ? "—" : new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(v); };
  var chart = echarts.init(box, null, { renderer: "canvas" });
  window.addEventListener("resize", function () { chart.resize(); });
  chart.on("finished", function () { box.dataset.rendered = "1"; });
  chart.setOption({
    tooltip: { trigger: "axis", valueFormatter: whole },
    legend: { top: 0 },
    grid: { left: 90, right: 20, top: 40, bottom: 40 },
    xAxis: { type: "category", data: d.months },
    yAxis: { type: "value", name: d.title, axisLabel: { formatter: whole } },
    series: d.years.map(function (y) { return { name: y, type: "bar", data: d.series[y] }; })
  });
})();
