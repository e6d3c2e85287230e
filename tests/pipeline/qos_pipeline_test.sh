#!/usr/bin/env bash
# Call-quality reports (issue 15) through the real pipeline: HEP/UDP -> collector -> parser ->
# writer -> MariaDB. qos_pipeline_test.py sends one call with RTCP (raw SR+RR compounds and JSON as
# HEP 5, the agent's statistics as HEP 34), an X-RTP-Stat BYE, a vq-rtcpxr PUBLISH and garbage HEP 5
# between them, then checks the sip_qos rows field by field, hep_other, and the counters.
#
#   qos_pipeline_test.sh BUILD_DIR      (env: SIPVAULT_TEST_DB_SOCKET)
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/qos"
db=sipvault_qos_pipeline
rm -rf "$work"; mkdir -p "$work"
source "$here/lib.sh"

fresh_db
hep=$(free_port) bus1=$(free_port) bus2=$(free_port) pmetrics=$(free_port) wmetrics=$(free_port)
bg writer "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$bus2" --db-socket "$sock" \
  --db-user sipvault --db-password sipvault --db-name "$db" --flush-ms 50 --metrics-listen "127.0.0.1:$wmetrics"
bg parser "$build/parser/sipvault-parser" --input "connect:tcp://127.0.0.1:$bus1" \
  --output "connect:tcp://127.0.0.1:$bus2" --metrics-listen "127.0.0.1:$pmetrics"
start_collector collector1 "$hep" "$bus1"
check_started 2

status=0
python3 "$here/qos_pipeline_test.py" --hep-port "$hep" --db-socket "$sock" --db "$db" \
  --parser-metrics "http://127.0.0.1:$pmetrics/metrics" --writer-metrics "http://127.0.0.1:$wmetrics/metrics" || status=$?
if [ "$status" != 0 ]; then
  for f in "$work"/*.log; do echo "== $f"; tail -20 "$f"; done
fi
mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault -e "DROP DATABASE IF EXISTS $db" || true
rm -rf "$work"
exit "$status"
