/* Charts of the touch standards: the uplift of each standard with its 95% interval, reasons for leaving,
   and one standard's conversion by month; the tables under the charts hold the same numbers. */
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
  // An interval as a candlestick box from the low to the high end, the estimate as a dot.
  function intervals(data) {
    return data.map(function (v) { return v[0] === null ? [null, null, null, null] : [v[0], v[1], v[0], v[1]]; });
  }
  var t = read("touches-data");
  if (t && t.standards.length) {
    var c = make("uplift-chart", t.locale);
    if (c) {
      c.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 260, right: 40, top: 30, bottom: 50 },
        xAxis: { type: "value", name: t.titles.uplift, nameLocation: "middle", nameGap: 30 },
        yAxis: { type: "category", data: t.standards },
        series: [
          { type: "candlestick", data: intervals(t.intervals), itemStyle: { color: "#a5d6a7", color0: "#a5d6a7", borderColor: "#2e7d32", borderColor0: "#2e7d32" } },
          { type: "scatter", data: t.intervals.map(function (v) { return v[2]; }), itemStyle: { color: "#1b5e20" },
            markLine: { silent: true, symbol: "none", data: [{ xAxis: 0 }], lineStyle: { color: "#616161" } } }
        ]
      });
    }
  }
  if (t && t.reasons.length) {
    var r = make("reasons-chart", t.locale);
    if (r) {
      r.setOption({
        tooltip: { trigger: "axis" },
        grid: { left: 200, right: 40, top: 20, bottom: 45 },
        xAxis: { type: "value", name: t.titles.clients, nameLocation: "middle", nameGap: 28, minInterval: 1 },
        yAxis: { type: "category", data: t.reasons },
        series: [{ type: "bar", data: t.reason_counts, itemStyle: { color: "#e53935" } }]
      });
    }
  }
  var u = read("uplift-data");
  if (u && u.months.length) {
    var m = make("uplift-month-chart", u.locale);
    if (m) {
      m.setOption({
        tooltip: { trigger: "axis" },
        legend: { data: [u.titles.treated, u.titles.control, u.titles.uplift], top: 0 },
        grid: { left: 70, right: 70, top: 50, bottom: 50 },
        xAxis: { type: "category", data: u.months, name: u.titles.month, nameLocation: "middle", nameGap: 30 },
        yAxis: [{ type: "value", name: u.titles.conversion }, { type: "value", name: u.titles.uplift, splitLine: { show: false } }],
        series: [
          { name: u.titles.treated, type: "bar", data: u.treated, itemStyle: { color: "#2e7d32" } },
          { name: u.titles.control, type: "bar", data: u.control, itemStyle: { color: "#9e9e9e" } },
          { name: u.titles.uplift, type: "candlestick", yAxisIndex: 1, data: intervals(u.intervals),
            itemStyle: { color: "#ce93d8", color0: "#ce93d8", borderColor: "#8e24aa", borderColor0: "#8e24aa" } }
        ]
      });
    }
  }
})();
