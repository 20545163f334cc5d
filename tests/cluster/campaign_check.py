"""What the campaign tests share: a small class of herds to grade (the Python test herd with the
switches real student herds taught us, and one that cannot start), and the comparisons that say a
split campaign merged to the unsplit one."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.path.normpath(os.path.join(HERE, "..", ".."))
STUDENT_HERD = os.path.join(SOURCE, "tests", "student_herd", "server.py")
SCENARIOS = [os.path.join(SOURCE, "scenarios", name + ".json")
             for name in ("equal-timestamps", "nanosecond-apart")]
# Each submission's folder holds run.sh, as a student's holds server.py.
CLASS = {
    "alice": '"$@"',                     # follows SPEC.md
    "bob": '"$@" --no-tiebreak',         # equal timestamps: whichever came first
    "carol": '"$@" --float-time',        # timestamps compared as floats
}
HERD_CMD = "sh {submission}/run.sh {name} --config {config} --places-url {places_url}"
# What each submission must get: (equal-timestamps, nanosecond-apart).
EXPECTED = {"alice": ("pass", "pass"), "bob": ("fail", "pass"), "carol": ("pass", "fail"),
            "dave": ("fail", "fail")}
# Seeds of classic mode fail often on the virtual network (no anti-entropy): a campaign with
# failures to group, in a few seconds.
EXPLORE = ["--explore", "--classic", "--runs", "40", "--seed", "1"]


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def make_class(root):
    paths = []
    for name, args in CLASS.items():
        folder = os.path.join(root, name)
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "run.sh"), "w") as f:
            f.write("exec python3 %s %s\n" % (STUDENT_HERD, args))
        paths.append(folder)
    dave = os.path.join(root, "dave")  # a submission whose server dies at once
    os.makedirs(dave, exist_ok=True)
    with open(os.path.join(dave, "run.sh"), "w") as f:
        f.write("echo 'Traceback: ImportError' >&2; exit 3\n")
    paths.append(dave)
    return paths


def run(cmd, env=None, expect=0, timeout=600):
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != expect:
        fail("%s exited %d, not %d\n%s%s" % (" ".join(cmd), done.returncode, expect,
                                             done.stdout[-4000:], done.stderr[-2000:]))
    return done.stdout


def comparable_campaign(folder):
    """campaign.json without what differs by how the campaign was split: files, shards, paths."""
    with open(os.path.join(folder, "campaign.json")) as f:
        summary = json.load(f)
    for key in ("shards", "logs", "notes"):
        summary.pop(key, None)
    for group in summary["failures"]:
        group.pop("reproduction", None)
        group.pop("message", None)
    return summary


def check_campaign_merge(whole, merged, runs=40):
    a, b = comparable_campaign(whole), comparable_campaign(merged)
    if a != b:
        fail("the merged campaign differs from the unsplit one:\n%s\n%s" % (a, b))
    if a["ran"] != runs or a["missing"]:
        fail("the campaign did not run all %d seeds: %s" % (runs, a))
    if a["failed"] == 0 or not a["failures"]:
        fail("a classic campaign found no failure to group (the comparison would prove little)")
    print("campaign: %d seeds, %d failed in %d signatures; the merge equals the unsplit run"
          % (a["ran"], a["failed"], len(a["failures"])))


def read_grades(folder):
    with open(os.path.join(folder, "grades.csv")) as f:
        return f.read()


def grade_table(folder):
    """grades.csv without its first-finding column, whose text carries the run's own clock (an
    update's time difference): every row's scores and verdicts."""
    return [",".join(line.split(",")[:5]) for line in read_grades(folder).splitlines()]


def check_grades(folder):
    """The table says what each submission's herd did, and each has Gradescope's results."""
    lines = read_grades(folder).splitlines()
    header = lines[0].split(",")
    if header[:5] != ["submission", "score", "max_score", "equal-timestamps", "nanosecond-apart"]:
        fail("grades.csv header: %s" % header)
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    if sorted(rows) != sorted(EXPECTED):
        fail("grades.csv rows: %s" % sorted(rows))
    for name, verdicts in EXPECTED.items():
        if tuple(rows[name][3:5]) != verdicts:
            fail("%s graded %s, expected %s" % (name, rows[name][3:5], verdicts))
        score = rows[name][1]
        if score != str(verdicts.count("pass")):
            fail("%s scored %s" % (name, score))
    for name in EXPECTED:
        path = os.path.join(folder, name, "results.json")
        if not os.path.exists(path):
            continue  # a merged folder holds the table; the shards hold results.json
        with open(path) as f:
            results = json.load(f)
        if [t["status"] for t in results["tests"]] != [
                "passed" if v == "pass" else "failed" for v in EXPECTED[name]]:
            fail("%s's results.json: %s" % (name, results["tests"]))
    with open(os.path.join(folder, "grades.html")) as f:
        page = f.read()
    if "ImportError" not in page and "exited with status 3" not in page:
        fail("grades.html does not say why dave's herd failed")
    print("grades: %s" % "; ".join(",".join(rows[n][:5]) for n in sorted(rows)))
