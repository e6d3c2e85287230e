# Shared by the pipeline end-to-end scripts: start real sipvault processes against the test
# MariaDB (fixture env SIPVAULT_TEST_DB_SOCKET), one database per test, stop them by PID.
# Source it after setting: build (build dir), work (scratch dir), db (database name).
set -euo pipefail
sock=${SIPVAULT_TEST_DB_SOCKET:?the mariadb test fixture sets SIPVAULT_TEST_DB_SOCKET}
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

# A random port below the kernel's ephemeral range, free for TCP and UDP now (a bind(0) port comes from
# that range, where another test's outgoing connection can take it before our daemon binds it), and
# not one this script was given before: ports are picked before any daemon binds them, so two picks
# could be the same free port (a writer and an api both got 19455 once). $(...) runs in a subshell,
# so the ports handed out are kept in a file in $work.
free_port() {
  local port
  while :; do
    port=$(python3 "$(dirname "${BASH_SOURCE[0]}")/../support/free_port.py")
    grep -qx "$port" "$work/.ports-given" 2>/dev/null || break
  done
  echo "$port" >>"$work/.ports-given"
  echo "$port"
}
# bg LOGNAME CMD... : start in the background, remember the PID in $last_pid
bg() { local log=$1; shift; "$@" >"$work/$log.log" 2>&1 & last_pid=$!; pids+=($last_pid); }
sql() { mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault "$db" -N -B -e "$1"; }
fresh_db() {
  mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault \
    -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
}
start_writer() {  # start_writer BUS_PORT
  bg writer "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$1" --db-socket "$sock" \
    --db-user sipvault --db-password sipvault --db-name "$db" --flush-ms 50
}
start_parser() {  # start_parser NAME INPUT_ENDPOINTS OUTPUT_ENDPOINTS
  bg "$1" "$build/parser/sipvault-parser" --input "$2" --output "$3"
}
start_collector() {  # start_collector NAME HEP_PORT BUS_PORT [extra args]
  local name=$1 hep=$2 bus=$3; shift 3
  bg "$name" "$build/collector/sipvault-collector" --udp "127.0.0.1:$hep" --tcp "127.0.0.1:$hep" \
    --output "bind:tcp://127.0.0.1:$bus" --id "${name//[!0-9]/}" "$@"
}
check_started() {  # fails when a daemon reported a start-up problem
  sleep "${1:-1}"
  for f in "$work"/*.log; do
    if grep -q 'startup_failed' "$f"; then echo "start-up failed: $f"; cat "$f"; exit 1; fi
  done
}
wait_udp() {  # wait_udp PORT SECONDS: until something has bound UDP PORT (a peer is ready for its first packet)
  for _ in $(seq 1 $(( $2 * 10 ))); do
    ss -Hlun "sport = :$1" | grep -q . && return 0
    sleep 0.1
  done
  echo "nothing bound UDP port $1 within $2 s"; return 1
}
wait_rows() {  # wait_rows TABLE N [seconds]: wait until TABLE has >= N rows
  local n=0
  for _ in $(seq 1 $(( ${3:-20} * 5 ))); do
    n=$(sql "SELECT COUNT(*) FROM $1")
    [ "$n" -ge "$2" ] && break
    sleep 0.2
  done
  echo "$n"
}
# Decoded HEP of a capture as sorted TSV: call_id, method|status, from_user, to_user, src ip/port, dst ip/port.
expected_from_pcap() {  # expected_from_pcap FILE.pcap BPF
  "$build/tools/hepdump/sipvault-hepdump" -r "$1" -f "$2" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line); s = o.get("sip")
    if not s or "error" in s: continue
    what = s.get("method") or str(s.get("status"))
    print("\t".join([s["call_id"], what, s["from_user"], s["to_user"], o["src_ip"], str(o["src_port"]), o["dst_ip"], str(o["dst_port"])]))
' | sort
}
stored_rows() {
  sql "SELECT call_id, IF(status=0, method, status), from_user, to_user, INET_NTOA(CONV(HEX(src_ip),16,10)), src_port,
              INET_NTOA(CONV(HEX(dst_ip),16,10)), dst_port FROM sip_messages" | sort
}
