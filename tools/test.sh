#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
# The live view's tests need a browser and Node.js besides what the build needs.
bash tools/install-deps.sh --browser-tests
# The cluster test needs a real Slurm (a single-node cluster it starts itself,
# tests/cluster/slurm_cluster.sh). A machine whose packages will not install still runs every
# other test; that one then skips and says why.
bash tools/install-deps.sh slurmd slurmctld slurm-client munge ||
  echo "test: Slurm did not install; cluster.slurm_campaign will be skipped"
bash tools/build.sh
ctest --test-dir build/release --output-on-failure -j2 "$@"
