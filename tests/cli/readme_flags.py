#!/usr/bin/env python3
"""Every flag the README names for a command, run through the real binary.

For each (command, flag) pair the README mentions, `herd COMMAND --help` must list the flag, and
for `herd node` and `herd up` the flag must be accepted with a sample value by `--check`, which
prints the settings: where the flag is a setting, the printed value must be the one given.
A flag attributed to a command is one on the same line as `herd COMMAND`, or in a list headed
"flags of `herd node` and `herd up`".
"""
import os
import re
import subprocess
import sys
import tempfile

COMMANDS = ("node", "up", "sim", "grade", "bench", "places-mock", "line-echo")


def readme_pairs(text):
    pairs = set()
    block = set()  # the commands of a "flags of `herd X` and `herd Y`" list we are inside
    for line in text.splitlines():
        # Such a list ends at the next line that is not indented (a new bullet or paragraph).
        if block and line.strip() and not line.startswith((" ", "\t")):
            block = set()
        flag_re = r"(?<![\w-])--([a-z][a-z0-9-]*)"
        mentions = list(re.finditer(r"`herd (node|up|sim|grade|bench|places-mock|line-echo)\b", line))
        if "flags of `herd" in line:
            block = {m.group(1) for m in mentions}
            mentions = []
        # In such a list, a flag belongs to the list's commands unless it follows a `herd X`.
        before_mentions = line[:mentions[0].start()] if mentions else line
        for command in block:
            for flag in re.findall(flag_re, before_mentions):
                pairs.add((command, flag))
        # On other lines a flag belongs to the `herd COMMAND` it follows (a usage, a table row).
        for i, m in enumerate(mentions):
            end = mentions[i + 1].start() if i + 1 < len(mentions) else len(line)
            for flag in re.findall(flag_re, line[m.end():end]):
                pairs.add((m.group(1), flag))
    return pairs


def main():
    herd, readme = sys.argv[1], sys.argv[2]
    pairs = readme_pairs(open(readme, encoding="utf-8").read())
    failures = []
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "herd.json")
    with open(config, "w") as f:
        f.write('{"servers": [{"name": "Clark", "port": 15300}, {"name": "Bona", "port": 15301}],'
                ' "links": [["Clark", "Bona"]]}')
    samples = {
        "config": config, "base-port": "15200", "places-url": "http://127.0.0.1:9/nearby",
        "places-key": "k-123", "places-timeout-ms": "1234", "places-max-bytes": "5000",
        "places-port": "15299", "log-dir": os.path.join(tmp, "logs"), "max-line-bytes": "100",
        "idle-timeout-ms": "777", "max-clients": "55", "threads": "2", "control": "8123",
        "control-bind": "127.0.0.2", "max-clock-skew-s": "3600", "max-client-id-bytes": "128",
        "max-records": "5000", "places-api": "legacy", "places-reply": "google",
        "places-field-mask": "places.id,places.location", "places-ca-file": config,
    }
    # What --check prints for a flag, when it differs from the value given.
    shown = {"places-key": "(set, not shown)", "config": None, "base-port": None,
             "places-port": "port 15299", "classic": "mode classic", "check": None,
             "control-open": "control-open yes"}
    helps = {}
    for command, flag in sorted(pairs):
        if command not in helps:
            helps[command] = subprocess.run([herd, command, "--help"], capture_output=True,
                                            text=True).stdout
        if "--" + flag not in helps[command]:
            failures.append(f"herd {command} --help does not list --{flag}")
            continue
        if command not in ("node", "up") or flag in ("help",):
            continue
        argv = [herd, command] + (["Clark"] if command == "node" else [])
        argv += ["--" + flag] + ([samples[flag]] if flag in samples else [])
        if flag != "check":
            argv.append("--check")
        run = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        if run.returncode != 0:
            failures.append(f"{' '.join(argv[1:])}: exit {run.returncode}: {run.stderr.strip()}")
            continue
        want = shown.get(flag, f"{flag} {samples.get(flag, '')}".strip())
        if want is not None and want not in run.stdout:
            failures.append(f"{' '.join(argv[1:])}: the settings do not show \"{want}\":\n"
                            f"{run.stdout}")
    print(f"{len(pairs)} flag mentions checked: " +
          ", ".join(f"{c} --{f}" for c, f in sorted(pairs)))
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures or not pairs else 0


if __name__ == "__main__":
    sys.exit(main())
