#!/usr/bin/env bash
# The real HEP v1, v2 and v3 captures Kamailio made (corpus/hep/kamailio), replayed into the
# pipeline over UDP and (v3) TCP: every message is stored once with the fields our hepdump decodes
# from the same capture. Then HEP3 with a compressed payload and the hep-wireshark capture
# (the log payload goes to hep_other, its RTCP JSON into sip_qos, neither into sip_messages).
#
#   corpus_replay_test.sh BUILD_DIR CORPUS_DIR     (env: SIPVAULT_TEST_DB_SOCKET)
build=$1 corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/corpus-replay"
rm -rf "$work"; mkdir -p "$work"
db=sipvault_replay
source "$here/lib.sh"

run_case() {  # run_case NAME PCAP TRANSPORT
  local name=$1 pcap=$2 transport=$3
  fresh_db
  local hep bus1 bus2; hep=$(free_port) bus1=$(free_port) bus2=$(free_port)
  start_writer "$bus2"; local w=$last_pid
  start_parser parser "connect:tcp://127.0.0.1:$bus1" "connect:tcp://127.0.0.1:$bus2"; local p=$last_pid
  start_collector collector1 "$hep" "$bus1"; local c=$last_pid
  check_started 1
  local sent; sent=$(python3 "$here/hep_replay.py" "$pcap" "$transport" 127.0.0.1 "$hep" --dport 9060)
  expected_from_pcap "$pcap" 'udp port 9060' > "$work/$name.expected"
  local want; want=$(wc -l < "$work/$name.expected")
  wait_rows sip_messages "$want" >/dev/null
  stored_rows > "$work/$name.stored"
  diff "$work/$name.expected" "$work/$name.stored" > "$work/$name.diff" || {
    echo "$name: stored rows differ from the capture:"; head "$work/$name.diff"; exit 1; }
  # SIGTERM drains every stage; nothing arrives late.
  kill -TERM "$c" "$p" "$w"; wait "$c" "$p" "$w" 2>/dev/null || true
  echo "$name: sent $sent, stored $want SIP rows exactly"
}

run_case hep1-udp "$corpus/hep/kamailio/hep1-kamailio-udp.pcap" udp
run_case hep2-udp "$corpus/hep/kamailio/hep2-kamailio-udp.pcap" udp
run_case hep3-udp "$corpus/hep/kamailio/hep3-kamailio-udp.pcap" udp
run_case hep3-tcp "$corpus/hep/kamailio/hep3-kamailio-udp.pcap" tcp
run_case hep3-mixed-payloads "$corpus/hep/hep-wireshark_hep.pcap" udp
# The log payload stays raw in hep_other; the real RTCP-JSON report (rtpengine's form: an SR with one block)
# is decoded into two sip_qos rows on the call its correlation id names (issue 15).
[ "$(sql "SELECT COUNT(*) FROM hep_other")" = 1 ] || { echo "log payload not in hep_other"; exit 1; }
[ "$(sql "SELECT COUNT(*) FROM sip_qos WHERE call_id = 'qgf3dm9rudi@127.0.0.1' AND source = 2")" = 2 ] || {
  echo "RTCP JSON not decoded into sip_qos"; sql "SELECT * FROM sip_qos"; exit 1; }
[ "$(sql "SELECT CONCAT(ssrc, ' ', packets) FROM sip_qos WHERE direction = 1")" = "451916597 106" ] || {
  echo "RTCP JSON sender info wrong"; exit 1; }
[ "$(sql "SELECT COUNT(*) FROM sip_messages WHERE correlation_id = 'qgf3dm9rudi@127.0.0.1'")" = 6 ] || {
  echo "correlation id not stored"; exit 1; }
echo "corpus replay: all cases passed"
