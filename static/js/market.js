/* The market panel on a question page: the price chart (Chart.js, loaded by the question page's block scripts) and a live quote
   for the trade form, fetched from POST /api/v1/markets/<id>/quote/ as the trader types. Errors from the quote are
   shown inline next to the form; the form itself posts normally (works without JavaScript). */
(function () {
  "use strict";

  function cookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function drawChart(panel) {
    var dataEl = document.getElementById("market-chart-data");
    var canvas = panel.querySelector("canvas");
    if (!dataEl || !canvas || typeof window.Chart === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    if (data.kind === "binary") {
      var points = data.points.slice();
      if (points.length) points.push({ x: new Date().toISOString(), y: points[points.length - 1].y });
      new window.Chart(canvas, {
        type: "line",
        data: { datasets: [{ label: "YES price", data: points, stepped: "before", pointRadius: 0, borderWidth: 2 }] },
        options: {
          animation: false,
          maintainAspectRatio: false,
          parsing: { xAxisKey: "x", yAxisKey: "y" },
          scales: {
            x: { type: "time", time: { tooltipFormat: "d MMM yyyy HH:mm" },
                 ticks: { maxTicksLimit: 6, maxRotation: 0, autoSkip: true } },
            y: { min: 0, max: 1, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } },
          },
          plugins: { legend: { display: false } },
        },
      });
    } else {
      var horizontal = data.kind === "multiple_choice";  // option names read better along the y axis
      var valueAxis = { min: 0, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } };
      new window.Chart(canvas, {
        type: "bar",
        data: { labels: data.labels, datasets: [{ label: "Price", data: data.prices }] },
        options: horizontal ? {
          animation: false, indexAxis: "y", maintainAspectRatio: false,
          scales: { x: valueAxis }, plugins: { legend: { display: false } },
        } : {
          animation: false,
          maintainAspectRatio: false,
          scales: { x: { ticks: { maxRotation: 0, autoSkip: true } }, y: { min: 0, ticks: { callback: function (v) { return Math.round(v * 100) + "%"; } } } },
          plugins: { legend: { display: false } },
        },
      });
    }
  }

  function firstError(body) {
    if (!body || typeof body !== "object") return "The quote failed.";
    if (body.detail) return String(body.detail);
    for (var key in body) {
      if (Object.prototype.hasOwnProperty.call(body, key)) {
        var value = Array.isArray(body[key]) ? body[key][0] : body[key];
        return String(value);
      }
    }
    return "The quote failed.";
  }

  function pct(p) { return (p * 100).toFixed(1) + "%"; }

  function setupForm(form) {
    var out = form.querySelector(".market-quote");
    var err = form.querySelector(".market-quote-error");
    var timer = null;
    var seq = 0;

    function field(name) { return form.querySelector('[name="' + name + '"]'); }
    function side() { var el = form.querySelector('[name="side"]:checked'); return el ? el.value : "buy"; }

    function show(text, isError) {
      out.textContent = isError ? "" : text;
      err.textContent = isError ? text : "";
      err.hidden = !isError;
    }

    function request() {
      var amount = field("amount").value.trim().replace(/,/g, "");
      if (!amount) { show("", false); return; }
      var number = Number(amount);
      if (!isFinite(number)) { show("Amount must be a number.", true); return; }
      var kind = field("amount_kind").value;
      var body = { outcome: Number(field("outcome").value), side: side() };
      body[kind] = number;
      var limit = field("limit").value.trim();
      if (limit) {
        var l = Number(limit);
        if (!isFinite(l)) { show("The limit must be a number.", true); return; }
        body[side() === "buy" ? "max_price" : "min_price"] = l;
      }
      var mine = ++seq;
      fetch(form.dataset.quoteUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": cookie("csrftoken") },
        body: JSON.stringify(body),
      })
        .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, body: j }; }); })
        .then(function (res) {
          if (mine !== seq) return; // an older answer arriving late
          if (!res.ok) { show(firstError(res.body), true); return; }
          var q = res.body;
          var label = field("outcome").selectedOptions[0].textContent.replace(/\s*\(.*\)$/, "");
          var verb = q.side === "buy" ? "You pay " + q.cash + " points for " : "You receive " + q.cash + " points for ";
          show(verb + q.shares + " " + label + " shares (average " + q.average_price.toFixed(4) + " each). " +
               label + " moves from " + pct(q.price_before[q.outcome]) + " to " + pct(q.price_after[q.outcome]) + ".",
               false);
        })
        .catch(function () { if (mine === seq) show("Could not get a quote; check your connection.", true); });
    }

    function schedule() { clearTimeout(timer); timer = setTimeout(request, 250); }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  function init() {
    document.querySelectorAll("[data-market-panel]").forEach(function (panel) {
      drawChart(panel);
      var form = panel.querySelector("form.market-form");
      if (form) setupForm(form);
    });
  }

  // The panel's script tag comes before the page's {% block scripts %}, which loads Chart.js: deferred scripts run in
  // document order, all before DOMContentLoaded, so wait for it (unless this script was added after the fact).
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
