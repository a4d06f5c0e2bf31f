/* Date questions' charts (docs/scoring.md, "Date questions"): the community history with a date y-axis, the
 * community distribution and the forecast form's live preview on a date x-axis. Chart.js's time scale with the
 * vendored date-fns adapter (loaded by base.html). Axis values arrive as POSIX seconds (the question's unit axis in
 * seconds) and are drawn as milliseconds. The preview is the CDF the server stores: static/js/quantile_cdf.js runs
 * the server's conversion on the dates' seconds. The form works without this script. */
(function () {
  "use strict";

  var COLORS = { median: "#1d6a86", mine: "#5a8f29", cdf: "#667085", grid: "#e8ebf0" };
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var DAY = 86400;

  function alpha(hex, a) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? "rgba(" + parseInt(m[1], 16) + ", " + parseInt(m[2], 16) + ", " + parseInt(m[3], 16) + ", " + a + ")" : hex;
  }

  function loadColors() {
    if (!window.Readout || !window.Readout.cssVar) return;
    var token = function (name, fallback) { return window.Readout.cssVar(name) || fallback; };
    COLORS.median = token("--chart-1", COLORS.median);
    COLORS.mine = token("--chart-3", COLORS.mine);
    COLORS.cdf = token("--muted", COLORS.cdf);
    COLORS.grid = token("--chart-grid", COLORS.grid);
  }

  // Seconds -> "12 Jun 2027" (UTC, nearest date: the server's markets.date_axis.format_day).
  function day(seconds) {
    if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
    var d = new Date(Math.round(seconds / DAY) * DAY * 1000);
    return d.getUTCDate() + " " + MONTHS[d.getUTCMonth()] + " " + d.getUTCFullYear();
  }

  // "2027-06-12" -> seconds at 00:00 UTC, NaN if it is no date.
  function isoSeconds(text) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return NaN;
    var ms = Date.parse(text + "T00:00:00Z");
    return isFinite(ms) ? ms / 1000 : NaN;
  }

  var BEYOND = { below: "on or before ", above: "on or after " };

  function dateAxis(data) {
    return { type: "time", min: data.range_min * 1000, max: data.range_max * 1000,
             time: { tooltipFormat: "d MMM yyyy" },
             ticks: { maxRotation: 0, autoSkipPadding: 12 } };
  }

  function distributionDatasets(dist, label, dashed) {
    var density = dist.mid.map(function (x, i) { return { x: x * 1000, y: dist.density[i] }; });
    var cdf = dist.x.map(function (x, i) { return { x: x * 1000, y: dist.cdf[i] }; });
    return [
      { label: label, data: density, yAxisID: "y", borderColor: dashed ? alpha(COLORS.cdf, 0.9) : COLORS.median,
        backgroundColor: alpha(COLORS.median, 0.22), fill: dashed ? false : "origin", pointRadius: 0, borderWidth: 1.5,
        borderDash: dashed ? [4, 3] : [] },
      { label: dashed ? "Community CDF" : "Cumulative probability", data: cdf, yAxisID: "cdf", borderColor: COLORS.cdf,
        backgroundColor: COLORS.cdf, pointRadius: 0, borderWidth: 1, borderDash: [2, 3], hidden: !!dashed },
    ];
  }

  function distributionOptions(data) {
    return {
      responsive: true, maintainAspectRatio: false, animation: false, parsing: true,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      scales: {
        x: dateAxis(data),
        y: { beginAtZero: true, title: { display: true, text: "density" }, ticks: { display: false }, grid: { display: false } },
        cdf: { position: "right", min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: {
          title: function (items) { return items.length ? day(items[0].parsed.x / 1000) : ""; },
          label: function (ctx) {
            return ctx.dataset.yAxisID === "cdf" ? ctx.dataset.label + ": " + Number((ctx.parsed.y * 100).toFixed(1)) + "% by then"
              : ctx.dataset.label;
          },
        } },
      },
    };
  }

  function toDistribution(cdf, data) {
    var n = cdf.length - 1, lo = data.range_min, span = data.range_max - data.range_min;
    var x = [], mid = [], density = [];
    for (var j = 0; j <= n; j++) x.push(lo + span * j / n);
    for (var k = 0; k < n; k++) { mid.push(lo + span * (k + 0.5) / n); density.push((cdf[k + 1] - cdf[k]) * n); }
    return { x: x, mid: mid, cdf: cdf, density: density };
  }

  // The community's history: the median date and the 10-90% band over time; y is a date axis.
  function history(canvas, data) {
    var rows = data.series.filter(function (p) { return p.q50 !== null; });
    var end = Math.min(Date.parse(data.now), Date.parse(data.close_time));
    function line(key) {
      var pts = rows.map(function (p) {
        return { x: Date.parse(p.created_at), y: p[key] * 1000, beyond: p[key + "_beyond"] || null, n: p.forecaster_count };
      });
      if (pts.length && end > pts[pts.length - 1].x) pts.push({ x: end, y: pts[pts.length - 1].y, beyond: pts[pts.length - 1].beyond });
      return pts;
    }
    var band = alpha(COLORS.median, 0.16), datasets = [];
    if (rows.length) {
      datasets.push({ label: "10th percentile", data: line("q10"), borderColor: "transparent", backgroundColor: band, stepped: true, pointRadius: 0, fill: false });
      datasets.push({ label: "10–90% range", data: line("q90"), borderColor: "transparent", backgroundColor: band, stepped: true, pointRadius: 0, fill: "-1" });
      datasets.push({ label: "Community median", data: line("q50"), borderColor: COLORS.median, backgroundColor: COLORS.median, stepped: true, pointRadius: 0, pointHitRadius: 6, borderWidth: 2 });
    }
    var mine = data.mine.filter(function (p) { return p.value !== null && !p.withdrawal; }).map(function (p) {
      return { x: Date.parse(p.t), y: p.value * 1000, beyond: p.beyond || null };
    });
    if (mine.length) {
      datasets.push({ label: "Your median", data: mine, type: "scatter", borderColor: COLORS.mine, backgroundColor: COLORS.mine, pointRadius: 5, showLine: false });
    }
    var open = Date.parse(data.open_time);
    return new Chart(canvas, {
      type: "line", data: { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "nearest", intersect: false },
        scales: {
          x: { type: "time", min: open, max: end + 0.015 * (end - open), time: { tooltipFormat: "d MMM yyyy, HH:mm" },
               ticks: { maxRotation: 0, autoSkipPadding: 16 }, grid: { display: false } },
          // Dates with their year: the range often spans two years.
          y: Object.assign(dateAxis(data), { ticks: { maxTicksLimit: 8, callback: function (v) { return day(v / 1000); } } }),
        },
        plugins: {
          legend: { position: "bottom", labels: { boxWidth: 12, filter: function (item) { return item.text !== "10th percentile"; } } },
          tooltip: { callbacks: { label: function (ctx) {
            var mark = ctx.raw && ctx.raw.beyond ? BEYOND[ctx.raw.beyond] || "" : "";
            return ctx.dataset.label + ": " + mark + day(ctx.parsed.y / 1000);
          } } },
        },
      },
    });
  }

  function preview(form, data) {
    var canvas = document.getElementById("preview-chart"), status = document.getElementById("preview-status");
    if (!canvas) return;
    var inputs = form.querySelectorAll("[data-quantile]");
    var levels = { q10: 0.1, q25: 0.25, q50: 0.5, q75: 0.75, q90: 0.9 };
    var community = data.distribution ? distributionDatasets(data.distribution, "Community", true).slice(0, 1) : [];
    var chart = new Chart(canvas, { type: "line", data: { datasets: community }, options: distributionOptions(data) });
    canvas.setAttribute("data-axis", "date");

    function show(text) { status.textContent = text; }

    function update() {
      var points = [];
      for (var i = 0; i < inputs.length; i++) {
        var raw = inputs[i].value.trim();
        if (raw === "") continue;
        var s = isoSeconds(raw);
        if (!isFinite(s)) { show("Percentiles must be dates."); return; }
        points.push({ p: levels[inputs[i].name], x: s });
      }
      var have = points.map(function (q) { return q.p; });
      if (have.indexOf(0.1) < 0 || have.indexOf(0.5) < 0 || have.indexOf(0.9) < 0) {
        chart.data.datasets = community;
        chart.update();
        show("Pick at least the 10th, 50th and 90th percentile dates to see the distribution.");
        return;
      }
      points.sort(function (a, b) { return a.p - b.p; });
      for (var k = 1; k < points.length; k++) {
        if (!(points[k].x > points[k - 1].x)) { show("Each percentile must be a later date than the one before it."); return; }
      }
      if (!window.ReadoutQuantileCdf) { show("The preview is not available; the server computes the CDF when you submit."); return; }
      var result = window.ReadoutQuantileCdf.quantilesToCdf(points.map(function (q) { return q.p; }),
        points.map(function (q) { return q.x; }), data);
      if (result.error) { show(result.error); return; }
      chart.data.datasets = distributionDatasets(toDistribution(result.cdf, data), "Your distribution (preview)", false)
        .concat(community);
      chart.update();
      var median = points.filter(function (q) { return q.p === 0.5; })[0].x;
      show("Median " + day(median) + "; 80% of your probability between " + day(points[0].x) + " and " +
        day(points[points.length - 1].x) + ". This is the CDF that will be stored when you submit.");
    }

    for (var i = 0; i < inputs.length; i++) {
      inputs[i].addEventListener("input", update);
      inputs[i].addEventListener("change", update);
    }
    update();
  }

  function init() {
    var el = document.getElementById("question-data");
    if (!el || typeof window.Chart === "undefined") return;
    var data = JSON.parse(el.textContent);
    if (data.type !== "date") return;
    loadColors();
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.borderColor = COLORS.grid;
    var historyCanvas = document.getElementById("history-chart");
    if (historyCanvas) { history(historyCanvas, data); historyCanvas.setAttribute("data-axis", "date"); }
    var distribution = document.getElementById("distribution-chart");
    if (distribution && data.distribution) {
      new Chart(distribution, { type: "line", data: { datasets: distributionDatasets(data.distribution, "Density", false) },
        options: distributionOptions(data) });
      distribution.setAttribute("data-axis", "date");
    }
    var form = document.querySelector("[data-date-form]");
    if (form) preview(form, data);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
