#!/usr/bin/env python3
"""The live view and the static timeline as a class sees them on a projector, in Debian's Chromium
at 1280x720 and 1920x1080: names readable from the back (at least 16 px), nothing cut off or
overlapping, a legend, the newest record in bold and every row in its update's colour, a crashed
server's links drawn down, an IAMAT from a plain socket in the event log, presenter mode, the keys a
presenter's remote sends, "deliver next message" with nothing on its way leaving the clock where it
was, and the timeline scaling to the window with its failing check written on it. Screenshots of
each go to OUT_DIR.

    python3 tests/browser/lecture_view_test.py HERD OUT_DIR
Exit 77 (skipped) when Chromium is missing or cannot start here, with the reason.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import devtools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from live_address import page_url, wait_for_live_view  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SIZES = [(1280, 720), (1920, 1080)]

# Every mark of the map as boxes on screen, for the size and overlap checks.
BOXES = """
const map = document.getElementById('map').getBoundingClientRect();
const box = e => { const r = e.getBoundingClientRect();
                   return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
const out = {map: box(document.getElementById('map')), names: [], rows: [], circles: []};
for (const g of document.querySelectorAll('#map .server')) {
  const name = g.dataset.server, t = g.querySelector('text.name');
  const px = t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize);
  out.names.push({server: name, px, ...box(t)});
  out.circles.push({server: name, ...box(g.querySelector('circle'))});
  for (const r of g.querySelectorAll('text.store')) out.rows.push({server: name, ...box(r)});
}
out.legend = box(document.getElementById('legend'));
out.window = {right: innerWidth, bottom: innerHeight};
return out;"""


def overlaps(a, b):
    return a["left"] < b["right"] - 1 and b["left"] < a["right"] - 1 and \
        a["top"] < b["bottom"] - 1 and b["top"] < a["bottom"] - 1


def inside(a, outer):
    return a["left"] >= outer["left"] - 1 and a["right"] <= outer["right"] + 1 and \
        a["top"] >= outer["top"] - 1 and a["bottom"] <= outer["bottom"] + 1


def check_layout(b, size, failures):
    """Readable and uncluttered: names >= 16 px, every mark on the map, nothing overlapping."""
    boxes = b.run(BOXES)
    tag = f"{size[0]}x{size[1]}"
    for n in boxes["names"]:
        if n["px"] < 16:
            failures.append(f"{tag}: {n['server']}'s name is {n['px']:.1f} px, under 16")
    marks = boxes["names"] + boxes["rows"] + boxes["circles"]
    for m in marks:
        if not inside(m, boxes["map"]):
            failures.append(f"{tag}: a mark of {m['server']} is cut off the map: {m}")
    # Different servers' marks never overlap; the legend covers none of them.
    for i, m in enumerate(marks):
        for other in marks[i + 1:]:
            if m["server"] != other["server"] and overlaps(m, other):
                failures.append(f"{tag}: marks of {m['server']} and {other['server']} overlap")
        if overlaps(m, boxes["legend"]):
            failures.append(f"{tag}: the legend covers a mark of {m['server']}")
    # A server's name never sits on its own rows.
    for n in boxes["names"]:
        for r in boxes["rows"]:
            if r["server"] == n["server"] and overlaps(n, r):
                failures.append(f"{tag}: {n['server']}'s name overlaps its store rows")
    if not inside(boxes["legend"], {"left": 0, "top": 0, **boxes["window"]}):
        failures.append(f"{tag}: the legend is not all on screen")
    return boxes


def send_raw(port, line):
    """An IAMAT from outside the page, as nc would send it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall((line + "\n").encode())
        return s.makefile().readline().strip()


def live_view(herd, out, failures):
    scenario = os.path.join(ROOT, "scenarios", "restart-recovers.json")
    proc = subprocess.Popen([herd, "sim", scenario, "--net", "virtual", "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    url = page_url(*wait_for_live_view(proc))
    try:
        with devtools.Browser(*SIZES[0]) as b:
            b.open(url)
            b.wait_for('.server[data-server="Clark"]')
            # An update sent from the page: its rows everywhere, newest in bold, in its colour.
            b.run("document.getElementById('target').value = 'Clark';")
            b.fill("#line", "IAMAT lecture-kiwi +34.068930-118.445127 {now}")
            b.click("#send")
            if not b.wait_until("return document.querySelectorAll("
                                "'text.store.newest[data-client=\"lecture-kiwi\"]').length === 5;"):
                failures.append("the update sent from the page is not the newest (bold) row at "
                                "all five servers")
            row = b.run("""const t = document.querySelector('text.store.newest[data-client="lecture-kiwi"]');
                return t && {weight: getComputedStyle(t).fontWeight, fill: t.getAttribute('fill'),
                             want: Live.colour(t.querySelector('title').textContent)};""")
            if not row or row["weight"] not in ("700", "bold") or row["fill"] != row["want"]:
                failures.append(f"the newest row is not bold in its update's colour: {row}")
            for size in SIZES:
                b.resize(*size)
                time.sleep(0.3)  # a resize re-lays the page out; nothing to wait on
                check_layout(b, size, failures)
                b.screenshot(os.path.join(out, f"live-{size[0]}x{size[1]}.png"))
            b.resize(*SIZES[0])
            # Presenter mode: larger type, still nothing cut off or overlapping.
            before = b.run(BOXES)["names"][0]["px"]
            b.press("p")
            time.sleep(0.3)
            after = check_layout(b, ("presenter", SIZES[0][1]), failures)["names"][0]["px"]
            if not b.run("return document.body.classList.contains('presenter');") or after <= before:
                failures.append(f"key p did not enlarge the type ({before:.1f} -> {after:.1f} px)")
            b.screenshot(os.path.join(out, "live-presenter-1280x720.png"))
            b.press("p")
            # A crash by click: the server greys and its links are drawn down.
            b.click('g.server[data-server="Bona"] circle')
            b.click('#actions button[data-action="crash"]')
            if not b.wait_until("return document.querySelector('g.server[data-server=\"Bona\"]')"
                                ".classList.contains('crashed') && [...document.querySelectorAll"
                                "('g.link')].filter(g => g.dataset.link.split('-').includes('Bona'))"
                                ".every(g => g.classList.contains('down'));"):
                failures.append("after a crash, Bona's links are not all drawn down")
            b.screenshot(os.path.join(out, "live-crashed-bona-1280x720.png"))
            # The clock by the keys a remote sends: space pauses, n with nothing on its way says
            # so and leaves the clock where it was.
            b.press(" ")
            if not b.wait_until("return document.getElementById('pause').textContent === 'resume';"):
                failures.append("space did not pause the virtual clock")
            time.sleep(0.5)  # anything already on its way is delivered or held by the pause
            for _ in range(20):  # deliver what is left, one message at a time
                b.press("n")
                if b.wait_until("return document.getElementById('clock-note').textContent !== '';", 1):
                    break
            t0 = b.run("return document.getElementById('clock-state').textContent;")
            b.press("n")
            time.sleep(0.5)
            note = b.run("return document.getElementById('clock-note').textContent;")
            t1 = b.run("return document.getElementById('clock-state').textContent;")
            if "no message is on its way" not in note or t0 != t1:
                failures.append(f"deliver-next with nothing on its way: note {note!r}, clock "
                                f"{t0!r} -> {t1!r}")
            b.screenshot(os.path.join(out, "live-nothing-to-deliver-1280x720.png"))
            b.press(".")
            if not b.wait_until("return document.getElementById('pause').textContent === 'pause';"):
                failures.append("'.' did not resume the virtual clock")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def event_log_shows_outside_iamat(herd, out, failures):
    """herd up --control: an IAMAT from nc-like socket appears in the page's event log."""
    with tempfile.TemporaryDirectory() as logs:
        base = free_block()
        proc = subprocess.Popen([herd, "up", "--base-port", str(base), "--control", "0",
                                 "--log-dir", logs], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            url = page_url(*wait_for_live_view(proc))
            with devtools.Browser(*SIZES[0]) as b:
                b.open(url)
                b.wait_for('.server[data-server="Clark"]')
                time.sleep(0.5)  # the page's event stream is open once it has drawn
                reply = send_raw(base + 3, "IAMAT outside-nc +1+1 1700000000.5")
                if not reply.startswith("AT Clark "):
                    failures.append(f"Clark did not answer the outside IAMAT: {reply!r}")
                if not b.wait_until("return document.getElementById('log').textContent"
                                    ".includes('Clark accepted IAMAT outside-nc');", 10):
                    failures.append("an IAMAT from a plain socket is not in the event log")
                b.screenshot(os.path.join(out, "up-outside-iamat-1280x720.png"))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=20)


def free_block():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
    from up_port_taken import free_block as block
    return block(5)


def timeline(herd, out, failures):
    """The static timeline: scales to the window, no label over another, the failure written."""
    with tempfile.TemporaryDirectory() as tmp:
        failing = os.path.join(tmp, "lecture-fails.json")
        with open(failing, "w") as f:
            json.dump({"name": "lecture-fails", "steps": [
                {"do": "send", "node": "Clark", "line": "IAMAT kiwi +1+1 {now}"},
                {"do": "partition", "groups": [["Clark", "Jaquez"], ["Bailey", "Bona", "Campbell"]]},
                {"do": "wait", "ms": 50},
                {"do": "send", "node": "Clark", "line": "IAMAT west-late +1+1 {now}"},
                {"do": "traffic", "clients": 5, "rate": 200, "duration_ms": 100},
                {"do": "wait", "ms": 3000},
                {"do": "expect_record", "node": "Bona", "client": "west-late", "origin": "Clark"}]},
                      f)
        subprocess.run([herd, "sim", failing, os.path.join(ROOT, "scenarios", "partition-heal.json"),
                        "--net", "virtual", "--report-dir", tmp], capture_output=True, timeout=120)
        svgs = sorted(os.path.join(tmp, n) for n in os.listdir(tmp) if n.endswith(".svg"))
        if len(svgs) < 2:
            failures.append(f"expected two timelines, found {os.listdir(tmp)}")
            return
        with devtools.Browser(*SIZES[0]) as b:
            for path in svgs:
                name = os.path.basename(path)[:-4]
                for size in SIZES:
                    b.resize(*size)
                    b.open("file://" + path)
                    got = b.run("""const s = document.querySelector('svg'), r = s.getBoundingClientRect();
                        const labels = [...document.querySelectorAll('text.step-label, text:not(.step-label)')]
                          .filter(t => t.closest('g') === null || !t.closest('g.msg'))
                          .map(t => t.getBoundingClientRect());
                        const steps = [...document.querySelectorAll('text.step-label')].map(t => t.getBoundingClientRect());
                        let overlap = 0;
                        for (let i = 0; i < steps.length; i++) for (let j = i + 1; j < steps.length; j++) {
                          const a = steps[i], c = steps[j];
                          if (a.left < c.right - 1 && c.left < a.right - 1 && a.top < c.bottom - 1 && c.top < a.bottom - 1) overlap++;
                        }
                        return {width: r.width, window: innerWidth, overlap, labels: labels.length,
                                failure: (document.querySelector('text.failure') || {}).textContent || null};""")
                    tag = f"{name} at {size[0]}x{size[1]}"
                    if abs(got["width"] - got["window"]) > 20:
                        failures.append(f"{tag}: the timeline is {got['width']:.0f} px wide in a "
                                        f"{got['window']} px window")
                    if got["overlap"]:
                        failures.append(f"{tag}: {got['overlap']} pairs of step labels overlap")
                    b.screenshot(os.path.join(out, f"timeline-{name}-{size[0]}x{size[1]}.png"))
                if name.startswith("lecture-fails") and not (got["failure"] or "").startswith("FAILED steps[6]"):
                    failures.append(f"the failing timeline does not name its failing check: {got['failure']!r}")
                if name.startswith("partition-heal") and got["failure"]:
                    failures.append(f"a passing timeline shows a failure: {got['failure']!r}")


def main():
    herd, out = sys.argv[1], sys.argv[2]
    reason = devtools.skip_reason()
    if reason:
        print(reason)
        return 77
    os.makedirs(out, exist_ok=True)
    failures = []
    live_view(herd, out, failures)
    event_log_shows_outside_iamat(herd, out, failures)
    timeline(herd, out, failures)
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print(f"the live view and the timeline read at {' and '.join(f'{w}x{h}' for w, h in SIZES)}; "
          f"screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
