/* Quantiles -> the stored 201-point CDF, exactly as the server computes it (forecasting/maths/cdf/smooth.py,
 * fitting.py and quantiles_fit.py; docs/forecast-maths.md section 2.3), so the forecast form's preview shows the
 * very CDF that will be stored. tests/forecasting/maths/test_cdf_smooth_math.py runs this file with node and
 * checks it against the Python on fixtures: change both together.
 *
 * quantilesToCdf(levels, values, question) -> {cdf: [201 numbers]} or {error: "..."}; levels ascending in (0, 1),
 * values in the question's units, question = {range_min, range_max, log_scale, open_lower_bound,
 * open_upper_bound}. The server's checks of what was typed (required levels, duplicates, ...) are not repeated:
 * the form only offers the 10/25/50/75/90th percentiles and checks that they increase. */
(function (root, factory) {
  if (typeof module === "object" && module.exports) module.exports = factory();
  else root.ReadoutQuantileCdf = factory();
})(typeof self !== "undefined" ? self : this, function () {
  "use strict";

  var N_CELLS = 200, GRID_SIZE = 201, MIN_STEP = 1e-5, OPEN_MIN = 0.001, OPEN_MAX = 0.999;
  var BUILD_STEP = MIN_STEP * (1 + 1e-6), GRID_SNAP = 1e-9, FEAS_TOL = 1e-12, STEP_SLACK = 1e-14;
  var END_RANGE = [0.25, 2.0], BUDGET = 2.5, ROUNDS = 5, CLOSED_POWER = 2.0, CLOSED_SPILL = 0.3;
  var GRID_ERROR = "These percentiles cannot be represented on the 201-point grid: spread them further apart " +
    "(the server's message says exactly why when you submit).";

  function logit(p) { return Math.log(p) - Math.log1p(-p); }

  // ---------------------------------------------------------------------------------------------------------
  // The smooth curve (smooth.py: _LogitSpline and _node_derivatives)
  // ---------------------------------------------------------------------------------------------------------
  function halves(rows) {  // de Casteljau: both halves of each quartic (5 Bernstein coefficients)
    var out = [];
    rows.forEach(function (c) {
      var levels = [c], cur = c;
      for (var r = 0; r < 4; r++) {
        var next = [];
        for (var i = 0; i + 1 < cur.length; i++) next.push(0.5 * (cur[i] + cur[i + 1]));
        levels.push(next);
        cur = next;
      }
      out.push(levels.map(function (l) { return l[0]; }));
      out.push(levels.slice().reverse().map(function (l) { return l[l.length - 1]; }));
    });
    return out;
  }

  function increasing(h, secant, d0, d1, s0, s1) {
    var a = d0 / secant, b = d1 / secant, g0 = s0 * h / secant, g1 = s1 * h / secant;
    var rows = [[a, a + g0 / 4, 5 - 2 * a - 2 * b + (g1 - g0) / 4, b - g1 / 4, b]];
    for (var r = 0; r < 3; r++) rows = halves(rows);
    return rows.every(function (c) { return c.every(function (x) { return x >= -1e-12; }); });
  }

  function sigmoid(x) { return x > -700 ? 1 / (1 + Math.exp(-x)) : 0; }

  // One end node: [slope, curvature, blend] (smooth.py, _closed_end); gap = 0 on an open side.
  function closedEnd(secant, inner, gap, level, height) {
    var d = secant * Math.min(Math.max(secant / inner, END_RANGE[0]), END_RANGE[1]);
    if (!gap) return [d, 0, 0];
    var ratio = sigmoid(height - d * gap) / level / CLOSED_SPILL, lam = Math.min(1, ratio * ratio);
    var need = lam / ((1 - 2 * level) * gap);
    if (need > d) d = Math.min(need, END_RANGE[1] * secant);
    return [d, -lam * d / gap, lam];
  }

  function fade(t) { var x = 1 - t; return Math.log(t) + x + x * x / 2 + x * x * x / 3; }

  // z - z_1 in a closed lower tail at distance y = u_1 - u from the quantile (mirrored for the upper one).
  function closedTail(y, gap, d, lam) {
    var t = 1 - y / gap, out = 0;
    if (lam < 1) out += (1 - lam) * (-d * y + CLOSED_POWER * fade(t));
    if (lam > 0) out += lam * d * gap * Math.log(t);
    return out;
  }

  function nodeDerivatives(u, z, lowerGap, upperGap, p) {
    var n = u.length, h = [], secant = [], k;
    for (k = 0; k < n - 1; k++) { h.push(u[k + 1] - u[k]); secant.push((z[k + 1] - z[k]) / h[k]); }
    var dEst = [], sEst = [];
    for (k = 1; k < n - 1; k++) {
      var hl = h[k - 1], hr = h[k], dl = secant[k - 1], dr = secant[k], w1 = 2 * hr + hl, w2 = hr + 2 * hl;
      dEst.push((w1 + w2) / (w1 / dl + w2 / dr));
      sEst.push(2 * (dr - dl) / (hl + hr));
    }
    var lo = closedEnd(secant[0], dEst[0], lowerGap, p[0], z[0]);
    var hi = closedEnd(secant[n - 2], dEst[n - 3], upperGap, 1 - p[n - 1], -z[n - 1]);
    var first = lo[0], last = hi[0];
    var sFirst = Math.max(lo[1], -4 * first / h[0]), sLast = Math.min(-hi[1], 4 * last / h[n - 2]);
    var dSafe = [], sSafe = [], weight = [];
    for (k = 1; k < n - 1; k++) {
      var i = k - 1, hL = h[k - 1], hR = h[k], dL = secant[k - 1], dR = secant[k];
      var bl = k === 1 ? 5 - (2 * first + sFirst * h[0] / 4) / secant[0] : BUDGET;
      var br = k === n - 2 ? 5 - (2 * last - sLast * h[n - 2] / 4) / secant[n - 2] : BUDGET;
      var ds = Math.min(dEst[i], 0.5 * Math.min(bl * dL, br * dR));
      var low = Math.max(-4 * ds / hR, 4 * (2 * ds - bl * dL) / hL);
      var high = Math.min(4 * (br * dR - 2 * ds) / hR, 4 * ds / hL);
      dSafe.push(ds);
      sSafe.push(Math.min(Math.max(sEst[i], low), high));
      weight.push(1);
    }
    var d, s;
    for (var rnd = 0; rnd <= ROUNDS; rnd++) {
      d = [first]; s = [sFirst];
      for (k = 0; k < n - 2; k++) {
        d.push(dSafe[k] + weight[k] * (dEst[k] - dSafe[k]));
        s.push(sSafe[k] + weight[k] * (sEst[k] - sSafe[k]));
      }
      d.push(last); s.push(sLast);
      var bad = [], any = false;
      for (k = 0; k < n - 1; k++) {
        bad.push(!increasing(h[k], secant[k], d[k], d[k + 1], s[k], s[k + 1]));
        any = any || bad[k];
      }
      if (!any) break;
      for (k = 0; k < n - 2; k++) {  // inner node k + 1 touches pieces k and k + 1; at the end all are safe
        if (rnd === ROUNDS - 1) weight[k] = 0;
        else if (bad[k] || bad[k + 1]) weight[k] = 0.5 * weight[k];
      }
    }
    return { h: h, d: d, s: s, lamLower: lo[2], lamUpper: hi[2] };
  }

  function logitSpline(u, p, closedLower, closedUpper) {
    var n = u.length, z = p.map(logit);
    var lowerGap = closedLower ? u[0] : 0, upperGap = closedUpper ? 1 - u[n - 1] : 0;
    var nd = nodeDerivatives(u, z, lowerGap, upperGap, p), h = nd.h, d = nd.d, s = nd.s;
    var levels = [0].concat(p, [1]);
    function logOdds(x) {
      if (x < u[0]) {
        return lowerGap ? z[0] + closedTail(u[0] - x, lowerGap, d[0], nd.lamLower) : z[0] + d[0] * (x - u[0]);
      }
      if (x > u[n - 1]) {
        return upperGap ? z[n - 1] - closedTail(x - u[n - 1], upperGap, d[n - 1], nd.lamUpper) :
          z[n - 1] + d[n - 1] * (x - u[n - 1]);
      }
      var j = 0;
      while (j < n - 2 && x >= u[j + 1]) j++;
      var hk = h[j], t = (x - u[j]) / hk, t2 = t * t, t3 = t2 * t, t4 = t3 * t, t5 = t4 * t;
      return (1 - 10 * t3 + 15 * t4 - 6 * t5) * z[j] + (t - 6 * t3 + 8 * t4 - 3 * t5) * hk * d[j] +
        0.5 * (t2 - 3 * t3 + 3 * t4 - t5) * hk * hk * s[j] + (10 * t3 - 15 * t4 + 6 * t5) * z[j + 1] +
        (-4 * t3 + 7 * t4 - 3 * t5) * hk * d[j + 1] + 0.5 * (t3 - 2 * t4 + t5) * hk * hk * s[j + 1];
    }
    return function (x) {
      var f = 1 / (1 + Math.exp(-logOdds(x)));
      var right = 0, left = 0;  // how many u_k <= x, and how many u_k < x
      while (right < n && u[right] <= x) right++;
      while (left < n && u[left] < x) left++;
      return Math.min(Math.max(f, levels[right]), levels[left + 1]);
    };
  }

  // ---------------------------------------------------------------------------------------------------------
  // The exact grid fit (fitting.py and quantiles_fit.py)
  // ---------------------------------------------------------------------------------------------------------
  function waterFill(total, weights, floor) {
    var n = weights.length, i, out = [];
    if (n === 0) return out;
    var w = weights.map(function (x) { return Math.max(x, 0); });
    var wsum = 0;
    for (i = 0; i < n; i++) wsum += w[i];
    var even = function () { var o = []; for (var j = 0; j < n; j++) o.push(total / n); return o; };
    if (total <= n * floor || !(wsum > 0)) return even();
    var active = [], count = n, lam = 0;
    for (i = 0; i < n; i++) active.push(true);
    for (var round = 0; round <= n; round++) {
      var sum = 0;
      for (i = 0; i < n; i++) if (active[i]) sum += w[i];
      lam = (total - floor * (n - count)) / sum;
      var changed = false, newCount = 0;
      for (i = 0; i < n; i++) {
        var keep = active[i] && lam * w[i] > floor;
        if (keep !== active[i]) changed = true;
        active[i] = keep;
        if (keep) newCount++;
      }
      if (!changed) break;
      count = newCount;
      if (count === 0) return even();
    }
    for (i = 0; i < n; i++) out.push(active[i] ? lam * w[i] : floor);
    return out;
  }

  function solveChain(boxes, targets, links, step) {
    var J = boxes.map(function (b) { return [b[0], b[1]]; }), i, ln, c, lo, hi;
    for (i = 0; i < links.length; i++) {
      ln = links[i];
      c = ln.prob - (ln.f1 - ln.f0) * step;
      lo = J[i][0]; hi = J[i][1];
      var eq = ln.f1 === ln.f0;
      if (ln.b === 0) {
        if (ln.a === 0) {
          if ((eq && Math.abs(c) > FEAS_TOL) || c < -FEAS_TOL) return null;
          continue;
        }
        if (eq) {
          var val = c / ln.a;
          if (!(lo - FEAS_TOL <= val && val <= hi + FEAS_TOL)) return null;
          val = Math.min(Math.max(val, lo), hi);
          J[i] = [val, val];
        } else {
          if (c / ln.a < lo - FEAS_TOL) return null;
          J[i][1] = Math.max(Math.min(hi, c / ln.a), lo);
        }
        continue;
      }
      var nlo = J[i + 1][0], nhi = J[i + 1][1];
      var ylo = eq ? (c - ln.a * hi) / ln.b : -Infinity, yhi = (c - ln.a * lo) / ln.b;
      var newLo = Math.max(nlo, ylo), newHi = Math.min(nhi, yhi);
      if (newLo > newHi + FEAS_TOL * Math.max(1, 1 / ln.b)) return null;
      if (newLo > newHi) newLo = newHi = Math.min(Math.max(newLo, nlo), nhi);
      J[i + 1] = [newLo, newHi];
    }
    var x = J.map(function () { return 0; }), last = J.length - 1;
    x[last] = Math.min(Math.max(targets[last], J[last][0]), J[last][1]);
    for (i = links.length - 1; i >= 0; i--) {
      ln = links[i];
      c = ln.prob - (ln.f1 - ln.f0) * step;
      lo = J[i][0]; hi = J[i][1];
      if (ln.a === 0) x[i] = Math.min(Math.max(targets[i], lo), hi);
      else if (ln.f1 === ln.f0) x[i] = Math.min(Math.max((c - ln.b * x[i + 1]) / ln.a, lo), hi);
      else x[i] = Math.min(Math.max(targets[i], lo), Math.max(Math.min(hi, (c - ln.b * x[i + 1]) / ln.a), lo));
    }
    return x;
  }

  function link(a, b, prob, f0, f1) { return { a: a, b: b, prob: prob, f0: f0, f1: f1 }; }

  function quantilesToCdf(levels, values, q) {
    var lo = Number(q.range_min), hi = Number(q.range_max), openLower = !!q.open_lower_bound, openUpper = !!q.open_upper_bound;
    var m = levels.length, k, j;
    if (!openLower && !(values[0] > lo)) return { error: "The lowest percentile must be above the range minimum." };
    if (!openUpper && !(values[m - 1] < hi)) return { error: "The highest percentile must be below the range maximum." };
    var u = [], g = [];
    for (k = 0; k < m; k++) {
      var uk = q.log_scale ? (Math.log(values[k]) - Math.log(lo)) / (Math.log(hi) - Math.log(lo)) : (values[k] - lo) / (hi - lo);
      if (!isFinite(uk)) return { error: "The percentiles are too far outside the range to be used." };
      var gk = uk * N_CELLS, r = Math.round(gk);
      if (Math.abs(gk - r) <= GRID_SNAP && gk >= 0 && gk <= N_CELLS) { gk = r; uk = r / N_CELLS; }
      u.push(uk); g.push(gk);
      if (k > 0 && !(g[k] > g[k - 1])) return { error: "Two percentiles are too close together to tell apart." };
    }
    var F = logitSpline(u, levels, !openLower, !openUpper), fg = [];
    for (j = 0; j < GRID_SIZE; j++) fg.push(F(j / N_CELLS));
    for (j = 0; j < GRID_SIZE; j++) if (!isFinite(fg[j])) return { error: GRID_ERROR };
    if (!openLower) fg[0] = 0;
    if (!openUpper) fg[N_CELLS] = 1;
    var cellMass = [];
    for (j = 0; j < N_CELLS; j++) cellMass.push(Math.max(fg[j + 1] - fg[j], 0));

    var anchors = [], inRange = [];
    for (k = 0; k < m; k++) {
      if (!(g[k] >= 0 && g[k] <= N_CELLS)) continue;
      inRange.push(k);
      var cell = Math.min(Math.floor(g[k]), N_CELLS - 1), t = g[k] - cell, prev = anchors[anchors.length - 1];
      if (prev && prev.cell === cell) { prev.tLast = t; prev.pLast = levels[k]; }
      else anchors.push({ cell: cell, tFirst: t, tLast: t, pFirst: levels[k], pLast: levels[k] });
    }
    var fixed = {};
    for (k = 0; k + 1 < inRange.length; k++) {
      var k0 = inRange[k], k1 = inRange[k + 1];
      var c0 = Math.min(Math.floor(g[k0]), N_CELLS - 1), c1 = Math.min(Math.floor(g[k1]), N_CELLS - 1);
      if (c0 !== c1) continue;
      var mass = (levels[k1] - levels[k0]) / ((g[k1] - c0) - (g[k0] - c0));
      if (c0 in fixed && Math.abs(fixed[c0] - mass) > 1e-9 * Math.max(fixed[c0], mass)) return { error: GRID_ERROR };
      if (!(c0 in fixed)) fixed[c0] = mass;
    }
    for (k = 0; k < anchors.length; k++) {
      var fm = fixed[anchors[k].cell];
      if (fm !== undefined && !(MIN_STEP - FEAS_TOL <= fm && fm <= 1 + FEAS_TOL)) return { error: GRID_ERROR };
    }

    var links = [];
    if (anchors.length) {
      var first = anchors[0], lastA = anchors[anchors.length - 1];
      links.push(link(1, first.tFirst, first.pFirst, 0, first.cell));
      for (k = 0; k + 1 < anchors.length; k++) {
        var a0 = anchors[k], a1 = anchors[k + 1];
        links.push(link(1 - a0.tLast, a1.tFirst, a1.pFirst - a0.pLast, a0.cell + 1, a1.cell));
      }
      links.push(link(1 - lastA.tLast, 1, 1 - lastA.pLast, lastA.cell + 1, N_CELLS));
    } else {
      links.push(link(1, 1, 1, 0, N_CELLS));
    }
    var targets = [fg[0]].concat(anchors.map(function (a) { return cellMass[a.cell]; }), [1 - fg[N_CELLS]]);
    function boxesFor(step) {
      var boxes = [openLower ? [OPEN_MIN, 1] : [0, 0]];
      anchors.forEach(function (a) {
        var fmass = fixed[a.cell];
        boxes.push(fmass === undefined ? [step, 1] : [fmass, fmass]);
      });
      boxes.push(openUpper ? [1 - OPEN_MAX, 1] : [0, 0]);
      return boxes;
    }
    var step = BUILD_STEP, x = solveChain(boxesFor(step), targets, links, step);
    if (!x) { step = MIN_STEP; x = solveChain(boxesFor(step), targets, links, step); }
    if (!x) return { error: GRID_ERROR };

    var cellOut = new Array(N_CELLS);
    anchors.forEach(function (a, i) { cellOut[a.cell] = x[i + 1]; });
    links.forEach(function (ln, i) {
      if (ln.f1 > ln.f0) {
        var rem = ln.prob - ln.a * x[i] - ln.b * x[i + 1];
        var filled = waterFill(rem, cellMass.slice(ln.f0, ln.f1), step);
        for (var c = 0; c < filled.length; c++) cellOut[ln.f0 + c] = filled[c];
      }
    });
    var cdf = [x[0]], acc = x[0];
    for (j = 0; j < N_CELLS; j++) { acc += cellOut[j]; cdf.push(acc); }
    for (k = 0; k < m; k++) {
      if (g[k] >= 0 && g[k] <= N_CELLS && g[k] === Math.floor(g[k])) cdf[g[k]] = levels[k];
    }
    cdf[0] = openLower ? Math.max(cdf[0], OPEN_MIN) : 0;
    cdf[N_CELLS] = openUpper ? Math.min(cdf[N_CELLS], OPEN_MAX) : 1;
    for (j = 1; j < GRID_SIZE; j++) {
      if (!(cdf[j] - cdf[j - 1] >= MIN_STEP - STEP_SLACK)) return { error: GRID_ERROR };
    }
    return { cdf: cdf };
  }

  return { quantilesToCdf: quantilesToCdf };
});
