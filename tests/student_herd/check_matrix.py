#!/usr/bin/env python3
"""Runs the shipped scenarios against a herd of server processes with `herd sim --herd-cmd`, and
checks which pass and which fail, and that each failure names the update a server lacks or holds
instead. The herds: the small Python herd beside this file, with none or one of its defect
switches, or `herd node` processes.

    python3 tests/student_herd/check_matrix.py HERD VARIANT
VARIANT: correct | no-recovery | flood-back | float-time | no-tiebreak | herd-node
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIOS = os.path.join(HERE, "..", "..", "scenarios")

# What each defect breaks, and why.
EXPECTED_FAILURES = {
    "correct": set(),
    "herd-node": set(),
    # Nothing is resent: a restarted server never learns what it missed, and updates sent into a
    # partition are lost for good.
    "no-recovery": {"kill-every-pair", "partition-heal", "restart-neighbours-in-turn",
                    "restart-recovers"},
    # Echoes cost messages but break nothing: the receiver drops what it already holds.
    "flood-back": set(),
    # Two updates a nanosecond apart tie as doubles; the name rule then picks the older one.
    "float-time": {"nanosecond-apart"},
    # Equal timestamps: each server keeps whichever arrived first.
    "no-tiebreak": {"equal-timestamps"},
}

# 50 interpreters take some 40 s on two cores; the ring runs against the correct herd and herd
# node, and the switches are checked on the five-server scenarios.
FIVE_SERVER_ONLY = {"no-recovery", "flood-back", "float-time", "no-tiebreak"}


def one_at_a_time_cost(herd, command):
    # First the time for a server's pull of its neighbours at start (the Python herd's recovery)
    # to end, so that what it brings back is not counted.
    steps = [{"do": "wait", "ms": 1500}]
    for i, server in enumerate(["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]):
        steps += [{"do": "send", "node": server, "line": f"IAMAT solo-{i} +1+1 {{now}}", "expect": "at"},
                  {"do": "expect_converged", "within_ms": 5000}]
    with tempfile.TemporaryDirectory(prefix="herd-solo-") as tmp:
        path = os.path.join(tmp, "one-at-a-time.json")
        with open(path, "w") as f:
            json.dump({"name": "one-at-a-time", "steps": steps}, f)
        subprocess.run([herd, "sim", path, "--report-dir", tmp, "--herd-cmd", command],
                       capture_output=True, text=True, timeout=300)
        with open(os.path.join(tmp, "one-at-a-time.report.json")) as f:
            report = json.load(f)
    return report["metrics"]["messages_per_update"] if report["passed"] else None


def main():
    herd, variant = os.path.abspath(sys.argv[1]), sys.argv[2]
    if variant not in EXPECTED_FAILURES:
        print(f"unknown variant {variant}; one of {', '.join(EXPECTED_FAILURES)}")
        return 2
    if variant == "herd-node":
        command = f"{herd} node {{name}} --config {{config}} --places-url {{places_url}} --log-dir {{dir}} {{classic}}"
    else:
        switch = "" if variant == "correct" else f"--{variant}"
        command = (f"{sys.executable} {HERE}/server.py {{name}} --config {{config}} "
                   f"--places-url {{places_url}} {{classic}} {switch}")
    files = sorted(glob.glob(os.path.join(SCENARIOS, "*.json")))
    if variant in FIVE_SERVER_ONLY:
        files = [f for f in files if not f.endswith("ring-50.json")]
    with tempfile.TemporaryDirectory(prefix="herd-matrix-") as reports:
        run = subprocess.run([herd, "sim", *files, "--report-dir", reports, "--herd-cmd", command],
                             capture_output=True, text=True, timeout=900)
        print(run.stdout[-20000:])
        failed, unnamed, per_update = set(), [], {}
        for path in glob.glob(os.path.join(reports, "*.report.json")):
            with open(path) as f:
                report = json.load(f)
            name = report["scenario"]
            per_update[name] = report["metrics"]["messages_per_update"]
            if report["passed"]:
                continue
            failed.add(name)
            # A failed convergence check names an update by its AT line.
            messages = " ".join(s["message"] for s in report["steps"] if not s["ok"])
            if not re.search(r'(lacks the update|lost update|holds) "AT \S+ ', messages):
                unnamed.append(f"{name}: {messages[:300]}")
    expected = EXPECTED_FAILURES[variant]
    problems = []
    if failed != expected:
        problems.append(f"failed {sorted(failed)}, expected {sorted(expected)}")
    problems += [f"a failure that names no update: {u}" for u in unnamed]
    # One update at a time, each left to spread before the next: on six links and five servers a
    # flood costs exactly 8 messages (the origin tells its neighbours, every other server tells
    # its neighbours but the one it heard from), and 12 with every echo.
    cost = one_at_a_time_cost(herd, command)
    want = 12.0 if variant == "flood-back" else 8.0
    if cost != want:
        problems.append(f"one update at a time should cost {want} messages each, measured {cost}")
    if len(per_update) != len(files):
        problems.append(f"{len(per_update)} reports for {len(files)} scenarios (exit {run.returncode})")
    for p in problems:
        print("PROBLEM:", p)
    if problems:
        return 1
    print(f"{variant}: {len(files) - len(failed)} passed, failed exactly {sorted(failed) or 'none'}; "
          f"one update at a time costs {cost} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
