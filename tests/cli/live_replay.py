#!/usr/bin/env python3
"""`herd sim --serve 0 --replay TRACE` plays a saved trace in the live view.

Writes a trace with a virtual run, replays it, and checks that /api/state names the trace's
servers and links, that /api/events brings its lines in order (each sent line that arrives followed
by a "due" line saying when, from the trace's own delivered line), and that steps are refused.
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
        got, dues = [], []
        with api.events(timeout=30) as r:
            for raw in r:
                text = raw.decode().rstrip("\n")
                if text.startswith("data: "):
                    line = text[6:]
                    (dues if line.split(" ")[1] == "due" else got).append(line)
                if len(got) >= 200:
                    break
        assert got == lines[:200], "the replay's events are not the trace's lines in order"
        # Each "due" line: a message sent then, arriving when the trace delivers it.
        delivered = {l.split(" ")[2]: l.split(" ")[0] for l in lines if l.split(" ")[1] == "delivered"}
        sent = {l.split(" ")[2]: l.split(" ")[0] for l in lines if l.split(" ")[1] == "sent"}
        assert dues, "no due lines in the replay's events"
        for due in dues:
            at, _, ident, when = due.split(" ")
            assert sent.get(ident) == at and delivered.get(ident) == when, due
        status, out = api.post("api/steps", {"do": "heal"})
        assert status == 400 and "replay" in out["error"], (status, out)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
    print(f"replay: {len(lines)} lines; state, the first 200 events and the refusal as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
