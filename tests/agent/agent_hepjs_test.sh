#!/usr/bin/env bash
# Interop test: the agent's HEP3 decoded by npm hep-js (a decoder none of us wrote), checked
# against tshark's view of the same captures (another tool none of us wrote).
#   agent_hepjs_test.sh AGENT CORPUS_DIR WORK_DIR
set -euo pipefail
agent=$1 corpus=$2 work=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"

if [ ! -d "$here/node_modules/hep-js" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

pass=0 fail=0
run() {  # run NAME PCAP TSHARK_DISPLAY_FILTER PAYLOAD_FIELD PROTO [agent args...]
  local name=$1 pcap=$2 filter=$3 field=$4 proto=$5
  shift 5
  local truth="$work/hepjs-$name.tsv"
  tshark -r "$pcap" -Y "$filter" -T fields -e frame.time_epoch -e "$field" > "$truth" 2>/dev/null
  # SIP only: the RTCP some captures hold (agent.rtcp, on by default) is not in the truth.
  if node "$here/agent_hepjs_interop.js" "$agent" "$pcap" "$truth" "$proto" "$@" --rtcp off; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
  fi
}

run aaa "$corpus/pcap/sngrep_aaa.pcap" sip udp.payload 17
run vlan "$corpus/pcap/derived/vlan_8021q_vid100_from_sngrep_aaa.pcap" sip udp.payload 17
run tcp "$corpus/pcap/heplify_sip_ipv4_tcp.pcap" sip tcp.payload 6 -f ""
run fragments "$corpus/pcap/derived/ipv4_frag_udp_rfc4475_longreq.pcap" sip udp.payload 17

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
