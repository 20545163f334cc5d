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

from live_address import wait_for_live_view


def main():
    herd, scenario = sys.argv[1], sys.argv[2]
    trace = os.path.join(tempfile.mkdtemp(), "run.trace")
    subprocess.run([herd, "sim", scenario, "--net", "virtual", "--report-dir", "", "--trace", trace],
                   check=True, capture_output=True)
    lines = [l for l in open(trace).read().splitlines() if l and not l.startswith("#")]
    proc = subprocess.Popen([herd, "sim", "--serve", "0", "--replay", trace], stdout=subprocess.PIPE,
                            text=True)
    try:
        url = wait_for_live_view(proc)[0]
        with urllib.request.urlopen(url + "api/state", timeout=10) as r:
            state = json.loads(r.read())
        assert state["replay"] and len(state["servers"]) == 5, state["servers"]
        assert len(state["links"]) == 12, len(state["links"])
        got = []
        with urllib.request.urlopen(url + "api/events", timeout=30) as r:
            for raw in r:
                text = raw.decode().rstrip("\n")
                if text.startswith("data: "):
                    got.append(text[6:])
                if len(got) >= 200:
                    break
        assert got == lines[:200], "the replay's events are not the trace's lines in order"
        req = urllib.request.Request(url + "api/steps", data=b'{"do": "heal"}', method="POST")
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("a step was taken during a replay")
        except urllib.error.HTTPError as e:
            assert e.code == 400 and "replay" in json.loads(e.read())["error"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print(f"replay: {len(lines)} lines; state, the first 200 events and the refusal as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
