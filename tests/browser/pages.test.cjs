// Browser checks of `careflow animate` and `careflow report`: headless Debian chromium, driven by
// playwright-core, opens the pages from disk with the network off and checks what a planner
// would see against the results file (read independently with h5py by expected.py).
// Environment: CAREFLOW_BIN (the program), CAREFLOW_CHROMIUM (default /usr/bin/chromium),
// CAREFLOW_PYTHON (default /usr/bin/python3), NODE_PATH (where playwright-core is installed).
"use strict";
const test = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const { chromium } = require("playwright-core");

const BIN = process.env.CAREFLOW_BIN || "careflow";
const CHROMIUM = process.env.CAREFLOW_CHROMIUM || "/usr/bin/chromium";
const PYTHON = process.env.CAREFLOW_PYTHON || "/usr/bin/python3";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "careflow-browser-"));
const file = (name) => path.join(dir, name);

function careflow(args, env) {
  const r = spawnSync(BIN, args, { encoding: "utf8", env: { ...process.env, ...(env || {}) } });
  return { status: r.status, out: r.stdout, err: r.stderr };
}
function must(args) {
  const r = careflow(args);
  assert.equal(r.status, 0, `careflow ${args.join(" ")} failed: ${r.err}`);
  return r;
}
function expected(h5, days) {
  const r = spawnSync(PYTHON, [path.join(__dirname, "expected.py"), h5, ...days.map(String)], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

let browser;
test.before(() => {
  // Two short runs of the default council, the second with budget shifted into prevention; same seed.
  must(["run", "--replications", "2", "--years", "6", "--track", "2000", "-q", "--out", file("a.h5")]);
  must(["run", "--replications", "2", "--years", "6", "--track", "2000", "-q", "--out", file("b.h5"),
        "--transform", "prevention_shift share=0.1 to=early_help,reablement"]);
  must(["animate", file("a.h5"), "--out", file("flows.html")]);
  must(["animate", file("a.h5"), "--compare", file("b.h5"), "--out", file("compare.html")]);
  must(["report", file("a.h5"), "--compare", file("b.h5"), "--out", file("report.html")]);
});
test.after(async () => {
  if (browser) await browser.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Opens a page from disk with every non-file request refused and recorded, and errors collected.
async function open(name) {
  if (!browser) {
    const args = ["--disable-gpu", "--no-first-run"];
    if (process.getuid && process.getuid() === 0) args.push("--no-sandbox");
    browser = await chromium.launch({ executablePath: CHROMIUM, args });
  }
  const context = await browser.newContext({ offline: true, viewport: { width: 1400, height: 1000 } });
  const seen = { requests: [], errors: [] };
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:")) return route.continue();
    seen.requests.push(url);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") seen.errors.push(m.text()); });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("requestfailed", (r) => { if (!r.url().startsWith("file:")) seen.requests.push(r.url()); });
  await page.goto("file://" + file(name));
  return { page, seen, context };
}

test("the network guard sees a request when a page makes one (control)", async () => {
  fs.writeFileSync(file("control.html"), '<!DOCTYPE html><title>x</title><img src="http://example.invalid/x.png">');
  const { page, seen, context } = await open("control.html");
  await page.waitForLoadState("load");
  assert.ok(seen.requests.some((u) => u.startsWith("http://example.invalid/")), `seen: ${seen.requests}`);
  await context.close();
});

test("the animation opens offline, with no console errors and no network requests", async () => {
  const { page, seen, context } = await open("flows.html");
  await page.waitForFunction(() => window.careflow && window.careflow.drawn());
  const html = fs.readFileSync(file("flows.html"), "utf8");
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|@import|url\(http/i, "the page loads nothing from outside");
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.requests, []);
  await context.close();
});

test("playing advances the clock; two moments look different", async () => {
  const { page, seen, context } = await open("flows.html");
  await page.waitForFunction(() => window.careflow && window.careflow.drawn());
  const [t0, t1] = await page.evaluate(() => window.careflow.range);
  assert.equal(await page.evaluate(() => window.careflow.time()), t0);
  await page.click("#play");
  assert.match(await page.textContent("#play"), /Pause/);
  await page.waitForTimeout(1200);
  await page.click("#play");
  const after = await page.evaluate(() => window.careflow.time());
  assert.ok(after > t0 + 7, `the clock moved from ${t0} to ${after}`);
  assert.equal(await page.evaluate(() => window.careflow.playing()), false);
  // Scrubbing: the slider's input moves the clock.
  await page.$eval("#scrub", (el) => { el.value = "500"; el.dispatchEvent(new Event("input")); });
  const mid = await page.evaluate(() => window.careflow.time());
  assert.ok(Math.abs(mid - (t0 + (t1 - t0) / 2)) < 1, `scrub to the middle gives ${mid}`);
  await page.evaluate((t) => window.careflow.seek(t), t0 + 60);
  const a = await page.locator("#stage").screenshot();
  await page.evaluate((t) => window.careflow.seek(t), t0 + 400);
  const b = await page.locator("#stage").screenshot();
  assert.ok(!a.equals(b), "screenshots at two moments differ");
  fs.writeFileSync(file("moment.png"), b);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.requests, []);
  await context.close();
});

test("dots and queue heights at a known time match the results file", async () => {
  const { page, context } = await open("flows.html");
  await page.waitForFunction(() => window.careflow && window.careflow.drawn());
  const [t0, t1] = await page.evaluate(() => window.careflow.range);
  const days = [t0 + 100.5, (t0 + t1) / 2, t1 - 3];
  const want = expected(file("a.h5"), days);
  assert.equal(want.t0, t0);
  for (const [i, day] of days.entries()) {
    const drawn = await page.evaluate((t) => { window.careflow.seek(t); return window.careflow.drawn(); }, day);
    const w = Object.values(want.at)[i];
    assert.ok(w.dots > 0, "some tracked people are in care at the time checked");
    assert.equal(drawn.panels[0].dots, w.dots, `dots at day ${day}`);
    assert.equal(await page.evaluate((t) => window.careflow.dotsAt(t), day), w.dots);
    assert.deepEqual(drawn.panels[0].queues, w.queue, `queues at day ${day}`);
  }
  await context.close();
});

test("two scenarios side by side run on one clock", async () => {
  const { page, seen, context } = await open("compare.html");
  await page.waitForFunction(() => window.careflow && window.careflow.drawn());
  const [t0, t1] = await page.evaluate(() => window.careflow.range);
  const day = (t0 + t1) / 2;
  const drawn = await page.evaluate((t) => { window.careflow.seek(t); return window.careflow.drawn(); }, day);
  assert.equal(drawn.panels.length, 2);
  const a = Object.values(expected(file("a.h5"), [day]).at)[0], b = Object.values(expected(file("b.h5"), [day]).at)[0];
  assert.equal(drawn.panels[0].dots, a.dots);
  assert.equal(drawn.panels[1].dots, b.dots);
  assert.deepEqual(drawn.panels[1].queues, b.queue);
  assert.ok(drawn.panels[1].totalSpend > 0 && drawn.panels[0].totalSpend > 0, "money spent so far is shown for both");
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.requests, []);
  await context.close();
});

test("the report opens offline with its charts", async () => {
  const { page, seen, context } = await open("report.html");
  await page.waitForFunction(() => window.careflowReport && window.careflowReport.ready);
  const headings = await page.$$eval("h2", (hs) => hs.map((h) => h.textContent));
  for (const want of ["Waiting times by service", "Step changes up and down over time", "Costs by agency over time",
                      "Indicators against targets", "Delayed transfers of care by reason",
                      "Differences between the scenarios (B − A)", "The scenario's parameters"])
    assert.ok(headings.includes(want), `section '${want}' in ${headings}`);
  assert.ok(await page.$$eval("svg", (s) => s.length) >= 5, "charts drawn");
  assert.ok(await page.$$eval("#indicators tr", (r) => r.length) > 5, "indicators listed");
  const reasons = await page.$$eval("#delays tr td:first-child", (c) => c.map((x) => x.textContent));
  assert.ok(reasons.includes("E care package in own home: home care"), `delay reasons listed: ${reasons}`);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.requests, []);
  await context.close();
});

test("the report marks an unstable queue and says why its waits cannot be read", async () => {
  // The M/M/1 example at utilisation 1.25: its queue grows all run (8 replications: enough to judge).
  const mm1 = path.join(__dirname, "..", "..", "scenarios", "examples", "mm1.yaml");
  must(["run", mm1, "--replications", "8", "--years", "4", "-q", "--out", file("unstable.h5"),
        "--set", "cohorts[customers].episodes_per_1000_per_year=456.6"]);
  must(["report", file("unstable.h5"), "--out", file("unstable.html")]);
  const { page, seen, context } = await open("unstable.html");
  await page.waitForFunction(() => window.careflowReport && window.careflowReport.ready);
  const warning = await page.$$eval("p.warning", (ps) => ps.map((p) => p.textContent).join(" "));
  assert.match(warning, /Unstable queue .*server.*depend on the horizon and the seed/);
  const cells = await page.$$eval("td", (tds) => tds.map((t) => t.textContent));
  assert.ok(cells.includes("server ⚠ unstable queue"), `cells: ${cells.slice(0, 8)}`);
  assert.deepEqual(seen.errors, []);
  await context.close();
  // The default's short runs above have 2 replications: the report says the check was not made.
  const two = await open("report.html");
  await two.page.waitForFunction(() => window.careflowReport && window.careflowReport.ready);
  const text = await two.page.$eval("body", (b) => b.textContent);
  assert.match(text, /Queue stability not checked: it needs at least 3 replications/);
  await two.context.close();
});

test("video export: the expected duration and number of frames", () => {
  must(["animate", file("a.h5"), "--video", file("flows.mp4"), "--video", file("flows.gif"), "--video-seconds", "3", "--fps", "10"]);
  for (const name of ["flows.mp4", "flows.gif"]) {
    const r = spawnSync("ffprobe", ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                     "stream=nb_read_frames,duration", "-of", "json", file(name)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout).streams[0];
    assert.equal(Number(s.nb_read_frames), 30, `${name} frames`);
    assert.ok(Math.abs(Number(s.duration) - 3) < 0.11, `${name} lasts ${s.duration} s`);
  }
});

test("bad input: exit status 2 and a clear message; a missing browser is named", () => {
  let r = careflow(["animate", file("missing.h5"), "--out", file("x.html")]);
  assert.equal(r.status, 2);
  assert.match(r.err, /missing\.h5: no such results file/);
  fs.writeFileSync(file("not.h5"), "not hdf5");
  r = careflow(["report", file("not.h5"), "--out", file("x.html")]);
  assert.equal(r.status, 2);
  assert.match(r.err, /not an HDF5 file/);
  r = careflow(["animate", file("a.h5"), "--out", path.join(dir, "no-such-dir", "x.html")]);
  assert.equal(r.status, 2);
  assert.ok(!fs.existsSync(file("x.html")), "nothing written");
  r = careflow(["animate", file("a.h5"), "--out", file("y.html"), "--video", file("v.mp4")],
               { CAREFLOW_CHROMIUM: path.join(dir, "no-chromium") });
  assert.equal(r.status, 1);
  assert.match(r.err, /needs a headless chromium: install the Debian package `chromium`/);
  assert.ok(!fs.existsSync(file("v.mp4")) && !fs.existsSync(file("y.html")), "nothing written");
});
