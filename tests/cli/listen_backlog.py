#!/usr/bin/env python3
"""The mock Places and the live view listen with a backlog a herd's burst fits in.

cpp-httplib listens with a backlog of 5 unless told otherwise. Fifty servers asking the mock
Places at once then overflowed it: the kernel dropped SYNs (TcpExtListenOverflows), and each
dropped connect was retried a second later, so a ring of fifty `herd node` processes read as
converging in 1.1 s or 3.3 s instead of 0.1 s. The backlog each listening socket was given is
read from the kernel (sock_diag netlink, as `ss -lt` does) and must be the one Herd asks for,
as far as net.core.somaxconn allows.

    python3 tests/cli/listen_backlog.py HERD
"""
import os
import re
import signal
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from live_address import wait_for_live_view  # noqa: E402

WANTED = 1024  # CPPHTTPLIB_LISTEN_BACKLOG in CMakeLists.txt
NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY = 4, 20
NLM_F_REQUEST, NLM_F_DUMP, NLMSG_DONE, NLMSG_ERROR = 1, 0x300, 3, 2
TCP_LISTEN = 10


def listen_backlog(port):
    """The backlog of the TCP socket listening on 127.0.0.1:port (inet_diag's idiag_wqueue for a
    listener), or None if none listens there."""
    request = struct.pack("=BBBBI", socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 1 << TCP_LISTEN)
    request += bytes(48)  # inet_diag_sockid: any
    header = struct.pack("=IHHII", 16 + len(request), SOCK_DIAG_BY_FAMILY,
                         NLM_F_REQUEST | NLM_F_DUMP, 1, 0)
    with socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_SOCK_DIAG) as s:
        s.sendto(header + request, (0, 0))
        while True:
            data = s.recv(65536)
            offset = 0
            while offset < len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == NLMSG_DONE:
                    return None
                if kind == NLMSG_ERROR:
                    raise OSError("sock_diag refused the request")
                body = offset + 16
                sport = struct.unpack_from("!H", data, body + 4)[0]
                rqueue, wqueue = struct.unpack_from("=II", data, body + 4 + 48 + 4)
                if sport == port:
                    return wqueue
                offset += (length + 3) & ~3


def expected():
    with open("/proc/sys/net/core/somaxconn") as f:
        return min(WANTED, int(f.read()))


def check(what, port):
    got = listen_backlog(port)
    print(f"{what} on port {port}: backlog {got} (wanted {expected()})")
    assert got is not None, f"found no socket listening on {port} for {what}"
    assert got == expected(), f"{what} listens with a backlog of {got}, not {expected()}"


def main():
    herd = sys.argv[1]
    mock = subprocess.Popen([herd, "places-mock", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(re.search(r"127\.0\.0\.1:(\d+)/", mock.stdout.readline()).group(1))
        check("herd places-mock", port)
    finally:
        mock.send_signal(signal.SIGINT)
        mock.wait(timeout=20)
    scenario = os.path.join(os.path.dirname(__file__), "..", "..", "scenarios", "restart-recovers.json")
    live = subprocess.Popen([herd, "sim", scenario, "--net", "virtual", "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    try:
        url, _ = wait_for_live_view(live)
        check("the live view", int(re.search(r":(\d+)/$", url).group(1)))
    finally:
        live.send_signal(signal.SIGINT)
        live.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
