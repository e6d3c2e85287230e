#!/usr/bin/env bash
# sipvault-agent capture benchmark (issue 4): live capture on lo while tcpreplay plays SIP/UDP
# calls onto lo at a fixed packet rate; the agent's CPU (% of one core, from utime+stime in
# /proc/PID/stat over the run) and peak RSS (VmHWM), beside `tcpdump -w /dev/null` capturing
# the same traffic at the same time as the floor. Medians of RUNS runs per rate.
#
#   bench/agent_bench.sh [BUILD_DIR]          (default: build/release)
#   RATES="10000 50000" RUNS=3 SECONDS_PER_RUN=10 OUTPUT=udp AGENT_ARGS="" bench/agent_bench.sh build/release
#
# Needs root (live capture, tcpreplay), tcpreplay + tcprewrite (apt-get install tcpreplay),
# tcpdump, python3. Traffic: sipvault-loadgen --write-pcap (INVITE/100/180/200/ACK/BYE/200 per
# call), addresses rewritten to 127.0.0.2 -> 127.0.0.1 so nothing but loopback is involved.
# The agent sends HEP3 (UDP, or TCP with OUTPUT=tcp) to a counting sink on 127.0.0.1.
set -euo pipefail

build=${1:-build/release}
rates=${RATES:-"10000 50000"}
runs=${RUNS:-3}
secs=${SECONDS_PER_RUN:-10}
output=${OUTPUT:-udp}
agent_args=${AGENT_ARGS:-}
agent=$build/agent/sipvault-agent
loadgen=$build/bench/sipvault-loadgen
for f in "$agent" "$loadgen"; do
  [ -x "$f" ] || { echo "missing $f: build the sipvault-agent and sipvault-loadgen targets" >&2; exit 1; }
done
for t in tcpreplay tcprewrite tcpdump python3; do
  command -v "$t" >/dev/null || { echo "missing $t (apt-get install -y tcpreplay tcpdump python3)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "run as root (live capture on lo)" >&2; exit 1; }

work=$(mktemp -d /tmp/agent_bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

"$loadgen" --write-pcap "$work/calls.pcap" --calls 2000 >/dev/null
tcprewrite --srcipmap=0.0.0.0/0:127.0.0.2/32 --dstipmap=0.0.0.0/0:127.0.0.1/32 --fixcsum \
  -i "$work/calls.pcap" -o "$work/calls-lo.pcap"
pcap_packets=$(tcpdump -r "$work/calls-lo.pcap" -n 2>/dev/null | wc -l)

# HEP sink: counts what arrives (UDP datagrams, or HEP3 packets framed on TCP).
cat > "$work/sink.py" <<'EOF'
import signal, socket, struct, sys
proto, port_file = sys.argv[1], sys.argv[2]
count = 0
def done(*_):
    print(count, flush=True); sys.exit(0)
signal.signal(signal.SIGTERM, done)
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 20)
    s.bind(("127.0.0.1", 0)); open(port_file, "w").write(str(s.getsockname()[1]))
    while True:
        s.recv(70000); count += 1
else:
    l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4)
    open(port_file, "w").write(str(l.getsockname()[1]))
    while True:
        c, _ = l.accept(); buf = b""
        while True:
            d = c.recv(1 << 20)
            if not d: break
            buf += d
            while len(buf) >= 6:
                n = struct.unpack("!H", buf[4:6])[0]
                if len(buf) < n: break
                buf = buf[n:]; count += 1
EOF

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, clock ticks
sticks() { awk '{print $15}' "/proc/$1/stat"; }       # stime alone (kernel)
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

echo "sipvault-agent live capture on lo: $pcap_packets-packet SIP/UDP call pcap looped by tcpreplay; HEP3/$output to a local sink ${agent_args:+(agent: $agent_args)}"
echo "host: $(nproc) cores, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); ${secs}s per run, median of $runs"
printf "%-8s %-4s %10s %9s %10s %8s %10s %12s %12s %10s\n" rate run agent_cpu% "(kernel)" tcpdump% ratio agent_MiB tcpdump_MiB hep_sent pcap_drop

for rate in $rates; do
  loops=$(( (rate * secs + pcap_packets - 1) / pcap_packets ))
  total=$(( loops * pcap_packets ))
  : > "$work/agent_cpu" ; : > "$work/tcpdump_cpu"; : > "$work/ratio"; : > "$work/agent_rss"; : > "$work/tcpdump_rss"
  for run in $(seq 1 "$runs"); do
    rm -f "$work/port"
    python3 "$work/sink.py" "$output" "$work/port" > "$work/sink.out" &
    sink=$!; pids+=("$sink")
    while [ ! -s "$work/port" ]; do sleep 0.05; done
    # shellcheck disable=SC2086
    "$agent" -i lo -f "udp port 5060" -H "$output:127.0.0.1:$(cat "$work/port")" --stats-interval 0 $agent_args \
      > "$work/agent.log" 2>&1 &
    ag=$!; pids+=("$ag")
    tcpdump -i lo -n -s 65535 -w /dev/null "udp port 5060" 2> "$work/tcpdump.log" &
    td=$!; pids+=("$td")
    until grep -qs "event=hep_output" "$work/agent.log" && grep -qs "listening on" "$work/tcpdump.log"; do sleep 0.05; done
    sleep 0.5
    a0=$(ticks "$ag"); k0=$(sticks "$ag"); d0=$(ticks "$td"); t0=$(date +%s.%N)
    tcpreplay -i lo --pps "$rate" --loop "$loops" -q "$work/calls-lo.pcap" > "$work/tcpreplay.log" 2>&1
    sleep 0.3  # the last kernel batch (buffer timeout) reaches both
    a1=$(ticks "$ag"); k1=$(sticks "$ag"); d1=$(ticks "$td"); t1=$(date +%s.%N)
    arss=$(hwm_kib "$ag"); drss=$(hwm_kib "$td")
    kill -TERM "$ag" "$td"; wait "$ag" "$td" 2>/dev/null || true
    sleep 0.3; kill -TERM "$sink"; wait "$sink" 2>/dev/null || true
    pids=()
    acpu=$(echo "($a1 - $a0) / $hz / ($t1 - $t0) * 100" | bc -l)
    kcpu=$(echo "($k1 - $k0) / $hz / ($t1 - $t0) * 100" | bc -l)
    dcpu=$(echo "($d1 - $d0) / $hz / ($t1 - $t0) * 100" | bc -l)
    ratio=$(echo "if ($d1 - $d0 > 0) ($a1 - $a0) / ($d1 - $d0) else 0" | bc -l)
    sent=$(grep -o 'event=stopped.* sent=[0-9]*' "$work/agent.log" | grep -o 'sent=[0-9]*' | cut -d= -f2)
    drops=$(grep -o 'pcap_dropped=[0-9]*' "$work/agent.log" | tail -1 | cut -d= -f2)
    echo "$acpu" >> "$work/agent_cpu"; echo "$dcpu" >> "$work/tcpdump_cpu"; echo "$ratio" >> "$work/ratio"
    echo "$arss" >> "$work/agent_rss"; echo "$drss" >> "$work/tcpdump_rss"
    printf "%-8s %-4s %10.2f %9.2f %10.2f %8.2f %10.1f %12.1f %12s %10s\n" "$rate" "$run" "$acpu" "$kcpu" "$dcpu" "$ratio" \
      "$(echo "$arss / 1024" | bc -l)" "$(echo "$drss / 1024" | bc -l)" "$sent/$total" "$drops"
  done
  printf "%-8s %-4s %10s %9s %10s %8s %10.1f %12.1f\n" "$rate" med "$(median < "$work/agent_cpu")" "" \
    "$(median < "$work/tcpdump_cpu")" "$(median < "$work/ratio")" \
    "$(echo "$(median < "$work/agent_rss") / 1024" | bc -l)" "$(echo "$(median < "$work/tcpdump_rss") / 1024" | bc -l)"
done
