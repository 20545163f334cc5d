#!/usr/bin/env python3
"""The live view in the herd's time, as a teacher demos flooding in Debian's Chromium:

- `herd sim FILE --net virtual --serve 0 --paused` serves the page before the first step; the
  page lists the scenario's steps and runs them one at a time (key s) or all;
- the speed control is logarithmic and reaches 1/100,000 (keys - and +);
- a message's dot is where the message is between its send and its delivery in virtual time:
  paused, every dot stays where it is (some mid-link); one "deliver next" moves the dots on by the
  herd's time, never back;
- the counters are the herd's own from its start: a page opened after a scenario's traffic shows
  every update accepted, and messages sent = delivered + dropped + on their way;
- a replay has the same clock: space pauses it (the dots stay), n steps it delivery by delivery,
  and a crash in the trace draws the server crashed with its links down;
- the time slider moves the whole picture: a message half way through its hop at t is drawn half
  way along its link, the counters and the log stop at t, and a server crashed later is up;
- a selected server lists its queue: every message on its way to or from it, as the map draws;
- on real sockets with teaching pace a dot moves in the herd's time (due its link's 300 ms);
- acting while the slider shows the past branches the run there: the page says so, the clock
  stands paused at that moment with the run's counters and messages of then;
- a replayed trace of two runs announces each, marks the failing check's server, and the slider
  zooms (key z: a quarter of its span).

    python3 tests/browser/lecture_time_test.py HERD OUT_DIR
Exit 77 (skipped) when Chromium is missing or cannot start here, with the reason.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import devtools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from live_address import LiveApi, page_url, wait_for_live_view  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")

# Every dot on the map: its message id and how far along its link it is drawn (0 at the sender's
# rim, 1 at the receiver's), read from the circle's own position, as the class sees it.
DOTS = """
const out = [];
for (const c of document.querySelectorAll('#map circle.dot')) {
  const d = dots[c.dataset.id];
  if (!d) continue;
  const [x1, y1] = positions[d.from], [x2, y2] = positions[d.to];
  const x = parseFloat(c.getAttribute('cx')), y = parseFloat(c.getAttribute('cy'));
  const centre = Math.abs(x2 - x1) > Math.abs(y2 - y1) ? (x - x1) / (x2 - x1) : (y - y1) / (y2 - y1);
  const rim = R / Math.hypot(x2 - x1, y2 - y1);
  out.push({id: c.dataset.id, along: (centre - rim) / (1 - 2 * rim), held: c.classList.contains('held')});
}
return out;"""

COUNTERS = """
const out = {};
for (const tr of document.querySelectorAll('#counters tr')) out[tr.cells[0].textContent] = tr.cells[1].textContent;
return out;"""

# The page's answers from POST api/clock wait in window.heldClockAnswers until the test calls one.
HOLD_CLOCK_ANSWERS = """
window.heldClockAnswers = [];
window.unheldFetch = window.fetch;
window.fetch = (url, options) => {
  const answer = window.unheldFetch(url, options);
  if (!String(url).includes("api/clock")) return answer;
  // Read whole before it is held, so letting it go hands the page its body at once.
  return answer.then(r => r.json()).then(body => new Promise(resolve =>
    window.heldClockAnswers.push(() => resolve({json: () => Promise.resolve(body)}))));
};
return true;"""

SCRIPT = "return [...document.querySelectorAll('#script-steps li')].map(li => li.className);"

# The space-time lane's message lines, as drawn.
LANE = ("return [...document.querySelectorAll('#lane line[data-id]')].map(l => [l.dataset.id,"
        " l.getAttribute('x1'), l.getAttribute('x2'), l.getAttribute('y2')]);")


def flood_scenario(folder):
    path = os.path.join(folder, "flood-demo.json")
    with open(path, "w") as f:
        json.dump({"name": "flood-demo", "steps": [
            {"do": "send", "node": "Clark", "line": "IAMAT dot-kiwi +34.068930-118.445127 {now}"},
            {"do": "expect_converged", "within_ms": 1000},
            {"do": "send", "node": "Bailey", "line": "IAMAT dot-lime +34.068930-118.445127 {now}"},
            {"do": "expect_converged", "within_ms": 1000}]}, f)
    return path


def paused_flood(herd, out, failures):
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.Popen([herd, "sim", flood_scenario(folder), "--net", "virtual", "--serve",
                                 "0", "--paused", "--report-dir", ""], stdout=subprocess.PIPE,
                                text=True)
        try:
            url = page_url(*wait_for_live_view(proc))
            with devtools.Browser(1280, 720) as b:
                b.open(url)
                b.wait_for('.server[data-server="Clark"]')
                if not b.wait_until("return !document.getElementById('script').hidden;"):
                    failures.append("--paused: the page shows no scenario steps to run")
                    return
                steps = b.run(SCRIPT)
                if len(steps) != 4 or "passed" in steps:
                    failures.append(f"--paused: before any click the steps read {steps}")
                if b.run(COUNTERS).get("updates accepted") != "0":
                    failures.append(f"--paused: an update was accepted before the first step: "
                                    f"{b.run(COUNTERS)}")
                # Slower by the keys, to 1/31,623 (10^-4.5): a 50 us hop takes 1.6 s to watch. A
                # busy herd answers a press after the next one: the page holds each answer to the
                # clock here and lets it land between two later presses, so a page that put its
                # control back to an older answer would count the next press from there.
                b.run(HOLD_CLOCK_ANSWERS)
                for press in range(9):
                    b.press("-")
                    if press >= 1:  # the answer to the press before this one lands now
                        b.wait_until("return window.heldClockAnswers.length >= 1;", 10)
                        b.run("window.heldClockAnswers.shift()();")
                b.run("while (window.heldClockAnswers.length) window.heldClockAnswers.shift()();"
                      " window.fetch = window.unheldFetch;")
                if not b.wait_until("return document.getElementById('speed-label').textContent"
                                    " === '1/31,623';", 5):
                    failures.append("nine presses of '-' did not slow the clock to 1/31,623: " +
                                    b.run("return document.getElementById('speed-label')"
                                          ".textContent;"))
                b.press("s")  # the first step: Clark's client reports, Clark floods
                if not b.wait_until("return document.querySelectorAll('#map circle.dot').length"
                                    " > 0;", 30):
                    failures.append("no message dot appeared after the first step was let go")
                    return
                b.press(" ")
                if not b.wait_until("return document.getElementById('pause').textContent ==="
                                    " 'resume';", 5):
                    failures.append("space did not pause the clock")
                time.sleep(0.3)  # the pause's answer syncs the page's clock; positions settle
                before = {d["id"]: d["along"] for d in b.run(DOTS)}
                lane_before = b.run(LANE)
                # A server's queue: every message on its way to or from it, as the map draws them.
                b.click('g.server[data-server="Bona"] circle')
                b.wait_until("return document.querySelectorAll('#queue li[data-id]').length > 0;", 5)
                queued = set(b.run("return [...document.querySelectorAll('#queue li[data-id]')]"
                                   ".map(li => li.dataset.id);"))
                want = {i for i in before if "Bona" in i.split("#")[0].split(">")}
                if not want or queued != want:
                    failures.append(f"Bona's queue lists {sorted(queued)}, the map's dots to and "
                                    f"from Bona are {sorted(want)}")
                b.screenshot(os.path.join(out, "paused-mid-link-1280x720.png"))
                time.sleep(1.5)  # paused: nothing may move however long the class looks
                later = {d["id"]: d["along"] for d in b.run(DOTS)}
                # The space-time lane runs in the herd's time too: paused, it stands still.
                lane_later = b.run(LANE)
                if not lane_before or lane_before != lane_later:
                    failures.append(f"paused, the lane moved or is empty: {lane_before[:3]} -> "
                                    f"{lane_later[:3]}")
                moved = {i: (before[i], later[i]) for i in before
                         if i in later and abs(before[i] - later[i]) > 1e-6}
                if moved:
                    failures.append(f"paused, dots still moved: {moved}")
                if not any(0.02 < a < 0.98 for a in before.values()):
                    failures.append(f"paused while the flood was on its way, no dot is mid-link: "
                                    f"{before}")
                # One delivery: the herd's time moves to it; every dot goes on, none back.
                b.press("n")
                time.sleep(0.8)
                after = {d["id"]: d["along"] for d in b.run(DOTS)}
                back = {i: (before[i], after[i]) for i in before
                        if i in after and after[i] < before[i] - 1e-6}
                on = [i for i in before if i not in after or after[i] > before[i] + 1e-6]
                if back or not on:
                    failures.append(f"after one step: dots back {back}, dots moved on {on} "
                                    f"(before {before}, after {after})")
                # Full speed again, and the rest of the scenario: every step passes.
                b.run("const s = document.getElementById('speed'); s.value = 0;"
                      "s.dispatchEvent(new Event('change'));")
                b.press(".")
                b.click("#script-all")
                if not b.wait_until("return [...document.querySelectorAll('#script-steps li')]"
                                    ".every(li => li.className === 'passed');", 60):
                    failures.append(f"run the rest: the steps read {b.run(SCRIPT)}")
                b.resize(1920, 1080)
                time.sleep(0.3)
                b.screenshot(os.path.join(out, "paused-scenario-done-1920x1080.png"))
                # Back to the middle of the first flood's first hop: its dot half way along.
                hop = b.run("""
                    const sent = history.find(l => / sent \\S+ AT /.test(l));
                    const id = sent.split(' ')[2];
                    const due = history.find(l => l.split(' ')[1] === 'due' &&
                                                  l.split(' ')[2] === id);
                    return {id, sent: parseFloat(sent), due: parseFloat(due.split(' ')[3])};""")
                middle = (hop["sent"] + hop["due"]) / 2
                b.run("const s = document.getElementById('slider'); s.value = arguments[0];"
                      "s.dispatchEvent(new Event('input'));", middle)
                past = b.run("""
                    const c = document.querySelector('#past-dots circle[data-id="' + arguments[0] + '"]');
                    if (!c) return null;
                    const m = drawModel.inFlight[arguments[0]];
                    const [x1, y1] = positions[m.from], [x2, y2] = positions[m.to];
                    const rim = R / Math.hypot(x2 - x1, y2 - y1);
                    const centre = (parseFloat(c.getAttribute('cx')) - x1) / (x2 - x1);
                    return {along: (centre - rim) / (1 - 2 * rim),
                            log: [...logLines].filter(l => parseFloat(l) <= arguments[1] + 1e-9).length,
                            shown: document.getElementById('log').textContent.split('\\n').length,
                            counted: document.getElementById('counters').textContent};""",
                             hop["id"], middle)
                if not past or abs(past["along"] - 0.5) > 0.1 or past["shown"] > past["log"] + 1:
                    failures.append(f"the slider at the middle of {hop}: the past dot is {past}")
                b.screenshot(os.path.join(out, "slider-mid-hop-1920x1080.png"))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def counters_after_the_fact(herd, out, failures):
    """A page opened after partition-heal's traffic (20 + 2 + 40 updates) counts all of them."""
    scenario = os.path.join(ROOT, "scenarios", "partition-heal.json")
    proc = subprocess.Popen([herd, "sim", scenario, "--net", "virtual", "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    try:
        url = page_url(*wait_for_live_view(proc))
        # The scenario runs before serving; its last step line comes before the page opens.
        for line in proc.stdout:
            if "steps[14]" in line or "[14]" in line:
                break
        with devtools.Browser(1280, 720) as b:
            b.open(url)
            if not b.wait_until("return document.querySelectorAll('#counters tr').length > 3;"):
                failures.append("the counters never showed")
                return
            c = b.run(COUNTERS)
            sent = int(c.get("AT messages sent between servers", "-1"))
            parts = [int(c.get(k, "-1")) for k in ("delivered", "dropped", "on their way")]
            if c.get("updates accepted") != "62" or sent <= 0 or sent != sum(parts) or \
                    c.get("messages per update") != f"{sent / 62:.1f}":
                failures.append(f"counters after the fact: {c} (want 62 updates accepted, sent ="
                                f" delivered + dropped + on their way)")
            b.screenshot(os.path.join(out, "counters-after-the-fact-1280x720.png"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def branch_from_the_past(herd, out, failures):
    """The slider at a moment mid-flood, then a crash clicked: the run branches there. The page
    says so, the clock stands paused at that moment, the counters are the run's then, the
    messages on their way then are drawn (still, while paused), and the scenario's steps from
    there on are left behind."""
    scenario = os.path.join(ROOT, "scenarios", "partition-heal.json")
    proc = subprocess.Popen([herd, "sim", scenario, "--net", "virtual", "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    try:
        url = page_url(*wait_for_live_view(proc))
        for line in proc.stdout:
            if "[14]" in line:
                break
        with devtools.Browser(1280, 720) as b:
            b.open(url)
            b.wait_for('.server[data-server="Bona"]')
            if not b.wait_until("return history.filter(l => / sent .* AT /.test(l)).length > 40;"):
                failures.append("branch: the run's events never reached the page")
                return
            # The moment the 40th AT line left: floods on their way, half the traffic to come.
            t = b.run("return parseFloat(history.filter(l => / sent .* AT /.test(l))[39]);")
            accepted = b.run("""
                return history.filter(l => { const f = l.split(' ');
                  return parseFloat(l) <= arguments[0] && f[1] === 'stored' && f[4] === f[2]; }).length;""", t)
            b.run("const s = document.getElementById('slider'); s.value = arguments[0];"
                  "s.dispatchEvent(new Event('input'));", t)
            hint = b.run("return document.getElementById('slider-time').textContent;")
            if "branches the run" not in hint:
                failures.append(f"branch: rewound on the virtual network, the slider says {hint!r}")
            b.click('g.server[data-server="Bona"] circle')
            b.click('#actions button[data-action="crash"]')
            if not b.wait_until("const b = document.getElementById('branch');"
                                "return !b.hidden && /Branch 1/.test(b.textContent) && "
                                "/crash Bona/.test(b.textContent) && "
                                "document.querySelector('g.server[data-server=\"Bona\"]')"
                                ".classList.contains('crashed') && "
                                "/paused/.test(document.getElementById('clock-state').textContent);"):
                failures.append("branch: the page never showed branch 1 with Bona crashed, paused: "
                                + str(b.run("return [document.getElementById('branch').textContent,"
                                            "document.getElementById('clock-state').textContent];")))
                return
            clock_text = b.run("return document.getElementById('clock-state').textContent;")
            if f"t = {t:.6f} s" not in clock_text:
                failures.append(f"branch at {t:.6f} s: the clock reads {clock_text!r}")
            if not b.wait_until("return document.querySelectorAll('#counters tr').length > 3 && "
                                "document.getElementById('counters').rows[0].cells[1].textContent"
                                " === String(arguments[0]);", 10, accepted):
                failures.append(f"branch: counters {b.run(COUNTERS)}, want {accepted} updates "
                                f"accepted as at t")
            dots_now = {d["id"]: d["along"] for d in b.run(DOTS)}
            time.sleep(1.0)
            dots_later = {d["id"]: d["along"] for d in b.run(DOTS)}
            if not dots_now or dots_now != dots_later:
                failures.append(f"branch: the messages on their way at t are not drawn still: "
                                f"{dots_now} -> {dots_later}")
            # Branched inside the first step: all 15 are left behind, the banner says so, and
            # the list of them is not shown.
            # The step cut short is no failing check: no red verdict.
            script = b.run("return [document.getElementById('script').hidden,"
                           "document.getElementById('branch').textContent,"
                           "document.getElementById('verdict').hidden];")
            if not script[0] or "left behind" not in script[1] or not script[2]:
                failures.append(f"branch: the script box hidden {script[0]}, banner {script[1]!r}, "
                                f"verdict hidden {script[2]}")
            b.screenshot(os.path.join(out, "branch-paused-1280x720.png"))
            b.resize(1920, 1080)
            time.sleep(0.3)
            b.screenshot(os.path.join(out, "branch-paused-1920x1080.png"))
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def real_teaching_pace(herd, out, failures):
    """On real sockets with teaching pace (300 ms on every link), a dot moves in the herd's time:
    due 300 ms after its send, drawn where its message is by then, as the lane draws it too."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "real-pace.json")
        with open(path, "w") as f:
            json.dump({"name": "real-pace", "steps": [
                {"do": "send", "node": "Clark", "line": "IAMAT warm +1+1 {now}"},
                {"do": "expect_converged", "within_ms": 2000}]}, f)
        proc = subprocess.Popen([herd, "sim", path, "--serve", "0", "--report-dir", ""],
                                stdout=subprocess.PIPE, text=True)
        try:
            url = page_url(*wait_for_live_view(proc))
            with devtools.Browser(1280, 720) as b:
                b.open(url)
                b.wait_for('.server[data-server="Clark"]')
                b.click("#pace")
                if not b.wait_until("return state.links.every(l => l.faults.latency_ms === 300);"):
                    failures.append("teaching pace: the links never reported 300 ms")
                    return
                b.run("document.getElementById('target').value = 'Clark';"
                      "document.getElementById('line').value = 'IAMAT paced +1+1 {now}';")
                b.click("#send")
                # Against the herd's time of the frame that drew the dot: on a loaded machine
                # (CI's two cores running tests side by side) that frame is tens of ms old.
                sample = """
                  const out = [];
                  for (const id in dots) {
                    const d = dots[id], m = d.message;
                    if (d.arrived) continue;
                    const [x1, y1] = positions[d.from], [x2, y2] = positions[d.to];
                    const x = parseFloat(d.dot.getAttribute('cx')), y = parseFloat(d.dot.getAttribute('cy'));
                    const centre = Math.abs(x2 - x1) > Math.abs(y2 - y1) ? (x - x1) / (x2 - x1) : (y - y1) / (y2 - y1);
                    const rim = R / Math.hypot(x2 - x1, y2 - y1);
                    out.push({id, due: m.due === undefined ? null : m.due - m.sentAt,
                              along: (centre - rim) / (1 - 2 * rim),
                              want: d.drawnAt === undefined ? null : Live.progress(m, d.drawnAt),
                              lag: d.drawnAt === undefined ? null : herdClock.now(performance.now()) - d.drawnAt});
                  }
                  return out;"""
                mid = None
                for _ in range(100):
                    dots = b.run(sample)
                    if any(d["along"] is not None and 0.15 < d["along"] < 0.85 for d in dots):
                        mid = dots
                        break
                    time.sleep(0.02)
                if not mid:
                    failures.append("teaching pace on real sockets: no dot was seen mid-link")
                    return
                b.screenshot(os.path.join(out, "real-teaching-pace-1280x720.png"))
                for d in mid:
                    # The frame is recent (the picture moves) and draws the dot where its
                    # message was in the herd's time then.
                    if d["due"] is None or abs(d["due"] - 0.3) > 1e-6 or d["want"] is None or \
                            abs(d["along"] - d["want"]) > 0.12 or not 0 <= d["lag"] < 0.5:
                        failures.append(f"teaching pace on real sockets: a dot not in the herd's "
                                        f"time: {d}")
                        break
                lane = b.run(LANE)
                if not any(float(x2) - float(x1) > 5 for _, x1, x2, _ in lane):
                    failures.append(f"teaching pace: the lane draws no 300 ms hop as a slope: "
                                    f"{lane[:4]}")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def replay_controls(herd, out, failures):
    scenario = os.path.join(ROOT, "scenarios", "restart-recovers.json")
    with tempfile.TemporaryDirectory() as folder:
        trace = os.path.join(folder, "run.trace")
        subprocess.run([herd, "sim", scenario, "--net", "virtual", "--report-dir", "", "--trace",
                        trace], check=True, capture_output=True)
        proc = subprocess.Popen([herd, "sim", "--serve", "0", "--replay", trace],
                                stdout=subprocess.PIPE, text=True)
        try:
            address = wait_for_live_view(proc)
            # Paused before its first line goes out (2 s after it starts): a slow machine opening
            # the page must not miss the whole replay.
            # Slowed too: the run took half a second of virtual time, which a class could not follow.
            status, answer = LiveApi(*address).post("api/clock", {"paused": True, "speed": 0.01})
            assert status == 200 and answer["paused"], answer
            with devtools.Browser(1280, 720) as b:
                b.open(page_url(*address))
                b.wait_for('.server[data-server="Bona"]')
                if b.run("return document.getElementById('clock').hidden;"):
                    failures.append("a replay shows no clock controls")
                    return
                # Space resumes it and pauses it again, as a presenter's remote would.
                if not b.wait_until("return document.getElementById('pause').textContent ==="
                                    " 'resume';", 5):
                    failures.append("the page does not show the replay paused")
                    return
                b.press(" ")
                if not b.wait_until("return document.getElementById('pause').textContent ==="
                                    " 'pause';", 5):
                    failures.append("space did not resume the replay")
                b.press(" ")
                if not b.wait_until("return document.getElementById('pause').textContent ==="
                                    " 'resume';", 5):
                    failures.append("space did not pause the replay")
                    return
                time.sleep(0.3)
                t0 = b.run("return document.getElementById('clock-state').textContent;")
                dots_before = {d["id"]: d["along"] for d in b.run(DOTS)}
                time.sleep(1.0)
                t1 = b.run("return document.getElementById('clock-state').textContent;")
                dots_later = {d["id"]: d["along"] for d in b.run(DOTS)}
                if t0 != t1 or dots_before != dots_later:
                    failures.append(f"a paused replay moved on: {t0!r} -> {t1!r}, dots "
                                    f"{dots_before} -> {dots_later}")
                b.press("n")
                if not b.wait_until("return document.getElementById('clock-state').textContent"
                                    " !== arguments[0];", 5, t0):
                    failures.append("n did not step the paused replay")
                # On, a few deliveries at a time, to the crash in the trace: Bona is drawn
                # crashed, its links down, while the replay stays paused there.
                for _ in range(200):
                    if b.run("return logLines.some(l => / crash Bona$/.test(l));"):
                        break
                    b.run("clock({step: 5});")
                    time.sleep(0.05)
                if not b.wait_until("return document.querySelector('g.server[data-server=\"Bona\"]')"
                                    ".classList.contains('crashed') && [...document.querySelectorAll"
                                    "('g.link')].filter(g => g.dataset.link.split('-').includes("
                                    "'Bona')).every(g => g.classList.contains('down'));", 10):
                    failures.append("stepped past the trace's crash, Bona is not drawn crashed "
                                    "with its links down")
                b.screenshot(os.path.join(out, "replay-paused-at-crash-1280x720.png"))
                # The slider just before the crash: Bona up, its links up.
                crash = b.run("return parseFloat(logLines.find(l => / crash Bona$/.test(l)));")
                b.run("const s = document.getElementById('slider'); s.value = arguments[0];"
                      "s.dispatchEvent(new Event('input'));", crash - 0.000001)
                before = b.run("return [document.querySelector('g.server[data-server=\"Bona\"]')"
                               ".classList.contains('crashed'), document.querySelectorAll("
                               "'g.link.down').length];")
                if before != [False, 0]:
                    failures.append(f"the slider before the crash shows Bona crashed or links "
                                    f"down: {before}")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def replay_of_two_runs(herd, out, failures):
    with tempfile.TemporaryDirectory() as folder:
        failing = os.path.join(folder, "lecture-fails.json")
        with open(failing, "w") as f:
            json.dump({"name": "lecture-fails", "steps": [
                {"do": "send", "node": "Clark", "line": "IAMAT kiwi +1+1 {now}"},
                {"do": "partition", "groups": [["Clark", "Jaquez"], ["Bailey", "Bona", "Campbell"]]},
                {"do": "wait", "ms": 50},
                {"do": "send", "node": "Clark", "line": "IAMAT west-late +1+1 {now}"},
                {"do": "wait", "ms": 300},
                {"do": "expect_record", "node": "Bona", "client": "west-late", "origin": "Clark"}]},
                      f)
        trace = os.path.join(folder, "two.trace")
        subprocess.run([herd, "sim", os.path.join(ROOT, "scenarios", "restart-recovers.json"),
                        failing, "--net", "virtual", "--report-dir", "", "--trace", trace],
                       capture_output=True, timeout=120)
        proc = subprocess.Popen([herd, "sim", "--serve", "0", "--replay", trace],
                                stdout=subprocess.PIPE, text=True)
        try:
            url = page_url(*wait_for_live_view(proc))
            with devtools.Browser(1280, 720) as b:
                b.open(url)
                b.wait_for('.server[data-server="Bona"]')
                b.run("clock({speed: 100});")
                if not b.wait_until("return /^run 2 of 2: /.test(document.getElementById("
                                    "'subtitle').textContent);", 60):
                    failures.append("a trace of two runs: the second is not announced: " +
                                    b.run("return document.getElementById('subtitle')"
                                          ".textContent;"))
                if not b.wait_until("return !document.getElementById('verdict').hidden && "
                                    "!!document.querySelector('g.server.failed[data-server="
                                    "\"Bona\"]');", 60):
                    failures.append("the failing check (expect Bona holds west-late) is not "
                                    "marked on Bona")
                span = b.run("const s = document.getElementById('slider');"
                             "return parseFloat(s.max) - parseFloat(s.min);")
                b.press("z")
                zoomed = b.run("const s = document.getElementById('slider');"
                               "return parseFloat(s.max) - parseFloat(s.min);")
                if not (span > 0 and abs(zoomed - span / 4) < span * 0.01):
                    failures.append(f"z did not zoom the slider to a quarter: {span} -> {zoomed}")
                b.screenshot(os.path.join(out, "replay-two-runs-failed-1280x720.png"))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def main():
    herd, out = sys.argv[1], sys.argv[2]
    reason = devtools.skip_reason()
    if reason:
        print(reason)
        return 77
    os.makedirs(out, exist_ok=True)
    failures = []
    paused_flood(herd, out, failures)
    counters_after_the_fact(herd, out, failures)
    branch_from_the_past(herd, out, failures)
    real_teaching_pace(herd, out, failures)
    replay_controls(herd, out, failures)
    replay_of_two_runs(herd, out, failures)
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print(f"messages move in the herd's time, --paused runs step by step, counters are the "
          f"herd's; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
