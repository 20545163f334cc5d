#!/usr/bin/env bash
# Installs what Herd needs to build and test on Debian 12, skipping what is already there.
set -euo pipefail
packages=(g++ cmake ninja-build ccache pkg-config ca-certificates python3
  libboost1.81-dev libboost-program-options1.81-dev nlohmann-json3-dev doctest-dev
  libcpp-httplib-dev libssl-dev netcat-openbsd)
# Extra packages for one job (the fuzzers want clang): tools/install-deps.sh clang libclang-rt-14-dev
# --browser-tests: also Debian's Chromium, Node.js and npm, and the browser test's playwright-core
# (tests/browser, pinned in its package-lock.json), for the live view's tests.
browser=false
if [ "${1:-}" = --browser-tests ]; then
  browser=true
  shift
  packages+=(chromium)
  # A Node.js from elsewhere (nodesource) brings its own npm; Debian's would conflict with it.
  command -v node >/dev/null || packages+=(nodejs)
  command -v npm >/dev/null || packages+=(npm)
fi
packages+=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
browser_modules() {
  $browser || return 0
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
  [ -d "$dir/node_modules/playwright-core" ] && return 0
  echo "install-deps: installing the browser test's node modules"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
}
if [ ${#missing[@]} -eq 0 ]; then
  browser_modules
  echo "install-deps: everything is installed"
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
browser_modules
