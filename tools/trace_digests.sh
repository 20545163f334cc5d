#!/usr/bin/env bash
# Prints a SHA-256 of each shipped scenario's trace on the virtual network, one line per file.
# The same build of the same tree must print the same digests on every machine: compare the
# output of two machines (CI prints it) to see that a seed replays bit for bit across them.
#   bash tools/trace_digests.sh [HERD]   (default: build/release/herd)
set -euo pipefail
cd "$(dirname "$0")/.."
herd=${1:-build/release/herd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for file in scenarios/*.json; do
  name=$(basename "$file" .json)
  "$herd" sim "$file" --net virtual --report-dir "" --trace "$tmp/$name.trace" >/dev/null
  echo "$(sha256sum < "$tmp/$name.trace" | cut -c1-16)  $(wc -l < "$tmp/$name.trace") lines  $name"
done
