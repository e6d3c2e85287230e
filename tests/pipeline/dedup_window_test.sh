#!/usr/bin/env bash
# The writer's duplicate window through real processes: HEP3 packets sent to a collector, parsed,
# stored by sipvault-writer with its default window (250 ms). Each case uses its own source port
# and a real SIP message (corpus rfc4475/valid/sdp01.dat):
#   same   the same HEP packet sent twice (a retried send)                 -> 1 row
#   agents the same packet captured 100 ms apart with another capture id   -> 1 row (two agents on one path)
#   t1     the same packet captured 600 ms apart (a SIP retransmission)    -> 2 rows
#   train  captures at 0, 500, 1500, 3500 ms (Timer A retransmissions)     -> 4 rows
#   other  the same capture time and payload from another source port      -> 1 row (not a duplicate of `same`)
#
#   dedup_window_test.sh BUILD_DIR CORPUS_DIR     (env: SIPVAULT_TEST_DB_SOCKET)
build=$1 corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/dedup-window"
rm -rf "$work"; mkdir -p "$work"
db=sipvault_dedup
source "$here/lib.sh"

fresh_db
hep=$(free_port) bus=$(free_port) busw=$(free_port) wmetrics=$(free_port)
bg writer "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$busw" --db-socket "$sock" \
  --db-user sipvault --db-password sipvault --db-name "$db" --flush-ms 50 --metrics-listen "127.0.0.1:$wmetrics"
w=$last_pid
start_parser parser "connect:tcp://127.0.0.1:$bus" "connect:tcp://127.0.0.1:$busw"; p=$last_pid
start_collector collector1 "$hep" "$bus"; c=$last_pid
check_started 1

# HEP3 (generic chunks: family, proto, IPv4 src/dst, ports, time, payload type SIP, capture id, payload).
python3 - "$corpus/rfc4475/valid/sdp01.dat" "$hep" <<'EOF'
import socket, struct, sys, time
payload = open(sys.argv[1], "rb").read()
def chunk(t, v): return struct.pack("!HHH", 0, t, 6 + len(v)) + v
def hep3(sport, t_us, capture_id):
    body = (chunk(1, b"\x02") + chunk(2, b"\x11") + chunk(3, socket.inet_aton("192.0.2.10")) +
            chunk(4, socket.inet_aton("192.0.2.20")) + chunk(7, struct.pack("!H", sport)) +
            chunk(8, struct.pack("!H", 5060)) + chunk(9, struct.pack("!I", t_us // 1000000)) +
            chunk(10, struct.pack("!I", t_us % 1000000)) + chunk(11, b"\x01") +
            chunk(12, struct.pack("!I", capture_id)) + chunk(15, payload))
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("127.0.0.1", int(sys.argv[2]))
t0 = int(time.time() * 1e6)
ms = 1000
sends = [
    (41001, t0, 1), (41001, t0, 1),                                        # same
    (41002, t0, 1), (41002, t0 + 100 * ms, 2),                             # agents
    (41003, t0, 1), (41003, t0 + 600 * ms, 1),                             # t1
    (41004, t0, 1), (41004, t0 + 500 * ms, 1), (41004, t0 + 1500 * ms, 1), (41004, t0 + 3500 * ms, 1),  # train
    (41005, t0, 1),                                                        # other
]
for sport, t, cid in sends:
    s.sendto(hep3(sport, t, cid), dst)
    time.sleep(0.01)  # the copies arrive one after another, as they would
EOF

wait_rows sip_messages 8 20 >/dev/null
sleep 1  # a duplicate that slipped through would arrive now
kill -TERM "$c" "$p"; wait "$c" "$p" 2>/dev/null || true
dropped=$(curl -s "http://127.0.0.1:$wmetrics/metrics" | awk '$1 == "sipvault_writer_duplicates_dropped_total" { print $2 }')
kill -TERM "$w"; wait "$w" 2>/dev/null || true

status=0
check() {  # check CASE SRC_PORT EXPECTED_ROWS
  local n; n=$(sql "SELECT (SELECT COUNT(*) FROM sip_messages WHERE src_port = $2) +
                           (SELECT COUNT(*) FROM sip_rejects WHERE src_port = $2)")
  if [ "$n" = "$3" ]; then echo "$1: $n row(s), as expected"; else echo "FAIL $1: $n row(s), expected $3"; status=1; fi
}
check same 41001 1
check agents 41002 1
check t1 41003 2
check train 41004 4
check other 41005 1
[ "${dropped:-0}" = 2 ] || { echo "FAIL: writer_duplicates_dropped_total = ${dropped:-none}, expected 2"; status=1; }
[ "$status" = 0 ] && echo "dedup window: copies within 250 ms stored once, retransmissions >= 500 ms apart all stored"
exit "$status"
