// The live view as a teacher uses it, in Debian's Chromium driven by playwright-core: open the
// page, cut both of Clark's links by clicking them, send an IAMAT to Clark from the page's box,
// see the update reach Clark and no one else, restore the links by clicking, see it reach every
// server, and move the time slider back to see it at Clark alone again. Screenshots go to the
// output folder.
//   node tests/browser/live_view.test.cjs HERD OUT_DIR
"use strict";
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const path = require("node:path");
const { chromium } = require("playwright-core");

const [herd, out] = process.argv.slice(2);
const ALL = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"];
const scenario = path.join(__dirname, "..", "..", "scenarios", "restart-recovers.json");

function startHerd() {
  const child = spawn(herd, ["sim", scenario, "--net", "virtual", "--serve", "0", "--report-dir", ""],
                      { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", chunk => {
      text += chunk;
      const m = text.match(/live view: (http:\/\/[0-9.]+:[0-9]+)\//);
      if (m) resolve({ child, url: m[1] + "/" });
    });
    child.on("exit", code => reject(new Error("herd sim exited with " + code + ":\n" + text)));
    setTimeout(() => reject(new Error("no live view address within 30 s")), 30000);
  });
}

// The servers whose drawn store shows `client`.
async function holders(page, client) {
  return page.$$eval(`.server text.store[data-client="${client}"]`,
                     rows => rows.map(r => r.closest(".server").dataset.server).sort());
}

async function clickLink(page, a, b, action) {
  const name = [a, b].sort().join("-");
  await page.click(`g.link[data-link="${name}"] line.hit`);
  await page.click(`#actions button[data-action="${action}"]`);
  await page.waitForFunction(([n, cut]) => {
    const g = document.querySelector(`g.link[data-link="${n}"]`);
    return g && g.classList.contains("cut") === cut;
  }, [name, action === "cut"]);
}

async function waitForHolders(page, client, want, ms) {
  const deadline = Date.now() + ms;
  let got = [];
  while (Date.now() < deadline) {
    got = await holders(page, client);
    if (JSON.stringify(got) === JSON.stringify(want)) return got;
    await page.waitForTimeout(100);
  }
  return got;
}

(async () => {
  fs.mkdirSync(out, { recursive: true });
  const { child, url } = await startHerd();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  let failed = null;
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    await page.goto(url);
    await page.waitForSelector('.server[data-server="Clark"]');
    await page.screenshot({ path: path.join(out, "1-herd.png") });
    await clickLink(page, "Clark", "Bona", "cut");
    await clickLink(page, "Clark", "Jaquez", "cut");
    await page.selectOption("#target", "Clark");
    await page.fill("#line", "IAMAT page-kiwi +34.068930-118.445127 {now}");
    await page.click("#send");
    await page.waitForFunction(() => document.getElementById("reply").textContent.startsWith("AT Clark "));
    // Time for the update to go anywhere it could: on the virtual network, a second is plenty.
    await page.waitForTimeout(1500);
    const cutOff = await holders(page, "page-kiwi");
    await page.screenshot({ path: path.join(out, "2-cut-off.png") });
    if (JSON.stringify(cutOff) !== JSON.stringify(["Clark"]))
      throw new Error("behind the cut the page shows the update at " + JSON.stringify(cutOff));
    await clickLink(page, "Clark", "Bona", "restore");
    await clickLink(page, "Clark", "Jaquez", "restore");
    const healed = await waitForHolders(page, "page-kiwi", ALL, 10000);
    await page.screenshot({ path: path.join(out, "3-healed.png") });
    if (JSON.stringify(healed) !== JSON.stringify(ALL))
      throw new Error("after the restore the page shows the update at " + JSON.stringify(healed));
    // The time slider shows the herd as it was: just before the restore, only Clark held it.
    const before = await page.evaluate(() => {
      const line = history.find(l => l.includes(" step-start ") && l.includes("restore"));
      return parseFloat(line) - 0.000001;
    });
    await page.$eval("#slider", (slider, t) => {
      slider.value = t;
      slider.dispatchEvent(new Event("input"));
    }, before);
    const past = await holders(page, "page-kiwi");
    await page.screenshot({ path: path.join(out, "4-slider-before-restore.png") });
    if (JSON.stringify(past) !== JSON.stringify(["Clark"]))
      throw new Error("the slider before the restore shows the update at " + JSON.stringify(past));
    await page.click("#follow");
    console.log("live view in Chromium: cut by click, update stayed at Clark, restored, reached all five, " +
                "slider back in time showed it at Clark alone; " +
                "screenshots in " + out);
  } catch (e) {
    failed = e;
  } finally {
    await browser.close();
    child.kill("SIGINT");
  }
  if (failed) {
    console.error(failed.message);
    process.exit(1);
  }
})().catch(e => { console.error(e); process.exit(1); });
