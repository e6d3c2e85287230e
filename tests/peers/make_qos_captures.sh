#!/usr/bin/env bash
# Regenerates the real RTCP captures of tests/data/qos-captures/ (README.md there says what they
# hold): one 11 s call, baresip alice -> Kamailio (rtpengine module) -> baresip bob, the media
# anchored in rtpengine (userspace), all on 127.0.0.1. A UDP sink stands where a HEP collector
# would; tcpdump records what rtpengine and Kamailio's siptrace send to it, and, separately, the
# SIP, RTP and RTCP of the call. Needs root (tcpdump) and no sipvault build.
#
#   tests/peers/make_qos_captures.sh [OUT_DIR]     (default: tests/data/qos-captures)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../data/qos-captures}
work=$(mktemp -d /tmp/qos-captures.XXXXXX)
source "$here/peers_lib.sh"
trap 'peers_cleanup; rm -rf "$work"' EXIT
require_peers

peer_ports
hep=$spare_port
bg hep-sink python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(65535)' "$hep"
wait_udp "$hep" 5
record_call "$hep" 11

mkdir -p "$out"
cp "$work/hep.pcap" "$out/rtpengine-kamailio-hep.pcap"
cp "$work/call.pcap" "$out/baresip-call-lo.pcap"
python3 "$here/qos_capture_summary.py" "$out/rtpengine-kamailio-hep.pcap" "$out/baresip-call-lo.pcap" \
  | sed -e "s#$out/##" > "$out/SUMMARY.txt"
{
  echo "Made $(date -u +%Y-%m-%dT%H:%M:%SZ) by tests/peers/make_qos_captures.sh; ports of this run: Kamailio $kamailio_port,"
  echo "bob $uas_port (RTP $uas_rtp_min-$uas_rtp_max), alice $uac_port (RTP $uac_rtp_min-$uac_rtp_max),"
  echo "rtpengine NG $ng_port (media $rtpengine_min-$rtpengine_max), HEP sink $hep. Call-ID $(call_id_of "$out/baresip-call-lo.pcap")."
  echo "Versions: rtpengine $(rtpengine --version 2>&1 | sed -n 's/^Version: //p'); $(kamailio -v 2>&1 | head -1 | sed 's/^version: //');"
  echo "$(baresip -h 2>&1 | head -1 | cut -d' ' -f1,2); $(tcpdump --version 2>&1 | head -1); $(tshark --version | head -1)"
  echo
  cat "$out/SUMMARY.txt"
} > "$work/summary" && mv "$work/summary" "$out/SUMMARY.txt"
ls -l "$out"
