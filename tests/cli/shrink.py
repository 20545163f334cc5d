#!/usr/bin/env python3
"""Shrinking failing runs, as a user meets it:
  1. a classic explore run on the virtual network fails, explore shrinks it, and the shrunk file
     has fewer steps and still fails when replayed, naming the server that lacks the update;
  2. `herd sim --shrink FILE` against the Python test herd without recovery takes a padded restart
     scenario down to one update, the crash, the restart and the check, each candidate failing
     3 runs of 3, and leaves FILE as it was.

    python3 tests/cli/shrink.py HERD
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_HERD = os.path.join(HERE, "..", "student_herd", "server.py")


def run(args, timeout=600):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def steps_of(path):
    with open(path) as f:
        return json.load(f)["steps"]


def check(condition, what, output=""):
    if not condition:
        print("FAILED:", what)
        print(output[-4000:])
        sys.exit(1)


def main():
    herd = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="herd-shrink-") as tmp:
        # 1. Explore finds and shrinks.
        out = run([herd, "sim", "--explore", "--runs", "3", "--classic", "--report-dir", tmp])
        found = sorted(p for p in glob.glob(os.path.join(tmp, "explore-*.json")) if ".shrunk." not in p)
        check(found, "classic explore found no failing run", out.stdout)
        original = found[0]
        shrunk = original[:-len(".json")] + ".shrunk.json"
        check(os.path.exists(shrunk), f"explore wrote no {shrunk}", out.stdout)
        check(len(steps_of(shrunk)) < len(steps_of(original)),
              f"{shrunk} has {len(steps_of(shrunk))} steps, the original {len(steps_of(original))}")
        replay = run([herd, "sim", shrunk, "--net", "virtual", "--report-dir", ""])
        check(replay.returncode == 1 and "lacks the update" in replay.stdout,
              "the shrunk explore run does not fail naming the update", replay.stdout)
        print(f"explore: {os.path.basename(original)} {len(steps_of(original))} -> "
              f"{len(steps_of(shrunk))} steps, and the replay fails")

        # 2. --shrink against server processes.
        scenario = os.path.join(tmp, "padded-restart.json")
        padded = {"name": "padded-restart", "steps": [
            {"do": "send", "node": "Clark", "line": "IAMAT early +1+1 {now}", "expect": "at"},
            {"do": "wait", "ms": 200},
            {"do": "crash", "node": "Bona"},
            {"do": "send", "node": "Jaquez", "line": "IAMAT missed +2+2 {now}", "expect": "at"},
            {"do": "wait", "ms": 100},
            {"do": "restart", "node": "Bona"},
            {"do": "pause", "node": "Bailey"},
            {"do": "resume", "node": "Bailey"},
            {"do": "expect_converged", "within_ms": 1000}]}
        with open(scenario, "w") as f:
            json.dump(padded, f)
        before = open(scenario).read()
        command = (f"{sys.executable} {PYTHON_HERD} {{name}} --config {{config}} "
                   "--places-url {places_url} {classic} --no-recovery")
        out = run([herd, "sim", "--shrink", scenario, "--report-dir", "", "--herd-cmd", command])
        check(out.returncode == 0, f"--shrink exited {out.returncode}", out.stdout + out.stderr)
        check(open(scenario).read() == before, "--shrink changed the file it was given")
        result = steps_of(os.path.join(tmp, "padded-restart.shrunk.json"))
        kinds = [s["do"] for s in result]
        # Either update shows the bug: the one Bona missed while down, or the one it lost.
        check(len(kinds) == 4 and kinds.count("send") == 1 and kinds[-1] == "expect_converged"
              and kinds.index("crash") < kinds.index("restart"), f"shrunk to {kinds}", out.stdout)
        check("runs of 3" in out.stdout and " -> 4 steps in " in out.stdout,
              "no summary line", out.stdout)
        summary = [line for line in out.stdout.splitlines() if " -> " in line][0]
        print(f"--shrink against the Python herd: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
