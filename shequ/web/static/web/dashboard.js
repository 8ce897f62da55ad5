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

  function oneDecimal(v) { return v == null ? "—" : Number(v).toFixed(1) + "%"; }

  function percentAxis(max) {
    return { type: "value", min: 0, max: max, axisLabel: { formatter: "{value}%" } };
  }

  // The tooltip of the trend: every series' value, and a period in progress's coverage.
  function trendTooltip(params) {
    var index = params[0].dataIndex;
    var lines = [echarts.format.encodeHTML(data.trend.labels[index])];
    params.forEach(function (p) {
      if (p.value == null) { return; }
      lines.push(p.marker + echarts.format.encodeHTML(p.seriesName) + "：" + oneDecimal(p.value));
    });
    var coverage = data.trend.coverage[index];
    if (coverage) { lines.push("进行中：" + echarts.format.encodeHTML(coverage)); }
    return lines.join("<br>");
  }

  if (data.trend) {
    // A complete period is on the line; a period in progress is a hollow point of its own
    // at the rate among the reported communities, never joined to the line.
    draw("chart-trend", {
      grid: { left: 56, right: 16, top: 36, bottom: 40, containLabel: false },
      legend: { top: 4, data: ["达标率", "进行中（已报部分）", "年度目标"].filter(function (name, i) {
        return i !== 1 || data.trend.in_progress.some(function (v) { return v != null; });
      }) },
      tooltip: { trigger: "axis", formatter: trendTooltip },
      xAxis: { type: "category", data: data.trend.labels,
        axisLabel: { fontSize: 11, hideOverlap: true } },
      yAxis: { type: "value", min: 0, max: 100, name: "达标率（%）", nameTextStyle: { align: "left" },
        axisLabel: { formatter: "{value}%" } },
      series: [
        { name: "达标率", type: "line", data: data.trend.rates, symbolSize: 7, connectNulls: false,
          label: { show: true, formatter: function (p) { return oneDecimal(p.value); }, fontSize: 10 }, labelLayout: { hideOverlap: true },
          itemStyle: { color: "#1f4e79" } },
        { name: "进行中（已报部分）", type: "scatter", data: data.trend.in_progress, symbol: "emptyCircle",
          symbolSize: 10, label: { show: true, position: "top", fontSize: 10, color: "#8a5300",
            formatter: function (p) { return oneDecimal(p.value); } },
          labelLayout: { hideOverlap: true }, itemStyle: { color: "#c77c02", borderWidth: 2 } },
        { name: "年度目标", type: "line", step: "end", data: data.trend.targets,
          lineStyle: { type: "dashed" }, itemStyle: { color: "#d9534f" }, symbol: "none" }
      ]
    });
  }
  if (data.classes) {
    var rates = data.classes.counted.map(function (n, i) {
      return n ? Math.round(data.classes.compliant[i] * 1000 / n) / 10 : null;
    });
    draw("chart-classes", {
      title: { text: data.classes.complete ? "城乡达标率" : "城乡达标率（已报部分）", left: "center",
        textStyle: { fontSize: 13 }, subtextStyle: { fontSize: 12 },
        subtext: rates.every(function (r) { return r == null; }) ? "暂无已报数据" : "" },
      grid: { left: 44, right: 8, top: 58, bottom: 28 },
      tooltip: { trigger: "axis", valueFormatter: oneDecimal },
      xAxis: { type: "category", data: data.classes.labels },
      yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ type: "bar", data: rates, barWidth: "45%",
        label: { show: true, position: "top", formatter: function (p) { return oneDecimal(p.value); } },
        itemStyle: { color: function (p) { return p.dataIndex === 0 ? "#3b7dd8" : "#4c9a52"; } } }]
    });
  }
  if (data.buckets) {
    draw("chart-buckets", {
      title: { text: "每百户面积分布", left: "center", textStyle: { fontSize: 13 } },
      grid: { left: 48, right: 8, top: 48, bottom: 40 },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + " 个社区"; } },
      xAxis: { type: "category", data: data.buckets.labels, name: "㎡/百户", nameLocation: "middle", nameGap: 24,
        axisLabel: { fontSize: 10, interval: 0 } },
      yAxis: { type: "value", minInterval: 1, axisLabel: { formatter: "{value}个" } },
      series: [{ type: "bar", data: data.buckets.counts, label: { show: true, position: "top" },
        itemStyle: { color: function (p) { return p.dataIndex >= 4 ? "#4c9a52" : (p.dataIndex === 0 ? "#adb5bd" : "#e0a33b"); } } }]
    });
  }
  if (data.ratios) {
    // Before a merge or a split the bars are the predecessors' (summed, or the whole that
    // was split): a series of their own, in a lighter colour, in the same slot.
    var communitySeries = [
      { name: "每百户面积", type: "bar", stack: "ratio", data: data.ratios, itemStyle: { color: "#1f4e79" } }
    ];
    // Before its first period of its own, a successor has no bars of its own to name.
    var hasOwn = data.ratios.some(function (v) { return v != null; });
    var communityLegend = hasOwn ? ["每百户面积"] : [];
    if (data.inherited) {
      communitySeries.push({ name: data.inherited_name, type: "bar", stack: "ratio", data: data.inherited,
        itemStyle: { color: "#9db4cc", borderColor: "#1f4e79", borderType: "dashed", borderWidth: 1 } });
      communityLegend.push(data.inherited_name);
    }
    communitySeries.push({ name: "标准", type: "line", step: "middle", data: data.standards, symbol: "none",
      lineStyle: { type: "dashed", color: "#d9534f" }, itemStyle: { color: "#d9534f" } });
    communityLegend.push("标准");
    draw("chart-community", {
      grid: { left: 56, right: 16, top: 40, bottom: 56 },
      legend: { top: 4, data: communityLegend },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, axisLabel: { rotate: 30, fontSize: 11 } },
      yAxis: { type: "value", min: 0, axisLabel: { formatter: "{value}㎡" } },
      series: communitySeries
    });
  }
  if (data.previous) {
    draw("chart-evaluation", {
      grid: { left: 48, right: 16, top: 36, bottom: 64 },
      legend: { top: 4, data: ["本年达标率", "上年达标率", "目标"] },
      tooltip: { trigger: "axis", valueFormatter: oneDecimal },
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
  function resizeAll() { charts.forEach(function (c) { c.resize(); }); }
  window.addEventListener("resize", resizeAll);
  // Printing lays the page out at the paper's width: the charts follow it.
  window.addEventListener("beforeprint", resizeAll);
  window.addEventListener("afterprint", resizeAll);
})();
