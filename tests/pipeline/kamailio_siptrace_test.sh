#!/usr/bin/env bash
# End to end with real peers: sipp (uac) -> Kamailio proxy -> sipp (uas), Kamailio's siptrace
# mirroring every message as HEP (v3 or v2) into sipvault-collector -> parser -> writer -> MariaDB.
# The HEP Kamailio sent is also captured on lo with tcpdump and decoded by sipvault-hepdump: that
# list (Call-ID, method/status, From/To user, addresses, ports) must equal the stored rows exactly.
#
#   kamailio_siptrace_test.sh BUILD_DIR HEP_VERSION      (env: SIPVAULT_TEST_DB_SOCKET)
build=$1 hep_version=$2 calls=${CALLS:-20}
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/kamailio-v$hep_version"
db="sipvault_kam$hep_version"
rm -rf "$work"; mkdir -p "$work"
source "$here/lib.sh"

hep=$(free_port) sip=$(free_port) uas=$(free_port) uac=$(free_port) bus1=$(free_port) bus2=$(free_port)
fresh_db
start_writer "$bus2"
start_parser parser "connect:tcp://127.0.0.1:$bus1" "connect:tcp://127.0.0.1:$bus2"
start_collector collector1 "$hep" "$bus1"
bg tcpdump tcpdump -i lo -n -U -w "$work/hep.pcap" "udp and dst port $hep"; tcpdump_pid=$last_pid
sed -e "s/@SIP_PORT@/$sip/; s/@HEP_PORT@/$hep/; s/@UAS_PORT@/$uas/; s/@HEP_VERSION@/$hep_version/" \
  "$here/kamailio_proxy.cfg.in" > "$work/kamailio.cfg"
bg kamailio kamailio -f "$work/kamailio.cfg" -DD -E -Y "$work" -P "$work/kamailio.pid"
check_started 2
grep -q 'ERROR: bad config' "$work/kamailio.log" && { cat "$work/kamailio.log"; exit 1; }

wait_udp "$sip" 10 || { tail -20 "$work/kamailio.log"; exit 1; }

bg sipp-uas sipp -sn uas -i 127.0.0.1 -p "$uas" -m "$calls" -nostdin
wait_udp "$uas" 10 || { cat "$work/sipp-uas.log"; exit 1; }
# On a busy machine an ACK can come later than T1 and the uas retransmits its 200 OK; the uac,
# pausing before its BYE, would abort the call on that unexpected (but valid) retransmission:
# it ignores it instead (-default_behaviors without abortunexp). Failed calls still fail the test.
( cd "$work" && timeout 120 sipp -sn uac "127.0.0.1:$sip" -i 127.0.0.1 -p "$uac" -m "$calls" -r 10 -d 200 \
    -default_behaviors all,-abortunexp -nostdin >/dev/null 2>"$work/sipp-uac.err" ) ||
  { echo "sipp uac failed"; cat "$work/sipp-uac.err"; exit 1; }
sleep 1
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true

expected_from_pcap "$work/hep.pcap" '' > "$work/expected.tsv"
expected=$(wc -l < "$work/expected.tsv")
[ "$expected" -ge $((calls * 10)) ] || { echo "only $expected HEP packets captured from Kamailio"; exit 1; }
stored=$(wait_rows sip_messages "$expected")
stored_rows > "$work/stored.tsv"
if ! diff "$work/expected.tsv" "$work/stored.tsv" > "$work/diff.txt"; then
  echo "stored rows ($stored) differ from what Kamailio sent ($expected), HEP v$hep_version:"; head -20 "$work/diff.txt"; exit 1
fi
[ "$(sql "SELECT COUNT(*) FROM sip_messages WHERE capture_id <> 2001")" = 0 ] || { echo "wrong capture id"; exit 1; }
echo "kamailio siptrace HEP v$hep_version: $expected messages from $calls calls stored exactly"
