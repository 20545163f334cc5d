#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# The live view's tests need a browser and Node.js besides what the build needs, and the cluster
# test a real Slurm (a single-node cluster it starts itself: tests/cluster/slurm_cluster.sh).
bash tools/install-deps.sh --browser-tests slurmd slurmctld slurm-client munge
bash tools/build.sh
ctest --test-dir build/release --output-on-failure -j2 "$@"
