#!/usr/bin/env python3
"""The live view's API as a page uses it, against a real `herd sim --serve` process (network
real or virtual) or `herd up --control` (network "up").

Starts the herd, follows /api/events, cuts every link of
Clark with a posted partition step, sends an IAMAT to Clark through the API, and checks from the
events that the update is stored at Clark alone; then heals and sees it stored everywhere. Bad
steps and bad JSON are 400s that name what is wrong, the page is served, and SIGINT stops it.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import urllib.error

from live_address import LiveApi, wait_for_live_view

ALL = {"Bailey", "Bona", "Campbell", "Clark", "Jaquez"}


def main():
    herd, scenario, network = sys.argv[1], sys.argv[2], sys.argv[3]
    if network == "up":  # herd up --control: the config's herd behind fault proxies
        base_port = 24000 + (os.getpid() % 1500) * 5
        command = [herd, "up", "--control", "0", "--base-port", str(base_port)]
    else:
        command = [herd, "sim", scenario, "--net", network, "--serve", "0", "--report-dir", ""]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        return check(proc)
    finally:
        if proc.poll() is None:
            proc.kill()


def check(proc):
    api = LiveApi(*wait_for_live_view(proc))
    assert api.token, "no token printed: any web page could drive this herd"
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()

    def get(path):
        return api.get(path.lstrip("/"))

    def post(body):
        return api.post("api/steps", body)

    status, page = get("/")
    assert status == 200 and "<svg" in page and "EventSource" in page, "the page is not served"
    status, text = get("/api/state")
    state = json.loads(text)
    assert {s["name"] for s in state["servers"]} == ALL, state["servers"]
    assert len(state["links"]) == 12, len(state["links"])

    stored = {}  # client -> servers that stored its update
    lock = threading.Lock()

    def follow():
        with api.events() as r:
            for raw in r:
                line = raw.decode().rstrip("\n")
                if not line.startswith("data: "):
                    continue
                f = line[6:].split(" ")
                if len(f) > 6 and f[1] == "stored" and f[6] == "live-kiwi":
                    with lock:
                        stored.setdefault(f[6], set()).add(f[2])
    threading.Thread(target=follow, daemon=True).start()
    time.sleep(0.3)

    status, out = post({"do": "partition",
                        "groups": [["Clark"], ["Bailey", "Bona", "Campbell", "Jaquez"]]})
    assert status == 200 and out[0]["ok"], (status, out)
    status, out = post({"do": "send", "node": "Clark", "line": "IAMAT live-kiwi +1+1 {now}",
                        "expect": "at"})
    assert status == 200 and out[0]["ok"] and out[0]["message"].startswith("AT Clark "), out
    time.sleep(1.5)
    with lock:
        alone = set(stored.get("live-kiwi", set()))
    assert alone == {"Clark"}, f"behind the cut, stored at {alone}"
    status, out = post([{"do": "heal"}])
    assert status == 200 and out[0]["ok"], out
    deadline = time.time() + 10
    while time.time() < deadline:
        with lock:
            if stored.get("live-kiwi") == ALL:
                break
        time.sleep(0.1)
    with lock:
        assert stored.get("live-kiwi") == ALL, f"after the heal, stored at {stored.get('live-kiwi')}"

    status, out = post({"do": "cut", "from": "Nobody", "to": "Clark"})
    assert status == 400 and "steps[0].from" in out["error"], (status, out)
    status, out = post(b"{not json")
    assert status == 400 and "not valid JSON" in out["error"], (status, out)
    status, out = post({"do": "crash"})
    assert status == 400 and "steps[0].node" in out["error"], (status, out)
    status, text = get("/api/state")
    assert all(s["state"] == "up" for s in json.loads(text)["servers"])

    # Each link says whether its servers are connected: down with a crashed server, up again
    # once it is back and reconnected (the page draws this, however late it opened).
    def bona_links():
        return api.links_up("Bona")

    def all_up():  # the heal's reconnections may still be on their way
        deadline = time.time() + 20
        while time.time() < deadline and not all(up is True for up in bona_links()):
            time.sleep(0.1)
        return all(up is True for up in bona_links())
    assert len(bona_links()) == 6 and all_up(), f"after the heal: {bona_links()}"
    status, out = post({"do": "crash", "node": "Bona"})
    assert status == 200 and out[0]["ok"], out
    assert all(up is False for up in bona_links()), bona_links()
    status, out = post({"do": "restart", "node": "Bona"})
    assert status == 200 and out[0]["ok"], out
    assert all_up(), f"20 s after Bona's restart: {bona_links()}"

    def clock(body):
        return api.post("api/clock", body)

    if state["network"] == "virtual":
        # Paused, virtual time stands still; a step moves it to the next delivery; speed is kept.
        status, c = clock({"paused": True})
        assert status == 200 and c["paused"], c
        before = api.state()["time_s"]
        time.sleep(0.5)
        assert api.state()["time_s"] == before, "time moved while paused"
        status, out = post({"do": "send", "node": "Bona", "line": "IAMAT step-kiwi +1+1 {now}"})
        status, c = clock({"step": 1})
        assert status == 200 and c["delivered"] == 1 and c["time_s"] > before, c
        # A held link: its lines are listed, and the chosen link lets its next one through.
        status, out = post({"do": "hold", "from": "Clark", "to": "Jaquez", "one_way": True})
        assert status == 200 and out[0]["ok"], out
        clock({"paused": False})  # the link may still be reconnecting after the heal
        status, out = post({"do": "send", "node": "Clark", "line": "IAMAT held-kiwi +1+1 {now}"})
        held, deadline = [], time.time() + 10
        while time.time() < deadline and not any("held-kiwi" in line for line in held):
            time.sleep(0.1)
            held = [l for l in api.state()["links"]
                    if l["from"] == "Clark" and l["to"] == "Jaquez"][0]["held"]
        assert any("held-kiwi" in line for line in held), held
        clock({"paused": True})
        status, c = clock({"deliver": {"from": "Clark", "to": "Jaquez"}})
        assert status == 200 and c["delivered"] == 1, c
        status, c = clock({"deliver": {"from": "Bona", "to": "Campbell"}})
        assert status == 400 and "holds nothing" in c["error"], c
        post({"do": "release"})
        status, c = clock({"speed": 0})
        assert status == 400 and "speed" in c["error"], c
        status, c = clock({"paused": False, "speed": 2})
        assert status == 200 and not c["paused"] and c["speed"] == 2, c
    else:
        status, c = clock({"paused": True})
        assert status == 400 and "--net virtual" in c["error"], c

    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=20)
    if state["network"] == "real" and "up" in proc.args:
        check_token(proc.args[0])
    print("live view: partition, send, heal, bad steps and stop all as expected")
    return 0


def check_token(herd):
    """The control API wants the printed token (here a herd with a peer secret)."""
    import tempfile
    config = os.path.join(tempfile.mkdtemp(), "herd.json")
    base_port = 26000 + (os.getpid() % 1500) * 3
    with open(config, "w") as f:
        json.dump({"servers": [{"name": "A", "port": base_port}, {"name": "B", "port": base_port + 1}],
                   "links": [["A", "B"]], "secret": "a-secret-of-16-or-more"}, f)
    proc = subprocess.Popen([herd, "up", "--control", "0", "--config", config],
                            stdout=subprocess.PIPE, text=True)
    try:
        url, token = wait_for_live_view(proc)
        assert token, "no token printed"
        try:
            urllib.request.urlopen(url + "api/state", timeout=10)
            raise AssertionError("the state was served without the token")
        except urllib.error.HTTPError as e:
            assert e.code == 401, e.code
        with urllib.request.urlopen(url + "api/state?token=" + token, timeout=10) as r:
            assert r.status == 200
        req = urllib.request.Request(url + "api/state", headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(req, timeout=10) as r:
            assert r.status == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


if __name__ == "__main__":
    sys.exit(main())
