#!/usr/bin/env bash
# End to end with real media peers (issue 15): baresip alice calls baresip bob through Kamailio,
# whose rtpengine module anchors the media in rtpengine (userspace, --table=-1). rtpengine sends
# every RTCP report the endpoints exchange as HEP 5 (JSON, correlation id = Call-ID; over UDP or
# over TCP) and Kamailio's siptrace every SIP message as HEP 1 (UDP), both into the real
# sipvault-collector -> parser -> writer -> MariaDB (CTest fixture) -> sipvault-api. tcpdump
# records the HEP they sent; sipvault-hepdump decodes it; qos_call_check.py then checks that the
# call's reports are stored (sip_qos) and answered by GET /api/v1/calls/{call_id}/qos with the
# figures rtpengine sent, and that they are plausible for loopback (no loss, jitter of a few ms,
# MOS above 4).
#
#   rtpengine_qos_test.sh BUILD_DIR [udp|tcp]    (env: SIPVAULT_TEST_DB_SOCKET; exit 77 = peers not installed)
build=$1 proto=${2:-udp}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work="$build/tests/peers/rtpengine-qos-$proto"
db=sipvault_peers_qos_$proto
rm -rf "$work"; mkdir -p "$work"
source "$here/qos_pipeline.sh"
source "$here/peers_lib.sh"
require_peers

start_qos_pipeline
peer_ports
record_call "$hep" 11 "$proto"
# Once the call is over, rtpengine has nothing left to send: stop the peers before checking.
stop_pid "$kamailio_pid"; stop_pid "$rtpengine_pid"

call_id=$(call_id_of "$work/call.pcap")
[ -n "$call_id" ] || { echo "no INVITE in $work/call.pcap"; exit 1; }
check_qos_call "$work/hep.pcap" "$call_id"
# Passed: keep the logs, drop the captures (about 0.5 MB a run).
rm -f "$work"/*.pcap
