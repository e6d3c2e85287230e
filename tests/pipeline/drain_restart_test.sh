#!/usr/bin/env bash
# Nothing lost across restarts under load (at-least-once delivery with writer acks).
#
# HEP/UDP load at a steady rate through collector -> 2 parsers -> writer, acks on. Under that load,
# each stage in turn is stopped with SIGTERM (it must drain and exit promptly) and started again:
# a parser, the writer, the collector. Then every packet the kernel delivered must be stored
# exactly once:
#   distinct rows == packets sent - kernel UDP drops,  and no duplicate rows,
# where the kernel's drops are the deltas of /proc/net/snmp Udp NoPorts (datagrams to the
# collector's port while it was down) and InErrors (buffer overflows = RcvbufErrors, plus what a
# stopping collector refuses with its drop-all filter). The test runs in its own network
# namespace so those counters are its own.
#
#   drain_restart_test.sh BUILD_DIR     (env: SIPVAULT_TEST_DB_SOCKET; RATE, SECONDS_LOAD;
#                                        ACKS=off runs fire and forget: the test then fails, showing
#                                        what the restarts lose without acks)
build=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/delivery_lib.sh"
reexec_in_netns "$@"
work="$build/tests/pipeline/drain-restart"
rm -rf "$work"; mkdir -p "$work"
db=sipvault_drain
source "$here/lib.sh"

rate=${RATE:-5000} secs=${SECONDS_LOAD:-36} acks=${ACKS:-on}
ack_args=(--ack-timeout-ms 3000 --max-resends 20 --drain-timeout-ms 20000)
fresh_db
hep=$(free_port) bus=$(free_port) ack=$(free_port) busw=$(free_port)
collector_ack=$ack; [ "$acks" = off ] && collector_ack=""
ins="connect:tcp://127.0.0.1:$bus" outs="connect:tcp://127.0.0.1:$busw"
start_acked_writer writer-1 "$busw" "$ack"; w=$last_pid
start_parser parser1-1 "$ins" "$outs"; p1=$last_pid
start_parser parser2 "$ins" "$outs"; p2=$last_pid
start_acked_collector collector-1 "$hep" "$bus" "$collector_ack" "${ack_args[@]}"; c=$last_pid
check_started 2

no_ports0=$(udp_counter NoPorts) in_errors0=$(udp_counter InErrors) rcvbuf0=$(udp_counter RcvbufErrors)
"$build/bench/sipvault-loadgen" --hep "udp:127.0.0.1:$hep" --rate "$rate" --duration "$secs" \
  --first-call 3000000 >"$work/load.json" &
load=$!

# Restart one stage: SIGTERM, wait for it to exit (its drain must end under load), start again.
sleep 6
stop_timed "$p1" t_parser
start_parser parser1-2 "$ins" "$outs"; p1=$last_pid
sleep 7
stop_timed "$w" t_writer
start_acked_writer writer-2 "$busw" "$ack"; w=$last_pid
sleep 8
stop_timed "$c" t_collector
start_acked_collector collector-2 "$hep" "$bus" "$collector_ack" "${ack_args[@]}"; c=$last_pid
wait "$load"
sleep 1
# The collector's own drain waits until the writer acked every batch it pushed.
stop_timed "$c" t_collector2
stop_timed "$p1" t_parser1; stop_timed "$p2" t_parser2
stop_timed "$w" t_writer2

sent=$(python3 -c "import json; print(json.load(open('$work/load.json'))['sent'])")
no_ports=$(( $(udp_counter NoPorts) - no_ports0 ))
in_errors=$(( $(udp_counter InErrors) - in_errors0 ))
rcvbuf=$(( $(udp_counter RcvbufErrors) - rcvbuf0 ))
expected=$(( sent - no_ports - in_errors ))
read -r rows distinct <<<"$(stored_counts)"
dups=$(( rows - distinct ))
resent=$(( $(log_field collector-1 stopped resent) + $(log_field collector-2 stopped resent) ))
gave_up=$(( $(log_field collector-1 stopped gave_up) + $(log_field collector-2 stopped gave_up) ))
dedup=$(( $(log_field writer-1 stopped duplicates_dropped) + $(log_field writer-2 stopped duplicates_dropped) ))

echo "load: sent=$sent rate=$rate/s for ${secs}s acks=$acks"
echo "kernel UDP drops: NoPorts=$no_ports InErrors=$in_errors (of which RcvbufErrors=$rcvbuf)"
echo "stored: expected=$expected rows=$rows distinct=$distinct duplicates=$dups"
echo "collector: resent=$resent gave_up=$gave_up; writer duplicates dropped=$dedup"
echo "stop times (s, SIGTERM to exit, under load): parser=$t_parser writer=$t_writer collector=$t_collector;" \
     "final: collector=$t_collector2 parsers=$t_parser1,$t_parser2 writer=$t_writer2"

fail=0
for log in collector-1 collector-2; do
  grep -q 'event=all_acked' "$work/$log.log" || { echo "FAIL: $log exited with unacked batches"; grep unacked_at_exit "$work/$log.log"; fail=1; }
done
[ "$gave_up" = 0 ] || { echo "FAIL: the collector gave up $gave_up batches"; fail=1; }
[ "$distinct" = "$expected" ] || { echo "FAIL: $distinct distinct messages stored, $expected expected ($(( expected - distinct )) lost)"; fail=1; }
[ "$dups" = 0 ] || { echo "FAIL: $dups duplicate rows"; fail=1; }
for t in "$t_parser" "$t_writer" "$t_collector"; do
  python3 -c "import sys; sys.exit(0 if $t < 25 else 1)" || { echo "FAIL: a drain under load took ${t}s"; fail=1; }
done
[ "$fail" = 0 ] || exit 1
echo "drain-restart: parser, writer and collector restarted under load; all $expected delivered packets stored once"
