#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the main job on its
# defaults. Extra arguments go to `herd up`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/build.sh
exec build/release/herd up "$@"
