/* Renders the client's path charts from the JSON the page embeds; a table under each chart holds the same numbers. */
(function () {
  "use strict";
  var el = document.getElementById("path-data");
  if (!el || !window.echarts) { return; }
  var d = JSON.parse(el.textContent);
  var lang = d.locale === "RU" ? "ru-RU" : "en-GB";
  var whole = function (v) { return v == null ? "—" : new Intl.NumberFormat(lang, { maximumFractionDigits: 0 }).format(v); };
  var pct = function (v) { return v == null ? "—" : new Intl.NumberFormat(lang, { maximumFractionDigits: 1 }).format(v) + " %"; };

  // On a phone the legends wrap to several lines and the Sankey's right-hand labels need room.
  var narrow = (document.getElementById("counts-chart") || document.body).clientWidth < 600;
  var gridTop = narrow ? 95 : 50;

  function make(id) {
    var box = document.getElementById(id);
    if (!box) { return null; }
    var chart = echarts.init(box, null, { locale: d.locale, renderer: "canvas" });
    window.addEventListener("resize", function () { chart.resize(); });
    chart.on("finished", function () { box.dataset.rendered = "1"; });
    return chart;
  }

  var counts = make("counts-chart");
  if (counts) {
    var series = d.statuses.map(function (s) {
      return { name: s.label, type: "line", stack: "clients", areaStyle: { opacity: 0.85 }, symbol: "none",
               lineStyle: { width: 0.5 }, color: s.colour, data: d.counts[s.key] };
    });
    series.push({ name: d.titles.won_back, type: "line", symbol: "none", color: d.won_back_colour,
                  lineStyle: { width: 2, type: "dashed" }, data: d.won_back });
    counts.setOption({
      tooltip: { trigger: "axis", valueFormatter: whole },
      legend: { top: 0 },
      grid: { left: narrow ? 55 : 80, right: 20, top: gridTop, bottom: 55 },
      xAxis: { type: "category", boundaryGap: false, data: d.months, name: d.titles.month, nameLocation: "middle", nameGap: 32 },
      yAxis: { type: "value", name: d.titles.clients, axisLabel: { formatter: whole } },
      series: series
    });
  }

  var sankey = make("sankey-chart");
  if (sankey) {
    sankey.setOption({
      tooltip: { trigger: "item", valueFormatter: whole },
      series: [{
        type: "sankey", left: 10, right: narrow ? 130 : 240, top: 10, bottom: 10, nodeGap: 12, draggable: false,
        emphasis: { focus: "adjacency" }, lineStyle: { color: "gradient", opacity: 0.35 },
        label: { fontSize: narrow ? 9 : 12, formatter: function (p) { return p.name + ": " + whole(p.value); } },
        data: d.sankey.nodes, links: d.sankey.links
      }]
    });
  }

  var rates = make("rates-chart");
  if (rates) {
    rates.setOption({
      tooltip: { trigger: "axis", valueFormatter: pct },
      legend: { top: 0 },
      grid: { left: narrow ? 55 : 80, right: 20, top: narrow ? 125 : 50, bottom: 55 },
      xAxis: { type: "category", data: d.rate_months, name: d.titles.month, nameLocation: "middle", nameGap: 32 },
      yAxis: { type: "value", name: d.titles.rate, axisLabel: { formatter: pct } },
      series: d.rates.map(function (r) {
        return { name: r.label, type: "line", color: r.colour, connectNulls: false, data: r.values, symbolSize: 5 };
      })
    });
  }
})();
