#!/usr/bin/env bash
# End to end with real peers: sipp (uac) -> Kamailio proxy -> sipp (uas), Kamailio's siptrace
# mirroring every message as HEP (v3 or v2) into sipvault-collector -> parser -> writer -> MariaDB.
# The HEP Kamailio sent is also captured on lo with tcpdump and decoded by sipvault-hepdump: that
# list (Call-ID, method/status, addresses, ports) must equal the rows in the database, exactly.
#
#   kamailio_siptrace_test.sh BUILD_DIR HEP_VERSION      (env: SIPVAULT_TEST_DB_SOCKET)
set -euo pipefail
build=$1 hep_version=$2 calls=${CALLS:-20}
here=$(cd "$(dirname "$0")" && pwd)
sock=${SIPVAULT_TEST_DB_SOCKET:?the mariadb test fixture sets SIPVAULT_TEST_DB_SOCKET}
work="$build/tests/pipeline/kamailio-v$hep_version"
rm -rf "$work"; mkdir -p "$work"
db="sipvault_kam$hep_version"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
hep=$(free_port) sip=$(free_port) uas=$(free_port) uac=$(free_port) bus1=$(free_port) bus2=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
bg() { local log=$1; shift; "$@" >"$work/$log.log" 2>&1 & pids+=($!); }
sql() { mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault "$db" -N -B -e "$1"; }

mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
bg writer "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$bus2" --db-socket "$sock" \
  --db-user sipvault --db-password sipvault --db-name "$db" --flush-ms 50
bg parser "$build/parser/sipvault-parser" --input "connect:tcp://127.0.0.1:$bus1" --output "connect:tcp://127.0.0.1:$bus2"
bg collector "$build/collector/sipvault-collector" --udp "127.0.0.1:$hep" --tcp= --output "bind:tcp://127.0.0.1:$bus1"
bg tcpdump tcpdump -i lo -n -U -w "$work/hep.pcap" "udp and dst port $hep"
sed -e "s/@SIP_PORT@/$sip/; s/@HEP_PORT@/$hep/; s/@UAS_PORT@/$uas/; s/@HEP_VERSION@/$hep_version/" \
  "$here/kamailio_proxy.cfg.in" > "$work/kamailio.cfg"
bg kamailio kamailio -f "$work/kamailio.cfg" -DD -E -Y "$work" -P "$work/kamailio.pid"
sleep 2
for d in writer parser collector kamailio; do
  grep -q 'startup_failed\|ERROR: bad config' "$work/$d.log" && { echo "$d failed:"; cat "$work/$d.log"; exit 1; }
done

( cd "$work" && sipp -sn uas -i 127.0.0.1 -p "$uas" -m "$calls" -bg >/dev/null 2>&1 ) || true
( cd "$work" && timeout 120 sipp -sn uac "127.0.0.1:$sip" -i 127.0.0.1 -p "$uac" -m "$calls" -r 10 -d 200 \
    -nostdin -trace_stat >/dev/null 2>"$work/sipp-uac.err" ) || { echo "sipp uac failed"; cat "$work/sipp-uac.err"; exit 1; }
sleep 2
pkill -f "sipp -sn uas -i 127.0.0.1 -p $uas" 2>/dev/null || true

# What Kamailio sent, as decoded by our hepdump from the wire capture.
kill "${pids[3]}"; wait "${pids[3]}" 2>/dev/null || true
"$build/tools/hepdump/sipvault-hepdump" -r "$work/hep.pcap" -f '' > "$work/hep.json" 2>"$work/hepdump.err"
python3 - "$work/hep.json" > "$work/expected.tsv" <<'PY'
import json, sys, ipaddress
for line in open(sys.argv[1]):
    o = json.loads(line); s = o["sip"]
    what = s.get("method") or str(s.get("status"))
    print("\t".join([s["call_id"], what, s["from_user"], s["to_user"], o["src_ip"], str(o["src_port"]), o["dst_ip"], str(o["dst_port"])]))
PY
expected=$(wc -l < "$work/expected.tsv")
[ "$expected" -ge $((calls * 10)) ] || { echo "only $expected HEP packets captured from Kamailio"; exit 1; }

# Wait for the pipeline to store them all.
for _ in $(seq 1 100); do
  n=$(sql "SELECT COUNT(*) FROM sip_messages")
  [ "$n" -ge "$expected" ] && break
  sleep 0.2
done
sql "SELECT call_id, IF(status=0, method, status), from_user, to_user, INET_NTOA(CONV(HEX(src_ip),16,10)), src_port,
            INET_NTOA(CONV(HEX(dst_ip),16,10)), dst_port FROM sip_messages" > "$work/stored.tsv"
sort "$work/expected.tsv" > "$work/expected.sorted"; sort "$work/stored.tsv" > "$work/stored.sorted"
if ! diff "$work/expected.sorted" "$work/stored.sorted" > "$work/diff.txt"; then
  echo "database rows differ from what Kamailio sent (HEP v$hep_version):"; head -20 "$work/diff.txt"; exit 1
fi
[ "$(sql "SELECT COUNT(*) FROM sip_messages WHERE capture_id <> 2001")" = 0 ] || { echo "wrong capture id"; exit 1; }
echo "kamailio siptrace HEP v$hep_version: $expected messages from $calls calls stored exactly"
