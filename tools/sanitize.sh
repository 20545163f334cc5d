#!/usr/bin/env bash
# The test suite under AddressSanitizer with UndefinedBehaviorSanitizer and leak checks, and the
# multi-threaded parts (real nodes on loopback, the simulator) under ThreadSanitizer.
#   bash tools/sanitize.sh [address|thread]   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
which=${1:-both}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tools/tsan.supp"
if [ "$which" = both ] || [ "$which" = address ]; then
  echo "sanitize: AddressSanitizer + UndefinedBehaviorSanitizer + leaks, whole test suite"
  cmake --preset asan >/dev/null
  cmake --build --preset asan -j2
  ctest --test-dir build/asan --output-on-failure -j2
fi
if [ "$which" = both ] || [ "$which" = thread ]; then
  echo "sanitize: ThreadSanitizer, loopback tests and simulator scenarios"
  cmake --preset tsan >/dev/null
  cmake --build --preset tsan -j2 --target herd herd_loopback_tests
  # Only the multi-threaded parts: the pure unit tests have no threads to race.
  build/tsan/tests/herd_loopback_tests
  build/tsan/herd sim --report-dir ""
fi
