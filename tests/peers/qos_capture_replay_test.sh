#!/usr/bin/env bash
# The committed real capture tests/data/qos-captures/rtpengine-kamailio-hep.pcap (rtpengine's RTCP
# JSON as HEP 5, Kamailio's siptrace of the call as HEP 1; README.md there says how it was made)
# replayed over UDP into collector -> parser -> writer -> MariaDB -> api: the call's reports must be
# stored and answered with the figures the capture holds (qos_call_check.py). Needs no peer
# installed; rtpengine_qos_test.sh makes such a call live.
#
#   qos_capture_replay_test.sh BUILD_DIR     (env: SIPVAULT_TEST_DB_SOCKET)
build=$1
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
work="$build/tests/peers/capture-replay"
db=sipvault_peers_replay
capture="$src/tests/data/qos-captures/rtpengine-kamailio-hep.pcap"
rm -rf "$work"; mkdir -p "$work"
source "$here/qos_pipeline.sh"

start_qos_pipeline
sent=$(python3 "$src/tests/pipeline/hep_replay.py" "$capture" udp 127.0.0.1 "$hep")
echo "replayed $sent HEP packets"
check_qos_call "$capture"
