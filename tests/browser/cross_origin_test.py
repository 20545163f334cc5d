#!/usr/bin/env python3
"""A page on another origin, open in the same Chromium as a teacher's live view, tries to drive
`herd up --control`: a no-cors "simple" POST (text/plain), an HTML form posted into a hidden
frame, a JSON POST with a guessed token (which needs a preflight), a read of /api/state and an
EventSource. None may change the herd or read it: afterwards every server is still up and every
link uncut, and the page could read nothing.

    python3 tests/browser/cross_origin_test.py HERD OUT_DIR
Exit 77 (skipped) when Chromium is missing or cannot start here, with the reason.
"""
import functools
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(__file__))
import devtools  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "cli"))
from live_address import LiveApi, page_url, wait_for_live_view  # noqa: E402
from up_port_taken import free_block  # noqa: E402

ATTACK = """<!doctype html><html><body><h1>cute cats</h1>
<iframe name="sink" style="display:none"></iframe>
<form id="f" method="POST" enctype="text/plain" target="sink" action="{api}/steps">
<input name='{{"do": "crash", "node": "Bona", "x": "' value='"}}'></form>
<script>
window.results = {{}};
const crash = JSON.stringify({{do: "crash", node: "Campbell"}});
const note = (k, v) => {{ window.results[k] = v; }};
fetch("{api}/steps", {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}},
                      body: crash}}).then(r => note("simple", "sent, opaque " + r.type),
                                        e => note("simple", "error " + e));
fetch("{api}/steps?token=0123456789abcdef0123456789abcdef", {{method: "POST",
      headers: {{"Content-Type": "application/json"}},
      body: JSON.stringify([{{do: "cut", from: "Clark", to: "Jaquez"}}])}})
  .then(r => r.text().then(t => note("json", "read " + t)), e => note("json", "error " + e));
fetch("{api}/state").then(r => r.text().then(t => note("state", "read " + t)),
                          e => note("state", "error " + e));
const events = new EventSource("{api}/events");
events.onmessage = m => note("events", "read " + m.data);
events.onerror = () => {{ note("events_error", true); events.close(); }};
document.getElementById("f").submit();
setTimeout(() => note("done", true), 1500);
</script></body></html>"""


def main():
    herd, out = sys.argv[1], sys.argv[2]
    browser, reason = devtools.open_or_skip()
    if reason:
        print(reason)
        return 77
    os.makedirs(out, exist_ok=True)
    base = free_block(6)
    proc = subprocess.Popen([herd, "up", "--control", "0", "--base-port", str(base),
                             "--places-port", str(base + 5), "--log-dir", ""],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    site = tempfile.mkdtemp()
    server = None
    try:
        url, token = wait_for_live_view(proc)
        threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
        api = LiveApi(url, token)
        with open(os.path.join(site, "index.html"), "w") as f:
            f.write(ATTACK.format(api=url.rstrip("/") + "/api"))
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with browser as b:
            # The teacher's own page is open too, in the same browser.
            b.open(page_url(url, token))
            b.wait_for('.server[data-server="Clark"]')
            b.open(f"http://127.0.0.1:{server.server_address[1]}/")
            if not b.wait_until("return window.results && window.results.done;", 20):
                raise AssertionError("the attacking page did not finish")
            results = b.run("return window.results;")
            b.screenshot(os.path.join(out, "cross-origin-attacker.png"))
        status, text = api.get("api/state")
        state = json.loads(text)
        down = [s["name"] for s in state["servers"] if s["state"] != "up"]
        cut = [(l["from"], l["to"]) for l in state["links"] if l["faults"]["cut"]]
        print("attacking page saw:", json.dumps(results)[:600])
        assert not down, f"a page on another origin crashed {down}"
        assert not cut, f"a page on another origin cut {cut}"
        for key in ("json", "state", "events"):
            assert not str(results.get(key, "")).startswith("read "), \
                f"the page read the herd through {key}: {results[key][:200]}"
    finally:
        if server:
            server.shutdown()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print("cross-origin page in Chromium: no step ran, nothing read")
    return 0


if __name__ == "__main__":
    sys.exit(main())
