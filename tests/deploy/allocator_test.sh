#!/usr/bin/env bash
# Every daemon runs on jemalloc (CMakeLists.txt, SIPVAULT_JEMALLOC): asked through MALLOC_CONF, the
# allocator in the running process prints its statistics at exit, which glibc's malloc ignores.
#
#   allocator_test.sh BUILD_DIR
set -uo pipefail
build=$1
fail=0
for d in collector parser writer api agent; do
  bin=$build/$d/sipvault-$d
  out=$(MALLOC_CONF=stats_print:true "$bin" --help 2>&1 >/dev/null)
  if grep -q 'Begin jemalloc statistics' <<<"$out"; then echo "ok - sipvault-$d allocates with jemalloc"
  else echo "not ok - sipvault-$d does not run on jemalloc"; fail=1; fi
done
exit $fail
