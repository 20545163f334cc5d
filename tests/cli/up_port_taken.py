#!/usr/bin/env python3
"""`herd up` with one of its ports taken: one line naming the server, the address and the reason,
exit status 2 within a second, and no process left behind."""
import random
import socket
import subprocess
import sys
import tempfile
import time


def block_is_free(base, count):
    for port in range(base, base + count):
        s = socket.socket()
        # As the servers bind: a port whose earlier listener's connections sit in TIME_WAIT is
        # free to them.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True


_next_base = None  # where this process's next block starts looking


def lowest_ephemeral_port():
    """Where the kernel's range of ports for outgoing connections starts (ip_local_port_range)."""
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        return int(f.read().split()[0])


def free_block(count):
    """A block of free ports below the kernel's ephemeral range: no client socket of another test
    running beside this one (ctest -j2) takes a local port there, so a port of the block is free
    or held only as this test says (a block in that range once failed the check at the end).
    Several tests share this: each process starts at a random place and never hands out a block
    twice, so a retry after a block was taken between the check and the bind gets another one."""
    global _next_base
    first, last = 20000, lowest_ephemeral_port() - count
    if _next_base is None:
        _next_base = random.randrange(first, last)
    for _ in range((last - first) // count + 1):
        base = _next_base
        _next_base = base + count if base + count <= last else first
        if block_is_free(base, count):
            return base
    raise SystemExit("no free block of ports below the ephemeral range")


def main():
    herd = sys.argv[1]
    base = free_block(5)
    squatter = socket.socket()
    squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    squatter.bind(("127.0.0.1", base + 2))  # Campbell's port
    squatter.listen()
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as logs:
        proc = subprocess.Popen([herd, "up", "--base-port", str(base), "--log-dir", logs],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            print("FAIL: herd up still running after 5 s with its port taken")
            return 1
    took = time.monotonic() - started
    lines = [l for l in err.splitlines() if l.strip()]
    print(f"exit {proc.returncode} after {took:.3f} s; stderr: {lines}")
    ok = proc.returncode == 2 and took < 1.0 and len(lines) == 1
    ok = ok and "Campbell" in lines[0] and f"127.0.0.1:{base + 2}" in lines[0]
    ok = ok and "in use" in lines[0]
    # Nothing left behind: the other four ports are free again to a server (a listener still
    # open would refuse the bind; connections of its own links in TIME_WAIT would not).
    for port in (base, base + 1, base + 3, base + 4):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            print(f"FAIL: port {port} is still held")
            ok = False
        s.close()
    print("ok" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
