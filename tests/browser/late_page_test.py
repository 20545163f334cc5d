#!/usr/bin/env python3
"""A live page opened late draws the herd as it is, not as the events it is sent last said.

A herd left up after its scenario (restart-recovers, virtual network) sends its events only while
a page follows them. Here one follows while Bona is crashed, stops following, and Bona is
restarted while nobody watches: the events the next page is sent end with Bona's crash and its
links going down. That page, in Debian's Chromium, must draw Bona up, its links connected and
its records shown, as /api/state says. Screenshots at 1280x720 and 1920x1080 go to OUT_DIR.

    python3 tests/browser/late_page_test.py HERD OUT_DIR
Exit 77 (skipped) when Chromium is missing or cannot start here, with the reason.
"""
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
import devtools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from live_address import LiveApi, page_url, wait_for_live_view  # noqa: E402

SCENARIO = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "restart-recovers.json")


def wait(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"after {seconds} s, still not {what}")


def crash_bona_while_watched(api):
    """Follows the events while Bona is crashed, until they say its links went down."""
    seen = threading.Event()
    stream = api.events()

    def follow():
        for raw in stream:
            line = raw.decode()
            if " link-down " in line and "Bona" in line:
                seen.set()
                return
    threading.Thread(target=follow, daemon=True).start()
    answer = []  # 409 while the scenario's own steps run
    wait(lambda: answer.append(api.post("api/steps", {"do": "crash", "node": "Bona"})) or
         answer[-1][0] != 409, 60, "done with the scenario")
    status, out = answer[-1]
    assert status == 200 and out[0]["ok"], out
    assert seen.wait(20), "no link-down for Bona's links in the events after its crash"
    stream.close()


def bona_links_up(api):
    ups = api.links_up("Bona")
    return bool(ups) and all(up is True for up in ups)


def main():
    herd, out = sys.argv[1], sys.argv[2]
    browser, reason = devtools.open_or_skip(1280, 720)
    if reason:
        print(reason)
        return 77
    os.makedirs(out, exist_ok=True)
    proc = subprocess.Popen([herd, "sim", SCENARIO, "--net", "virtual", "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    try:
        url, token = wait_for_live_view(proc)
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        api = LiveApi(url, token)
        crash_bona_while_watched(api)
        wait(lambda: api.state()["watchers"] == 0, 20, "left unwatched")
        status, answer = api.post("api/steps", {"do": "restart", "node": "Bona"})
        assert status == 200 and answer[0]["ok"], answer
        wait(lambda: bona_links_up(api), 20, "reconnected to Bona (by /api/state)")
        wait(lambda: any(s["name"] == "Bona" and s["store"] for s in api.state()["servers"]), 20,
             "holding records at Bona again (its neighbours send them on reconnecting)")
        with browser as b:
            b.open(page_url(url, token))
            b.wait_for('.server[data-server="Bona"]')
            # The events it is sent, up to Bona's crash, are all applied.
            if not b.wait_until("return history.some(l => l.includes(' crash Bona')) && "
                                "queue.length === 0;", 20):
                raise AssertionError("the page was never sent the events of Bona's crash")
            b.screenshot(os.path.join(out, "late-page-1280x720.png"))
            drawn = b.run("""return {
                down: Array.from(document.querySelectorAll('g.link.down')).map(g => g.dataset.link),
                bona: document.querySelector('.server[data-server="Bona"]').getAttribute('class'),
                rows: Array.from(document.querySelectorAll('.server[data-server="Bona"] text.store'))
                  .map(t => t.textContent)};""")
            b.resize(1920, 1080)
            b.screenshot(os.path.join(out, "late-page-1920x1080.png"))
        assert drawn["down"] == [], f"the page draws these links down: {drawn['down']}"
        assert "crashed" not in drawn["bona"], f"Bona drawn as {drawn['bona']}"
        assert drawn["rows"], "the page shows none of Bona's records"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print("a page opened after an unwatched restart drew Bona up, its links connected and its "
          f"{len(drawn['rows'])} newest records shown; screenshots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
