/* Multiple-choice questions: the community bar chart (one horizontal bar per option, the viewer's forecast
   beside it), the history per option, and the live sum of the forecast form's percentages. The form posts
   normally and the server checks the sum, so everything here is a convenience. No inline script: data comes from
   the json_script element "choice-data". Chart.js is loaded globally by base.html. */
(function () {
  "use strict";

  var PALETTE = ["#1d6a86", "#d9822b", "#5a8f29", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#b7950b",
                 "#2c3e50", "#e84393"];

  function percent(v) { return Math.round(v * 1000) / 10 + "%"; }

  function drawBars(data) {
    var canvas = document.getElementById("choice-chart");
    if (!canvas || typeof window.Chart === "undefined" || !data.community) return;
    var datasets = [{ label: "Community", data: data.community, backgroundColor: PALETTE[0] }];
    if (data.mine) datasets.push({ label: "You", data: data.mine, backgroundColor: PALETTE[2] });
    canvas.parentNode.style.height = Math.max(160, 44 * data.labels.length * (data.mine ? 1.4 : 1)) + "px";
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: data.labels, datasets: datasets },
      options: {
        indexAxis: "y", animation: false, maintainAspectRatio: false,
        scales: { x: { min: 0, max: 1, ticks: { callback: percent } } },
        plugins: {
          legend: { display: !!data.mine },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ": " + percent(ctx.parsed.x); } } },
        },
      },
    });
  }

  function drawHistory(data) {
    var canvas = document.getElementById("choice-history-chart");
    if (!canvas || typeof window.Chart === "undefined" || data.history.length < 2) return;
    var datasets = data.labels.map(function (label, i) {
      return {
        label: label, stepped: "before", pointRadius: 0, borderWidth: 2, borderColor: PALETTE[i % PALETTE.length],
        data: data.history.map(function (row) { return { x: row.t, y: row.p[i] }; }),
      };
    });
    new window.Chart(canvas, {
      type: "line",
      data: { datasets: datasets },
      options: {
        animation: false, maintainAspectRatio: false, parsing: { xAxisKey: "x", yAxisKey: "y" },
        scales: {
          x: { type: "time", ticks: { maxTicksLimit: 6, maxRotation: 0, autoSkip: true } },
          y: { min: 0, max: 1, ticks: { callback: percent } },
        },
      },
    });
  }

  function liveSum(form) {
    var inputs = form.querySelectorAll("[data-choice-percent]");
    var out = form.querySelector("[data-choice-sum]");
    var note = form.querySelector("[data-choice-sum-note]");
    if (!inputs.length || !out) return;
    function update() {
      var total = 0, blank = 0;
      Array.prototype.forEach.call(inputs, function (input) {
        var v = parseFloat(input.value);
        if (isNaN(v)) blank += 1; else total += v;
      });
      var rounded = Math.round(total * 10000) / 10000;
      out.textContent = rounded + "%";
      var ok = blank === 0 && Math.abs(total - 100) <= 1e-4;
      out.parentNode.classList.toggle("is-valid", ok);
      out.parentNode.classList.toggle("is-invalid", !ok);
      if (note) {
        note.textContent = ok ? "adds up to 100%" : blank ? blank + " option" + (blank > 1 ? "s" : "") + " still blank"
          : (total < 100 ? Math.round((100 - total) * 10000) / 10000 + "% left to place"
                         : Math.round((total - 100) * 10000) / 10000 + "% too much");
      }
    }
    Array.prototype.forEach.call(inputs, function (input) { input.addEventListener("input", update); });
    update();
  }

  function init() {
    var el = document.getElementById("choice-data");
    if (el) {
      var data = JSON.parse(el.textContent);
      drawBars(data);
      drawHistory(data);
    }
    var form = document.querySelector("[data-choice-form]");
    if (form) liveSum(form);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
