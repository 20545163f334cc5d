#!/usr/bin/env python3
"""`herd sim --serve 0 --replay TRACE` plays a saved trace in the live view.

Writes a trace with a virtual run, replays it, and checks that /api/state names the trace's
servers and links, that /api/events brings its lines in order, and that steps are refused.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from live_address import LiveApi, wait_for_live_view


def main():
    herd, scenario = sys.argv[1], sys.argv[2]
    trace = os.path.join(tempfile.mkdtemp(), "run.trace")
    subprocess.run([herd, "sim", scenario, "--net", "virtual", "--report-dir", "", "--trace", trace],
                   check=True, capture_output=True)
    lines = [l for l in open(trace).read().splitlines() if l and not l.startswith("#")]
    proc = subprocess.Popen([herd, "sim", "--serve", "0", "--replay", trace], stdout=subprocess.PIPE,
                            text=True)
    try:
        api = LiveApi(*wait_for_live_view(proc))
        assert api.token, "no token printed"
        status, text = api.get("api/state")
        state = json.loads(text)
        assert state["replay"] and len(state["servers"]) == 5, state["servers"]
        assert len(state["links"]) == 12, len(state["links"])
        got = []
        with api.events(timeout=30) as r:
            for raw in r:
                text = raw.decode().rstrip("\n")
                if text.startswith("data: "):
                    got.append(text[6:])
                if len(got) >= 200:
                    break
        assert got == lines[:200], "the replay's events are not the trace's lines in order"
        status, out = api.post("api/steps", {"do": "heal"})
        assert status == 400 and "replay" in out["error"], (status, out)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print(f"replay: {len(lines)} lines; state, the first 200 events and the refusal as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
