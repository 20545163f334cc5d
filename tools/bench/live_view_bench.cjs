// What the live view costs and whether it keeps up: `herd up --control` with the page open in
// Chromium against the same herd with nobody watching. Prints, for IAMAT load on Clark:
//   - the herd's throughput, closed loop (16 connections), page closed and page open;
//   - at 1,000 updates per second offered: reply latency p50/p99 with and without the page, and
//     the page's frame rate while the events pour in.
//   node tools/bench/live_view_bench.cjs build/release/herd [seconds]
// It needs tools/install-deps.sh --browser-tests (Chromium and tests/browser's playwright-core).
"use strict";
const { spawn } = require("node:child_process");
const net = require("node:net");
const path = require("node:path");
const { chromium } = require(path.join(__dirname, "..", "..", "tests", "browser", "node_modules", "playwright-core"));

const herd = process.argv[2] || "build/release/herd";
const seconds = Number(process.argv[3] || 3);
const basePort = 25000 + (process.pid % 1000) * 5;
const clark = basePort + 3;

function startHerd() {
  const child = spawn(herd, ["up", "--control", "0", "--base-port", String(basePort)],
                      { stdio: ["ignore", "pipe", "ignore"] });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", c => {
      text += c;
      const m = text.match(/live view: (http:\/\/[0-9.:]+\/)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on("exit", code => reject(new Error("herd up exited " + code)));
  });
}

function client() {
  return new Promise((resolve, reject) => {
    const s = net.connect(clark, "127.0.0.1", () => resolve(s));
    s.setNoDelay(true);
    s.on("error", reject);
  });
}

let serial = 0;
function iamat() {
  const now = Date.now() / 1000;
  return `IAMAT bench-${process.pid}-${serial++ % 5000} +34.068930-118.445127 ${now.toFixed(9)}\n`;
}

// Closed loop: each connection sends a line and waits for its reply.
async function closedLoop(connections, ms) {
  const sockets = await Promise.all(Array.from({ length: connections }, client));
  let done = 0;
  const end = Date.now() + ms;
  await Promise.all(sockets.map(s => new Promise(resolve => {
    let buffered = "";
    s.on("data", d => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        buffered = buffered.slice(nl + 1);
        done++;
        if (Date.now() < end) s.write(iamat()); else { s.end(); resolve(); return; }
      }
    });
    s.write(iamat());
  })));
  return done / (ms / 1000);
}

// Open loop at `rate` lines per second on 8 connections; latency of each reply.
async function openLoop(rate, ms) {
  const sockets = await Promise.all(Array.from({ length: 8 }, client));
  const latencies = [];
  const pending = sockets.map(() => []);
  sockets.forEach((s, i) => {
    let buffered = "";
    s.on("data", d => {
      buffered += d;
      let nl;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        buffered = buffered.slice(nl + 1);
        latencies.push(performance.now() - pending[i].shift());
      }
    });
  });
  const start = performance.now();
  let sent = 0;
  await new Promise(resolve => {
    const tick = setInterval(() => {
      const due = Math.floor((performance.now() - start) * rate / 1000);
      for (; sent < due; sent++) {
        const i = sent % sockets.length;
        pending[i].push(performance.now());
        sockets[i].write(iamat());
      }
      if (performance.now() - start > ms) { clearInterval(tick); resolve(); }
    }, 2);
  });
  await new Promise(r => setTimeout(r, 300));
  sockets.forEach(s => s.end());
  latencies.sort((a, b) => a - b);
  const q = p => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] || 0;
  return { sent, answered: latencies.length, p50: q(0.5), p99: q(0.99) };
}

(async () => {
  const { child, url } = await startHerd();
  const ms = seconds * 1000;
  const result = {};
  try {
    result.closedAlone = await closedLoop(16, ms);
    result.openAlone = await openLoop(1000, ms);
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    await page.goto(url);
    await page.waitForSelector('.server[data-server="Clark"]');
    // Frames the page drew while 1,000 updates a second flood the herd.
    await page.evaluate(() => {
      window.benchFrames = 0;
      const count = () => { window.benchFrames++; requestAnimationFrame(count); };
      requestAnimationFrame(count);
    });
    const framesBefore = await page.evaluate(() => window.benchFrames);
    const t0 = Date.now();
    result.openWatched = await openLoop(1000, ms);
    const framesAfter = await page.evaluate(() => window.benchFrames);
    result.fps = (framesAfter - framesBefore) / ((Date.now() - t0) / 1000);
    result.closedWatched = await closedLoop(16, ms);
    result.sentOnPage = await page.evaluate(() => document.getElementById("counters").textContent);
    await browser.close();
  } finally {
    child.kill("SIGINT");
  }
  const f = x => x.toFixed(0), g = x => x.toFixed(2);
  console.log("live view bench (herd up --control, IAMAT to Clark, " + seconds + " s per figure)");
  console.log("  closed loop, 16 connections: " + f(result.closedAlone) + " req/s unwatched, " +
              f(result.closedWatched) + " with the page open: ratio " + g(result.closedWatched / result.closedAlone));
  console.log("  1,000 updates/s offered: p50 " + g(result.openAlone.p50) + " ms / p99 " + g(result.openAlone.p99) +
              " ms unwatched; p50 " + g(result.openWatched.p50) + " ms / p99 " + g(result.openWatched.p99) +
              " ms with the page open (" + result.openWatched.answered + " of " + result.openWatched.sent + " answered)");
  console.log("  page frame rate under that load: " + result.fps.toFixed(1) + " frames/s");
})().catch(e => { console.error(e); process.exit(1); });
