#!/usr/bin/env bash
# Hostile SIP through the whole pipeline (issue 6): the corpus of tests/hostile/make_hostile.py
# goes in over HEP3 (UDP and TCP, the big ones compressed over TCP) to real collector -> parser ->
# writer -> MariaDB -> api processes; hostile_pipeline_test.py then checks through the REST api
# that every message is stored byte-exact and found by its Call-ID, that rejects are kept raw,
# that over-limit input is counted, that hostile search parameters never give a 500 or wrong rows,
# the api's HTTP limits, and that the database still has all its tables.
#
#   hostile_pipeline_test.sh BUILD_DIR     (env: SIPVAULT_TEST_DB_SOCKET)
build=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work="$build/tests/pipeline/hostile"
rm -rf "$work"; mkdir -p "$work"
db=sipvault_hostile
source "$here/lib.sh"

python3 "$src/tests/hostile/make_hostile.py" "$work/corpus" >/dev/null
fresh_db
hep=$(free_port) bus1=$(free_port) bus2=$(free_port) http=$(free_port)
cmetrics=$(free_port) pmetrics=$(free_port)
start_writer "$bus2"
bg parser "$build/parser/sipvault-parser" --input "connect:tcp://127.0.0.1:$bus1" \
  --output "connect:tcp://127.0.0.1:$bus2" --metrics-listen "127.0.0.1:$pmetrics"
# The corpus holds a ~1 MB compressed message that must be stored: raise the inflate bound (64 KiB
# by default) to the codec's 1 MiB ceiling; the 2 MiB one is still refused and counted.
start_collector collector1 "$hep" "$bus1" --metrics-listen "127.0.0.1:$cmetrics" --max-inflated-kb 1024
bg api "$build/api/sipvault-api" --listen "127.0.0.1:$http" --metrics-listen '' --db-socket "$sock" \
  --db-user sipvault --db-password sipvault --db-name "$db" --ui-dir "$src/api/ui" \
  --create-admin admin --admin-password-file "$work/admin-password"
check_started 1

python3 "$here/hostile_pipeline_test.py" --corpus "$work/corpus" --hep-port "$hep" \
  --api "http://127.0.0.1:$http" --admin-password-file "$work/admin-password" --db-socket "$sock" --db "$db" \
  --collector-metrics "http://127.0.0.1:$cmetrics/metrics" --parser-metrics "http://127.0.0.1:$pmetrics/metrics"
