#!/usr/bin/env bash
# deploy/prometheus/ against Debian's prometheus and promtool:
#   1. promtool checks the shipped scrape config and alert rules, and runs the rules' unit tests
#      (sipvault_alerts_test.yml: every alert on synthetic series);
#   2. a capture node (private MariaDB, collector, parser, writer, api, and an agent replaying a
#      sample capture slowly) scraped by a private Prometheus every second with the shipped rules:
#      every target is up, and every panel of the Grafana dashboard answers with data
#      (`promtool query instant`; Grafana itself is not a Debian package);
#   3. MariaDB stopped -> SipvaultDatabaseDown pending, then firing within its `for:`; MariaDB
#      started again -> the alert resolves. Nothing else is restarted.
#
#   prometheus_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
rules=$root/deploy/prometheus/sipvault_alerts.yml
dashboard=$root/deploy/prometheus/grafana_dashboard.json
work=$(mktemp -d /tmp/sipvault-prom.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/deploy/mariadb.sh" stop "$work/db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '[prometheus-test] %s\n' "$*"; }
fail() { say "FAIL: $*"; for f in "$work"/*.log; do echo "--- $f"; tail -5 "$f"; done; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
bg() { local log=$1; shift; "$@" >"$work/$log.log" 2>&1 & pids+=($!); }

say "1. promtool check config / rules, promtool test rules"
promtool check config "$root/deploy/prometheus/prometheus.yml" >/dev/null || fail "scrape config"
promtool check rules "$rules" >/dev/null || fail "alert rules"
# Every alert on synthetic series: fires on its condition after its for:, quiet on a healthy node.
promtool test rules "$root/tests/deploy/sipvault_alerts_test.yml" || fail "alert rule unit tests"

say "2. a capture node and a Prometheus scraping it"
db_port=$(free_port); hep=$(free_port); bus_p=$(free_port); bus_w=$(free_port); api_port=$(free_port)
m_col=$(free_port); m_par=$(free_port); m_wri=$(free_port); m_api=$(free_port); m_agent=$(free_port)
prom=$(free_port)
"$root/deploy/mariadb.sh" start "$work/db" "$db_port" >"$work/mariadb.log" 2>&1 || fail "MariaDB did not start"
sock=$work/db/mysqld.sock
bg writer "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$bus_w" --db-socket "$sock" \
  --flush-ms 50 --metrics-listen "127.0.0.1:$m_wri"
bg parser "$build/parser/sipvault-parser" --input "connect:tcp://127.0.0.1:$bus_p" \
  --output "connect:tcp://127.0.0.1:$bus_w" --metrics-listen "127.0.0.1:$m_par"
bg collector "$build/collector/sipvault-collector" --udp "127.0.0.1:$hep" --tcp "" \
  --output "bind:tcp://127.0.0.1:$bus_p" --metrics-listen "127.0.0.1:$m_col"
bg api "$build/api/sipvault-api" --db-socket "$sock" --listen "127.0.0.1:$api_port" \
  --admin-password-file "$work/admin-password" --metrics-listen "127.0.0.1:$m_api"
"$build/bench/sipvault-loadgen" --write-pcap "$work/sample.pcap" --calls 400 >/dev/null
# About 2,400 messages at 10/s: traffic for the whole test.
bg agent "$build/agent/sipvault-agent" -r "$work/sample.pcap" -f "" -H "udp:127.0.0.1:$hep" --rate 10 \
  --metrics-listen "127.0.0.1:$m_agent"
sleep 2
grep -l startup_failed "$work"/*.log && fail "a daemon did not start"

cat >"$work/prometheus.yml" <<EOT
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: ["$rules"]
scrape_configs:
  - {job_name: sipvault-collector, static_configs: [{targets: ["127.0.0.1:$m_col"]}]}
  - {job_name: sipvault-parser, static_configs: [{targets: ["127.0.0.1:$m_par"]}]}
  - {job_name: sipvault-writer, static_configs: [{targets: ["127.0.0.1:$m_wri"]}]}
  - {job_name: sipvault-api, static_configs: [{targets: ["127.0.0.1:$m_api"]}]}
  - {job_name: sipvault-agent, static_configs: [{targets: ["127.0.0.1:$m_agent"]}]}
EOT
bg prometheus prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom"
promq() { promtool query instant "http://127.0.0.1:$prom" "$1" 2>&1 || true; }
up=0
for _ in $(seq 1 60); do
  up=$(promq 'count(up{job=~"sipvault-.*"} == 1)' | sed -n 's/.*=> \([0-9]*\) @.*/\1/p')
  [ "${up:-0}" = 5 ] && break
  sleep 1
done
[ "${up:-0}" = 5 ] || fail "targets up: ${up:-0} of 5"
say "   5 of 5 targets up"
for _ in $(seq 1 5); do curl -s -o /dev/null "http://127.0.0.1:$api_port/api/v1/health"; done
sleep 12  # a few scrapes, so that rate() over the panels' windows has two samples

say "   every dashboard panel answers with data"
python3 -c 'import json,sys; [print(t["expr"]) for p in json.load(open(sys.argv[1]))["panels"] for t in p["targets"]]' \
  "$dashboard" >"$work/exprs"
panels=0
while IFS= read -r expr; do
  out=$(promq "$expr")
  # A result line looks like `{labels} => value @[time]`; nothing printed means no series.
  if ! grep -q ' => ' <<<"$out" || grep -q '^Error\|error querying' <<<"$out"; then
    fail "panel query gave nothing: $expr -> $out"
  fi
  panels=$((panels + 1))
done <"$work/exprs"
say "   $panels panels, each with data"
[ "$(promq 'ALERTS{alertname="SipvaultDatabaseDown"}' | wc -c)" -le 1 ] || fail "database alert before the outage"

say "3. MariaDB stopped: SipvaultDatabaseDown goes pending, then firing"
"$root/deploy/mariadb.sh" stop "$work/db" >>"$work/mariadb.log" 2>&1
stopped=$(date +%s)
alert_state() {  # pending | firing | "" for SipvaultDatabaseDown
  curl -s "http://127.0.0.1:$prom/api/v1/alerts" | python3 -c '
import json, sys
for a in json.load(sys.stdin)["data"]["alerts"]:
    if a["labels"].get("alertname") == "SipvaultDatabaseDown": print(a["state"]); break'
}
state=""; pending_at=0
for _ in $(seq 1 150); do
  state=$(alert_state)
  [ "$state" = pending ] && [ "$pending_at" = 0 ] && pending_at=$(date +%s)
  [ "$state" = firing ] && break
  sleep 1
done
[ "$pending_at" != 0 ] || fail "the alert was never pending"
[ "$state" = firing ] || fail "the alert did not fire within 150 s (state '$state')"
say "   pending after $((pending_at - stopped)) s, firing after $(( $(date +%s) - stopped )) s (for: 1m)"

say "   MariaDB started again: the alert resolves"
"$root/deploy/mariadb.sh" start "$work/db" "$db_port" >>"$work/mariadb.log" 2>&1 || fail "MariaDB did not restart"
restarted=$(date +%s)
for _ in $(seq 1 90); do
  state=$(alert_state)
  [ -z "$state" ] && break
  sleep 1
done
[ -z "$state" ] || fail "the alert is still '$state' 90 s after MariaDB came back"
say "   resolved $(( $(date +%s) - restarted )) s after MariaDB came back"
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a daemon died during the test"; done
say "ok"
