#!/usr/bin/env python3
"""Branching a run from a past moment (POST /api/branch), against a real `herd sim --net virtual
--serve` process: the branch is the run as it was at that moment (its AT lines sent, updates
accepted and every server's store, as the run's own events say they were then), paused there,
with the page's step taken; a branch of a branch replays what its branch did before its moment
and not after; a step cut short by a branch stays cut when replayed again; bad bodies are 400s
that say why; on real sockets a branch is refused, saying why.

    live_branch.py HERD SCENARIO
"""
import json
import subprocess
import sys
import threading
import time

from live_address import LiveApi, wait_for_live_view

ALL = ["Bailey", "Bona", "Campbell", "Clark", "Jaquez"]


def start(herd, scenario, network):
    proc = subprocess.Popen([herd, "sim", scenario, "--net", network, "--serve", "0",
                             "--report-dir", ""], stdout=subprocess.PIPE, text=True)
    api = LiveApi(*wait_for_live_view(proc))
    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, api


def state_of(api):
    status, text = api.get("api/state", store_limit=10000)
    assert status == 200, (status, text)
    return json.loads(text)


def wait_for(predicate, what, seconds=30, seen=None):
    """Polls the herd's own answers until `predicate` holds (the herd says when it is done).
    `seen`, if given, says what was there instead when it times out."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what + (": " + seen() if seen else ""))


class Events:
    """Every event line the live view has kept or sends, from the run's start."""

    def __init__(self, api):
        self.lines, self.lock = [], threading.Lock()
        threading.Thread(target=self.follow, args=(api,), daemon=True).start()

    def follow(self, api):
        with api.events() as r:
            for raw in r:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    with self.lock:
                        self.lines.append(line[6:])

    def copy(self):
        with self.lock:
            return list(self.lines)


def as_of(lines, t):
    """What the events say of the run at time t: AT lines sent, updates accepted, stores."""
    sent = accepted = 0
    stores = {name: {} for name in ALL}
    for line in lines:
        f = line.split(" ")
        if float(f[0]) > t + 1e-9:
            continue
        if f[1] == "sent" and len(f) > 3 and f[3] == "AT":
            sent += 1
        elif f[1] == "stored":
            server, at = f[2], f[3:]
            stores[server][at[3]] = " ".join(at)
            accepted += at[1] == server
        elif f[1] == "crash":
            stores[f[2]] = {}
    return sent, accepted, stores


def stores_of(state):
    return {s["name"]: {r["client"]: r["line"] for r in s["store"]} for s in state["servers"]}


def branch(api, at_s, steps, number):
    status, answer = api.post("api/branch", {"at_s": at_s, "steps": steps})
    assert status == 202 and answer["branch"] == number, (status, answer)
    return wait_for(lambda: (lambda s: s if s.get("branch", {}).get("number") == number and
                             s["clock"]["now_s"] >= answer["at_s"] else None)(state_of(api)),
                    f"branch {number} to serve")


def check_virtual(herd, scenario):
    proc, api = start(herd, scenario, "virtual")
    try:
        # The scenario runs before the page can open, and every line of its steps is kept for a
        # page that opens later (this one opens after the last step). What the herd does after
        # them is formatted only while a page follows, so the stream is caught up once it holds
        # the last step's end, not once it holds as many AT lines as the counters say were sent.
        first = wait_for(lambda: (lambda s: s if all(x["status"] in ("passed", "failed")
                                                     for x in s["script"]["steps"]) else None)(
            state_of(api)), "the scenario's steps to end")
        events = Events(api)
        last_step_end = f" step-end steps[{len(first['script']['steps']) - 1}] "
        lines = wait_for(lambda: (lambda ls: ls if any(last_step_end in l for l in ls) else None)(
            events.copy()), "the run's events",
            seen=lambda: (lambda ls: f"no{last_step_end.rstrip()} among {len(ls)} events "
                          f"(first {ls[:1]}, last {ls[-1:]})")(events.copy()))
        # A moment inside the first traffic step: half its updates accepted, floods on their way.
        stored_at = [float(l.split(" ")[0]) for l in lines
                     if l.split(" ")[1] == "stored" and l.split(" ")[4] == l.split(" ")[2]]
        t = stored_at[len(stored_at) // 8]
        sent, accepted, stores = as_of(lines, t)
        assert 0 < accepted < first["counters"]["updates_accepted"], (accepted, first["counters"])

        one = branch(api, t, {"do": "crash", "node": "Bona"}, 1)
        assert abs(one["clock"]["now_s"] - t) < 1e-6 and one["clock"]["paused"], one["clock"]
        assert one["branch"]["did"] == "crash Bona", one["branch"]
        assert one["counters"]["messages_sent"] == sent, (one["counters"], sent)
        assert one["counters"]["updates_accepted"] == accepted, (one["counters"], accepted)
        got = stores_of(one)
        for name in ALL:
            want = {} if name == "Bona" else stores[name]
            assert got[name] == want, f"{name} at t = {t}: {got[name]} != {want}"
        assert {s["name"]: s["state"] for s in one["servers"]}["Bona"] == "crashed"
        # The first traffic step spanned the moment: cut there, it and the rest are left behind.
        statuses = [s["status"] for s in one["script"]["steps"]]
        assert set(statuses) == {"left behind"}, statuses

        # On in the branch for a while (the traffic's last replies, a flood), paused again.
        status, c = api.post("api/clock", {"paused": False})
        assert status == 200 and not c["paused"], c
        wait_for(lambda: state_of(api)["clock"]["now_s"] > t + 0.05, "the branch's clock to run")
        status, c = api.post("api/clock", {"paused": True})
        assert status == 200 and c["paused"], c
        later = state_of(api)
        t2 = later["clock"]["now_s"]
        assert t2 > t
        # Branch 2 from branch 1 at that moment, with a step that changes nothing: the same herd,
        # so the traffic step cut at t stays cut in the replay (or more would be accepted).
        two = branch(api, t2, {"do": "heal"}, 2)
        for key in ("messages_sent", "updates_accepted", "messages_delivered"):
            assert two["counters"][key] == later["counters"][key], (key, two["counters"],
                                                                   later["counters"])
        assert stores_of(two) == stores_of(later)

        # Branch 3 from branch 2 before branch 1's crash: Bona is up there, holding what it held.
        early = t / 2
        three = branch(api, early, {"do": "pause", "node": "Clark"}, 3)
        states = {s["name"]: s["state"] for s in three["servers"]}
        assert states["Bona"] == "up" and states["Clark"] == "paused", states
        assert stores_of(three)["Bona"] == as_of(lines, early)[2]["Bona"]

        # The page's lines: each branch announced, and the replay done before its step.
        wait_for(lambda: any(" branched 3: pause Clark" in l for l in events.copy()),
                 "the events to say branch 3 is replayed")
        assert any(l.startswith("0.000000 branch 3 ") for l in events.copy())

        for body, says in [({"at_s": 1e9, "steps": {"do": "heal"}}, "at_s"),
                           ({"at_s": -1, "steps": {"do": "heal"}}, "at_s"),
                           ({"at_s": 0.001, "steps": []}, "steps"),
                           ({"at_s": 0.001, "steps": {"do": "crash", "node": "Nobody"}},
                            "steps[0].node"),
                           ({"at_s": 0.001}, "expected"), (b"{not json", "expected")]:
            status, answer = api.post("api/branch", body)
            assert status == 400 and says in answer["error"], (body, status, answer)
    finally:
        proc.kill()


def check_real(herd, scenario):
    proc, api = start(herd, scenario, "real")
    try:
        status, answer = api.post("api/branch", {"at_s": 0, "steps": {"do": "heal"}})
        assert status == 409 and "virtual network" in answer["error"], (status, answer)
    finally:
        proc.kill()


def main():
    herd, scenario = sys.argv[1], sys.argv[2]
    check_virtual(herd, scenario)
    check_real(herd, scenario)
    print("branches replay the run to their moment, and only the virtual network branches")
    return 0


if __name__ == "__main__":
    sys.exit(main())
