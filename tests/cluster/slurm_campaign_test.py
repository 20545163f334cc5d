#!/usr/bin/env python3
"""A real Slurm cluster (Debian's slurmctld, slurmd and munge, started by slurm_cluster.sh in a
folder of its own) runs the shipped array scripts, tools/cluster/slurm-explore.sbatch and
slurm-grade.sbatch, as 4 shards each, with the merge as a job that waits on the array. The merged
campaign must equal the same campaign run unsplit here (same seeds, same failures), and the
merged grades the same table. Exits 77 (skipped) with the reason when Slurm cannot start.

    python3 tests/cluster/slurm_campaign_test.py HERD
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_check as cc  # noqa: E402

CLUSTER = os.path.join(cc.HERE, "slurm_cluster.sh")
SCRIPTS = os.path.join(cc.SOURCE, "tools", "cluster")


def slurm_environment(cluster_dir):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLURM_", "HERD_", "JOB_COMPLETION"))}
    with open(os.path.join(cluster_dir, "env")) as f:
        for line in f:
            m = re.match(r"export (\w+)=(.*)", line.strip())
            if m:
                env[m.group(1)] = m.group(2).strip("'\"")
    return env


def submit(env, args, what, expect):
    """sbatch, waiting for the job to end (bounded: a broken node must not hang the test); sbatch
    --wait exits with the job's status."""
    began = time.monotonic()
    out = cc.run(["timeout", "600", "sbatch", "--wait", "--parsable", *args], env=env,
                 expect=expect)
    print("%s: job %s ended after %.1f s" % (what, out.strip(), time.monotonic() - began))
    return out.strip().split(";")[0]


def array_then_merge(env, work, script, settings, merge_cmd, what, expect):
    """The array, and the merge as a job of its own that starts after it (afterany: a failed
    shard still leaves the others' seeds to merge), as the scripts' comments say to run them."""
    job_env = {**env, **settings}
    array = cc.run(["sbatch", "--parsable", "--array=0-3", "--chdir", work,
                    "--output", os.path.join(work, what + "-%a.out"), script], env=job_env).strip()
    submit(job_env, ["--dependency=afterany:" + array, "--chdir", work,
                     "--output", os.path.join(work, what + "-merge.out"), "--wrap", merge_cmd],
           what + " merge", expect)
    for i in range(4):
        with open(os.path.join(work, "%s-%d.out" % (what, i))) as f:
            out = f.read()
        if ("shard %d/4, from SLURM_ARRAY_TASK_ID=%d" % (i, i)) not in out:
            cc.fail("array task %d did not take its shard from Slurm:\n%s" % (i, out[-2000:]))
    with open(os.path.join(work, what + "-merge.out")) as f:
        return f.read()


def main():
    herd = os.path.abspath(sys.argv[1])
    cluster_dir = tempfile.mkdtemp(prefix="herd-slurm-")
    started = subprocess.run(["bash", CLUSTER, "start", cluster_dir], capture_output=True,
                             text=True, timeout=180)
    if started.returncode == 77:
        print("SKIP: Slurm cannot start here: " + started.stderr.strip()[-1500:])
        sys.exit(77)
    try:
        if started.returncode != 0:
            cc.fail("slurm_cluster.sh start exited %d:\n%s" % (started.returncode, started.stderr))
        print(started.stderr.strip().splitlines()[-1])
        env = slurm_environment(cluster_dir)
        with tempfile.TemporaryDirectory() as work:
            os.chdir(work)
            # The campaign unsplit, here; then 4 shards on the cluster into one shared folder.
            cc.run([herd, "sim", *cc.EXPLORE, "--report-dir", "whole"], expect=1)
            cc.run([herd, "sim", "--merge", "whole", "--report-dir", "whole-merged"], expect=1)
            explore_flags = " ".join(cc.EXPLORE[1:])  # --explore is the script's own
            runs = cc.EXPLORE[cc.EXPLORE.index("--runs") + 1]
            seed = cc.EXPLORE[cc.EXPLORE.index("--seed") + 1]
            flags = explore_flags.replace("--runs %s --seed %s" % (runs, seed), "").strip()
            out = array_then_merge(
                env, work, os.path.join(SCRIPTS, "slurm-explore.sbatch"),
                {"HERD": herd, "HERD_RUNS": runs, "HERD_SEED": seed,
                 "HERD_REPORT_DIR": os.path.join(work, "slurm-campaign"),
                 "HERD_EXPLORE_FLAGS": flags},
                "%s sim --merge slurm-campaign --report-dir slurm-merged" % herd, "explore",
                expect=1)  # the campaign has failures: herd sim --merge exits 1
            if "ran 40 of 40" not in out:
                cc.fail("the merge job's summary:\n" + out)
            cc.check_campaign_merge("whole-merged", "slurm-merged")

            subs = cc.make_class(os.path.join(work, "class"))
            cc.run([herd, "grade", *subs, *cc.SCENARIOS, "--herd-cmd", cc.HERD_CMD,
                    "--report-dir", "grades"])
            cc.check_grades("grades")
            array_then_merge(
                env, work, os.path.join(SCRIPTS, "slurm-grade.sbatch"),
                {"HERD": herd, "HERD_SUBMISSIONS": " ".join(subs),
                 "HERD_SCENARIOS": " ".join(cc.SCENARIOS), "HERD_CMD": cc.HERD_CMD,
                 "HERD_REPORT_DIR": os.path.join(work, "slurm-grades")},
                "%s grade --merge slurm-grades --report-dir slurm-grades" % herd, "grade",
                expect=0)
            cc.check_grades("slurm-grades")
            if cc.grade_table("grades") != cc.grade_table("slurm-grades"):
                cc.fail("the Slurm array's grades differ from the unsplit grading")
            os.chdir("/")
    finally:
        subprocess.run(["bash", CLUSTER, "stop", cluster_dir], timeout=120)
        subprocess.run(["rm", "-rf", cluster_dir])
    print("PASS")


if __name__ == "__main__":
    main()
