#!/usr/bin/env bash
# Installs what Herd needs to build and test on Debian 12, skipping what is already there.
set -euo pipefail
packages=(g++ cmake ninja-build ccache pkg-config ca-certificates python3
  libboost1.81-dev libboost-program-options1.81-dev nlohmann-json3-dev doctest-dev
  libcpp-httplib-dev libssl-dev libre2-dev netcat-openbsd)
# Extra packages for one job (the fuzzers want clang): tools/install-deps.sh clang libclang-rt-14-dev
# --browser-tests: also Debian's Chromium (the live view's browser test drives it over the
# DevTools protocol from Python) and Node.js (the page's logic tests use its test runner).
if [ "${1:-}" = --browser-tests ]; then
  shift
  packages+=(chromium)
  # A Node.js from elsewhere (nodesource) may already be here; Debian's would conflict with it.
  command -v node >/dev/null || packages+=(nodejs)
fi
packages+=("$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: everything is installed"
  exit 0
fi
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
# munge's install makes its key by running mungekey as the munge user (su munge); where another
# user cannot run a shell (a container or build root owned by one mapped user) that fails and
# leaves munge, and Slurm with it, unconfigured. Its install keeps a key already there, so make
# the key first, as root, as the package would: 1024 random bytes, readable by its owner only.
if [[ " ${missing[*]} " == *" munge "* ]] && [ ! -e /etc/munge/munge.key ]; then
  $sudo mkdir -p /etc/munge
  $sudo sh -c 'umask 077 && head -c 1024 /dev/urandom > /etc/munge/munge.key'
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
