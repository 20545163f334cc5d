#!/usr/bin/env python3
"""The live view as a teacher uses it, in Debian's Chromium driven over the DevTools protocol: open the
page, cut both of Clark's links by clicking them, send an IAMAT to Clark from the page's box, see
the update reach Clark and no one else, restore the links by clicking, see it reach every
server, and move the time slider back to see it at Clark alone again. Screenshots go to OUT_DIR.

    python3 tests/browser/live_view_test.py HERD OUT_DIR
Exit 77 (skipped) when Chromium is missing (tools/install-deps.sh --browser-tests installs it) or
cannot start here, with the reason.
"""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import devtools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from live_address import page_url, wait_for_live_view  # noqa: E402

ALL = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]
HOLDERS = """return Array.from(document.querySelectorAll(
    '.server text.store[data-client="' + arguments[0] + '"]'))
  .map(t => t.closest('.server').dataset.server).sort();"""


def start_herd(herd):
    scenario = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "restart-recovers.json")
    proc = subprocess.Popen([herd, "sim", scenario, "--net", "virtual", "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    return proc, page_url(*wait_for_live_view(proc))


def click_link(b, a, c, action):
    name = "-".join(sorted([a, c]))
    b.click(f'g.link[data-link="{name}"] line.hit')
    b.click(f'#actions button[data-action="{action}"]')
    cut = action == "cut"
    if not b.wait_until("const g = document.querySelector('g.link[data-link=\"' + arguments[0] + "
                        "'\"]'); return !!g && g.classList.contains('cut') === arguments[1];",
                        20, name, cut):
        raise AssertionError(f"the link {name} is not drawn {'cut' if cut else 'restored'}")


def holders_after(b, client, want, seconds):
    deadline = time.time() + seconds
    got = None
    while time.time() < deadline:
        got = b.run(HOLDERS, client)
        if got == want:
            break
        time.sleep(0.1)
    return got


def main():
    herd, out = sys.argv[1], sys.argv[2]
    browser, reason = devtools.open_or_skip()
    if reason:
        print(reason)
        return 77
    os.makedirs(out, exist_ok=True)
    proc, url = start_herd(herd)
    try:
        with browser as b:
            b.open(url)
            b.wait_for('.server[data-server="Clark"]')
            b.screenshot(os.path.join(out, "1-herd.png"))
            click_link(b, "Clark", "Bona", "cut")
            click_link(b, "Clark", "Jaquez", "cut")
            b.run("const s = document.getElementById('target'); s.value = 'Clark';")
            b.fill("#line", "IAMAT page-kiwi +34.068930-118.445127 {now}")
            b.click("#send")
            if not b.wait_until("return document.getElementById('reply').textContent"
                                ".startsWith('AT Clark ');"):
                raise AssertionError("no AT reply shown in the page's box")
            # Time for the update to go anywhere it could: on the virtual network, plenty.
            time.sleep(1.5)
            alone = b.run(HOLDERS, "page-kiwi")
            b.screenshot(os.path.join(out, "2-cut-off.png"))
            assert alone == ["Clark"], f"behind the cut the page shows the update at {alone}"
            click_link(b, "Clark", "Bona", "restore")
            click_link(b, "Clark", "Jaquez", "restore")
            healed = holders_after(b, "page-kiwi", ALL, 10)
            b.screenshot(os.path.join(out, "3-healed.png"))
            assert healed == ALL, f"after the restore the page shows the update at {healed}"
            # The time slider shows the herd as it was: just before the restore, Clark alone.
            before = b.run("const line = history.find(l => l.includes(' step-start ') && "
                           "l.includes('restore')); return parseFloat(line) - 0.000001;")
            b.run("const s = document.getElementById('slider'); s.value = arguments[0]; "
                  "s.dispatchEvent(new Event('input'));", before)
            past = b.run(HOLDERS, "page-kiwi")
            b.screenshot(os.path.join(out, "4-slider-before-restore.png"))
            assert past == ["Clark"], f"the slider before the restore shows the update at {past}"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print("live view in Chromium: cut by click, update stayed at Clark, restored, reached all "
          f"five, the slider back in time showed it at Clark alone; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
