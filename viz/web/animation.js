// careflow animation: the service network by tier, tracked people as dots, queues, step
// changes and money spent by agency, for one scenario or two side by side on the same clock.
// Reads the JSON that `careflow animate` embeds in #careflow-data; draws on one canvas so that
// a frame is a picture (for screenshots and video). Written for the project, no dependencies.
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("careflow-data").textContent);
  // Tiers, track states and the year come from the page's data (models/vocabulary.hpp).
  var VOCAB = DATA.vocabulary;
  var TIERS = VOCAB.tiers.map(function (t) { return t.name; });
  var TIER_NOTE = {};
  VOCAB.tiers.forEach(function (t) { TIER_NOTE[t.name] = t.note; });
  var ST = VOCAB.track_states;
  var TIER_FILL = { mainstream: "#e9f5ec", intermediate: "#fdf6e3", specialist: "#fdece2", acute: "#fbe4e6" };
  var TIER_INK = { mainstream: "#1b6b35", intermediate: "#8a6100", specialist: "#a0460f", acute: "#a3152b" };
  var AGENCY_COLOURS = ["#2563b0", "#c2185b", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037", "#546e7a"];
  var C_WAIT = "#e8730c", C_SERVE = "#2563b0", C_MOVE = "#7b8794", C_UP = "#d0021b", C_DOWN = "#1b9e4b";
  var FONT = '"DejaVu Sans", Arial, sans-serif';
  var DAYS_PER_YEAR = VOCAB.days_per_year;
  var HIGHLIGHT_DAYS = 42;  // a dot stays red/green this long after a step change
  var BADGE_WEEKS = 4;      // service badges count step changes over the last four weeks

  var scenarios = DATA.scenarios;
  var compare = scenarios.length > 1;
  var W = compare ? 1920 : 1280, H = 720;
  var t0 = Math.max.apply(null, scenarios.map(function (s) { return s.warmup; }));
  var t1 = Math.min.apply(null, scenarios.map(function (s) { return s.horizon; }));
  if (!(t1 > t0)) t1 = t0 + 7;

  // ------------------------------------------------------------ data helpers
  function upperBound(a, x) {  // first index with a[i] > x
    var lo = 0, hi = a.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (a[mid] <= x) lo = mid + 1; else hi = mid; }
    return lo;
  }
  // The week whose figures hold at time t: the last week that ended at or before t.
  function weekIndex(sc, t) { return Math.max(0, upperBound(sc.weeks, t) - 1); }

  scenarios.forEach(function (sc) {
    sc.index = {};
    sc.services.forEach(function (sv, i) { sc.index[sv.name] = i; });
    // Money spent by agency since t0, at the end of each week.
    sc.cumSpend = [];
    sc.cumUps = []; sc.cumDowns = [];
    var run = sc.agencies.map(function () { return 0; }), ups = 0, downs = 0;
    for (var w = 0; w < sc.weeks.length; ++w) {
      if (sc.weeks[w] > t0) {
        for (var a = 0; a < run.length; ++a) run[a] += sc.spend[w][a];
        for (var k = 0; k < sc.services.length; ++k) { ups += sc.ups[w][k]; downs += sc.downs[w][k]; }
      }
      sc.cumSpend.push(run.slice()); sc.cumUps.push(ups); sc.cumDowns.push(downs);
    }
    sc.stepsOf = {};
    sc.steps.forEach(function (e) { (sc.stepsOf[e[1]] = sc.stepsOf[e[1]] || []).push(e); });
  });

  // Where tracked person p (index into sc.tracks) is at time t: {service, state, since, until, from}.
  function personAt(sc, p, t) {
    var tr = sc.tracks[p], times = tr[1];
    var i = upperBound(times, t) - 1;
    if (i < 0) return null;
    var service = tr[2][i], state = tr[3][i];
    if (service < 0 || state === ST.left) return null;
    return { service: service, state: state, since: times[i], until: i + 1 < times.length ? times[i + 1] : t1,
             from: i > 0 ? tr[2][i - 1] : -1 };
  }
  function dotsAt(t, k) {
    var sc = scenarios[k || 0], n = 0;
    for (var p = 0; p < sc.tracks.length; ++p) if (personAt(sc, p, t)) ++n;
    return n;
  }
  function serviceIndex(sc, s) { return typeof s === "number" ? s : sc.index[s]; }
  function queueAt(t, s, k) { var sc = scenarios[k || 0]; return sc.queue[weekIndex(sc, t)][serviceIndex(sc, s)]; }
  function spendAt(t, a, k) {
    var sc = scenarios[k || 0], ai = typeof a === "number" ? a : sc.agencies.indexOf(a);
    return sc.cumSpend[weekIndex(sc, t)][ai];
  }

  // Shared scales, so that two scenarios side by side are drawn alike.
  var queueMax = 1, spendMax = 1;
  scenarios.forEach(function (sc) {
    sc.queue.forEach(function (row) { row.forEach(function (q) { if (q > queueMax) queueMax = q; }); });
    sc.cumSpend[sc.cumSpend.length - 1].forEach(function (x) { if (x > spendMax) spendMax = x; });
  });

  // ------------------------------------------------------------ layout
  function layout(sc, x0, y0, w, h) {
    var tiers = TIERS.filter(function (tier) { return sc.services.some(function (s) { return s.tier === tier; }); });
    // The last tier (acute: usually one hospital) is drawn narrower.
    var weights = tiers.map(function (tier) { return tier === TIERS[TIERS.length - 1] ? 0.75 : 1; });
    var total = weights.reduce(function (a, b) { return a + b; }, 0);
    var top = y0 + 70, bottom = y0 + h - 150, gap = 10;
    var cols = [], x = x0 + 8, usable = w - 16 - gap * (tiers.length - 1);
    var boxes = [];
    tiers.forEach(function (tier, c) {
      var cw = usable * weights[c] / total;
      cols.push({ tier: tier, x: x, w: cw });
      var members = [];
      sc.services.forEach(function (s, i) { if (s.tier === tier) members.push(i); });
      var slot = (bottom - top - 6) / Math.max(members.length, 1);
      var bh = Math.min(slot - 6, 120);
      members.forEach(function (i, r) {
        boxes[i] = { x: x + 5, y: top + 4 + r * slot + (slot - 6 - bh) / 2, w: cw - 10, h: bh };
      });
      x += cw + gap;
    });
    return { x0: x0, y0: y0, w: w, h: h, cols: cols, boxes: boxes, top: top, bottom: bottom };
  }

  // ------------------------------------------------------------ drawing
  var canvas = document.getElementById("stage");
  canvas.width = W; canvas.height = H;
  var g = canvas.getContext("2d");

  function money(x) {
    if (Math.abs(x) >= 1e6) return "£" + (x / 1e6).toFixed(1) + "m";
    if (Math.abs(x) >= 1e3) return "£" + (x / 1e3).toFixed(0) + "k";
    return "£" + x.toFixed(0);
  }
  function label(s) { return s.replace(/_/g, " "); }
  function fitText(text, width) {
    if (g.measureText(text).width <= width) return text;
    while (text.length > 1 && g.measureText(text + "…").width > width) text = text.slice(0, -1);
    return text + "…";
  }
  function dot(x, y, r, colour, halo) {
    if (halo) { g.fillStyle = halo; g.beginPath(); g.arc(x, y, r + 3.5, 0, 2 * Math.PI); g.fill(); }
    g.fillStyle = colour; g.beginPath(); g.arc(x, y, r, 0, 2 * Math.PI); g.fill();
  }
  function recentStep(sc, p, t) {
    var list = sc.stepsOf[p];
    if (!list) return 0;
    for (var i = list.length - 1; i >= 0; --i) {
      var e = list[i];
      if (e[0] <= t && t - e[0] <= HIGHLIGHT_DAYS) return e[4];
    }
    return 0;
  }

  function drawPanel(sc, k, x0, y0, w, h, t) {
    var L = layout(sc, x0, y0, w, h), state = { dots: 0, waiting: 0, inService: 0, moving: 0, queues: {}, spend: {}, ups: 0, downs: 0 };
    // title
    g.fillStyle = "#1f2933"; g.font = "bold 20px " + FONT; g.textBaseline = "alphabetic"; g.textAlign = "left";
    g.fillText(fitText((compare ? (k === 0 ? "A  " : "B  ") : "") + sc.name, w - 24), x0 + 12, y0 + 26);
    // tier columns
    L.cols.forEach(function (c) {
      g.fillStyle = TIER_FILL[c.tier] || "#f0f0f0"; g.fillRect(c.x, y0 + 36, c.w, L.bottom - y0 - 30);
      g.fillStyle = TIER_INK[c.tier] || "#333333"; g.font = "bold 15px " + FONT; g.textAlign = "center";
      g.fillText(c.tier.toUpperCase(), c.x + c.w / 2, y0 + 53);
      g.font = "11px " + FONT; g.fillStyle = "#52606d";
      g.fillText(fitText(TIER_NOTE[c.tier] || "", c.w - 8), c.x + c.w / 2, y0 + 66);
    });
    g.textAlign = "left";
    var w0 = weekIndex(sc, t), wFrom = Math.max(0, w0 - BADGE_WEEKS + 1);
    // service boxes, queue bars and badges
    sc.services.forEach(function (sv, i) {
      var b = L.boxes[i];
      if (!b) return;
      var ups = 0, downs = 0;
      for (var ww = wFrom; ww <= w0; ++ww) { ups += sc.ups[ww][i]; downs += sc.downs[ww][i]; }
      g.fillStyle = "#ffffff"; g.fillRect(b.x, b.y, b.w, b.h);
      g.lineWidth = 1; g.strokeStyle = "#9aa5b1";
      g.strokeRect(b.x, b.y, b.w, b.h);
      var agencyColour = AGENCY_COLOURS[sv.agency % AGENCY_COLOURS.length];
      g.fillStyle = agencyColour; g.fillRect(b.x, b.y, 6, b.h);
      if (b.h >= 56) {  // the owning agency, in its colour, at the foot of the box
        g.font = "10px " + FONT; g.textAlign = "right";
        g.fillText(label(sc.agencies[sv.agency]), b.x + b.w - 4, b.y + b.h - 4); g.textAlign = "left";
      }
      g.fillStyle = "#1f2933"; g.font = "bold 13px " + FONT;
      var badge = (ups ? "▲" + Math.round(ups) : "") + (downs ? (ups ? " " : "") + "▼" + Math.round(downs) : "");
      g.font = "bold 12px " + FONT;
      var bw = badge ? g.measureText(badge).width + 8 : 0;
      g.font = "bold 13px " + FONT; g.fillStyle = "#1f2933";
      g.fillText(fitText(label(sv.name), b.w - 16 - bw), b.x + 11, b.y + 16);
      if (badge) {
        g.font = "bold 12px " + FONT; g.fillStyle = ups ? C_UP : C_DOWN; g.textAlign = "right";
        g.fillText(badge, b.x + b.w - 4, b.y + 15); g.textAlign = "left";
      }
      var q = sc.queue[w0][i];
      state.queues[sv.name] = q;
      state.ups += ups; state.downs += downs;
      var barMax = b.w - 86, len = q > 0 ? Math.max(2, Math.sqrt(q / queueMax) * barMax) : 0;
      g.fillStyle = "#f3d9c2"; g.fillRect(b.x + 11, b.y + 22, barMax, 10);
      g.fillStyle = C_WAIT; g.fillRect(b.x + 11, b.y + 22, len, 10);
      g.fillStyle = "#1f2933"; g.font = "12px " + FONT;
      g.fillText(Math.round(q) + " waiting", b.x + 15 + barMax, b.y + 31);
    });
    // tracked people
    var perBox = {}, movers = [];
    for (var p = 0; p < sc.tracks.length; ++p) {
      var at = personAt(sc, p, t);
      if (!at) continue;
      state.dots++;
      var step = recentStep(sc, p, t);
      if (at.state === ST.handoff) { movers.push([at, step]); state.moving++; continue; }
      var key = at.service + ":" + (at.state === ST.waiting ? "w" : "s");
      (perBox[key] = perBox[key] || []).push(step);
      if (at.state === ST.waiting) state.waiting++; else state.inService++;
    }
    Object.keys(perBox).forEach(function (key) {
      var parts = key.split(":"), b = L.boxes[+parts[0]];
      if (!b) return;
      var waiting = parts[1] === "w", list = perBox[key];
      var areaX = waiting ? b.x + 11 : b.x + 11 + (b.w - 16) / 2, areaW = (b.w - 22) / 2, areaY = b.y + 40;
      var areaH = b.h - 44 - (b.h >= 56 ? 12 : 0);  // keep clear of the agency's name at the foot
      var per = Math.max(1, Math.floor(areaW / 8)), rows = Math.max(1, Math.floor(areaH / 8)), cap = per * rows;
      if (list.length > cap) cap = Math.max(0, cap - 4);  // room for "+n" in the last slots
      list.forEach(function (step, j) {
        if (j >= cap) return;
        var cx = areaX + 4 + (j % per) * 8, cy = areaY + 4 + Math.floor(j / per) * 8;
        var colour = step > 0 ? C_UP : step < 0 ? C_DOWN : (waiting ? C_WAIT : C_SERVE);
        dot(cx, cy, 3, colour, step > 0 ? "rgba(208,2,27,.25)" : step < 0 ? "rgba(27,158,75,.25)" : null);
      });
      if (list.length > cap) {
        g.fillStyle = "#1f2933"; g.font = "bold 10px " + FONT;
        g.fillText("+" + (list.length - cap), areaX + 1 + (cap % per) * 8, areaY + 8 + Math.floor(cap / per) * 8);
      }
    });
    movers.forEach(function (m) {
      var at = m[0], to = L.boxes[at.service], from = at.from >= 0 ? L.boxes[at.from] : null;
      if (!to) return;
      var f = at.until > at.since ? Math.min(1, Math.max(0, (t - at.since) / (at.until - at.since))) : 1;
      var ax = from ? from.x + from.w / 2 : L.x0 + 4, ay = from ? from.y + from.h / 2 : to.y + to.h / 2;
      var bx = to.x + to.w / 2, by = to.y + to.h / 2;
      var colour = m[1] > 0 ? C_UP : m[1] < 0 ? C_DOWN : C_MOVE;
      dot(ax + (bx - ax) * f, ay + (by - ay) * f, 3.5, colour, m[1] ? (m[1] > 0 ? "rgba(208,2,27,.25)" : "rgba(27,158,75,.25)") : null);
    });
    // money spent by agency, and step changes so far
    var yb = L.bottom + 8;
    g.fillStyle = "#1f2933"; g.font = "bold 14px " + FONT;
    g.fillText("Money spent since the reported period began, by agency", x0 + 12, yb + 12);
    var nA = sc.agencies.length, colW = (w - 24) / Math.min(nA, 3), rowH = 22;
    sc.agencies.forEach(function (a, j) {
      var cx = x0 + 12 + (j % 3) * colW, cy = yb + 22 + Math.floor(j / 3) * rowH;
      var spent = sc.cumSpend[w0][j];
      state.spend[a] = spent;
      var textW = Math.min(200, colW * 0.5), barW = colW - textW - 14, len = Math.max(0, spent / spendMax * barW);
      g.font = "bold 12px " + FONT;
      var amount = money(spent), amountW = g.measureText(amount).width;
      g.fillStyle = AGENCY_COLOURS[j % AGENCY_COLOURS.length];
      g.font = "12px " + FONT;
      g.fillText(fitText(label(a), textW - amountW - 8), cx, cy + 12);
      g.font = "bold 12px " + FONT; g.fillStyle = "#1f2933"; g.textAlign = "right";
      g.fillText(amount, cx + textW, cy + 12); g.textAlign = "left";
      g.fillStyle = AGENCY_COLOURS[j % AGENCY_COLOURS.length]; g.fillRect(cx + textW + 6, cy + 1, len, 14);
      g.strokeStyle = "#cbd2d9"; g.lineWidth = 1; g.strokeRect(cx + textW + 6, cy + 1, barW, 14);
    });
    var ys = yb + 22 + Math.ceil(nA / 3) * rowH + 14;
    g.font = "bold 14px " + FONT; g.fillStyle = C_UP;
    var tot = sc.cumSpend[w0].reduce(function (a, b) { return a + b; }, 0);
    g.fillText("▲ " + Math.round(sc.cumUps[w0]) + " step changes up", x0 + 12, ys);
    g.fillStyle = C_DOWN; g.fillText("▼ " + Math.round(sc.cumDowns[w0]) + " step downs", x0 + 250, ys);
    g.fillStyle = "#1f2933"; g.fillText("total spent " + money(tot), x0 + 460, ys);
    g.font = "12px " + FONT; g.fillStyle = "#52606d";
    g.fillText("so far, whole population", x0 + 12, ys + 15);
    state.cumUps = sc.cumUps[w0]; state.cumDowns = sc.cumDowns[w0]; state.totalSpend = tot;
    return state;
  }

  function dateText(t) {
    var days = t - t0, year = Math.floor(days / DAYS_PER_YEAR) + 1;
    var week = Math.floor((days - (year - 1) * DAYS_PER_YEAR) / 7) + 1;
    var text = "Year " + year + ", week " + Math.min(week, 53);
    if (DATA.start_date) {
      var d = new Date(DATA.start_date + "T00:00:00Z");
      d.setTime(d.getTime() + days * 86400000);
      text = d.toLocaleDateString("en-GB", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" }) + "  (" + text + ")";
    }
    return text;
  }

  var last = null;
  function draw(t) {
    g.fillStyle = "#ffffff"; g.fillRect(0, 0, W, H);
    var panels = [], pw = W / scenarios.length;
    scenarios.forEach(function (sc, k) {
      panels.push(drawPanel(sc, k, k * pw, 34, pw, H - 34, t));
      if (k > 0) { g.strokeStyle = "#52606d"; g.lineWidth = 2; g.beginPath(); g.moveTo(k * pw, 34); g.lineTo(k * pw, H); g.stroke(); }
    });
    // legend along the foot of the frame, so that a screenshot or a video explains itself
    var lx = 12, ly = H - 10;
    g.font = "12px " + FONT; g.textAlign = "left";
    [[C_WAIT, "waiting"], [C_SERVE, "in service"], [C_MOVE, "handed on"], [C_UP, "stepped up (last 6 weeks)"], [C_DOWN, "stepped down"]].forEach(function (k) {
      dot(lx + 4, ly - 4, 4, k[0]); g.fillStyle = "#1f2933"; g.fillText(k[1], lx + 12, ly); lx += g.measureText(k[1]).width + 30;
    });
    g.fillStyle = C_WAIT; g.fillRect(lx, ly - 9, 22, 8); g.fillStyle = "#1f2933";
    g.fillText("everyone waiting (bar, number)   ▲▼ step changes at a service in the last 4 weeks   dots: tracked people", lx + 28, ly);
    // clock strip across the top of the frame, so that video frames carry the date
    g.fillStyle = "#1f2933"; g.fillRect(0, 0, W, 34);
    g.fillStyle = "#ffffff"; g.font = "bold 18px " + FONT; g.textAlign = "left";
    g.fillText(dateText(t), 12, 24);
    g.textAlign = "right"; g.font = "13px " + FONT;
    g.fillText("careflow · " + (t1 - t0 > 0 ? Math.round(100 * (t - t0) / (t1 - t0)) : 0) + "% of the reported period · day " + Math.round(t), W - 12, 23);
    g.textAlign = "left";
    last = { t: t, panels: panels };
    return last;
  }

  // ------------------------------------------------------------ video: render every frame, leave them in the DOM
  if (DATA.video) {
    var frames = DATA.video.frames, out = document.createElement("pre");
    out.id = "careflow-frames";
    var parts = [];
    for (var f = 0; f < frames; ++f) {
      draw(t0 + (t1 - t0) * (frames > 1 ? f / (frames - 1) : 0));
      parts.push(canvas.toDataURL("image/png").slice("data:image/png;base64,".length));
    }
    var mark = "CAREFLOW-FRAMES-";  // split so that the markers appear only in the output, not in this source
    out.textContent = "\n" + mark + "BEGIN\n" + parts.join("\n") + "\n" + mark + "END\n";
    document.body.appendChild(out);
    return;
  }

  // ------------------------------------------------------------ clock and controls
  var now = t0, playing = false, weeksPerSecond = 4, lastTick = null;
  var playBtn = document.getElementById("play"), speedSel = document.getElementById("speed");
  var scrub = document.getElementById("scrub"), scrubLabel = document.getElementById("scrub-label");
  var clock = document.getElementById("clock");
  function show() {
    draw(now);
    clock.textContent = dateText(now);
    scrub.value = String(Math.round(1000 * (now - t0) / (t1 - t0)));
    scrubLabel.textContent = "day " + Math.round(now) + " of " + Math.round(t1);
    playBtn.textContent = playing ? "❚❚ Pause" : "▶ Play";
  }
  function seek(t) { now = Math.min(t1, Math.max(t0, t)); show(); return now; }
  function tick(ts) {
    if (!playing) { lastTick = null; return; }
    if (lastTick !== null) now += (ts - lastTick) / 1000 * weeksPerSecond * 7;
    lastTick = ts;
    if (now >= t1) { now = t1; playing = false; }
    show();
    if (playing) requestAnimationFrame(tick);
  }
  function play() { if (now >= t1) now = t0; if (!playing) { playing = true; lastTick = null; requestAnimationFrame(tick); } show(); }
  function pause() { playing = false; show(); }
  playBtn.addEventListener("click", function () { if (playing) pause(); else play(); });
  speedSel.addEventListener("change", function () { weeksPerSecond = +speedSel.value; });
  scrub.addEventListener("input", function () { seek(t0 + (t1 - t0) * (+scrub.value) / 1000); });
  document.addEventListener("keydown", function (e) {
    if (e.key === " ") { e.preventDefault(); if (playing) pause(); else play(); }
    if (e.key === "ArrowRight") seek(now + 28);
    if (e.key === "ArrowLeft") seek(now - 28);
  });
  document.getElementById("source").textContent = scenarios.map(function (sc, k) {
    return (compare ? (k === 0 ? "A: " : "B: ") : "") + sc.name + " — " + sc.file + ", seed " + sc.seed +
      ", replication " + sc.replication + ", " + sc.tracks.length + " tracked people";
  }).join(" · ") + ". Made by careflow animate.";

  // A small hook for tests and for facilitators' scripts.
  window.careflow = {
    range: [t0, t1],
    time: function () { return now; },
    seek: seek, play: play, pause: pause,
    playing: function () { return playing; },
    setSpeed: function (x) { weeksPerSecond = x; },
    dotsAt: dotsAt, queueAt: queueAt, spendAt: spendAt,
    drawn: function () { return last; },
    scenarios: scenarios.map(function (s) { return s.name; })
  };
  // #t=DAY in the address opens the page at that simulated day (for bookmarks and screenshots).
  var m = /(?:^#|&)t=([0-9.]+)/.exec(location.hash);
  seek(m ? +m[1] : t0);
})();
