#!/usr/bin/env python3
"""An explore campaign and a class's grading split into shards on this machine, as a GitHub
Actions matrix or any engine would run them: by --shard and by the engines' variables (HERD_SHARD,
a Slurm array's, a Kubernetes Indexed Job's), merged, and compared with the unsplit runs; a shard
that never ran makes the merge exit 2.

    python3 tests/cluster/campaign_shards_test.py HERD
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_check as cc  # noqa: E402


def main():
    herd = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory() as work:
        os.chdir(work)
        cc.run([herd, "sim", *cc.EXPLORE, "--report-dir", "whole"], expect=1)
        cc.run([herd, "sim", "--merge", "whole", "--report-dir", "whole-merged"], expect=1)
        # Four shards, each told its place another way, in parallel as an array runs them.
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("SLURM_", "HERD_", "JOB_COMPLETION"))}
        ways = [({}, ["--shard", "0/4"]),
                ({"HERD_SHARD": "1/4"}, []),
                ({"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1",
                  "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "1"}, []),
                ({"JOB_COMPLETION_INDEX": "3", "HERD_SHARDS": "4"}, [])]
        shards = []
        for i, (env, flags) in enumerate(ways):
            shards.append(subprocess.Popen(
                [herd, "sim", *cc.EXPLORE, *flags, "--report-dir", "shard-%d" % i],
                env={**clean, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for i, shard in enumerate(shards):
            out, _ = shard.communicate(timeout=600)
            if ("shard %d/4" % i) not in out:
                cc.fail("shard %d did not say which shard it ran:\n%s" % (i, out[-2000:]))
        cc.run([herd, "sim", "--merge", "shard-0", "shard-1", "shard-2", "shard-3",
                "--report-dir", "merged"], expect=1)
        cc.check_campaign_merge("whole-merged", "merged")
        out = cc.run([herd, "sim", "--merge", "shard-0", "shard-1", "shard-3",
                      "--report-dir", ""], expect=2)
        if "shards that reported nothing: 2/4" not in out:
            cc.fail("a missing shard was not named:\n" + out)
        cc.run([herd, "sim", "--explore", "--shard", "4/4"], expect=2)
        cc.run([herd, "sim", "--explore", "--runs", "2"], env={**clean, "JOB_COMPLETION_INDEX": "1"},
               expect=2)

        # Grading: the whole class at once, then in two shards merged.
        subs = cc.make_class(os.path.join(work, "class"))
        cc.run([herd, "grade", *subs, *cc.SCENARIOS, "--herd-cmd", cc.HERD_CMD,
                "--report-dir", "grades"])
        cc.check_grades("grades")
        for i in range(2):
            cc.run([herd, "grade", *subs, *cc.SCENARIOS, "--herd-cmd", cc.HERD_CMD,
                    "--shard", "%d/2" % i, "--report-dir", "grades-%d" % i])
        cc.run([herd, "grade", "--merge", "grades-0", "grades-1", "--report-dir", "grades-merged"])
        cc.check_grades("grades-merged")
        if cc.grade_table("grades") != cc.grade_table("grades-merged"):
            cc.fail("the merged grades differ from the unsplit grading")
        cc.run([herd, "grade", *subs, "--herd-cmd", "python3 server.py {name}"], expect=2)
        os.chdir("/")
    print("PASS")


if __name__ == "__main__":
    main()
