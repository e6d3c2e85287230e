#!/usr/bin/env bash
# "Nothing lost" through real processes: loadgen (HEP over UDP) -> collector (acks on) -> 2 parsers
# -> writer (outage spool, duplicate window, acks) -> a private MariaDB of this test's own, which
# the test stops and starts.
#
#   case 1, outage: RATE packets/s for LOAD_S seconds; the database is stopped OUTAGE_S seconds in
#     the middle, then started. Every packet sent is stored exactly once, the spool was used and
#     is empty again.
#   case 2, restart: the database goes down under load, the writer spools, gets SIGTERM with the
#     spool non-empty and the database still down, exits 0; the database comes back, the writer
#     is started again and replays its spool before newer batches (checked by row ids against a
#     second load sent after the restart). Every packet is stored exactly once.
#
#   outage_spool_test.sh BUILD_DIR      (env: RATE=10000 LOAD_S=40 OUTAGE_S=30 DOWN_AT_S=3)
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rate=${RATE:-10000} load_s=${LOAD_S:-40} outage_s=${OUTAGE_S:-30} down_at_s=${DOWN_AT_S:-3}
work="$build/tests/pipeline/outage-spool"
dbdir="$work/mariadb"
rm -rf "$work"; mkdir -p "$work"
set -euo pipefail

dbport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$root/deploy/mariadb.sh" start "$dbdir" "$dbport" >/dev/null
export SIPVAULT_TEST_DB_SOCKET="$dbdir/mysqld.sock"
db=sipvault
source "$here/lib.sh"
trap 'cleanup; "$root/deploy/mariadb.sh" stop "$dbdir" >/dev/null 2>&1 || true' EXIT
db_down() { "$root/deploy/mariadb.sh" stop "$dbdir" >/dev/null; }
db_up() { "$root/deploy/mariadb.sh" start "$dbdir" "$dbport" >/dev/null; }

metric() {  # metric PORT NAME_WITH_LABELS: its value, 0 when absent
  { curl -s "http://127.0.0.1:$1/metrics" || true; } | awk -v m="$2" '$1 == m { v = $2 } END { printf "%d\n", v + 0 }'
}
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do echo "== $f"; grep -E 'warn|error' "$f" | tail -5 || true; done; exit 1; }

# start_pipeline CASE: collector (acks in), two parsers, writer (spool, acks out); sets c, p1, p2, w
# and the ports hep, wmetrics, cmetrics.
start_pipeline() {
  local name=$1
  hep=$(free_port) bus=$(free_port) busw=$(free_port) ack=$(free_port)
  wmetrics=$(free_port) cmetrics=$(free_port)
  spool="$work/$name-spool"
  start_writer_proc "$name-writer1"
  start_parser "$name-parser1" "connect:tcp://127.0.0.1:$bus" "connect:tcp://127.0.0.1:$busw"; p1=$last_pid
  start_parser "$name-parser2" "connect:tcp://127.0.0.1:$bus" "connect:tcp://127.0.0.1:$busw"; p2=$last_pid
  start_collector "collector1" "$hep" "$bus" --ack-input "bind:tcp://127.0.0.1:$ack" \
    --metrics-listen "127.0.0.1:$cmetrics"; c=$last_pid
  mv "$work/collector1.log" "$work/$name-collector.log" 2>/dev/null || true
  check_started 1
}
start_writer_proc() {  # start_writer_proc LOGNAME (uses busw, ack, wmetrics, spool)
  bg "$1" "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$busw" --db-socket "$sock" \
    --db-user sipvault --db-password sipvault --db-name "$db" --flush-ms 100 \
    --spool-dir "$spool" --spool-after-ms 2000 --ack-output "connect:tcp://127.0.0.1:$ack" \
    --metrics-listen "127.0.0.1:$wmetrics"
  w=$last_pid
}
stop_pipeline() {
  kill -TERM "$c"; wait "$c" 2>/dev/null || true
  kill -TERM "$p1" "$p2"; wait "$p1" "$p2" 2>/dev/null || true
  kill -TERM "$w"; wait "$w" 2>/dev/null || true
}
loadgen() {  # loadgen OUT.json SECONDS FIRST_CALL
  "$build/bench/sipvault-loadgen" --hep "udp:127.0.0.1:$hep" --rate "$rate" --duration "$2" --first-call "$3" > "$1"
}
sent_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['sent'])" "$1"; }
duplicates() {
  sql "SELECT COUNT(*) FROM (SELECT 1 FROM sip_messages GROUP BY call_id, cseq, method, status, src_ip, capture_us
       HAVING COUNT(*) > 1) d"
}
check_stored_once() {  # check_stored_once CASE EXPECTED
  local stored dups other
  stored=$(wait_rows sip_messages "$2" 90)
  sleep 1  # anything extra (a duplicate) would arrive now
  stored=$(sql "SELECT COUNT(*) FROM sip_messages")
  other=$(sql "SELECT (SELECT COUNT(*) FROM sip_rejects) + (SELECT COUNT(*) FROM hep_other)")
  dups=$(duplicates)
  echo "$1: sent=$2 stored=$stored duplicated=$dups other_tables=$other" \
       "udp_received=$(metric "$cmetrics" 'sipvault_collector_received_total{transport="udp"}')" \
       "kernel_drops=$(metric "$cmetrics" 'sipvault_collector_dropped_total{reason="kernel_udp_buffer"}')" \
       "resent=$(metric "$cmetrics" sipvault_collector_batches_resent_total)" \
       "gave_up=$(metric "$cmetrics" sipvault_collector_batches_gave_up_total)" \
       "duplicates_dropped=$(metric "$wmetrics" sipvault_writer_duplicates_dropped_total)"
  [ "$stored" = "$2" ] || fail "$1: stored $stored of $2 packets sent"
  [ "$dups" = 0 ] || fail "$1: $dups messages stored more than once"
  [ "$other" = 0 ] || fail "$1: $other rows in sip_rejects/hep_other"
}

# ---- case 1: a 30 s outage under 10,000 packets/s -------------------------------------------
start_pipeline outage
loadgen "$work/load1.json" "$load_s" 1000000 &
load=$!
sleep "$down_at_s"
db_down
down_at=$(date +%s)
sleep "$outage_s"
spooled=$(metric "$wmetrics" sipvault_writer_spool_appended_rows_total)
spool_bytes=$(metric "$wmetrics" sipvault_writer_spool_bytes)
db_up
echo "outage: database down $(( $(date +%s) - down_at )) s; rows spooled meanwhile: $spooled ($spool_bytes bytes on disk)"
[ "$spooled" -gt 0 ] || fail "outage: nothing was spooled while the database was down"
up_at=$(date +%s.%N)
for _ in $(seq 1 900); do
  [ "$(metric "$wmetrics" sipvault_writer_spool_records)" = 0 ] && break
  sleep 0.1
done
replay_s=$(python3 -c "print(round($(date +%s.%N) - $up_at, 1))")
echo "outage: spool empty ${replay_s} s after the database was started (load still running: $( kill -0 "$load" 2>/dev/null && echo yes || echo no))"
wait "$load"
sent=$(sent_of "$work/load1.json")
check_stored_once outage "$sent"
replayed=$(metric "$wmetrics" sipvault_writer_spool_replayed_rows_total)
left=$(metric "$wmetrics" sipvault_writer_spool_records)
echo "outage: replayed $replayed rows from the spool; $left batches left"
[ "$replayed" -gt 0 ] || fail "outage: the spool was not replayed"
[ "$left" = 0 ] || fail "outage: $left batches still in the spool"
[ "$(metric "$wmetrics" sipvault_writer_spool_corrupt_records_total)" = 0 ] || fail "outage: corrupt spool records"
stop_pipeline
[ -z "$(ls "$spool"/*.seg 2>/dev/null)" ] || fail "outage: spool segments left on disk"

# ---- case 2: SIGTERM with a non-empty spool and the database down; restart replays first ------
db=sipvault_restart
mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault -e "CREATE DATABASE $db"
start_pipeline restart
loadgen "$work/load2.json" 8 3000000 &
load=$!
sleep 2
db_down
wait "$load"
sent2=$(sent_of "$work/load2.json")
# Everything sent has reached the writer (nothing in flight upstream) and part of it is spooled.
for _ in $(seq 1 150); do
  [ "$(metric "$wmetrics" sipvault_writer_bus_records_total)" -ge "$sent2" ] &&
    [ "$(metric "$wmetrics" sipvault_writer_queue_rows)" = 0 ] && break
  sleep 0.2
done
sleep 3  # spool_after_ms plus a flush: the last rows go to the spool too
spooled=$(metric "$wmetrics" sipvault_writer_spool_records)
received=$(metric "$wmetrics" sipvault_writer_bus_records_total)
[ "$spooled" -gt 0 ] || fail "restart: nothing spooled before the SIGTERM"
kill -TERM "$w"
rc=0; wait "$w" || rc=$?
[ "$rc" = 0 ] || fail "restart: writer exit code $rc on SIGTERM with the database down"
grep -q 'event=stopped' "$work/restart-writer1.log" || fail "restart: writer did not drain"
segments=$(ls "$spool"/*.seg 2>/dev/null | wc -l)
echo "restart: writer received $received records, exited 0 on SIGTERM with $spooled batches in $segments spool segment(s)"
[ "$segments" -gt 0 ] || fail "restart: no spool left on disk"

db_up
restart_us=$(python3 -c 'import time; print(int(time.time() * 1e6))')
start_writer_proc restart-writer2
check_started 1
loadgen "$work/load3.json" 2 5000000
sent3=$(sent_of "$work/load3.json")
check_stored_once restart $((sent2 + sent3))
grep -q 'event=spool_recovered' "$work/restart-writer2.log" || fail "restart: the spool was not recovered at start"
last_old=$(sql "SELECT MAX(id) FROM sip_messages WHERE capture_us < $restart_us")
first_new=$(sql "SELECT MIN(id) FROM sip_messages WHERE capture_us >= $restart_us")
echo "restart: replayed $(metric "$wmetrics" sipvault_writer_spool_replayed_rows_total) rows;" \
     "last id before the restart's traffic $last_old, first id of it $first_new"
[ "$last_old" -lt "$first_new" ] || fail "restart: newer rows were stored before the spool was replayed"
stop_pipeline
echo "outage spool: nothing lost, nothing stored twice"
