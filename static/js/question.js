/* Question pages: community charts, the binary slider, the numeric live preview, confirmations and the staff
 * form's type toggle. Every form works without this script; it only adds charts and conveniences.
 * Chart.js (global `Chart`) and its date-fns adapter are loaded by base.html before this deferred script. */
(function () {
  "use strict";

  // Colours come from readout.css's tokens (Readout.cssVar) so the charts follow the site's theme.
  var COLORS = {
    median: "#1d6a86",
    extremized: "#d9822b",
    mine: "#5a8f29",
    band: "rgba(29, 106, 134, 0.16)",
    density: "rgba(29, 106, 134, 0.22)",
    cdf: "#667085",
    community: "rgba(102, 112, 133, 0.9)",
    grid: "#e8ebf0",
  };

  function alpha(hex, a) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
    return m ? "rgba(" + parseInt(m[1], 16) + ", " + parseInt(m[2], 16) + ", " + parseInt(m[3], 16) + ", " + a + ")" : hex;
  }

  function loadColors() {
    if (!window.Readout || !window.Readout.cssVar) return;
    var token = function (name, fallback) { return window.Readout.cssVar(name) || fallback; };
    COLORS.median = token("--chart-1", COLORS.median);
    COLORS.extremized = token("--chart-2", COLORS.extremized);
    COLORS.mine = token("--chart-3", COLORS.mine);
    COLORS.cdf = token("--muted", COLORS.cdf);
    COLORS.grid = token("--chart-grid", COLORS.grid);
    COLORS.band = alpha(COLORS.median, 0.16);
    COLORS.density = alpha(COLORS.median, 0.22);
    COLORS.community = alpha(COLORS.cdf, 0.9);
  }

  function readData() {
    var el = document.getElementById("question-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  function hasChart() {
    return typeof window.Chart !== "undefined";
  }

  function fmt(x) {
    if (x === null || x === undefined || !isFinite(x)) return "";
    if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
    return String(Number(x.toPrecision(3)));
  }

  // Log axes get a tick at every 0.51, 0.52...: label the round ones only (1, 2, 3, 5 x 10^k when there are
  // many), plus both ends, so the labels never run into each other.
  function mantissa(x) {
    var e = Math.floor(Math.log10(x) + 1e-9);
    return Math.round((x / Math.pow(10, e)) * 1000) / 1000;
  }

  function logTick(value, index, ticks) {
    if (index === 0 || index === ticks.length - 1) return fmt(value);
    var whole = ticks.filter(function (t) { return Number.isInteger(mantissa(t.value)); }).length;
    var m = mantissa(value);
    if (!Number.isInteger(m)) return "";
    if (whole > 6 && [1, 2, 3, 5].indexOf(m) < 0) return "";
    return fmt(value);
  }

  function valueTicks(log) {
    return log ? { callback: logTick, autoSkip: false, maxRotation: 0 } : { callback: function (v) { return fmt(v); }, maxRotation: 0 };
  }

  function pct(p) {
    return Number((p * 100).toFixed(1)) + "%";
  }

  // ------------------------------------------------------------------------------------------------------------
  // Unit-space mapping (SCORING.md section 3): u(x) = (x - min) / (max - min), or in logs on a log scale.
  // ------------------------------------------------------------------------------------------------------------
  function scaleFor(data) {
    var lo = data.range_min, hi = data.range_max, log = data.log_scale;
    return {
      toUnit: function (x) {
        return log ? (Math.log(x) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (x - lo) / (hi - lo);
      },
      fromUnit: function (u) {
        return log ? Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))) : lo + u * (hi - lo);
      },
    };
  }

  // ------------------------------------------------------------------------------------------------------------
  // History chart
  // ------------------------------------------------------------------------------------------------------------
  function timeScale(data) {
    // From the opening of the question to now (or its close), so a lone point does not get an axis of
    // milliseconds and the chart shows how long each value has held.
    return {
      type: "time",
      min: Date.parse(data.open_time),
      // A little room on the right so the newest point is not cut in half by the edge.
      max: endTime(data) + 0.015 * (endTime(data) - Date.parse(data.open_time)),
      time: { tooltipFormat: "d MMM yyyy, HH:mm" },
      ticks: { maxRotation: 0, autoSkipPadding: 16 },
      grid: { display: false },
    };
  }

  function endTime(data) {
    // Extend the last step to now (or the close), so the chart shows how long the current value has held.
    var now = Date.parse(data.now), close = Date.parse(data.close_time);
    return Math.min(now, close);
  }

  function withTail(points, data) {
    if (!points.length) return points;
    var last = points[points.length - 1], end = endTime(data);
    if (end > last.x) points.push({ x: end, y: last.y, beyond: last.beyond, tail: true });
    return points;
  }

  // A numeric quantile at or beyond an open bound comes as the bound's value with beyond "below" / "above"
  // (docs/forecast-maths.md 2.5): plot it at the bound, label it "≤ min" / "≥ max".
  var BEYOND_MARKS = { below: "≤", above: "≥" };

  function minePoints(data) {
    return data.mine
      .filter(function (p) { return p.value !== null && !p.withdrawal; })
      .map(function (p) {
        return { x: Date.parse(p.t), y: data.type === "binary" ? p.value * 100 : p.value, beyond: p.beyond || null };
      });
  }

  // A community-history chart: stepped lines over time, legend below, nearest-point tooltips.
  // opts.y: the y scale; opts.label: the tooltip line of a point; opts.legendFilter: which legend items to show.
  function historyChart(canvas, data, datasets, opts) {
    var labels = { boxWidth: 12 };
    if (opts.legendFilter) labels.filter = opts.legendFilter;
    return new Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        interaction: { mode: "nearest", intersect: false },
        scales: { x: timeScale(data), y: opts.y },
        plugins: {
          legend: { position: "bottom", labels: labels },
          tooltip: { callbacks: { label: opts.label } },
          // Fill each band while its dataset is drawn, inside that dataset's clip (the chart area): drawn before
          // all datasets, the 10-90% band of a log axis spilled below the x axis.
          filler: { drawTime: "beforeDatasetDraw" },
        },
      },
    });
  }

  function binaryHistory(canvas, data) {
    var median = withTail(data.series.filter(function (p) { return p.median !== null; }).map(function (p) {
      return { x: Date.parse(p.created_at), y: p.median * 100, n: p.forecaster_count };
    }), data);
    var extremized = withTail(data.series.filter(function (p) { return p.extremized !== null; }).map(function (p) {
      return { x: Date.parse(p.created_at), y: p.extremized * 100 };
    }), data);
    var datasets = [];
    if (median.length) {
      datasets.push({ label: "Community median", data: median, borderColor: COLORS.median, backgroundColor: COLORS.median,
        stepped: true, pointRadius: 0, pointHitRadius: 6, borderWidth: 2 });
      datasets.push({ label: "Extremized aggregate", data: extremized, borderColor: COLORS.extremized,
        backgroundColor: COLORS.extremized, borderDash: [5, 4], stepped: true, pointRadius: 0, pointHitRadius: 6, borderWidth: 1.5 });
    }
    var mine = minePoints(data);
    if (mine.length) {
      datasets.push({ label: "Your forecasts", data: mine, type: "scatter", borderColor: COLORS.mine,
        backgroundColor: COLORS.mine, pointRadius: 5, pointHoverRadius: 7, showLine: false });
    }
    return historyChart(canvas, data, datasets, {
      y: { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } }, title: { display: false } },
      label: function (ctx) {
        var label = ctx.dataset.label + ": " + Number(ctx.parsed.y.toFixed(1)) + "%";
        if (ctx.raw && ctx.raw.n) label += " (" + ctx.raw.n + " forecasters)";
        return label;
      },
    });
  }

  function numericHistory(canvas, data) {
    var rows = data.series.filter(function (p) { return p.q50 !== null; });
    function line(key) {
      return withTail(rows.map(function (p) {
        return { x: Date.parse(p.created_at), y: p[key], beyond: p[key + "_beyond"] || null, n: p.forecaster_count };
      }), data);
    }
    var datasets = [];
    if (rows.length) {
      datasets.push({ label: "10th percentile", data: line("q10"), borderColor: "transparent", backgroundColor: COLORS.band,
        stepped: true, pointRadius: 0, fill: false, clip: 0 });
      datasets.push({ label: "10–90% range", data: line("q90"), borderColor: "transparent", backgroundColor: COLORS.band,
        stepped: true, pointRadius: 0, fill: "-1", clip: 0 });
      datasets.push({ label: "Community median", data: line("q50"), borderColor: COLORS.median, backgroundColor: COLORS.median,
        stepped: true, pointRadius: 0, pointHitRadius: 6, borderWidth: 2 });
    }
    var mine = minePoints(data);
    if (mine.length) {
      datasets.push({ label: "Your median", data: mine, type: "scatter", borderColor: COLORS.mine,
        backgroundColor: COLORS.mine, pointRadius: 5, showLine: false });
    }
    return historyChart(canvas, data, datasets, {
      // The reported quantiles lie within the range (at the bound when beyond it): the axis is the range.
      y: { type: data.log_scale ? "logarithmic" : "linear", min: data.range_min, max: data.range_max,
           title: { display: !!data.unit, text: data.unit }, ticks: valueTicks(data.log_scale) },
      legendFilter: function (item) { return item.text !== "10th percentile"; },
      label: function (ctx) {
        var mark = ctx.raw && ctx.raw.beyond ? BEYOND_MARKS[ctx.raw.beyond] || "" : "";
        return ctx.dataset.label + ": " + mark + fmt(ctx.parsed.y) + (data.unit ? " " + data.unit : "");
      },
    });
  }

  // ------------------------------------------------------------------------------------------------------------
  // Distribution charts (community and the numeric preview): density per bucket and the CDF, x in units.
  // ------------------------------------------------------------------------------------------------------------
  function distributionDatasets(dist, opts) {
    opts = opts || {};
    var density = dist.mid.map(function (x, i) { return { x: x, y: dist.density[i] }; });
    var cdf = dist.x.map(function (x, i) { return { x: x, y: dist.cdf[i] }; });
    return [
      { label: opts.densityLabel || "Density", data: density, yAxisID: "y", borderColor: opts.color || COLORS.median,
        backgroundColor: opts.fill || COLORS.density, fill: opts.noFill ? false : "origin", pointRadius: 0, borderWidth: 1.5,
        borderDash: opts.dash || [], tension: 0 },
      { label: opts.cdfLabel || "Cumulative probability", data: cdf, yAxisID: "cdf", borderColor: opts.cdfColor || COLORS.cdf,
        backgroundColor: opts.cdfColor || COLORS.cdf, pointRadius: 0, borderWidth: 1, borderDash: opts.dash || [2, 3], hidden: !!opts.hideCdf },
    ];
  }

  function distributionOptions(data) {
    return {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "nearest", axis: "x", intersect: false },
      scales: {
        x: { type: data.log_scale ? "logarithmic" : "linear", min: data.range_min, max: data.range_max,
             title: { display: !!data.unit, text: data.unit }, ticks: valueTicks(data.log_scale) },
        y: { beginAtZero: true, title: { display: true, text: "density" }, ticks: { display: false }, grid: { display: false } },
        cdf: { position: "right", min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: {
          title: function (items) { return items.length ? fmt(items[0].parsed.x) + (data.unit ? " " + data.unit : "") : ""; },
          label: function (ctx) {
            return ctx.dataset.yAxisID === "cdf" ? ctx.dataset.label + ": " + pct(ctx.parsed.y) : ctx.dataset.label;
          },
        } },
      },
    };
  }

  function communityDistribution(canvas, data) {
    return new Chart(canvas, {
      type: "line",
      data: { datasets: distributionDatasets(data.distribution) },
      options: distributionOptions(data),
    });
  }

  // The preview is the CDF the server will store: static/js/quantile_cdf.js repeats the server's conversion
  // (forecasting/maths/cdf, docs/forecast-maths.md section 2.3) step for step.
  function previewCdf(points, data) {
    if (!window.ReadoutQuantileCdf) return { error: "The preview is not available; the server computes the CDF when you submit." };
    return window.ReadoutQuantileCdf.quantilesToCdf(points.map(function (q) { return q.p; }),
      points.map(function (q) { return q.x; }), data);
  }

  function toDistribution(cdf, scale) {
    var n = cdf.length, x = [], mid = [], density = [];
    for (var j = 0; j < n; j++) x.push(scale.fromUnit(j / (n - 1)));
    for (var k = 0; k < n - 1; k++) {
      mid.push(scale.fromUnit((k + 0.5) / (n - 1)));
      density.push((cdf[k + 1] - cdf[k]) * (n - 1));
    }
    return { x: x, mid: mid, cdf: cdf, density: density };
  }

  function setupNumericPreview(form, data) {
    var canvas = document.getElementById("preview-chart");
    var status = document.getElementById("preview-status");
    if (!canvas || !hasChart()) return;
    var scale = scaleFor(data);
    var inputs = form.querySelectorAll("[data-quantile]");
    var levels = { q10: 0.1, q25: 0.25, q50: 0.5, q75: 0.75, q90: 0.9 };
    var communityDatasets = data.distribution
      ? distributionDatasets(data.distribution, { densityLabel: "Community", color: COLORS.community, noFill: true,
          dash: [4, 3], hideCdf: true }).slice(0, 1)
      : [];
    var chart = new Chart(canvas, {
      type: "line",
      data: { datasets: communityDatasets },
      options: distributionOptions(data),
    });

    function update() {
      var points = [];
      for (var i = 0; i < inputs.length; i++) {
        var raw = inputs[i].value.trim();
        if (raw === "") continue;
        var x = Number(raw);
        if (!isFinite(x)) { status.textContent = "Percentiles must be numbers."; return; }
        if (data.log_scale && x <= 0) { status.textContent = "On a log scale every percentile must be above 0."; return; }
        points.push({ level: levels[inputs[i].name], x: x, u: scale.toUnit(x), p: levels[inputs[i].name] });
      }
      var names = points.map(function (p) { return p.level; });
      if (names.indexOf(0.1) < 0 || names.indexOf(0.5) < 0 || names.indexOf(0.9) < 0) {
        status.textContent = "Enter at least the 10th, 50th and 90th percentiles to see the distribution.";
        chart.data.datasets = communityDatasets;
        chart.update();
        return;
      }
      points.sort(function (a, b) { return a.p - b.p; });
      for (var k = 1; k < points.length; k++) {
        if (!(points[k].x > points[k - 1].x)) {
          status.textContent = "Each percentile must be greater than the one before it.";
          return;
        }
      }
      var result = previewCdf(points, data);
      if (result.error) { status.textContent = result.error; return; }
      var dist = toDistribution(result.cdf, scale);
      chart.data.datasets = distributionDatasets(dist, { densityLabel: "Your distribution (preview)", cdfLabel: "Your CDF" })
        .concat(communityDatasets);
      chart.update();
      status.textContent = "Median " + fmt(points.filter(function (p) { return p.p === 0.5; })[0].x) +
        (data.unit ? " " + data.unit : "") + "; 80% of your probability between " + fmt(points[0].x) + " and " +
        fmt(points[points.length - 1].x) + ". This is the CDF that will be stored when you submit.";
    }

    for (var i = 0; i < inputs.length; i++) inputs[i].addEventListener("input", update);
    update();
  }

  // ------------------------------------------------------------------------------------------------------------
  // Binary slider <-> number input
  // ------------------------------------------------------------------------------------------------------------
  function setupBinaryForm(form) {
    var slider = form.querySelector("[data-percent-slider]");
    var number = form.querySelector("input[name=percent]");
    if (!slider || !number) return;
    slider.addEventListener("input", function () { number.value = slider.value; });
    number.addEventListener("input", function () {
      var v = Number(number.value);
      if (number.value !== "" && isFinite(v)) slider.value = String(Math.min(99, Math.max(1, v)));
    });
    if (number.value === "") number.value = slider.value;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Staff form: show the numeric fieldset only for numeric questions
  // ------------------------------------------------------------------------------------------------------------
  function setupQuestionForm(form) {
    var type = form.querySelector("select[name=type]");
    var numeric = form.querySelectorAll("[data-numeric-only]");
    var date = form.querySelectorAll("[data-date-only]");
    var continuous = form.querySelectorAll("[data-continuous-only]");
    var choice = form.querySelectorAll("[data-choice-only]");
    if (!type) return;
    function toggle() {
      for (var i = 0; i < numeric.length; i++) numeric[i].hidden = type.value !== "numeric";
      for (var j = 0; j < date.length; j++) date[j].hidden = type.value !== "date";
      for (var k = 0; k < continuous.length; k++) continuous[k].hidden = type.value !== "numeric" && type.value !== "date";
      for (var c = 0; c < choice.length; c++) choice[c].hidden = type.value !== "multiple_choice";
    }
    type.addEventListener("change", toggle);
    toggle();
  }

  function setupConfirmations() {
    var forms = document.querySelectorAll("form[data-confirm]");
    for (var i = 0; i < forms.length; i++) {
      forms[i].addEventListener("submit", function (event) {
        if (!window.confirm(this.getAttribute("data-confirm"))) event.preventDefault();
      });
    }
  }

  function init() {
    setupConfirmations();
    var questionForm = document.querySelector("[data-question-form]");
    if (questionForm) setupQuestionForm(questionForm);
    var binaryForm = document.querySelector("[data-binary-form]");
    if (binaryForm) setupBinaryForm(binaryForm);

    var data = readData();
    if (!data || data.type === "date") return;  // static/js/question_date.js draws date questions
    var numericForm = document.querySelector("[data-numeric-form]");
    if (!hasChart()) return;
    loadColors();
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.borderColor = COLORS.grid;
    var history = document.getElementById("history-chart");
    if (history) (data.type === "binary" ? binaryHistory : numericHistory)(history, data);
    var distribution = document.getElementById("distribution-chart");
    if (distribution && data.distribution) communityDistribution(distribution, data);
    if (numericForm) setupNumericPreview(numericForm, data);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
