#!/usr/bin/env bash
# The api search benchmark (bench/api_bench.cpp): loads N SIP messages over 24 hours into a private
# MariaDB (its own datadir and port under the build tree), starts sipvault-api on it, and prints
# p50/p95 of a Call-ID lookup, an A-number search, combined searches, a call flow and a one-call
# pcap export through the real HTTP API. Results are written down in bench/api_bench.md.
#
#   bench/api_bench.sh [--messages N] [--build DIR] [--skip-load] [--keep] [--iterations N]
#
#   --messages N   messages to load (default 5000000; 7 per call)
#   --build DIR    build tree with the api_bench and sipvault-api targets (default build/release)
#   --skip-load    measure the data loaded by an earlier run (needs --keep then, or a running server)
#   --keep         leave the MariaDB running afterwards (stop: deploy/mariadb.sh stop DIR/api-bench-mariadb)
# Environment: SIPVAULT_BENCH_DB_PORT (default 33071), SIPVAULT_BENCH_API_PORT (default 28181),
#   SIPVAULT_MARIADB_BUFFER_POOL (default 2G here), BUILD_JOBS (default 2), SIPVAULT_BENCH_NO_BUILD=1
#   (use the binaries as they are).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
messages=5000000
iterations=200
skip_load=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --messages) messages=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --iterations) iterations=$2; shift 2 ;;
    --skip-load) skip_load=1; shift ;;
    --keep) keep=1; shift ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64 ;;
  esac
done
db_dir="$build/api-bench-mariadb"
db_port=${SIPVAULT_BENCH_DB_PORT:-33071}
api_port=${SIPVAULT_BENCH_API_PORT:-28181}
sock="$db_dir/mysqld.sock"

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSIPVAULT_TESTS=OFF >/dev/null
fi
if [ "${SIPVAULT_BENCH_NO_BUILD:-0}" != 1 ] && ! cmake --build "$build" --target api_bench sipvault-api -j"${BUILD_JOBS:-2}"; then
  echo "api_bench.sh: build failed; bench/CMakeLists.txt needs: sipvault_add_bench(api_bench sipvault_api_lib)" >&2
  exit 1
fi

SIPVAULT_MARIADB_BUFFER_POOL=${SIPVAULT_MARIADB_BUFFER_POOL:-2G} "$root/deploy/mariadb.sh" start "$db_dir" "$db_port"
api_pid=
cleanup() {
  [ -n "$api_pid" ] && kill -TERM "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null || true
  [ "$keep" = 1 ] || "$root/deploy/mariadb.sh" stop "$db_dir" >/dev/null || true
}
trap cleanup EXIT INT TERM

if [ "$skip_load" = 0 ]; then
  "$build/bench/api_bench" load --db-socket "$sock" --messages "$messages"
fi

rm -f "$db_dir/admin-password" "$db_dir/api.log"
"$build/api/sipvault-api" --listen "127.0.0.1:$api_port" --db-socket "$sock" --db-name sipvault_bench \
  --create-admin bench --admin-password-file "$db_dir/admin-password" --db-pool-size 8 \
  >"$db_dir/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 100); do
  grep -q "event=listening" "$db_dir/api.log" 2>/dev/null && break
  kill -0 "$api_pid" 2>/dev/null || { cat "$db_dir/api.log" >&2; exit 1; }
  sleep 0.1
done
if [ ! -s "$db_dir/admin-password" ]; then
  # The user exists from an earlier run: give it a known password through a fresh database user row.
  mariadb --no-defaults -S "$sock" -uroot sipvault_bench -e "DELETE FROM api_users WHERE username='bench'"
  kill -TERM "$api_pid"; wait "$api_pid" 2>/dev/null || true
  rm -f "$db_dir/api.log"
  "$build/api/sipvault-api" --listen "127.0.0.1:$api_port" --db-socket "$sock" --db-name sipvault_bench \
    --create-admin bench --admin-password-file "$db_dir/admin-password" >"$db_dir/api.log" 2>&1 &
  api_pid=$!
  for _ in $(seq 1 100); do grep -q "event=listening" "$db_dir/api.log" 2>/dev/null && break; sleep 0.1; done
fi
"$build/bench/api_bench" measure --db-socket "$sock" --url "http://127.0.0.1:$api_port" --user bench \
  --password-file "$db_dir/admin-password" --iterations "$iterations"
