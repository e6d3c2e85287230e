#!/usr/bin/env bash
# IP-in-IP mirrors (IP protocol 4 with inner IPv4, protocol 41 with inner IPv6) sent to
# 127.0.0.1 reach the collector's raw sockets and are stored with the INNER addresses and ports.
# Also: without CAP_NET_RAW the collector says so in one line and exits non-zero.
#
#   ipip_test.sh BUILD_DIR        (env: SIPVAULT_TEST_DB_SOCKET; runs as root)
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/ipip"
rm -rf "$work"; mkdir -p "$work"
db=sipvault_ipip
source "$here/lib.sh"

fresh_db
hep=$(free_port) bus1=$(free_port) bus2=$(free_port)
start_writer "$bus2"
start_parser parser "connect:tcp://127.0.0.1:$bus1" "connect:tcp://127.0.0.1:$bus2"
start_collector collector1 "$hep" "$bus1" --ipip
check_started 1
sent=$(python3 "$here/ipip_send.py" 50)
stored=$(wait_rows sip_messages "$sent")
echo "sent $sent IP-in-IP packets, stored $stored"
[ "$stored" = "$sent" ] || exit 1
[ "$(sql "SELECT COUNT(*) FROM sip_messages WHERE call_id LIKE 'ipip-v4-%' AND HEX(src_ip) = 'C000020A'
          AND HEX(dst_ip) = 'C0000214' AND src_port = 5060 AND dst_port = 5062 AND ip_proto = 17")" = 50 ] || {
  echo "inner IPv4 addresses/ports not stored"; exit 1; }
[ "$(sql "SELECT COUNT(*) FROM sip_messages WHERE call_id LIKE 'ipip-v6-%'
          AND HEX(src_ip) = '20010DB8000000000000000000000010' AND dst_port = 5062")" = 50 ] || {
  echo "inner IPv6 addresses not stored"; exit 1; }

# Without CAP_NET_RAW: one clear line, exit 69. (setpriv drops every capability.)
set +e
setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$build/collector/sipvault-collector" --ipip --udp= --tcp= --output "bind:tcp://127.0.0.1:$(free_port)" \
  > "$work/nocap.log" 2>&1
rc=$?
set -e
grep -q 'event=startup_failed.*CAP_NET_RAW' "$work/nocap.log" || { echo "no clear CAP_NET_RAW message:"; cat "$work/nocap.log"; exit 1; }
[ "$rc" = 69 ] || { echo "exit code $rc, want 69"; exit 1; }
echo "ipip: IPv4-in-IPv4 and IPv6-in-IPv4 stored with inner addresses; missing CAP_NET_RAW reported"
