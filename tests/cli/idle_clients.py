#!/usr/bin/env python3
"""10,000 idle clients do not lock out the next one.

    python3 idle_clients.py HERD [node|up]

node: `herd node Clark` runs as a user runs it, with Bona as its only neighbour (played by this
test). up: `herd up`'s five servers in one process, the 10,000 all on Clark: the servers share one
budget of descriptors, so one busy server holds what the other four do not use (an even split
closed 6,062 of them under a limit of 20,000). 10,000 clients connect and each sends half a line,
then stays. A new client must still be answered, and its update must reach Bona; the 10,000 must
all still be open. The times and the node's memory are printed (herd bench measures them; this
test only asserts what must hold). Exit 77 (skipped) when the open-file hard limit is too low to
hold 10,000 on both ends."""
import json
import os
import resource
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from up_port_taken import free_block  # noqa: E402

IDLE = 10_000


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    herd = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2] == "up":
        return main_up(herd)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE + 300:
        print(f"SKIP: the open-file hard limit is {hard}; this test needs {IDLE + 300}")
        return 77
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    base = free_block(2)
    bona = socket.socket()
    bona.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    bona.bind(("127.0.0.1", base + 1))
    bona.listen()
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "herd.json")
    with open(config, "w") as f:
        json.dump({"servers": [{"name": "Clark", "port": base}, {"name": "Bona", "port": base + 1}],
                   "links": [["Clark", "Bona"]]}, f)
    node = subprocess.Popen([herd, "node", "Clark", "--config", config, "--log-dir", tmp],
                            stderr=subprocess.PIPE, text=True)
    held = []
    try:
        bona.settimeout(10)
        link, _ = bona.accept()  # Clark's link to Bona: Clark is up
        link.settimeout(10)
        before = rss_kib(node.pid)
        started = time.monotonic()
        for i in range(IDLE):
            s = socket.create_connection(("127.0.0.1", base), timeout=10)
            s.sendall(b"IAMAT half-a-line")
            held.append(s)
        opened = time.monotonic() - started
        # Every half line has been read once a line sent after them is answered on each of a
        # few of them: the node reads connections in the order they became ready.
        probe = held[-1]
        probe.sendall(b" +1+1 1700000000\n")
        probe.settimeout(10)
        assert probe.recv(4096).startswith(b"AT Clark "), "the last idle client was not served"
        after = rss_kib(node.pid)
        t0 = time.monotonic()
        newcomer = socket.create_connection(("127.0.0.1", base), timeout=10)
        newcomer.sendall(b"IAMAT newcomer +34.068930-118.445127 1700000000.5\n")
        newcomer.settimeout(10)
        reply = newcomer.recv(4096)
        answered_ms = (time.monotonic() - t0) * 1000
        ok = reply.startswith(b"AT Clark ") and b" newcomer " in reply
        # Its update floods to Bona.
        flooded = b""
        deadline = time.monotonic() + 10
        while b"newcomer" not in flooded and time.monotonic() < deadline:
            chunk = link.recv(65536)
            if not chunk:
                break
            flooded += chunk
        ok = ok and b"AT Clark " in flooded and b" newcomer " in flooded
        # None of the 10,000 was closed to make room.
        readable, _, _ = select.select(held[:1000], [], [], 0)
        closed = sum(1 for s in readable if s.recv(1, socket.MSG_PEEK) == b"")
        ok = ok and closed == 0
        print(f"{IDLE} idle clients opened in {opened:.2f} s; node RSS {before} -> {after} KiB "
              f"({(after - before) * 1024 / IDLE:.0f} B per idle client); new client answered in "
              f"{answered_ms:.2f} ms; flooded to Bona: {b'newcomer' in flooded}; "
              f"closed among the first 1000: {closed}")
    finally:
        for s in held:
            s.close()
        node.terminate()
        node.wait(timeout=10)
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


def start_up(herd, log_dir):
    """`herd up` on a free block of ports, once Clark says it listens (its own word, however slow
    the build, ASan's included): (process, base port). Its output is drained from then on, so a
    full pipe never stalls it. A block another test took between the probe and the bind makes
    herd up end saying so: another block is tried."""
    for _ in range(3):
        base = free_block(6)
        up = subprocess.Popen([herd, "up", "--base-port", str(base), "--places-port",
                               str(base + 5), "--log-dir", log_dir], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        watchdog = threading.Timer(120, up.kill)  # a herd that never says it listens
        watchdog.start()
        said = []
        for line in up.stderr:
            said.append(line)
            if line.startswith("Clark: START listening"):
                watchdog.cancel()
                threading.Thread(target=lambda: [None for _ in up.stderr], daemon=True).start()
                return up, base
        watchdog.cancel()
        up.wait()
        print(f"herd up on ports {base}-{base + 5} ended before Clark listened (exit "
              f"{up.returncode}): {''.join(said[-3:]).strip()}")
    raise RuntimeError("herd up did not start on three blocks of free ports")


def main_up(herd):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE + 300:
        print(f"SKIP: the open-file hard limit is {hard}; this test needs {IDLE + 300}")
        return 77
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    up, base = start_up(herd, tempfile.mkdtemp())
    clark, bona = base + 3, base + 1
    held = []
    ok = False
    try:
        for i in range(IDLE):
            s = socket.create_connection(("127.0.0.1", clark), timeout=10)
            s.sendall(b"IAMAT half-a-line")
            held.append(s)
        probe = held[-1]
        probe.sendall(b" +1+1 1700000000\n")
        probe.settimeout(10)
        assert probe.recv(4096).startswith(b"AT Clark "), "the last idle client was not served"
        newcomer = socket.create_connection(("127.0.0.1", clark), timeout=10)
        newcomer.sendall(b"IAMAT newcomer +34.068930-118.445127 1700000000.5\n")
        newcomer.settimeout(10)
        ok = newcomer.recv(4096).startswith(b"AT Clark ")
        flooded = False
        deadline = time.monotonic() + 10
        while not flooded and time.monotonic() < deadline:
            with socket.create_connection(("127.0.0.1", bona), timeout=10) as s:
                s.sendall(b"WHATSAT newcomer 10 1\n")
                flooded = s.recv(4096).startswith(b"AT Clark ")
            time.sleep(0.1)
        # select() takes descriptors below 1024 only: poll every one of the 10,000.
        poller = select.poll()
        for s in held:
            poller.register(s, select.POLLIN)
        readable = {fd for fd, _ in poller.poll(0)}
        closed = sum(1 for s in held
                     if s.fileno() in readable and s.recv(1, socket.MSG_PEEK) == b"")
        ok = ok and flooded and closed == 0
        print(f"herd up: {IDLE} idle clients on Clark; new client answered: {ok}; flooded to "
              f"Bona: {flooded}; closed to make room: {closed}")
    finally:
        for s in held:
            s.close()
        up.terminate()
        up.wait(timeout=10)
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
