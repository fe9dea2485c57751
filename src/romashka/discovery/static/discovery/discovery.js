/* Renders the discovery charts from the JSON the page embeds; the tables beside them hold the same numbers. */
(function () {
  "use strict";
  if (!window.echarts) { return; }

  function make(id) {
    var box = document.getElementById(id);
    if (!box) { return null; }
    var chart = echarts.init(box, null, { renderer: "canvas", locale: document.documentElement.lang === "ru" ? "RU" : "EN" });
    window.addEventListener("resize", function () { chart.resize(); });
    chart.on("finished", function () { box.dataset.rendered = "1"; });
    return chart;
  }

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }

  var segments = data("segments-data");
  var segmentsChart = segments && make("segments-chart");
  if (segmentsChart) {
    segmentsChart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 60, right: 60, top: 40, bottom: 90 },
      xAxis: { type: "category", data: segments.names, axisLabel: { interval: 0, rotate: 20, width: 140, overflow: "truncate" } },
      yAxis: [{ type: "value", name: "%", max: 100 }, { type: "value", name: segments.titles.clients }],
      series: [
        { name: segments.titles.revenue_share, type: "bar", color: "#2e7d32", data: segments.revenue_share },
        { name: segments.titles.retention, type: "bar", color: "#1565c0", data: segments.retention },
        { name: segments.titles.clients, type: "line", yAxisIndex: 1, color: "#ffb300", data: segments.clients }
      ]
    });
  }

  var pareto = data("pareto-data");
  var paretoChart = pareto && make("pareto-chart");
  if (paretoChart) {
    paretoChart.setOption({
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " %"; } },
      legend: { top: 0 },
      grid: { left: 60, right: 60, top: 40, bottom: 50 },
      xAxis: { type: "value", name: pareto.titles.clients, nameLocation: "middle", nameGap: 30, min: 0, max: 100 },
      yAxis: { type: "value", name: pareto.titles.revenue, min: 0, max: 100 },
      series: [
        { name: pareto.titles.curve, type: "line", symbol: "none", color: "#2e7d32", areaStyle: { opacity: 0.15 },
          data: pareto.curve,
          markLine: { symbol: "none", lineStyle: { type: "dashed", color: "#e53935" }, label: { formatter: pareto.share + " %" },
                      data: [{ xAxis: pareto.share }, { yAxis: 80 }] } },
        { name: pareto.titles.even, type: "line", symbol: "none", color: "#9e9e9e", lineStyle: { type: "dotted" },
          data: [[0, 0], [100, 100]] }
      ]
    });
  }
}());
