#!/usr/bin/env python3
"""The timeline draws each message from its own sender to its own receiver.

Runs a scenario with latency and jitter (messages overtake each other's copies) on the network
given, then reads the SVG: every message's title names its id FROM>TO#CONNECTION.LINE, and a
delivered message's line must start on FROM's lane and end on TO's lane. With no fault that loses
messages in the scenario, none may be drawn as lost (grey stubs, on their way when the run ended,
are not arrows). The picture also carries time ticks, a legend and the topology sketch.
"""
import re
import subprocess
import sys
import tempfile


def main():
    herd, scenario, network = sys.argv[1], sys.argv[2], sys.argv[3]
    out = tempfile.mkdtemp()
    run = subprocess.run([herd, "sim", scenario, "--net", network, "--report-dir", out],
                         capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        print(run.stdout, run.stderr)
        return 1
    name = re.search(r'"name"\s*:\s*"([^"]+)"', open(scenario).read()).group(1)
    svg = open(f"{out}/{name}.timeline.svg", encoding="utf-8").read()
    lanes = {m.group(2): float(m.group(1)) - 4
             for m in re.finditer(r'<text x="10" y="([0-9.]+)"[^>]*>([A-Za-z0-9]+)</text>', svg)}
    messages = re.findall(r'<g class="msg ([a-z ]+)"><line x1="[0-9.]+" y1="([0-9.]+)" '
                          r'x2="[0-9.]+" y2="([0-9.]+)"[^>]*/>.*?<title>([A-Za-z0-9]+)&gt;'
                          r'([A-Za-z0-9]+)#', svg)
    problems = []
    kinds = {}
    for classes, y1, y2, sender, receiver in messages:
        kind = classes.split()[0]
        kinds[classes] = kinds.get(classes, 0) + 1
        if kind == "lost":
            problems.append(f"{sender}>{receiver}: drawn as lost")
        elif kind == "delivered" and (abs(float(y1) - lanes[sender]) > 0.5 or
                                      abs(float(y2) - lanes[receiver]) > 0.5):
            problems.append(f"{sender}>{receiver}: drawn from lane {y1} to {y2}")
    for needed in ("Legend", 'class="topology"', " ms</text>"):
        if needed not in svg:
            problems.append(f"no {needed} in the picture")
    print(f"{len(messages)} messages {kinds}, {len(problems)} problems")
    for p in problems[:10]:
        print("  " + p)
    return 1 if problems or kinds.get("delivered stored", 0) < 20 else 0


if __name__ == "__main__":
    sys.exit(main())
