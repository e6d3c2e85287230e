# Real media peers for the call-quality tests (issue 15), shared by make_qos_captures.sh and
# rtpengine_qos_test.sh: rtpengine in userspace mode (--table=-1, no kernel module) sending its
# RTCP reports as HEP, Kamailio anchoring the media in it (module rtpengine) and mirroring the SIP
# with siptrace, and two baresip endpoints (alice calls bob through Kamailio). Everything listens on
# 127.0.0.1, on ports of one block found free below Linux's ephemeral range, with its config, pid
# and log files under $work. Every process is started with bg and stopped by its PID.
#
# Source after setting `work` (a scratch directory). When the caller has bg() and pids (from
# tests/pipeline/lib.sh) they are used; otherwise this file defines them.
set -euo pipefail
peers_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kamailio_modules=/usr/lib/x86_64-linux-gnu/kamailio/modules

if ! declare -F bg >/dev/null; then
  pids=()
  peers_cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
  trap peers_cleanup EXIT
  bg() { local log=$1; shift; "$@" >"$work/$log.log" 2>&1 & last_pid=$!; pids+=($last_pid); }
fi

# Exits 77 (CTest's skip code for these tests) naming every missing package; deploy/setup.sh
# installs them all (deploy/packages.txt), so CI never skips.
require_peers() {
  local missing=()
  command -v rtpengine >/dev/null || missing+=("rtpengine-daemon")
  command -v baresip >/dev/null || missing+=("baresip-core")
  command -v kamailio >/dev/null || missing+=("kamailio")
  [ -f "$kamailio_modules/rtpengine.so" ] || missing+=("kamailio (module rtpengine.so)")
  command -v tcpdump >/dev/null || missing+=("tcpdump")
  command -v tshark >/dev/null || missing+=("tshark")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "SKIP: not installed: ${missing[*]} (apt-get install -y them, or run deploy/setup.sh)"
    exit 77
  fi
}

# Picks a block of 100 ports, all free for UDP and TCP on 127.0.0.1, in 22000-32699 (above the
# test MariaDB's 20100-21999, below the ephemeral range other tests' port-0 sockets come from),
# and names its parts.
peer_ports() {
  base=$(python3 - <<'EOF'
import random, socket
def free(port):
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True
for _ in range(300):
    b = random.randrange(22000, 32700, 100)
    if all(free(p) for p in range(b, b + 100)):
        print(b)
        break
else:
    raise SystemExit("no block of 100 free ports in 22000-32699")
EOF
  )
  kamailio_port=$base               # Kamailio SIP (UDP)
  uas_port=$((base + 2))            # bob; baresip also binds TCP on it and TLS on +1
  uac_port=$((base + 6))            # alice (+ TLS on +7)
  ng_port=$((base + 10))            # rtpengine's NG control socket
  spare_port=$((base + 12))         # free for the caller (make_qos_captures.sh's HEP sink)
  rtpengine_min=$((base + 20)) rtpengine_max=$((base + 39))
  uac_rtp_min=$((base + 40)) uac_rtp_max=$((base + 49))
  uas_rtp_min=$((base + 60)) uas_rtp_max=$((base + 69))
  block_filter="portrange $base-$((base + 99))"
}

# wait_for LOGNAME PATTERN SECONDS: until the process log has the pattern; fails with the log.
wait_for() {
  for _ in $(seq 1 $(( $3 * 10 ))); do
    grep -q -- "$2" "$work/$1.log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$1 did not say '$2' within $3 s:"; tail -20 "$work/$1.log"; return 1
}

# wait_udp PORT SECONDS (tests/pipeline/lib.sh's, when the caller has it): until something has
# bound UDP 127.0.0.1:PORT.
if ! declare -F wait_udp >/dev/null; then
  wait_udp() {
    for _ in $(seq 1 $(( $2 * 10 ))); do
      ss -Hlun "sport = :$1" | grep -q . && return 0
      sleep 0.1
    done
    echo "nothing bound UDP port $1 within $2 s"; return 1
  }
fi

# start_rtpengine HEP_PORT CAPTURE_ID [udp|tcp]: userspace forwarding only; every RTCP packet it
# relays is sent as HEP v3 (payload type 5, JSON, correlation id = Call-ID) to 127.0.0.1:HEP_PORT
# over UDP (default) or one TCP connection.
start_rtpengine() {
  bg rtpengine rtpengine --config-file=none --table=-1 --foreground --log-stderr --log-level=6 \
    --pidfile="$work/rtpengine.pid" --interface=127.0.0.1 --listen-ng="127.0.0.1:$ng_port" \
    --port-min="$rtpengine_min" --port-max="$rtpengine_max" --delete-delay=0 \
    --homer="127.0.0.1:$1" --homer-protocol="${3:-udp}" --homer-id="$2"
  rtpengine_pid=$last_pid
  wait_for rtpengine 'Startup complete' 10
}

# start_kamailio HEP_PORT CAPTURE_ID (start rtpengine first: the module pings it at start).
start_kamailio() {
  sed -e "s/@SIP_PORT@/$kamailio_port/; s/@NG_PORT@/$ng_port/; s/@HEP_PORT@/$1/" \
    -e "s/@SIPTRACE_CAPTURE_ID@/$2/; s/@UAS_PORT@/$uas_port/" \
    "$peers_here/kamailio_rtpengine.cfg.in" > "$work/kamailio.cfg"
  bg kamailio kamailio -f "$work/kamailio.cfg" -DD -E -Y "$work" -P "$work/kamailio.pid"
  kamailio_pid=$last_pid
  wait_udp "$kamailio_port" 10 || { tail -20 "$work/kamailio.log"; return 1; }
  if grep -q -E 'ERROR: bad config|rtpp_test\(\): proxy did not respond' "$work/kamailio.log"; then
    echo "kamailio failed:"; tail -20 "$work/kamailio.log"; return 1
  fi
}

# baresip_config NAME SIP_PORT RTP_MIN RTP_MAX ACCOUNT: a config directory $work/NAME.
baresip_config() {
  mkdir -p "$work/$1"
  sed -e "s/@SIP_PORT@/$2/; s/@RTP_MIN@/$3/; s/@RTP_MAX@/$4/; s/@NAME@/$1/g" \
    "$peers_here/baresip.config.in" > "$work/$1/config"
  echo "$5" > "$work/$1/accounts"
}

# G.711 A-law with 40 ms packets (25 packets/s each way): the capture of an 11 s call through
# rtpengine stays under 500 KB with every RTP packet in it.
start_uas() {
  baresip_config uas "$uas_port" "$uas_rtp_min" "$uas_rtp_max" \
    "<sip:bob@127.0.0.1:$uas_port>;regint=0;answermode=auto;audio_codecs=PCMA;ptime=40"
  bg baresip-uas baresip -4 -n 127.0.0.1 -f "$work/uas"
  uas_pid=$last_pid
  wait_for baresip-uas 'baresip is ready' 10
}

# run_call SECONDS: alice calls bob through Kamailio, talks, and hangs up (BYE) when baresip quits
# after SECONDS; then bob is stopped. Fails unless both ends saw the call established.
run_call() {
  baresip_config uac "$uac_port" "$uac_rtp_min" "$uac_rtp_max" \
    "<sip:alice@127.0.0.1:$uac_port>;regint=0;audio_codecs=PCMA;ptime=40"
  timeout $(( $1 + 20 )) baresip -4 -n 127.0.0.1 -f "$work/uac" -e "/dial sip:bob@127.0.0.1:$kamailio_port" \
    -t "$1" > "$work/baresip-uac.log" 2>&1 || { echo "baresip (alice) failed:"; tail -20 "$work/baresip-uac.log"; return 1; }
  sleep 0.5
  stop_pid "$uas_pid"
  grep -q 'Call established' "$work/baresip-uac.log" || { echo "no call:"; tail -20 "$work/baresip-uac.log"; return 1; }
  grep -q 'Call established' "$work/baresip-uas.log" || { echo "bob saw no call:"; tail -20 "$work/baresip-uas.log"; return 1; }
}

# capture LOGNAME FILE BPF: tcpdump on lo, returns once it is listening ($last_pid to stop it).
capture() {
  bg "$1" tcpdump -i lo -n -U -w "$2" "$3"
  wait_for "$1" 'listening on' 10
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# The Call-ID of the first INVITE in a capture of the SIP. Every SIP packet has Kamailio's port on
# one side; tshark is told it is SIP, because it dissects by the lower UDP port first and some
# bases of the random block are other protocols' ports to it (26000 quake, 27500 quakeworld, ...).
call_id_of() {
  tshark -r "$1" -d "udp.port==$kamailio_port,sip" -Y 'sip.Method == "INVITE"' -T fields -e sip.Call-ID \
    2>/dev/null | head -1
}

# record_call HEP_PORT SECONDS [udp|tcp]: the whole real call. tcpdump records what is sent to
# HEP_PORT (rtpengine over UDP or TCP, Kamailio over UDP) in
# $work/hep.pcap and the call itself (SIP, RTP, RTCP, Kamailio <-> rtpengine NG) in
# $work/call.pcap; rtpengine (HEP capture id 2002), Kamailio (siptrace capture id 2001) and bob
# start, alice calls for SECONDS and hangs up; the captures stop a second later.
record_call() {
  capture tcpdump-hep "$work/hep.pcap" "dst port $1"; local hep_dump=$last_pid
  capture tcpdump-call "$work/call.pcap" "udp and $block_filter and not port $1"; local call_dump=$last_pid
  start_rtpengine "$1" 2002 "${3:-udp}"
  start_kamailio "$1" 2001
  start_uas
  run_call "$2"
  sleep 1
  stop_pid "$hep_dump"; stop_pid "$call_dump"
}
