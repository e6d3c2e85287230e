# The sipvault side of the tests/peers end-to-end tests: collector -> parser -> writer -> the test
# MariaDB (CTest fixture mariadb, one database per test) -> api, started by PID with
# tests/pipeline/lib.sh, and the check of one call's quality reports against the HEP its peers
# sent. Source after setting build, src, work and db.
source "$src/tests/pipeline/lib.sh"

# start_qos_pipeline: sets hep (the collector's HEP port, UDP and TCP) and http (the api's port);
# the admin's password is in $work/admin-password.
start_qos_pipeline() {
  fresh_db
  hep=$(free_port) http=$(free_port)
  local bus1 bus2; bus1=$(free_port) bus2=$(free_port)
  start_writer "$bus2"
  start_parser parser "connect:tcp://127.0.0.1:$bus1" "connect:tcp://127.0.0.1:$bus2"
  start_collector collector1 "$hep" "$bus1"
  bg api "$build/api/sipvault-api" --listen "127.0.0.1:$http" --metrics-listen '' --db-socket "$sock" \
    --db-user sipvault --db-password sipvault --db-name "$db" --ui-dir "$src/api/ui" \
    --create-admin admin --admin-password-file "$work/admin-password"
  check_started 1
}

# check_qos_call HEP_PCAP [CALL_ID]: decodes the HEP the peers sent (sipvault-hepdump) and runs
# qos_call_check.py on the call (default: the Call-ID of the first INVITE in the HEP).
check_qos_call() {
  "$build/tools/hepdump/sipvault-hepdump" -r "$1" -f "" > "$work/hep.jsonl"
  python3 "$src/tests/peers/qos_call_check.py" --hep-jsonl "$work/hep.jsonl" ${2:+--call-id "$2"} \
    --db-socket "$sock" --db "$db" --api "http://127.0.0.1:$http" --admin-password-file "$work/admin-password"
}
