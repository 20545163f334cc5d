#!/usr/bin/env python3
"""Runs the shipped scenarios against a herd of server processes with `herd sim --herd-cmd`, and
checks which pass and which fail, that each failure names the update a server lacks or holds
instead, and that the conformance findings are those the variant's replies call for. The herds:
the small Python herd beside this file, with none or one of its switches, or `herd node`
processes.

    python3 tests/student_herd/check_matrix.py HERD VARIANT
VARIANT: one of VARIANTS below.
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
FIVE = ["course-grader", "equal-timestamps", "flapping-link", "flood-from-each-origin",
        "hostile-input", "kill-every-pair", "latency-reorder", "nanosecond-apart",
        "partition-heal-classic", "partition-heal", "restart-neighbours-in-turn",
        "restart-recovers", "sliced-writes", "slow-links", "slow-places"]
HARD_CODED = "Bailey=10000,Bona=10001,Campbell=10002,Clark=10003,Jaquez=10004"


def variant(fails=(), findings=(), absent=(), scenarios=None, cost=8.0, hard_coded=False):
    """fails: the scenarios its defect breaks; findings: conformance findings that must appear
    (substrings); absent: findings that must not; scenarios: the ones run (default: all);
    cost: AT messages per update, one at a time (None: not measured); hard_coded: ports written
    in the code, run unmodified with --herd-ports, each server in a network namespace."""
    return {"fails": set(fails), "findings": list(findings), "absent": list(absent),
            "scenarios": scenarios, "cost": cost, "hard_coded": hard_coded}


NO_FINDINGS = ["no newline", "fractional digits", "came back changed", "as the origin"]

VARIANTS = {
    "correct": variant(absent=NO_FINDINGS),
    "herd-node": variant(absent=NO_FINDINGS),
    # Nothing is resent: a restarted server never learns what it missed, and updates sent into a
    # partition are lost for good.
    "no-recovery": variant(fails={"kill-every-pair", "partition-heal",
                                  "restart-neighbours-in-turn", "restart-recovers"},
                           scenarios=FIVE),
    # Echoes cost messages but break nothing: the receiver drops what it already holds.
    "flood-back": variant(cost=12.0, scenarios=FIVE),
    # Two updates a nanosecond apart tie as doubles; the name rule then picks the older one.
    "float-time": variant(fails={"nanosecond-apart"}, scenarios=FIVE),
    # Equal timestamps: each server keeps whichever arrived first.
    "no-tiebreak": variant(fails={"equal-timestamps"}, scenarios=FIVE),
    # A reply without its newline, the connection closed after it: the same reply to a client
    # that reads to EOF, as the course's grader does. Nothing fails; the form is a finding.
    "no-newline": variant(findings=["reply has no newline"], scenarios=FIVE),
    # One read per connection: fine for one line per connection, but a flood that arrives in
    # pieces (sliced writes) is read as its first piece and the update is lost.
    # (Its floods carry no greeting, so a receiver cannot tell the sender from the origin and
    # echoes some back: the cost of one update is not the plain 8.)
    "one-read": variant(fails={"sliced-writes"}, scenarios=FIVE, cost=None),
    # str(float): a finding, not a failure.
    "float-skew": variant(findings=["fractional digits"], absent=["came back changed"],
                          scenarios=FIVE),
    # The timestamp echoed through a float: two updates a nanosecond apart become one.
    "float-echo": variant(fails={"nanosecond-apart"}, findings=["came back changed"],
                          scenarios=FIVE),
    # Character 4 of the line: every later update of a client from a server whose name has the
    # same second letter is dropped. What breaks is every check after a second update.
    "char-dedupe": variant(fails={"equal-timestamps", "nanosecond-apart", "hostile-input",
                                  "restart-recovers"},
                           scenarios=["course-grader", "equal-timestamps", "nanosecond-apart",
                                      "hostile-input", "restart-recovers"]),
    # Flooding to the origin's neighbours: Clark's updates never reach Bailey or Campbell.
    "origin-neighbours": variant(fails={"course-grader", "flood-from-each-origin",
                                        "nanosecond-apart"},
                                 scenarios=["course-grader", "flood-from-each-origin",
                                            "nanosecond-apart"],
                                 cost=None, hard_coded=True),
    # Places API (New): a modern key's only API; nothing fails.
    "places-new": variant(scenarios=FIVE),
    # Ports and neighbours in the code, run unmodified: each server in a network namespace of
    # its own, Herd's proxies on its neighbours' ports, so every link fault still applies.
    "hard-coded-ports": variant(scenarios=FIVE, hard_coded=True, absent=NO_FINDINGS),
}

# 50 interpreters take some 40 s on two cores; the ring runs against the correct herd and herd
# node, and the switches are checked on the five-server scenarios.


def command_for(herd, name):
    if name == "herd-node":
        return (f"{herd} node {{name}} --config {{config}} --places-url {{places_url}} "
                f"--log-dir {{dir}} {{classic}}")
    switch = "" if name == "correct" else f"--{name}"
    where = "--hard-coded-ports " if VARIANTS[name]["hard_coded"] else "--config {config} "
    return (f"{sys.executable} {HERE}/server.py {{name}} {where}--places-url {{places_url}} "
            f"--places-new-url {{places_new_url}} {{classic}} {switch}")


def extra_flags(name):
    return ["--herd-ports", HARD_CODED] if VARIANTS[name]["hard_coded"] else []


def one_at_a_time_cost(herd, name):
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
        subprocess.run([herd, "sim", path, "--report-dir", tmp, *extra_flags(name),
                        "--herd-cmd", command_for(herd, name)],
                       capture_output=True, text=True, timeout=300)
        with open(os.path.join(tmp, "one-at-a-time.report.json")) as f:
            report = json.load(f)
    return report["metrics"]["messages_per_update"] if report["passed"] else None


def main():
    herd, name = os.path.abspath(sys.argv[1]), sys.argv[2]
    if name not in VARIANTS:
        print(f"unknown variant {name}; one of {', '.join(VARIANTS)}")
        return 2
    v = VARIANTS[name]
    files = sorted(glob.glob(os.path.join(SCENARIOS, "*.json")))
    if v["scenarios"] is not None:
        files = [f for f in files if os.path.basename(f)[:-5] in v["scenarios"]]
    with tempfile.TemporaryDirectory(prefix="herd-matrix-") as reports:
        run = subprocess.run([herd, "sim", *files, "--report-dir", reports, *extra_flags(name),
                              "--herd-cmd", command_for(herd, name)],
                             capture_output=True, text=True, timeout=1500)
        failed, unnamed, inconclusive, per_update, findings = set(), [], [], {}, []
        for path in glob.glob(os.path.join(reports, "*.report.json")):
            with open(path) as f:
                report = json.load(f)
            scenario = report["scenario"]
            per_update[scenario] = report["metrics"]["messages_per_update"]
            findings += report.get("conformance_findings", [])
            if report["verdict"] == "inconclusive":
                inconclusive.append(scenario)
            if report["passed"]:
                continue
            failed.add(scenario)
            # A failed check names an update by its AT line.
            messages = " ".join(s["message"] for s in report["steps"] if not s["ok"])
            if not re.search(r'(lacks the update|lost update:|holds) "AT \S+ ', messages):
                unnamed.append(f"{scenario}: {messages[:300]}")
    problems = []
    if failed != v["fails"]:
        problems.append(f"failed {sorted(failed)}, expected {sorted(v['fails'])}")
    problems += [f"a failure that names no update: {u}" for u in unnamed]
    problems += [f"inconclusive: {s}" for s in inconclusive]
    for want in v["findings"]:
        if not any(want in f for f in findings):
            problems.append(f"no conformance finding says \"{want}\" (found: {findings[:4]})")
    for unwanted in v["absent"]:
        problems += [f"a finding it should not have: {f}" for f in findings if unwanted in f]
    if len(per_update) != len(files):
        problems.append(f"{len(per_update)} reports for {len(files)} scenarios (exit {run.returncode})")
    cost = None
    if v["cost"] is not None:
        # One update at a time, each left to spread before the next: on six links and five
        # servers a flood costs exactly 8 messages (the origin tells its neighbours, every other
        # server tells its neighbours but the one it heard from), and 12 with every echo.
        cost = one_at_a_time_cost(herd, name)
        if cost != v["cost"]:
            problems.append(f"one update at a time should cost {v['cost']} messages each, measured {cost}")
    # The problems first and last: a CI log that keeps only a failure's first lines shows them.
    for p in problems:
        print("PROBLEM:", p)
    print(run.stdout[-20000:])
    for p in problems:
        print("PROBLEM:", p)
    if problems:
        return 1
    print(f"{name}: {len(files) - len(failed)} passed, failed exactly {sorted(failed) or 'none'}"
          + (f"; one update at a time costs {cost} messages" if cost is not None else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
