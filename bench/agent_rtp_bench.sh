#!/usr/bin/env bash
# sipvault-agent RTP statistics benchmark (issue 15): the agent live on lo while
# bench/agent_rtp_gen.py first sends 1,000 calls' INVITE/200 with SDP (the agent learns their
# media) and then 1,000 concurrent PCMA RTP streams at 50 packets/s each (50,000 packets/s).
# The same run measures the agent with RTP statistics on (--rtp-stats: RTP reaches the agent,
# HEP 34 reports every 5 s) and off (the default, RTCP only: the kernel filter keeps RTP away),
# alternating, RUNS times each: CPU (utime+stime from /proc/PID/stat over the RTP phase, % of
# one core) and peak RSS (VmHWM); medians and the on/off ratio.
#
#   bench/agent_rtp_bench.sh [BUILD_DIR]                (default: build/release)
#   CALLS=1000 PPS=50 SECONDS_PER_RUN=25 RUNS=3 bench/agent_rtp_bench.sh build/dev
#
# Needs root (live capture on lo) and python3. Loopback only (127.0.0.1, 127.0.0.2).
set -euo pipefail

build=${1:-build/release}
calls=${CALLS:-1000}
pps=${PPS:-50}
secs=${SECONDS_PER_RUN:-25}
runs=${RUNS:-3}
here=$(cd "$(dirname "$0")" && pwd)
agent=$build/agent/sipvault-agent
[ -x "$agent" ] || { echo "missing $agent: build the sipvault-agent target" >&2; exit 1; }
command -v python3 >/dev/null || { echo "missing python3" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (live capture on lo)" >&2; exit 1; }

work=$(mktemp -d /tmp/agent_rtp_bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# HEP sink: counts HEP3 packets by payload type (chunk 11).
cat > "$work/sink.py" <<'PY'
import collections, signal, socket, struct, sys
port_file = sys.argv[1]
counts = collections.Counter()
def done(*_):
    print(" ".join(f"type{k}={v}" for k, v in sorted(counts.items())), flush=True); sys.exit(0)
signal.signal(signal.SIGTERM, done)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
s.bind(("127.0.0.1", 0)); open(port_file, "w").write(str(s.getsockname()[1]))
while True:
    d = s.recv(70000); t = 0; i = 6
    while i + 6 <= len(d):
        vendor, typ, n = struct.unpack("!HHH", d[i:i + 6])
        if n < 6: break
        if vendor == 0 and typ == 11: t = d[i + 6]
        i += n
    counts[t] += 1
PY

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, clock ticks
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

echo "sipvault-agent live on lo: $calls calls learned from SDP, then $calls RTP streams x $pps pps ($((calls * pps)) pkt/s) for ${secs}s"
echo "host: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); median of $runs runs per mode"
printf "%-13s %-4s %10s %10s %9s %12s %11s %26s %s\n" mode run agent_cpu% agent_MiB rtp_sent rtp_counted pcap_drop hep_received generator
for mode in on off; do : > "$work/cpu_$mode"; : > "$work/rss_$mode"; done

for run in $(seq 1 "$runs"); do
  for mode in on off; do
    rm -f "$work/port"
    python3 "$work/sink.py" "$work/port" > "$work/sink.out" &
    sink=$!; pids+=("$sink")
    while [ ! -s "$work/port" ]; do sleep 0.05; done
    extra=()
    [ "$mode" = on ] && extra=(--rtp-stats --rtp-max-streams $((calls + 100)))
    "$agent" -i lo -H "udp:127.0.0.1:$(cat "$work/port")" --stats-interval 0 --metrics-listen '' \
      --media-max-calls $((calls + 100)) "${extra[@]}" > "$work/agent.log" 2>&1 &
    ag=$!; pids+=("$ag")
    until grep -qs "event=hep_output" "$work/agent.log"; do sleep 0.05; done
    sleep 0.5
    python3 "$here/agent_rtp_gen.py" sip --calls "$calls" > /dev/null
    sleep 1
    a0=$(ticks "$ag"); t0=$(date +%s.%N)
    gen=$(python3 "$here/agent_rtp_gen.py" rtp --calls "$calls" --pps "$pps" --seconds "$secs")
    a1=$(ticks "$ag"); t1=$(date +%s.%N)
    rss=$(hwm_kib "$ag")
    kill -TERM "$ag"; wait "$ag" 2>/dev/null || true
    sleep 0.5; kill -TERM "$sink"; wait "$sink" 2>/dev/null || true
    pids=()
    cpu=$(echo "($a1 - $a0) / $hz / ($t1 - $t0) * 100" | bc -l)
    echo "$cpu" >> "$work/cpu_$mode"; echo "$rss" >> "$work/rss_$mode"
    stat() { grep -o "event=stopped.* $1=[0-9]*" "$work/agent.log" | grep -o " $1=[0-9]*" | cut -d= -f2; }
    printf "%-13s %-4s %10.2f %10.1f %9s %12s %11s %26s %s learned=%s\n" "rtp_stats=$mode" "$run" "$cpu" \
      "$(echo "$rss / 1024" | bc -l)" "$(grep -o 'rtp_sent=[0-9]*' <<<"$gen" | cut -d= -f2)" "$(stat rtp_packets)" \
      "$(stat pcap_dropped)" "$(cat "$work/sink.out")" "$(grep -o 'pps=[0-9]*' <<<"$gen")" "$(stat media_calls_learned)"
  done
done
on_cpu=$(median < "$work/cpu_on"); off_cpu=$(median < "$work/cpu_off")
on_rss=$(median < "$work/rss_on"); off_rss=$(median < "$work/rss_off")
printf "median rtp_stats=on : CPU %s %% of a core, RSS %.1f MiB\n" "$on_cpu" "$(echo "$on_rss / 1024" | bc -l)"
printf "median rtp_stats=off: CPU %s %% of a core, RSS %.1f MiB\n" "$off_cpu" "$(echo "$off_rss / 1024" | bc -l)"
printf "ratio on/off: CPU %.1fx, RSS %.2fx\n" "$(echo "if ($off_cpu > 0) $on_cpu / $off_cpu else 0" | bc -l)" \
  "$(echo "$on_rss / $off_rss" | bc -l)"
