#!/usr/bin/env bash
# SIP KPIs (issue 14) end to end: collector -> two parsers -> writer -> MariaDB, the parsers
# labelling by the aliases they read from the database's api_aliases (through store/).
#   1. exact scenarios (kpi_calls.py: answered, 486, 503, REGISTER challenge/success/failure, an
#      unaliased peer) through ONE parser: every counter on its /metrics equals what was sent;
#   2. the loadgen's calls at 700 packets/s through TWO parsers fed round-robin: the attempts and
#      answers summed over both (what Prometheus sum() does) equal the INVITEs and their 200s the
#      writer stored; no series carries a raw address.
#
#   sip_kpi_test.sh BUILD_DIR      (env: SIPVAULT_TEST_DB_SOCKET)
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/sip-kpi"
db="sipvault_kpi"
rm -rf "$work"; mkdir -p "$work"
source "$here/lib.sh"

hep=$(free_port) bus=$(free_port) busw=$(free_port) m1=$(free_port) m2=$(free_port)
fresh_db
start_writer "$busw"
for _ in $(seq 1 50); do
  [ "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'api_aliases'" 2>/dev/null)" = 1 ] && break
  sleep 0.2
done
sql "INSERT INTO api_aliases (name, target, created_by, created_us, updated_us) VALUES
     ('Gateway', '192.0.2.50:5060', 'test', 0, 0), ('Registrar', '192.0.2.0/24', 'test', 0, 0),
     ('Proxy', '10.0.0.1:5060', 'test', 0, 0), ('Callers', '10.10.0.0/16', 'test', 0, 0)"

printf '[parser]\nkpi_alias_refresh_s = 1\n' > "$work/parser.ini"
start_kpi_parser() {  # NAME METRICS_PORT
  bg "$1" "$build/parser/sipvault-parser" --config "$work/parser.ini" --input "connect:tcp://127.0.0.1:$bus" \
    --output "connect:tcp://127.0.0.1:$busw" --metrics-listen "127.0.0.1:$2" \
    --db-socket "$sock" --db-user sipvault --db-password sipvault --db-name "$db"
}
metric() {  # metric PORT 'NAME{LABELS}' -> value (0 when absent)
  curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }'
}
both() { echo $(( $(metric "$m1" "$1") + $(metric "$m2" "$1") )); }
expect() {  # expect WHAT ACTUAL WANTED
  if [ "$2" != "$3" ]; then echo "FAIL $1: $2, expected $3"; failed=1; else echo "ok   $1 = $2"; fi
}
failed=0

start_kpi_parser parser1 "$m1"; p1=$last_pid
start_collector collector1 "$hep" "$bus"
check_started 2
for _ in $(seq 1 50); do [ "$(metric "$m1" sipvault_sip_kpi_aliases)" = 4 ] && break; sleep 0.2; done
expect "aliases read by parser1" "$(metric "$m1" sipvault_sip_kpi_aliases)" 4

# 1. Exact scenarios through one parser.
sent=$(python3 "$here/kpi_calls.py" 127.0.0.1 "$hep")
wait_rows sip_messages "$sent" 30 >/dev/null
for _ in $(seq 1 50); do [ "$(metric "$m1" 'sipvault_sip_kpi_invite_attempts_total{alias="other"}')" = 2 ] && break; sleep 0.2; done
g='alias="Gateway"'
expect "stored" "$(sql 'SELECT COUNT(*) FROM sip_messages')" "$sent"
expect "attempts Gateway" "$(metric "$m1" "sipvault_sip_kpi_invite_attempts_total{$g}")" 10
expect "answered Gateway" "$(metric "$m1" "sipvault_sip_kpi_invite_answered_total{$g}")" 2
expect "failed 4xx Gateway" "$(metric "$m1" "sipvault_sip_kpi_invite_failed_total{$g,class=\"4xx\"}")" 5
expect "failed 5xx Gateway" "$(metric "$m1" "sipvault_sip_kpi_invite_failed_total{$g,class=\"5xx\"}")" 3
expect "user failures Gateway" "$(metric "$m1" "sipvault_sip_kpi_invite_user_failures_total{$g}")" 5
expect "SRD samples Gateway" "$(metric "$m1" "sipvault_sip_kpi_srd_milliseconds_count{$g}")" 2
expect "SRD <= 250 ms Gateway" "$(metric "$m1" "sipvault_sip_kpi_srd_milliseconds_bucket{$g,le=\"250\"}")" 2
expect "SRD <= 100 ms Gateway" "$(metric "$m1" "sipvault_sip_kpi_srd_milliseconds_bucket{$g,le=\"100\"}")" 0
expect "SRD sum Gateway" "$(metric "$m1" "sipvault_sip_kpi_srd_milliseconds_sum{$g}")" 300
expect "REGISTER success" "$(metric "$m1" 'sipvault_sip_kpi_register_total{alias="Registrar",result="success"}')" 4
expect "REGISTER challenge" "$(metric "$m1" 'sipvault_sip_kpi_register_total{alias="Registrar",result="challenge"}')" 4
expect "REGISTER failure" "$(metric "$m1" 'sipvault_sip_kpi_register_total{alias="Registrar",result="failure"}')" 1
expect "attempts other" "$(metric "$m1" 'sipvault_sip_kpi_invite_attempts_total{alias="other"}')" 2
expect "answered other" "$(metric "$m1" 'sipvault_sip_kpi_invite_answered_total{alias="other"}')" 2

# 2. The loadgen's calls through two parsers (the collector's PUSH spreads batches round-robin).
start_kpi_parser parser2 "$m2"; p2=$last_pid
sleep 1
for _ in $(seq 1 50); do [ "$(metric "$m2" sipvault_sip_kpi_aliases)" = 4 ] && break; sleep 0.2; done
before=$(sql 'SELECT COUNT(*) FROM sip_messages')
"$build/bench/sipvault-loadgen" --hep "udp:127.0.0.1:$hep" --rate 700 --duration 3 --first-call 5000000 >"$work/load.json"
load=$(python3 -c "import json; print(json.load(open('$work/load.json'))['sent'])")
wait_rows sip_messages $((before + load)) 30 >/dev/null
invites=$(sql "SELECT COUNT(*) FROM sip_messages WHERE method = 'INVITE' AND status = 0 AND HEX(dst_ip) = '0A000001'")
answers=$(sql "SELECT COUNT(*) FROM sip_messages WHERE method = 'INVITE' AND status = 200 AND HEX(src_ip) = '0A000001'")
for _ in $(seq 1 50); do [ "$(both 'sipvault_sip_kpi_invite_answered_total{alias="Proxy"}')" = "$answers" ] && break; sleep 0.2; done
expect "loadgen packets stored" "$(( $(sql 'SELECT COUNT(*) FROM sip_messages') - before ))" "$load"
expect "attempts Proxy (sum of 2 parsers) = stored INVITEs" "$(both 'sipvault_sip_kpi_invite_attempts_total{alias="Proxy"}')" "$invites"
expect "answered Proxy (sum of 2 parsers) = stored 200s" "$(both 'sipvault_sip_kpi_invite_answered_total{alias="Proxy"}')" "$answers"
[ "$invites" -gt 100 ] || { echo "FAIL too few calls: $invites"; failed=1; }
p2_attempts=$(metric "$m2" 'sipvault_sip_kpi_invite_attempts_total{alias="Proxy"}')
[ "$p2_attempts" -gt 0 ] || { echo "FAIL parser2 got no INVITE: not spread over both"; failed=1; }
srd=$(both 'sipvault_sip_kpi_srd_milliseconds_count{alias="Proxy"}')
echo "SRD samples over both parsers: $srd of $invites calls (a call whose INVITE and 180 went to different parsers has none)"
[ "$srd" -gt 0 ] && [ "$srd" -le "$invites" ] || { echo "FAIL SRD samples $srd"; failed=1; }
# Bounded labels, no raw addresses.
for port in "$m1" "$m2"; do
  if curl -s "http://127.0.0.1:$port/metrics" | grep '^sipvault_sip_kpi' | grep -E 'alias="[0-9.]+' ; then
    echo "FAIL a KPI series carries a raw address"; failed=1
  fi
  labels=$(curl -s "http://127.0.0.1:$port/metrics" | grep -o 'sip_kpi_invite_attempts_total{alias="[^"]*"' | sort -u | wc -l)
  [ "$labels" -le 5 ] || { echo "FAIL $labels alias labels"; failed=1; }
done
exit $failed
