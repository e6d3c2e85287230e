#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEED_DIR REGRESSION_DIR WORK_DIR SECONDS
# Replays every kept regression input, then fuzzes for SECONDS on a scratch copy of the seeds
# (the checked-in corpus is never written to).
set -euo pipefail
fuzzer=$1 seeds=$2 regressions=$3 work=$4 seconds=$5
rm -rf "$work"; mkdir -p "$work/corpus"
[ -d "$seeds" ] && cp -r "$seeds"/. "$work/corpus/" 2>/dev/null || true
if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions" 2>/dev/null)" ]; then
  "$fuzzer" -runs=0 "$regressions"/*
fi
cd "$work"
"$fuzzer" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -print_final_stats=1 corpus
