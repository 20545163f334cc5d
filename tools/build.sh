#!/usr/bin/env bash
# Installs what is missing, then configures and builds the optimised tree in build/release.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
cmake --preset release >/dev/null
# Two jobs: the machines here have two cores, and Asio-heavy files need memory.
cmake --build --preset release -j2
