/* Renders the dashboard's charts from the JSON the page embeds; a table under each chart holds the same numbers. */
(function () {
  "use strict";
  function read(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function fmt(locale) {
    var lang = locale === "RU" ? "ru-RU" : "en-GB";
    return function (v) { return new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(v); };
  }
  function make(id, locale) {
    var el = document.getElementById(id);
    if (!el || !window.echarts) { return null; }
    var chart = echarts.init(el, null, { locale: locale, renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    el.dataset.rendered = "1";
    return chart;
  }
  var r = read("revenue-data");
  if (r && r.months.length) {
    var chart = make("revenue-chart", r.locale);
    if (chart) {
      var f = fmt(r.locale);
      chart.setOption({
        color: ["#2e7d32", "#78909c"],
        tooltip: { trigger: "axis", valueFormatter: f },
        legend: { data: [r.titles.revenue, r.titles.receipts], top: 0 },
        grid: { left: 90, right: 70, top: 50, bottom: 50 },
        xAxis: { type: "category", data: r.months, name: r.titles.month, nameLocation: "middle", nameGap: 30 },
        yAxis: [
          { type: "value", name: r.titles.revenue, axisLabel: { formatter: f } },
          { type: "value", name: r.titles.receipts, axisLabel: { formatter: f }, splitLine: { show: false } }
        ],
        series: [
          { name: r.titles.revenue, type: "bar", data: r.revenue },
          { name: r.titles.receipts, type: "line", yAxisIndex: 1, data: r.receipts, smooth: true }
        ]
      });
    }
  }
  var l = read("location-data");
  if (l && l.names.length) {
    var lc = make("location-chart", l.locale);
    if (lc) {
      var lf = fmt(l.locale);
      lc.setOption({
        color: ["#2e7d32"],
        tooltip: { trigger: "axis", valueFormatter: lf },
        grid: { left: 210, right: 40, bottom: 40 },
        xAxis: { type: "value", name: l.titles.revenue, nameLocation: "middle", nameGap: 26, axisLabel: { formatter: lf } },
        yAxis: { type: "category", data: l.names },
        series: [{ type: "bar", data: l.revenue }]
      });
    }
  }
})();
