#!/usr/bin/env python3
"""The CLI given hostile or broken surroundings, against the real binary: each ends in an honest
error (exit 2, saying what really failed) or a server that keeps serving, never a crash.

- `herd node ... 2>&1 | head -1`: the pipe closes, the next stderr note must not kill the node;
- a log directory that cannot be made says so (not "cannot listen");
- a full disk (the log is /dev/full) is said on stderr, and the node keeps answering;
- --control-bind with something that is not an address, or an address not of this machine;
- a config nested 100,000 deep, an endless config (/dev/zero), a scenario nested as deep;
- a server name with markup in a config, and in a trace given to --replay.
    python3 hostile_cli.py HERD
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from up_port_taken import free_block  # noqa: E402


def usage_error(herd, args, *expected):
    r = subprocess.run([herd] + args, capture_output=True, text=True, timeout=60)
    said = r.stderr.strip()
    assert r.returncode == 2, f"herd {' '.join(args)[:80]}: exit {r.returncode}, {said[:300]}"
    for text in expected:
        assert text in said, f"herd {' '.join(args)[:80]}: {said[:300]!r} lacks {text!r}"
    return said


def ask(port, line):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(line.encode() + b"\n")
        return s.recv(4096).decode()


def wait_for_port(port, seconds=10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def one_server_config(tmp, name="Clark"):
    port = free_block(1)
    config = os.path.join(tmp, "one.json")
    with open(config, "w") as f:
        json.dump({"servers": [{"name": name, "port": port}], "links": []}, f)
    return config, port


def check_closed_pipe(herd, tmp):
    config, port = one_server_config(tmp)
    # As `herd node Clark 2>&1 | head -1`: the reader takes one line and goes.
    node = subprocess.Popen([herd, "node", "Clark", "--config", config, "--log-dir", "",
                             "--max-line-bytes", "64"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        node.stdout.readline()
        node.stdout.close()
        assert wait_for_port(port)
        for _ in range(3):  # each over-long line is a LIMIT note on stderr, into a closed pipe
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"x" * 200 + b"\n")
                s.recv(4096)
        time.sleep(0.3)
        assert node.poll() is None, f"the node died with exit {node.returncode}"
        assert ask(port, "IAMAT piped +1+1 1700000000").startswith("AT Clark ")
    finally:
        node.kill()
        node.wait()
    print("closed pipe: the node outlived its stderr reader")


def check_log_errors(herd, tmp):
    config, port = one_server_config(tmp)
    blocker = os.path.join(tmp, "a-file")
    open(blocker, "w").close()
    said = usage_error(herd, ["node", "Clark", "--config", config, "--log-dir",
                              os.path.join(blocker, "logs")], "log directory")
    assert "cannot listen" not in said, said
    # A full disk: every log write fails with ENOSPC.
    full = os.path.join(tmp, "full")
    os.mkdir(full)
    os.symlink("/dev/full", os.path.join(full, "Clark.log"))
    node = subprocess.Popen([herd, "node", "Clark", "--config", config, "--log-dir", full],
                            stderr=subprocess.PIPE)
    try:
        assert wait_for_port(port)
        assert ask(port, "IAMAT disk +1+1 1700000000").startswith("AT Clark ")
        deadline = time.monotonic() + 5
        said = ""
        os.set_blocking(node.stderr.fileno(), False)
        while "No space left" not in said and time.monotonic() < deadline:
            chunk = node.stderr.read()
            said += (chunk or b"").decode(errors="replace")
            time.sleep(0.1)
        assert "No space left on device" in said and "lost" in said, said[-500:]
        assert ask(port, "IAMAT disk +2+2 1700000001").startswith("AT Clark ")
    finally:
        node.kill()
        node.wait()
    print("logs: an unusable directory and a full disk are said as such")


def check_control_bind(herd):
    usage_error(herd, ["up", "--control", "0", "--control-bind", "999.0.0.1"],
                "expected an IP address")
    usage_error(herd, ["sim", "--serve", "0", "--control-bind", "not an address", "x.json"],
                "expected an IP address")
    base = free_block(6)
    said = usage_error(herd, ["up", "--control", "0", "--control-bind", "192.0.2.1",
                              "--base-port", str(base), "--places-port", str(base + 5)],
                       "Cannot assign requested address")
    assert "already in use" not in said, said
    print("control-bind: a non-address and a foreign address are said as such")


def check_files(herd, tmp):
    deep = os.path.join(tmp, "deep.json")
    with open(deep, "w") as f:
        f.write("[" * 100000)
    usage_error(herd, ["up", "--config", deep, "--check"], "nested more than 64")
    usage_error(herd, ["up", "--config", "/dev/zero", "--check"], "larger than")
    usage_error(herd, ["sim", deep], "nested more than 64")
    marked = os.path.join(tmp, "marked.json")
    with open(marked, "w") as f:
        json.dump({"servers": [{"name": "<img src=x onerror=alert(1)>", "port": 14000}],
                   "links": []}, f)
    usage_error(herd, ["up", "--config", marked, "--check"], "letters, digits")
    with open(marked, "w") as f:
        json.dump({"servers": [{"name": "nul\u0000byte", "port": 14000}], "links": []}, f)
    usage_error(herd, ["up", "--config", marked, "--check"], "letters, digits")
    trace = os.path.join(tmp, "marked.trace")
    with open(trace, "w") as f:
        f.write("0.000001 stored <script>alert(1)</script> AT x +0.1 c +1+1 1\n")
    usage_error(herd, ["sim", "--serve", "0", "--replay", trace], "letters, digits")
    print("files: nesting, endless input and markup in names refused with the field")


def main():
    herd = sys.argv[1]
    tmp = tempfile.mkdtemp()
    check_closed_pipe(herd, tmp)
    check_log_errors(herd, tmp)
    check_control_bind(herd)
    check_files(herd, tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
