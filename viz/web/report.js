// careflow report: charts and tables of one run, or of two runs compared, from the JSON that
// `careflow report` embeds in #careflow-data. Plain SVG written here; no dependencies.
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("careflow-data").textContent);
  var runs = D.runs, cmp = D.comparison, two = runs.length > 1;
  var RUN_COLOURS = ["#2563b0", "#e8730c"];
  var AGENCY_COLOURS = ["#2563b0", "#c2185b", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#546e7a"];
  var TIERS = D.vocabulary.tiers.map(function (t) { return t.name; });  // models/vocabulary.hpp
  var main = document.getElementById("report");
  var SVGNS = "http://www.w3.org/2000/svg";

  function el(tag, attrs, text, parent) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function svg(tag, attrs, parent, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function label(s) { return String(s).replace(/_/g, " "); }
  function fin(x) { return typeof x === "number" && isFinite(x); }
  function fmt(x, d) {
    if (!fin(x)) return "–";
    if (d === undefined) d = Math.abs(x) >= 1000 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
    return x.toLocaleString("en-GB", { minimumFractionDigits: d, maximumFractionDigits: d });
  }
  function money(x) {
    if (!fin(x)) return "–";
    return (x < 0 ? "−" : "") + "£" + (Math.abs(x) >= 1e6 ? fmt(Math.abs(x) / 1e6, 2) + "m" : fmt(Math.abs(x), 0));
  }
  function ci(c, unit) {
    if (!c || !fin(c.mean)) return "–";
    if (unit === "£") {
      if (Math.abs(c.mean) < 1e6) return money(c.mean) + (fin(c.hw) ? " ± " + money(Math.abs(c.hw)) : "");
      return money(c.mean) + (fin(c.hw) ? " ± " + fmt(Math.abs(c.hw) / 1e6, 2) + "m" : "");
    }
    return fmt(c.mean) + (fin(c.hw) ? " ± " + fmt(Math.abs(c.hw)) : "");
  }
  function section(title, note) {
    var s = el("section", {}, null, main);
    el("h2", {}, title, s);
    if (note) el("p", { class: "note" }, note, s);
    return s;
  }
  function niceMax(x) {
    if (!(x > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(x))), m = x / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function legend(parent, items) {
    var p = el("p", { class: "note" }, null, parent);
    items.forEach(function (it) {
      var s = el("span", { style: "margin-right:18px;white-space:nowrap" }, null, p);
      el("span", { style: "display:inline-block;width:22px;height:0;border-top:3px " + (it.dash ? "dashed " : "solid ") + it.colour + ";vertical-align:middle;margin-right:6px" }, null, s);
      s.appendChild(document.createTextNode(it.name));
    });
  }

  // A line chart with optional confidence bands; x = years of the reported period.
  function lineChart(parent, spec) {
    var W = 880, H = 300, L = 86, R = 20, T = 16, B = 44;
    var box = el("div", { class: "chart" }, null, parent);
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": spec.title }, box);
    var xs = [], ymax = 0, ymin = 0;
    spec.series.forEach(function (se) {
      se.x.forEach(function (x) { xs.push(x); });
      se.y.forEach(function (y, i) {
        var hi = se.hw && fin(se.hw[i]) ? y + se.hw[i] : y, lo = se.hw && fin(se.hw[i]) ? y - se.hw[i] : y;
        if (fin(hi) && hi > ymax) ymax = hi;
        if (fin(lo) && lo < ymin) ymin = lo;
      });
    });
    var x0 = Math.min.apply(null, xs.concat([1])), x1 = Math.max.apply(null, xs.concat([2]));
    ymax = niceMax(ymax); if (ymin < 0) ymin = -niceMax(-ymin);
    function X(x) { return L + (x - x0) / (x1 - x0 || 1) * (W - L - R); }
    function Y(y) { return T + (ymax - y) / (ymax - ymin || 1) * (H - T - B); }
    for (var k = 0; k <= 4; ++k) {
      var yv = ymin + (ymax - ymin) * k / 4;
      svg("line", { x1: L, x2: W - R, y1: Y(yv), y2: Y(yv), stroke: "#e4e7eb" }, s);
      svg("text", { x: L - 6, y: Y(yv) + 4, "text-anchor": "end", "font-size": 12, fill: "#52606d" }, s, spec.yFormat ? spec.yFormat(yv) : fmt(yv));
    }
    for (var xv = Math.ceil(x0); xv <= x1; ++xv) {
      if ((x1 - x0) > 20 && xv % 5) continue;
      svg("text", { x: X(xv), y: H - B + 18, "text-anchor": "middle", "font-size": 12, fill: "#52606d" }, s, String(xv));
    }
    svg("text", { x: (L + W - R) / 2, y: H - 6, "text-anchor": "middle", "font-size": 13, fill: "#1f2933" }, s, spec.xLabel || "year of the reported period");
    svg("text", { x: 14, y: T + (H - T - B) / 2, "text-anchor": "middle", "font-size": 13, fill: "#1f2933", transform: "rotate(-90 14 " + (T + (H - T - B) / 2) + ")" }, s, spec.yLabel);
    if (ymin < 0) svg("line", { x1: L, x2: W - R, y1: Y(0), y2: Y(0), stroke: "#52606d" }, s);
    spec.series.forEach(function (se) {
      if (se.hw) {
        var up = [], down = [];
        se.x.forEach(function (x, i) {
          if (!fin(se.y[i]) || !fin(se.hw[i])) return;
          up.push(X(x) + "," + Y(se.y[i] + se.hw[i])); down.unshift(X(x) + "," + Y(se.y[i] - se.hw[i]));
        });
        if (up.length) svg("polygon", { points: up.concat(down).join(" "), fill: se.colour, "fill-opacity": 0.15, stroke: "none" }, s);
      }
      var pts = [];
      se.x.forEach(function (x, i) { if (fin(se.y[i])) pts.push(X(x) + "," + Y(se.y[i])); });
      svg("polyline", { points: pts.join(" "), fill: "none", stroke: se.colour, "stroke-width": 2.5, "stroke-dasharray": se.dash ? "7 4" : "none" }, s)
        .appendChild(svg("title", {}, null, se.name));
    });
    legend(box, spec.series);
    return box;
  }

  // ---------------------------------------------------------------- heading
  document.getElementById("title").textContent = "careflow report — " + runs.map(function (r) { return r.name; }).join(" vs ");
  document.getElementById("subtitle").textContent = runs.map(function (r, k) {
    return (two ? (k ? "B: " : "A: ") : "") + r.file;
  }).join(" · ");
  var intro = section("At a glance", "Figures are means across replications ± the half-width of their 95% confidence interval. " +
    "Time is counted from the end of the warm-up (year 1 is the first reported year). Money in pounds.");
  var cards = el("div", { class: "cards" }, null, intro);
  runs.forEach(function (r, k) {
    var c = el("div", { class: "card", style: "border-left:6px solid " + RUN_COLOURS[k] }, null, cards);
    el("span", {}, (two ? (k ? "B  " : "A  ") : "") + r.name, c);
    el("b", {}, ci(r.spend_per_year, "£"), c);
    el("span", {}, "spent a year · " + r.replications + " replications · " + fmt(r.horizon_years - r.warmup_years, 0) + " years reported", c);
  });

  // ---------------------------------------------------------------- waits
  var ws = section("Waiting times by service",
    "Boxes: the middle half of waits (25th–75th percentile), whiskers 5th–95th, the bar inside the median — " +
    "from every episode of replication 0 that began in the reported period. Diamonds: mean wait with its 95% interval across replications. " +
    "Square-root scale, so short and long waits both show.");
  runs.forEach(function (r, k) {
    var bad = r.waits.filter(function (w) { return w.unstable; }).map(function (w) { return label(w.service); });
    var who = two ? (k ? "B: " : "A: ") : "";
    if (bad.length)
      el("p", { class: "warning" }, who + "Unstable queue" + (bad.length > 1 ? "s" : "") + " (marked ⚠): " + bad.join(", ") +
        ". The queue grows through the reported period, so its waits depend on the horizon and the seed — do not read them as the service's wait.", ws);
    else if (r.waits.length && !r.waits[0].stability_checked)
      el("p", {}, who + "Queue stability not checked: it needs at least 3 replications.", ws);
  });
  (function () {
    var rowsByTier = [];
    TIERS.forEach(function (tier) {
      runs[0].waits.forEach(function (w, i) { if (w.tier === tier) rowsByTier.push(i); });
    });
    var vmax = 1;
    runs.forEach(function (r) { r.waits.forEach(function (w) { if (fin(w.q[5]) && w.q[5] > vmax) vmax = w.q[5]; if (w.mean && fin(w.mean.mean) && w.mean.mean > vmax) vmax = w.mean.mean; }); });
    vmax = niceMax(vmax);
    var rowH = two ? 30 : 22, L = 230, R = 30, W = 880, T = 10, H = T + rowsByTier.length * rowH + 60;
    var box = el("div", { class: "chart" }, null, ws);
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "Waiting-time distributions by service" }, box);
    function X(v) { return L + Math.sqrt(Math.max(0, v) / vmax) * (W - L - R); }
    [0, 1, 7, 14, 28, 56, 91, 182, 365, 730].filter(function (v) { return v <= vmax; }).forEach(function (v) {
      svg("line", { x1: X(v), x2: X(v), y1: T, y2: H - 44, stroke: "#e4e7eb" }, s);
      svg("text", { x: X(v), y: H - 28, "text-anchor": "middle", "font-size": 11, fill: "#52606d" }, s, String(v));
    });
    svg("text", { x: (L + W) / 2, y: H - 8, "text-anchor": "middle", "font-size": 13 }, s, "days from referral to start of service");
    var lastTier = null;
    rowsByTier.forEach(function (i, r) {
      var y = T + r * rowH, name = runs[0].waits[i].service, tier = runs[0].waits[i].tier;
      if (tier !== lastTier) { svg("line", { x1: 0, x2: W, y1: y, y2: y, stroke: "#9aa5b1" }, s); lastTier = tier; svg("text", { x: W - 4, y: y + 11, "text-anchor": "end", "font-size": 10, fill: "#52606d" }, s, tier.toUpperCase()); }
      var shaky = runs.some(function (run) { return run.waits.some(function (x) { return x.service === name && x.unstable; }); });
      svg("text", { x: L - 8, y: y + rowH / 2 + 4, "text-anchor": "end", "font-size": 12 }, s, label(name) + (shaky ? " ⚠" : ""));
      runs.forEach(function (run, k) {
        var w = run.waits.filter(function (x) { return x.service === name; })[0];
        if (!w) return;
        var yc = y + (two ? 8 + k * 13 : rowH / 2), c = RUN_COLOURS[k], q = w.q;
        if (fin(q[0])) {
          svg("line", { x1: X(q[0]), x2: X(q[5]), y1: yc, y2: yc, stroke: c }, s);
          svg("rect", { x: X(q[1]), y: yc - 5, width: Math.max(1, X(q[3]) - X(q[1])), height: 10, fill: c, "fill-opacity": 0.3, stroke: c }, s)
            .appendChild(svg("title", {}, null, (two ? (k ? "B " : "A ") : "") + label(name) + ": median " + fmt(q[2]) + " days, 25–75%: " + fmt(q[1]) + "–" + fmt(q[3]) + ", 5–95%: " + fmt(q[0]) + "–" + fmt(q[5]) + " (" + w.episodes + " episodes)"));
          svg("line", { x1: X(q[2]), x2: X(q[2]), y1: yc - 6, y2: yc + 6, stroke: c, "stroke-width": 2.5 }, s);
        }
        if (w.mean && fin(w.mean.mean)) {
          if (fin(w.mean.hw)) svg("line", { x1: X(w.mean.mean - w.mean.hw), x2: X(w.mean.mean + w.mean.hw), y1: yc, y2: yc, stroke: "#1f2933", "stroke-width": 2 }, s);
          var mx = X(w.mean.mean);
          svg("polygon", { points: [mx, yc - 5, mx + 5, yc, mx, yc + 5, mx - 5, yc].join(","), fill: "#1f2933" }, s);
        }
      });
    });
    if (two) legend(box, runs.map(function (r, k) { return { name: (k ? "B: " : "A: ") + r.name, colour: RUN_COLOURS[k] }; }));
    var t = el("table", {}, null, ws), h = el("tr", {}, null, t);
    ["service", "tier"].concat(runs.length > 1 ? ["mean A", "mean B", "90th pct A", "90th pct B"] : ["mean", "median", "90th pct", "95th pct"]).forEach(function (x) { el("th", {}, x, h); });
    rowsByTier.forEach(function (i) {
      var w0 = runs[0].waits[i], tr = el("tr", {}, null, t);
      var w1u = two && runs[1].waits.some(function (x) { return x.service === w0.service && x.unstable; });
      el("td", {}, label(w0.service) + (w0.unstable || w1u ? " ⚠ unstable queue" : ""), tr); el("td", {}, w0.tier, tr);
      if (two) {
        var w1 = runs[1].waits.filter(function (x) { return x.service === w0.service; })[0] || {};
        [w0.mean, w1.mean, w0.p90, w1.p90].forEach(function (c) { el("td", {}, ci(c), tr); });
      } else {
        [w0.mean, w0.median, w0.p90, w0.p95].forEach(function (c) { el("td", {}, ci(c), tr); });
      }
    });
  })();

  // ---------------------------------------------------------------- step changes
  var ss = section("Step changes up and down over time",
    "Moves up into specialist provision (step changes, hard to reverse) and back down, per year, whole population; bands are 95% intervals across replications.");
  (function () {
    var series = [];
    runs.forEach(function (r, k) {
      series.push({ name: (two ? (k ? "B " : "A ") : "") + "step changes up", colour: "#d0021b", dash: k > 0, x: r.ups.years, y: r.ups.groups[0].mean, hw: r.ups.groups[0].hw });
      series.push({ name: (two ? (k ? "B " : "A ") : "") + "step downs", colour: "#1b9e4b", dash: k > 0, x: r.downs.years, y: r.downs.groups[0].mean, hw: r.downs.groups[0].hw });
    });
    lineChart(ss, { title: "Step changes per year", yLabel: "people a year", series: series });
  })();

  // ---------------------------------------------------------------- costs
  var cs = section("Costs by agency over time",
    "Money spent by each agency per year of the reported period (" + (two ? "A solid, B dashed" : "95% bands") + "), then cumulative spending.");
  (function () {
    var m = function (v) { return "£" + fmt(v / 1e6, v >= 1e7 ? 0 : 1) + "m"; };
    var series = [];
    runs.forEach(function (r, k) {
      r.agencies.forEach(function (a, j) {
        series.push({ name: (two ? (k ? "B " : "A ") : "") + label(a), colour: AGENCY_COLOURS[j % AGENCY_COLOURS.length], dash: k > 0,
                      x: r.spend.years, y: r.spend.groups[j].mean, hw: two ? null : r.spend.groups[j].hw });
      });
    });
    lineChart(cs, { title: "Spending by agency per year", yLabel: "£ a year", series: series, yFormat: m });
    el("h3", {}, "Cumulative spending", cs);
    var cum = [];
    runs.forEach(function (r, k) {
      var tot = r.spend.years.map(function (_, y) { return r.spend.groups.reduce(function (a, g) { return a + g.cum_mean[y]; }, 0); });
      cum.push({ name: (two ? (k ? "B: " : "A: ") : "") + "all agencies", colour: RUN_COLOURS[k], x: r.spend.years, y: tot });
      if (!two) r.agencies.forEach(function (a, j) {
        cum.push({ name: label(a), colour: AGENCY_COLOURS[j % AGENCY_COLOURS.length], x: r.spend.years, y: r.spend.groups[j].cum_mean, hw: r.spend.groups[j].cum_hw });
      });
    });
    lineChart(cs, { title: "Cumulative spending", yLabel: "£ since the start", series: cum, yFormat: m });
    var t = el("table", {}, null, cs), h = el("tr", {}, null, t);
    ["agency"].concat(runs.map(function (r, k) { return (two ? (k ? "B " : "A ") : "") + "spent over the period"; })).forEach(function (x) { el("th", {}, x, h); });
    runs[0].agencies.forEach(function (a, j) {
      var tr = el("tr", {}, null, t);
      el("td", {}, label(a), tr);
      runs.forEach(function (r) {
        var jj = r.agencies.indexOf(a), g = jj >= 0 ? r.spend.groups[jj] : null, n = g ? g.cum_mean.length - 1 : -1;
        el("td", {}, g && n >= 0 ? ci({ mean: g.cum_mean[n], hw: g.cum_hw[n] }, "£") : "–", tr);
      });
    });
  })();

  // ---------------------------------------------------------------- indicators
  var is = section("Indicators against targets",
    "Indicators planners report, against a target: England reference values from the calibration notes unless given with --target. " +
    "✓ means the mean is on the right side of the target.");
  (function () {
    var t = el("table", { id: "indicators" }, null, is), h = el("tr", {}, null, t);
    ["indicator", "unit"].concat(runs.map(function (r, k) { return two ? (k ? "B" : "A") : "value"; }), ["target", "", "source of target"]).forEach(function (x) { el("th", {}, x, h); });
    runs[0].indicators.forEach(function (ind) {
      var tr = el("tr", {}, null, t), target = D.targets[ind.name];
      el("td", {}, label(ind.name), tr); el("td", {}, ind.unit, tr);
      var marks = [];
      runs.forEach(function (r) {
        var mine = r.indicators.filter(function (x) { return x.name === ind.name; })[0];
        el("td", {}, mine ? ci(mine.ci, ind.unit) : "–", tr);
        if (target && mine && fin(mine.ci.mean)) marks.push((target.higher_is_better ? mine.ci.mean >= target.value : mine.ci.mean <= target.value) ? "✓" : "✗");
      });
      el("td", {}, target ? (target.higher_is_better ? "≥ " : "≤ ") + fmt(target.value) : "–", tr);
      var mk = el("td", {}, marks.join("  "), tr);
      mk.className = marks.indexOf("✗") >= 0 ? "up" : "down";
      el("td", { class: "wrap", style: "text-align:left" }, target ? target.source : "", tr);
    });
  })();

  // ---------------------------------------------------------------- delayed transfers by reason
  if (runs[0].delays_by_reason.length) {
    var ds = section("Delayed transfers of care by reason",
      "Bed-days a year that medically fit patients spent in hospital, by what they waited for (a discharge check, or the " +
      "service they were going to; letters as in the NHS delayed-transfer sitrep). The reasons add up to the total.");
    var dt = el("table", { id: "delays" }, null, ds), dh = el("tr", {}, null, dt);
    ["reason"].concat(runs.map(function (r, k) { return two ? (k ? "B" : "A") : "bed-days a year"; })).forEach(function (x) { el("th", {}, x, dh); });
    runs[0].delays_by_reason.forEach(function (d) {
      var tr = el("tr", {}, null, dt);
      el("td", { style: "text-align:left" }, d.reason, tr);
      runs.forEach(function (r) {
        var mine = r.delays_by_reason.filter(function (x) { return x.reason === d.reason; })[0];
        el("td", {}, mine ? ci(mine.ci, "days") : "–", tr);
      });
    });
  }

  // ---------------------------------------------------------------- differences
  if (cmp) {
    var ds = section("Differences between the scenarios (B − A)",
      (cmp.paired ? "Paired by replication (same seed: common random numbers), " : "Unpaired (different seeds or numbers of replications), ") +
      cmp.replications + " replications. Bars: the 95% interval of the difference as a share of A's value; " +
      "red/green where the interval excludes zero (a real rise or fall, not noise).");
    (function () {
      var rows = cmp.rows, W = 880, L = 330, R = 220, rowH = 20, T = 24, H = T + rows.length * rowH + 30;
      var lim = 5;
      rows.forEach(function (r) {
        if (!fin(r.base.mean) || r.base.mean === 0 || !fin(r.diff.mean)) return;
        var hi = Math.abs((r.diff.mean + (fin(r.diff.hw) ? Math.sign(r.diff.mean || 1) * r.diff.hw : 0)) / r.base.mean * 100);
        if (hi > lim) lim = hi;
      });
      lim = Math.min(niceMax(lim), 200);
      var box = el("div", { class: "chart" }, null, ds);
      var s = svg("svg", { viewBox: "0 0 " + W + " " + H, width: W, height: H, role: "img", "aria-label": "Differences with confidence intervals" }, box);
      function X(p) { return L + (Math.max(-lim, Math.min(lim, p)) + lim) / (2 * lim) * (W - L - R); }
      [-lim, -lim / 2, 0, lim / 2, lim].forEach(function (p) {
        svg("line", { x1: X(p), x2: X(p), y1: T - 6, y2: H - 24, stroke: p === 0 ? "#52606d" : "#e4e7eb" }, s);
        svg("text", { x: X(p), y: H - 8, "text-anchor": "middle", "font-size": 11, fill: "#52606d" }, s, (p > 0 ? "+" : "") + fmt(p, 0) + "%");
      });
      svg("text", { x: W - R + 8, y: 14, "font-size": 12, "font-weight": "bold" }, s, "difference (B − A)");
      rows.forEach(function (r, i) {
        var y = T + i * rowH + rowH / 2;
        var name = label(r.name) + (r.subject ? " · " + label(r.subject.replace(/^(tier|agency):/, "")) : "");
        svg("text", { x: L - 8, y: y + 4, "text-anchor": "end", "font-size": 12 }, s, name);
        var sig = fin(r.diff.hw) && (r.diff.mean - r.diff.hw > 0 || r.diff.mean + r.diff.hw < 0);
        var colour = !sig ? "#7b8794" : (r.diff.mean > 0 ? "#b3261e" : "#1b7f3b");
        if (fin(r.base.mean) && r.base.mean !== 0 && fin(r.diff.mean)) {
          var p = r.diff.mean / Math.abs(r.base.mean) * 100, hw = fin(r.diff.hw) ? r.diff.hw / Math.abs(r.base.mean) * 100 : 0;
          svg("line", { x1: X(p - hw), x2: X(p + hw), y1: y, y2: y, stroke: colour, "stroke-width": 3 }, s);
          svg("circle", { cx: X(p), cy: y, r: 4, fill: colour }, s);
        }
        svg("text", { x: W - R + 8, y: y + 4, "font-size": 12, fill: colour }, s,
          (r.diff.mean >= 0 ? "+" : "") + ci(r.diff, r.unit) + " " + (r.unit === "£" ? "" : r.unit));
      });
    })();
    var t = el("table", {}, null, ds), h = el("tr", {}, null, t);
    ["figure", "subject", "unit", "A", "B", "B − A"].forEach(function (x) { el("th", {}, x, h); });
    cmp.rows.forEach(function (r) {
      var tr = el("tr", {}, null, t);
      el("td", {}, label(r.name), tr); el("td", {}, r.subject, tr); el("td", {}, r.unit, tr);
      el("td", {}, ci(r.base, r.unit), tr); el("td", {}, ci(r.other, r.unit), tr);
      var sig = fin(r.diff.hw) && (r.diff.mean - r.diff.hw > 0 || r.diff.mean + r.diff.hw < 0);
      el("td", { class: sig ? (r.diff.mean > 0 ? "up" : "down") : "" }, (r.diff.mean >= 0 ? "+" : "") + ci(r.diff, r.unit) + (sig ? (r.diff.mean > 0 ? " ▲" : " ▼") : ""), tr);
    });
    var econ = el("p", {}, null, ds);
    econ.textContent = "Payback year: " + (fin(cmp.payback_year) ? (cmp.payback_year === 0 ? "B saves from the first year" : "year " + cmp.payback_year) : "not within the period") +
      ". Cumulative extra spending of B by year (£m): " + cmp.cumulative_difference.map(function (x) { return (x >= 0 ? "+" : "") + fmt(x / 1e6, 2); }).join(", ") +
      (fin(cmp.cost_per_step_up_avoided) ? ". Cost per step change up avoided: " + money(cmp.cost_per_step_up_avoided) + " a year." : ".");
  }

  // ---------------------------------------------------------------- parameters
  var ps = section("The scenario's parameters", "What was run: the settings, the services and their agencies, and the full scenario file.");
  runs.forEach(function (r, k) {
    el("h3", {}, (two ? (k ? "B: " : "A: ") : "") + r.name, ps);
    var t = el("table", {}, null, ps);
    [["results file", r.file], ["scenario file", r.source_file || "(embedded default)"], ["seed", String(r.seed)],
     ["replications", String(r.replications)], ["horizon", fmt(r.horizon_years, 2) + " years"], ["warm-up", fmt(r.warmup_years, 2) + " years"],
     ["agencies", r.agencies.map(label).join(", ")], ["cohorts", r.cohorts.map(label).join(", ")]].forEach(function (row) {
      var tr = el("tr", {}, null, t); el("td", {}, row[0], tr); el("td", { style: "text-align:left" }, row[1], tr);
    });
    var st = el("table", {}, null, ps), sh = el("tr", {}, null, st);
    ["service", "tier", "kind", "agency", "places"].forEach(function (x) { el("th", {}, x, sh); });
    r.services.forEach(function (sv) {
      var tr = el("tr", {}, null, st);
      [label(sv.name), sv.tier, sv.kind, label(sv.agency_name), String(sv.capacity)].forEach(function (x) { el("td", {}, x, tr); });
    });
    var d = el("details", {}, null, ps);
    el("summary", {}, "Scenario file as run (YAML)", d);
    el("pre", {}, r.yaml, d);
  });
  el("p", { class: "note" }, "Made by careflow report from " + runs.map(function (r) { return r.file; }).join(" and ") + ".", main);
  window.careflowReport = { ready: true, runs: runs.length, sections: main.querySelectorAll("section").length };
})();
