/* Draws the histogram of gaps between purchase days from the JSON the cycle page embeds. */
(function () {
  "use strict";
  var source = document.getElementById("cycle-data");
  var el = document.getElementById("cycle-chart");
  if (!source || !el || !window.echarts) { return; }
  var d = JSON.parse(source.textContent);
  var chart = echarts.init(el, null, { locale: d.locale, renderer: "canvas" });
  window.addEventListener("resize", function () { chart.resize(); });
  chart.setOption({
    color: ["#2e7d32"],
    tooltip: { trigger: "axis" },
    grid: { left: 80, right: 30, top: 40, bottom: 60 },
    xAxis: { type: "category", data: d.labels, name: d.titles.x, nameLocation: "middle", nameGap: 40 },
    yAxis: { type: "value", name: d.titles.y },
    series: [{ name: d.titles.series, type: "bar", data: d.gaps,
      markLine: d.marked ? { symbol: "none", label: { formatter: d.suggested + " " + d.titles.days }, data: [{ xAxis: d.marked }] } : undefined }]
  });
  el.dataset.rendered = "1";
})();
