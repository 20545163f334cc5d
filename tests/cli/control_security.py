#!/usr/bin/env python3
"""The control API of `herd up --control` attacked as a web page, a rebinding DNS name and a
greedy client would, against the real binary:

- a cross-origin "simple" POST (text/plain, a foreign Origin) and its preflight are refused and
  change nothing; a POST that is not JSON is refused even with the token;
- a Host that is a DNS name (rebinding) is refused, page and state alike;
- no token, or a wrong one, is 401;
- a body that is not UTF-8, or JSON nested 60,000 deep, is a 400 that says why, never a 500;
- 20 readers of /api/events and 20 slow clients leave the API answering (past 16 readers, a 503);
- /api/state sends 100 records a server unless asked, and refuses to send 20,000;
- reply patterns that overflowed std::regex's stack or spun it for seconds are answered at once;
- a traffic step at the largest rate and length allowed neither eats memory nor keeps the herd
  from stopping on SIGINT, nor does a posted wait of an hour;
- --control-open asks no token but still refuses other origins.
    python3 control_security.py HERD
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from live_address import LiveApi, wait_for_live_view  # noqa: E402
from up_port_taken import free_block  # noqa: E402


def raw(port, method, path, headers, body=b""):
    """(status, body) of one request with exactly these headers (http.client adds Host only if
    it is not given)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        conn.putheader(k, v)
    if body:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    r = conn.getresponse()
    out = r.status, r.read().decode(errors="replace")
    conn.close()
    return out


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def start(herd, extra):
    base = free_block(6)
    proc = subprocess.Popen([herd, "up", "--control", "0", "--base-port", str(base),
                             "--places-port", str(base + 5), "--log-dir", ""] + extra,
                            stdout=subprocess.PIPE, text=True)
    url, token = wait_for_live_view(proc)
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, LiveApi(url, token), int(url.rsplit(":", 1)[1].strip("/"))


def state_of(api):
    status, text = api.get("api/state")
    assert status == 200, (status, text)
    return json.loads(text)


def check_origins(api, port):
    host = f"127.0.0.1:{port}"
    crash = json.dumps({"do": "crash", "node": "Campbell"}).encode()
    # A page on evil.example posting as an HTML form or fetch(no-cors) would.
    status, text = raw(port, "POST", "/api/steps", {
        "Host": host, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site",
        "Content-Type": "text/plain"}, crash)
    assert status == 403 and "other" in text, (status, text)
    # Even knowing the token, another origin is refused.
    status, text = raw(port, "POST", f"/api/steps?token={api.token}", {
        "Host": host, "Origin": f"http://127.0.0.1:{port + 1}", "Content-Type": "application/json"},
        crash)
    assert status == 403, (status, text)
    status, text = raw(port, "OPTIONS", "/api/steps", {
        "Host": host, "Origin": "http://evil.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert status == 403, (status, text)
    # The token and the origin right, but not JSON: a form cannot send it.
    status, text = raw(port, "POST", f"/api/steps?token={api.token}", {
        "Host": host, "Origin": f"http://{host}", "Content-Type": "text/plain"}, crash)
    assert status == 415, (status, text)
    assert all(s["state"] == "up" for s in state_of(api)["servers"]), "a refused step ran"
    # DNS rebinding: evil.example resolves to 127.0.0.1, so the browser sends its name.
    for path in ["/", f"/api/state?token={api.token}"]:
        status, text = raw(port, "GET", path, {"Host": f"evil.example:{port}"})
        assert status == 403 and "servers" not in text, (path, status, text[:200])
    status, text = raw(port, "GET", "/api/state", {"Host": host})
    assert status == 401, (status, text)
    status, text = raw(port, "GET", "/api/state?token=" + "0" * 32, {"Host": host})
    assert status == 401, (status, text)
    print("origins: cross-origin POST, preflight, non-JSON POST, rebinding Host, no token: refused")


def check_bodies(api):
    # The parser's message quotes the bytes it choked on: they used to make the answer a 500.
    status, out = api.post("api/steps", b'{"do": "send", "node": "Clark", "line": "\xff\xfe"}')
    assert status == 400 and "not valid JSON" in out["error"], (status, out)
    status, out = api.post("api/steps", b"[" * 60000)
    assert status == 400 and "nested" in out["error"], (status, out)
    status, out = api.post("api/steps", b'{"do": "cut", "from": "\\u00ff\\u0000", "to": "Clark"}')
    assert status == 400 and "steps[0].from" in out["error"], (status, out)
    status, out = api.post("api/clock", b"\xff\xfe")
    assert status == 400, (status, out)
    print("bodies: invalid UTF-8 and deep nesting are 400s that say why")


def check_readers(api, port):
    readers, refused, slow = [], 0, []
    for _ in range(20):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/api/events?token={api.token}")
        r = conn.getresponse()
        if r.status == 503:
            refused += 1
            assert "pages already follow" in r.read().decode()
            conn.close()
        else:
            assert r.status == 200, r.status
            readers.append(conn)
    for _ in range(20):  # half a request each, then nothing
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        slow.append(s)
    began = time.monotonic()
    state = state_of(api)
    took = time.monotonic() - began
    assert state["watchers"] >= 16, state["watchers"]
    assert len(readers) == 16 and refused == 4, (len(readers), refused)
    assert took < 5, f"/api/state took {took:.1f} s with 16 readers and 20 slow clients"
    for c in readers:
        c.close()
    for s in slow:
        s.close()
    print(f"readers: 16 served, 4 refused with a 503; /api/state answered in {took * 1000:.0f} ms "
          "beside them and 20 slow clients")


def check_slow_clients(api, port):
    """60 connections trickling a header line every half second, no token: more than the API's
    48 workers. Each is shut down 5 s after it opened, so the page's own request is answered."""
    conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(60)]
    for c in conns:
        c.sendall(b"GET /api/state HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    stop = threading.Event()
    closed = set()

    def trickle():
        n = 0
        while not stop.is_set():
            for i, c in enumerate(conns):
                if i in closed:
                    continue
                try:
                    c.sendall(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    closed.add(i)
            n += 1
            stop.wait(0.5)

    t = threading.Thread(target=trickle)
    t.start()
    try:
        time.sleep(1)  # every worker is taken by now (48 of the 60)
        began = time.monotonic()
        state = state_of(api)  # the page's own request, its own connection
        took = time.monotonic() - began
        assert state["servers"], state
        assert took < 12, f"/api/state took {took:.1f} s beside 60 trickling clients"
        deadline = time.monotonic() + 15
        while len(closed) < 60 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(closed) == 60, f"only {len(closed)} of 60 trickling clients were cut off"
    finally:
        stop.set()
        t.join()
        for c in conns:
            c.close()
    print(f"slow clients: 60 trickling connections cut off; /api/state answered in "
          f"{took:.1f} s beside them")


def check_store_limit(api):
    status, out = api.post("api/steps", {"do": "traffic", "clients": 300, "rate": 6000,
                                         "duration_ms": 50})
    assert status == 200 and out[0]["ok"], (status, out)
    deadline = time.time() + 10
    while time.time() < deadline:
        state = state_of(api)
        if all(s["store_size"] == 300 for s in state["servers"]):
            break
        time.sleep(0.2)
    assert all(s["store_size"] == 300 for s in state["servers"]), \
        [s["store_size"] for s in state["servers"]]
    assert all(len(s["store"]) == 100 for s in state["servers"]), \
        [len(s["store"]) for s in state["servers"]]
    status, text = api.get("api/state", store_limit=20000)
    assert status == 400 and "at most 10000" in text, (status, text)
    print("state: 100 newest records a server unless asked; 20,000 refused")


def check_patterns(api):
    long_id = "x" * 30000
    began = time.monotonic()
    status, out = api.post("api/steps", {"do": "send", "node": "Clark",
                                         "line": f"IAMAT {long_id} +1+1 {{now}}",
                                         "expect": {"pattern": "(.|\\s)*"}})
    assert status == 200 and out[0]["ok"], (status, str(out)[:300])
    status, out = api.post("api/steps", {"do": "send", "node": "Clark", "line": "a" * 40,
                                         "expect": {"pattern": "(a|aa)*c"}})
    assert status == 200 and not out[0]["ok"], (status, out)
    took = time.monotonic() - began
    assert took < 5, f"the two pattern probes took {took:.1f} s"
    status, out = api.post("api/steps", {"do": "send", "node": "Clark", "line": "x",
                                         "expect": {"pattern": "(a)\\1"}})
    assert status == 400 and "RE2" in out["error"], (status, out)
    print(f"patterns: both probes answered in {took * 1000:.0f} ms; a back-reference is refused")


def check_huge_traffic(proc, api):
    before = rss_mib(proc.pid)
    result = {}

    def post():
        result["answer"] = api.post("api/steps", {"do": "traffic", "clients": 100000,
                                                  "rate": 1000000, "duration_ms": 3600000},
                                    timeout=60)
    t = threading.Thread(target=post, daemon=True)
    t.start()
    peak = before
    for _ in range(30):
        time.sleep(0.1)
        peak = max(peak, rss_mib(proc.pid))
    assert proc.poll() is None, f"herd up died (exit {proc.returncode}) on the largest traffic step"
    assert peak - before < 200, f"RSS grew from {before:.0f} to {peak:.0f} MiB"
    # While it runs the page is still answered, and a second step is told what runs.
    asked = time.monotonic()
    state = state_of(api)
    answered = time.monotonic() - asked
    assert state["servers"] and answered < 3, f"/api/state took {answered:.1f} s during the step"
    status, out = api.post("api/steps", {"do": "wait", "ms": 1})
    assert status == 409 and "is running" in out["error"], (status, out)
    began = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=20)
    print(f"traffic: the largest step ran 3 s with RSS {before:.0f} -> {peak:.0f} MiB, /api/state "
          f"answered in {answered * 1000:.0f} ms meanwhile; SIGINT stopped it in "
          f"{time.monotonic() - began:.1f} s (exit {code})")


def check_open(herd):
    proc, api, port = start(herd, ["--control-open"])
    try:
        assert api.token is None, "a token was printed with --control-open"
        status, text = raw(port, "GET", "/api/state", {"Host": f"127.0.0.1:{port}"})
        assert status == 200, (status, text)
        status, text = raw(port, "POST", "/api/steps", {
            "Host": f"127.0.0.1:{port}", "Origin": "http://evil.example",
            "Content-Type": "application/json"}, b'{"do": "heal"}')
        assert status == 403, (status, text)
        print("--control-open: no token asked, other origins still refused")
        # A posted hour's wait holds the runner, but not the process's exit.
        threading.Thread(target=lambda: api.post("api/steps", {"do": "wait", "ms": 3600000},
                                                 timeout=60), daemon=True).start()
        time.sleep(0.5)
        began = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        print(f"an hour's wait posted, then SIGINT: stopped in {time.monotonic() - began:.1f} s")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=20)


def main():
    herd = sys.argv[1]
    proc, api, port = start(herd, [])
    try:
        assert api.token and len(api.token) == 32, api.token
        check_origins(api, port)
        check_bodies(api)
        check_readers(api, port)
        check_slow_clients(api, port)
        check_store_limit(api)
        check_patterns(api)
        check_huge_traffic(proc, api)
    finally:
        if proc.poll() is None:
            proc.kill()
    check_open(herd)
    print("control API: every probe refused or bounded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
