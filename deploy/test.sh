#!/usr/bin/env bash
# The whole test suite, as CI runs it (README command 2):
#   1. install missing packages, build the `dev` preset, run every CTest label
#      (unit, integration, e2e, browser) -- integration tests start their own private MariaDB;
#   2. build the unit tests with the `asan` preset (ASan + UBSan) and run them;
#   3. build the `fuzz` preset (clang + libFuzzer) and run each fuzz target briefly (fuzz-smoke).
# Exit status is non-zero when any step fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${SIPVAULT_JOBS:-$(nproc)}
export SIPVAULT_JOBS=$jobs
start=$(date +%s)
step() { printf '\n[test] === %s (%ss elapsed)\n' "$*" "$(( $(date +%s) - start ))"; }

step "setup + dev build"
deploy/setup.sh dev

if [ -f tests/browser/package.json ]; then
  step "browser test dependencies (npm playwright-core, Debian chromium)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

step "dev: all labels"
ctest --test-dir build/dev --output-on-failure -j "$jobs" --timeout 600

# The unit test executables (every pure library: HEP, SIP, packet decoder, writer's pure parts,
# common) under AddressSanitizer + UndefinedBehaviorSanitizer.
asan_targets=(proto_tests parser_tests parser_daemon_tests netdecode_tests common_tests writer_unit_tests)
step "asan build (${asan_targets[*]})"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs" --target "${asan_targets[@]}"
step "asan: unit"
ctest --test-dir build/asan --output-on-failure -j "$jobs" -L unit --timeout 900

step "fuzz build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
step "fuzz-smoke"
ctest --test-dir build/fuzz --output-on-failure -L fuzz-smoke -j "$jobs"

step "done"
