/* Charts of the feedback section from the JSON each page embeds; the tables under them hold the same numbers. */
(function () {
  "use strict";
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function make(id, locale) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    var chart = echarts.init(el, null, { locale: locale, renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "1";
    return chart;
  }
  function pick(list, key) { return list.map(function (c) { return c.hidden ? null : c[key]; }); }
  function scoreChart(dataId, chartId) {
    var d = read(dataId);
    if (!d) { return; }
    var chart = make(chartId, d.locale);
    if (!chart) { return; }
    chart.setOption({
      color: ["#2e7d32", "#90a4ae", "#90a4ae"],
      tooltip: { trigger: "axis" },
      legend: { data: [d.titles.nps, d.titles.interval], top: 0, right: 10 },
      grid: { left: 60, right: 30, top: 50, bottom: 50 },
      xAxis: { type: "category", data: d.months, name: d.titles.month, nameLocation: "middle", nameGap: 30 },
      yAxis: { type: "value", min: -100, max: 100, name: d.titles.points },
      series: [
        { name: d.titles.nps, type: "line", data: pick(d.network, "nps"), connectNulls: false, symbolSize: 7 },
        { name: d.titles.interval, type: "line", data: pick(d.network, "low"), lineStyle: { type: "dashed" }, symbol: "none" },
        { name: d.titles.interval, type: "line", data: pick(d.network, "high"), lineStyle: { type: "dashed" }, symbol: "none" }
      ]
    });
  }
  scoreChart("nps-data", "nps-chart");
  scoreChart("enps-data", "enps-chart");

  var s = read("service-data");
  if (s && s.raters.length) {
    var heat = make("service-chart", s.locale);
    if (heat) {
      var shown = s.cells.map(function (c) { return c[2]; }).filter(function (v) { return v !== null; });
      var low = shown.length ? Math.floor(Math.min.apply(null, shown) * 10) / 10 : 1;
      var high = shown.length ? Math.ceil(Math.max.apply(null, shown) * 10) / 10 : 5;
      if (high - low < 0.2) { low = Math.max(1, low - 0.1); high = Math.min(5, high + 0.1); }
      heat.setOption({
        tooltip: { formatter: function (p) {
          var v = p.data[2] === null ? s.titles.hidden : p.data[2].toFixed(2);
          return s.titles.raters + ": " + s.raters[p.data[1]] + "<br>" + s.titles.providers + ": " + s.providers[p.data[0]] + "<br>" + v;
        } },
        grid: { left: 160, right: 90, top: 40, bottom: 110 },
        xAxis: { type: "category", data: s.providers, name: s.titles.providers, nameLocation: "middle", nameGap: 90, axisLabel: { rotate: 30 } },
        yAxis: { type: "category", data: s.raters, name: s.titles.raters },
        visualMap: { dimension: 2, min: low, max: high, calculable: true, orient: "vertical", right: 0, top: "middle",
                     text: [String(high), String(low)],
                     inRange: { color: ["#e53935", "#ffb300", "#2e7d32"] }, itemHeight: 120 },
        series: [{ type: "heatmap", data: s.cells.filter(function (c) { return c[2] !== null; }),
                   label: { show: true, formatter: function (p) { return p.data[2].toFixed(1); } } }]
      });
    }
  }

  var l = read("link-data");
  if (l) {
    var scatter = make("link-chart", l.locale);
    if (scatter) {
      scatter.setOption({
        color: ["#2e7d32", "#c62828"],
        tooltip: { formatter: function (p) { return p.seriesIndex === 0 ? p.data[2] + " · " + p.data[3] + "<br>" + l.titles.x + ": " + p.data[0] + "<br>" + l.titles.y + ": " + p.data[1] : l.titles.line; } },
        legend: { data: [l.titles.points, l.titles.line], top: 0, right: 10 },
        grid: { left: 70, right: 30, top: 60, bottom: 50 },
        xAxis: { type: "value", scale: true, name: l.titles.x, nameLocation: "middle", nameGap: 30 },
        yAxis: { type: "value", scale: true, name: l.titles.y },
        series: [
          { name: l.titles.points, type: "scatter", data: l.points, symbolSize: 8, itemStyle: { opacity: 0.7 } },
          { name: l.titles.line, type: "line", data: l.line, symbol: "none", lineStyle: { width: 2 } }
        ]
      });
    }
  }
})();
