#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the main job on its
# defaults: every shipped scenario against the five-server herd with the mock Places. Extra
# arguments go to `herd sim` (a scenario file, --classic, --explore, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
exec build/release/herd sim "$@"
