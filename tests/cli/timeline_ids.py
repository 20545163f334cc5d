#!/usr/bin/env python3
"""The timeline draws each message from its own sender to its own receiver.

Runs a scenario with latency and jitter (messages overtake each other's copies) on the network
given, then reads the SVG: every arrow's title names its message id FROM>TO#CONNECTION.LINE, and
the arrow must start on FROM's lane and end on TO's lane. With no fault that loses messages in
the scenario, no message may be drawn as lost (grey stubs, on their way when the run ended, are
not arrows).
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
             for m in re.finditer(r'<text x="10" y="([0-9.]+)">([A-Za-z0-9]+)</text>', svg)}
    arrows = re.findall(r'<line x1="[0-9.]+" y1="([0-9.]+)" x2="[0-9.]+" y2="([0-9.]+)" '
                        r'stroke="(#[0-9a-f]+)"[^>]*><title>([A-Za-z0-9]+)&gt;([A-Za-z0-9]+)#', svg)
    problems = []
    for y1, y2, colour, sender, receiver in arrows:
        if colour == "#c0392b":
            problems.append(f"{sender}>{receiver}: drawn as lost")
            continue
        if colour == "#999999":
            continue  # on its way when the run ended: a stub on its sender's lane
        if abs(float(y1) - lanes[sender]) > 0.5 or abs(float(y2) - lanes[receiver]) > 0.5:
            problems.append(f"{sender}>{receiver}: drawn from lane {y1} to {y2}")
    print(f"{len(arrows)} arrows, {len(problems)} problems")
    for p in problems[:10]:
        print("  " + p)
    return 1 if problems or len(arrows) < 50 else 0


if __name__ == "__main__":
    sys.exit(main())
