#!/usr/bin/env bash
# The whole test suite, as CI runs it (README command 2):
#   1. install missing packages, build the `dev` preset, check the layering (tools/check_layers.py:
#      no daemon includes another daemon's folder, no library includes a daemon), run every CTest label
#      (unit, integration, e2e, browser) -- integration tests start their own private MariaDB;
#   2. build everything with the `asan` preset (ASan + UBSan) and run the unit and integration
#      tests on it (the integration tests start the sanitized daemons against a real MariaDB);
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

step "layering (ARCHITECTURE.md)"
python3 tools/check_layers.py

if [ -f tests/browser/package.json ]; then
  step "browser test dependencies (npm playwright-core, Debian chromium)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
fi

step "dev: all labels"
ctest --test-dir build/dev --output-on-failure -j "$jobs" --timeout 600

# Unit and integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer: every pure
# library, and the daemons (collector, parser, writer, api, agent) as the integration tests run them.
# Sanitizer reports fail the test (halt_on_error; leaks in third-party libraries are suppressed in
# tests/sanitizer/lsan.supp, ours are not).
step "asan build"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
step "asan: unit + integration"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0}
ctest --test-dir build/asan --output-on-failure -j "$jobs" -L '^(unit|integration)$' --timeout 900

step "fuzz build"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"
step "fuzz-smoke"
ctest --test-dir build/fuzz --output-on-failure -L fuzz-smoke -j "$jobs"

step "done"
