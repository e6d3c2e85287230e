#!/usr/bin/env bash
# README command 1: install what is missing, build the release preset, then run the whole capture
# node on this machine until Ctrl-C:
#   private MariaDB (data in var/mariadb, 127.0.0.1:${SIPVAULT_DB_PORT:-3307}), sipvault-writer,
#   two sipvault-parser workers, sipvault-collector (HEP UDP+TCP :9060), sipvault-api (:8080), and a
#   sample capture replayed into the collector so there is data to look at at once.
# Logs go to var/log/<daemon>.log. Every process started here is stopped by PID on exit.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
var="$root/var"
mkdir -p "$var/log" "$var/run"
db_port=${SIPVAULT_DB_PORT:-3307}
hep_port=${SIPVAULT_HEP_PORT:-9060}
api_port=${SIPVAULT_API_PORT:-8080}

preset=${SIPVAULT_PRESET:-release}
deploy/setup.sh "$preset"
bin="$root/build/$preset"

pids=(); names=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "[run] stopping..."
  # Reverse start order: inputs first, so each stage drains into the next before that one stops.
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  deploy/mariadb.sh stop "$var/mariadb" || true
  echo "[run] stopped"
}
trap cleanup INT TERM EXIT

start() {  # start NAME CMD...
  local name=$1; shift
  "$@" >"$var/log/$name.log" 2>&1 &
  pids+=($!); names+=("$name")
  echo "[run] $name (pid $!) -> var/log/$name.log"
}

deploy/mariadb.sh start "$var/mariadb" "$db_port"
db_sock="$var/mariadb/mysqld.sock"

start writer "$bin/writer/sipvault-writer" --config "$root/deploy/config/writer.ini" \
  --db-socket "$db_sock" --metrics-listen 127.0.0.1:9121
# The writer migrates the schema at start; the parsers read api_aliases from it (KPI labels), so
# they start once the writer has logged the schema (within 30 s; they retry on their own after that).
for _ in $(seq 1 300); do grep -q 'event=schema' "$var/log/writer.log" 2>/dev/null && break; sleep 0.1; done
for i in 1 2; do
  start "parser$i" "$bin/parser/sipvault-parser" --config "$root/deploy/config/parser.ini" --id "$i" \
    --db-socket "$db_sock" --metrics-listen "127.0.0.1:$((9110 + i))"
done
start collector "$bin/collector/sipvault-collector" --config "$root/deploy/config/collector.ini" \
  --udp "0.0.0.0:$hep_port" --tcp "0.0.0.0:$hep_port" --metrics-listen 127.0.0.1:9101
if [ -x "$bin/api/sipvault-api" ]; then
  start api "$bin/api/sipvault-api" --config "$root/deploy/config/api.ini" \
    --db-socket "$db_sock" --listen "0.0.0.0:$api_port" --admin-password-file "$var/api-admin-password"
fi
sleep 1

# A sample capture flowing in: 200 generated calls (INVITE .. BYE with SDP) written to a pcap and
# replayed by the agent as HEP, as an agent on a SIP host would send them.
sample="$var/sample-calls.pcap"
[ -f "$sample" ] || "$bin/bench/sipvault-loadgen" --write-pcap "$sample" --calls 200 >/dev/null
if [ -x "$bin/agent/sipvault-agent" ]; then
  start sample-replay "$bin/agent/sipvault-agent" -r "$sample" -f "" -H "udp:127.0.0.1:$hep_port" --rate 200
else
  start sample-replay "$bin/bench/sipvault-loadgen" --hep "udp:127.0.0.1:$hep_port" --rate 200 --duration 7
fi

cat <<EOT

[run] sipvault is running
      HEP in:      udp+tcp 0.0.0.0:$hep_port   (point Kamailio siptrace / heplify / sipvault-agent here)
      MariaDB:     127.0.0.1:$db_port  db=sipvault user=sipvault  (data in var/mariadb)
      metrics:     collector :9101  parsers :9111 :9112  writer :9121
EOT
[ -f "$var/api-admin-password" ] && cat <<EOT
      web UI/API:  http://127.0.0.1:$api_port/   login: admin / $(cat "$var/api-admin-password")
EOT
echo "      logs:        var/log/   -- Ctrl-C stops everything"
# Run until Ctrl-C or until a daemon dies (the sample replay is allowed to finish).
while :; do
  for (( i=0; i<${#pids[@]}; i++ )); do
    if ! kill -0 "${pids[$i]}" 2>/dev/null && [ "${names[$i]}" != sample-replay ]; then
      echo "[run] ${names[$i]} exited; see var/log/${names[$i]}.log"; exit 1
    fi
  done
  sleep 2
done
