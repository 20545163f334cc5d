#!/usr/bin/env python3
"""--herd-ports with --herd-net shared: servers whose ports are fixed in their code run on this
machine's loopback with no proxy between them;
a scenario of server faults runs and passes, one with a link fault is skipped before anything
starts, naming the step; the run exits 0.

    python3 tests/cli/herd_ports.py HERD SCENARIOS_DIR
"""
import os
import socket
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def main():
    herd, scenarios = sys.argv[1], sys.argv[2]
    names = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]
    ports = ",".join(f"{n}={p}" for n, p in zip(names, free_ports(5)))
    command = (f"{sys.executable} {HERE}/../student_herd/server.py {{name}} --config {{config}} "
               "--places-url {places_url} {classic}")
    run = subprocess.run([herd, "sim", f"{scenarios}/restart-recovers.json",
                          f"{scenarios}/partition-heal.json", "--report-dir", "",
                          "--herd-ports", ports, "--herd-net", "shared", "--herd-cmd", command],
                         capture_output=True, text=True, timeout=300)
    print(run.stdout[-3000:])
    ok = (run.returncode == 0 and "herd sim: 1 passed, 0 failed, 1 skipped" in run.stdout
          and "skipped: steps[2] (partition" in run.stdout)
    print("ok" if ok else f"FAILED (exit {run.returncode})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
