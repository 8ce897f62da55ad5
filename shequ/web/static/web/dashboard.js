/* Draws the dashboard charts from the JSON the page carries (no inline script: CSP). */
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || !window.echarts) { return; }
  var data = JSON.parse(source.textContent);
  var font = { fontFamily: "Microsoft YaHei, PingFang SC, Noto Sans CJK SC, sans-serif" };
  var charts = [];

  function draw(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    option.textStyle = font;
    option.animation = false;
    chart.setOption(option);
    element.setAttribute("data-drawn", "1");
    charts.push(chart);
  }

  function percentAxis(max) {
    return { type: "value", min: 0, max: max, axisLabel: { formatter: "{value}%" } };
  }

  if (data.trend) {
    draw("chart-trend", {
      grid: { left: 48, right: 16, top: 36, bottom: 48 },
      legend: { top: 4, data: ["达标率", "年度目标"] },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      xAxis: { type: "category", data: data.trend.labels, axisLabel: { rotate: 30, fontSize: 11 } },
      yAxis: percentAxis(100),
      series: [
        { name: "达标率", type: "line", data: data.trend.rates, symbolSize: 7,
          label: { show: true, formatter: "{c}%", fontSize: 10 }, itemStyle: { color: "#1f4e79" } },
        { name: "年度目标", type: "line", step: "end", data: data.trend.targets,
          lineStyle: { type: "dashed" }, itemStyle: { color: "#d9534f" }, symbol: "none" }
      ]
    });
  }
  if (data.classes) {
    var rates = data.classes.communities.map(function (n, i) {
      return n ? Math.round(data.classes.compliant[i] * 1000 / n) / 10 : null;
    });
    draw("chart-classes", {
      title: { text: "城乡达标率", left: "center", textStyle: { fontSize: 13 } },
      grid: { left: 40, right: 8, top: 48, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.classes.labels },
      yAxis: percentAxis(100),
      series: [{ type: "bar", data: rates, barWidth: "45%",
        label: { show: true, position: "top", formatter: "{c}%" },
        itemStyle: { color: function (p) { return p.dataIndex === 0 ? "#3b7dd8" : "#4c9a52"; } } }]
    });
  }
  if (data.buckets) {
    draw("chart-buckets", {
      title: { text: "每百户面积（㎡）分布", left: "center", textStyle: { fontSize: 13 } },
      grid: { left: 32, right: 8, top: 48, bottom: 28 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.buckets.labels, axisLabel: { fontSize: 10, interval: 0 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.buckets.counts, label: { show: true, position: "top" },
        itemStyle: { color: function (p) { return p.dataIndex >= 4 ? "#4c9a52" : (p.dataIndex === 0 ? "#adb5bd" : "#e0a33b"); } } }]
    });
  }
  if (data.ratios) {
    draw("chart-community", {
      grid: { left: 56, right: 16, top: 40, bottom: 56 },
      legend: { top: 4, data: ["每百户面积", "标准"] },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30, fontSize: 11 } },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value}㎡" } },
      series: [
        { name: "每百户面积", type: "bar", data: data.ratios, itemStyle: { color: "#1f4e79" } },
        { name: "标准", type: "line", step: "middle", data: data.standards, symbol: "none",
          lineStyle: { type: "dashed", color: "#d9534f" }, itemStyle: { color: "#d9534f" } }
      ]
    });
  }
  if (data.previous) {
    draw("chart-evaluation", {
      grid: { left: 48, right: 16, top: 36, bottom: 64 },
      legend: { top: 4, data: ["本年达标率", "上年达标率", "目标"] },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v == null ? "—" : v + "%"; } },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 35, fontSize: 11, interval: 0 } },
      yAxis: percentAxis(100),
      series: [
        { name: "本年达标率", type: "bar", data: data.rates, itemStyle: { color: "#1f4e79" } },
        { name: "上年达标率", type: "bar", data: data.previous, itemStyle: { color: "#9db4cc" } },
        { name: "目标", type: "line", data: data.targets, symbol: "none", step: "middle",
          lineStyle: { type: "dashed", color: "#d9534f" }, itemStyle: { color: "#d9534f" } }
      ]
    });
  }
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
