#!/usr/bin/env bash
# M x N x K as separate processes: two collectors (each bound on its own bus port), two parser
# workers connected to both collectors and to one writer. The load generator sends distinct calls
# to each collector: every packet must be stored exactly once (count and no duplicates), and the
# work must have been shared by both parsers.
#
#   scale_out_test.sh BUILD_DIR        (env: SIPVAULT_TEST_DB_SOCKET)
build=$1 per_collector=${PACKETS:-7000}
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/scale-out"
rm -rf "$work"; mkdir -p "$work"
db=sipvault_scale
source "$here/lib.sh"

fresh_db
hep1=$(free_port) hep2=$(free_port) bus1=$(free_port) bus2=$(free_port) busw=$(free_port)
start_writer "$busw"; w=$last_pid
ins="connect:tcp://127.0.0.1:$bus1,connect:tcp://127.0.0.1:$bus2"
start_parser parser1 "$ins" "connect:tcp://127.0.0.1:$busw"; p1=$last_pid
start_parser parser2 "$ins" "connect:tcp://127.0.0.1:$busw"; p2=$last_pid
start_collector collector1 "$hep1" "$bus1" --metrics-listen "127.0.0.1:$(free_port)"; c1=$last_pid
start_collector collector2 "$hep2" "$bus2"; c2=$last_pid
check_started 1

rate=${RATE:-5000} secs=$(python3 -c "print($per_collector / ${RATE:-5000})")
"$build/bench/sipvault-loadgen" --hep "udp:127.0.0.1:$hep1" --rate "$rate" --duration "$secs" --first-call 1000000 > "$work/load1.json" &
l1=$!
"$build/bench/sipvault-loadgen" --hep "udp:127.0.0.1:$hep2" --rate "$rate" --duration "$secs" --first-call 2000000 > "$work/load2.json"
wait "$l1"
sent=$(python3 -c "import json; print(sum(json.load(open(f))['sent'] for f in ['$work/load1.json','$work/load2.json']))")
stored=$(wait_rows sip_messages "$sent" 60)
kill -TERM "$c1" "$c2"; wait "$c1" "$c2" 2>/dev/null || true
kill -TERM "$p1" "$p2"; wait "$p1" "$p2" 2>/dev/null || true
kill -TERM "$w"; wait "$w" 2>/dev/null || true
stored=$(sql "SELECT COUNT(*) FROM sip_messages")
dups=$(sql "SELECT COUNT(*) FROM (SELECT 1 FROM sip_messages GROUP BY call_id, cseq, method, status, src_ip HAVING COUNT(*) > 1) d")
echo "sent=$sent stored=$stored duplicates=$dups"
[ "$stored" = "$sent" ] || { echo "FAIL: stored $stored of $sent"; exit 1; }
[ "$dups" = 0 ] || { echo "FAIL: $dups duplicated messages"; exit 1; }
for p in parser1 parser2; do
  n=$(grep -o 'packets_in=[0-9]*' "$work/$p.log" | tail -1 | cut -d= -f2)
  [ "${n:-0}" -gt 0 ] || { echo "FAIL: $p did no work"; exit 1; }
  echo "$p parsed $n packets"
done
echo "scale-out: 2 collectors x 2 parsers x 1 writer stored all $sent packets once"
