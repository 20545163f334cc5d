#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for SECONDS (default 60), starting from
# the seed corpora in the repository. Fails on any crash, leak or sanitizer report.
#   bash tools/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
bash tools/install-deps.sh clang libclang-rt-14-dev
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 --target protocol_fuzz scenario_fuzz places_fuzz control_fuzz \
  reconcile_fuzz
run() {
  local target=$1; shift
  local work=build/fuzz/corpus/$target log=build/fuzz/$target.log
  mkdir -p "$work" build/fuzz/artifacts
  echo "fuzz: $target for ${seconds}s"
  if ! build/fuzz/tests/fuzz/$target -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix=build/fuzz/artifacts/ "$work" "$@" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz: $target failed; the input is in build/fuzz/artifacts/"
    exit 1
  fi
  grep -E "^Done|stat::number_of_executed_units|stat::peak_rss_mb" "$log"
}
run protocol_fuzz tests/fuzz/corpus/protocol
run scenario_fuzz tests/fuzz/corpus/scenario scenarios
run places_fuzz tests/fuzz/corpus/places
run control_fuzz tests/fuzz/corpus/control
run reconcile_fuzz tests/fuzz/corpus/reconcile
echo "fuzz: no failures"
