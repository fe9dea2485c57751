/* Renders the planning charts from the JSON the page embeds; the tables under them hold the same numbers. */
(function () {
  "use strict";
  var el = document.getElementById("planning-data");
  if (!el || !window.echarts) { return; }
  var d = JSON.parse(el.textContent);
  var lang = d.locale === "RU" ? "ru-RU" : "en-GB";
  var whole = function (v) { return v == null ? "—" : new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(v); };
  var months = d.history.slice(1).concat(d.ahead);
  var pad = function (values, before, after) {
    return new Array(before).fill(null).concat(values, new Array(after).fill(null));
  };

  function make(id) {
    var box = document.getElementById(id);
    if (!box) { return null; }
    var chart = echarts.init(box, null, { locale: d.locale, renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    chart.on("finished", function () { box.dataset.rendered = "1"; });
    return chart;
  }

  var past = d.history_revenue.length;
  var ahead = d.forecast_revenue.length;
  var revenue = make("revenue-chart");
  if (revenue) {
    var low = d.revenue_low, high = d.revenue_high;
    revenue.setOption({
      tooltip: { trigger: "axis", valueFormatter: whole },
      legend: { top: 0 },
      grid: { left: 90, right: 20, top: 40, bottom: 50 },
      xAxis: { type: "category", data: months, boundaryGap: false },
      yAxis: { type: "value", name: d.titles.revenue, axisLabel: { formatter: whole } },
      series: [
        { name: d.titles.actual, type: "line", symbol: "circle", color: "#2e7d32", data: pad(d.history_revenue, 0, ahead) },
        { name: d.titles.forecast, type: "line", symbol: "circle", color: "#1565c0", lineStyle: { type: "dashed" },
          data: pad(d.forecast_revenue, past, 0) },
        { name: d.titles.band, type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          data: pad(low, past, 0), tooltip: { show: false }, color: "#90caf9" },
        { name: d.titles.band, type: "line", stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: "#90caf9", opacity: 0.35 }, color: "#90caf9",
          data: pad(high.map(function (h, i) { return h - low[i]; }), past, 0) }
      ]
    });
  }

  var counts = make("forecast-chart");
  if (counts) {
    var all = d.history_counts.slice(1).concat(d.forecast_counts);
    counts.setOption({
      tooltip: { trigger: "axis", valueFormatter: whole },
      legend: { top: 0 },
      grid: { left: 70, right: 20, top: 40, bottom: 50 },
      xAxis: { type: "category", data: months, boundaryGap: false },
      yAxis: { type: "value", name: d.titles.clients, axisLabel: { formatter: whole } },
      series: d.statuses.map(function (s, i) {
        return { name: s.label, type: "line", stack: "clients", symbol: "none", color: s.colour,
                 areaStyle: { opacity: 0.8 }, lineStyle: { width: 0.5 },
                 data: all.map(function (row) { return row[i]; }) };
      })
    });
    counts.setOption({ series: [{ markLine: { symbol: "none", lineStyle: { color: "#555", type: "dashed" },
      label: { formatter: d.titles.forecast + " →" }, data: [{ xAxis: d.history[d.history.length - 1] }] } }] });
  }
})();
