#!/usr/bin/env bash
# The cluster mode of docs/cluster.md on one machine, to try before installing it on hosts: three
# capture nodes (shards s1, s2, s3: MariaDB + writer + parser + collector each) and a query node
# (a MariaDB head with Spider + sipvault-api reading all shards), a sample flowing into every node,
# until Ctrl-C. deploy/run.sh stays the single-node mode.
#   data: var/cluster/{s1,s2,s3,head}   logs: var/cluster/log/   node list: var/cluster/cluster.ini
#   shard i: MariaDB 127.0.0.1:$((SIPVAULT_CLUSTER_DB_PORT + i)), HEP udp+tcp :$((SIPVAULT_CLUSTER_HEP_PORT + i))
#   head: MariaDB 127.0.0.1:$SIPVAULT_CLUSTER_DB_PORT (default 3310), api :$SIPVAULT_API_PORT (default 8080)
#   SIPVAULT_PRESET (default release), SIPVAULT_CLUSTER_BUS_PORT (5600), SIPVAULT_CLUSTER_METRICS_PORT (9200)
# Every process started here is stopped by PID on exit. SIPVAULT_SKIP_BUILD=1: use the built binaries.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
var="$root/var/cluster"
mkdir -p "$var/log"
db_port=${SIPVAULT_CLUSTER_DB_PORT:-3310}
hep_port=${SIPVAULT_CLUSTER_HEP_PORT:-9060}
api_port=${SIPVAULT_API_PORT:-8080}
# Shard i's ZeroMQ ports: bus_base + 10i + 1 (collector -> parser), + 2 (parser -> writer), + 3 (acks);
# its metrics: metrics_base + 10i + 1 collector, + 2 parser, + 3 writer.
bus_base=${SIPVAULT_CLUSTER_BUS_PORT:-5600}
metrics_base=${SIPVAULT_CLUSTER_METRICS_PORT:-9200}
shards=(s1 s2 s3)
# Small servers: four of them share this machine.
export SIPVAULT_MARIADB_BUFFER_POOL=${SIPVAULT_MARIADB_BUFFER_POOL:-128M}
export SIPVAULT_MARIADB_LOG_FILE_SIZE=${SIPVAULT_MARIADB_LOG_FILE_SIZE:-64M}

preset=${SIPVAULT_PRESET:-release}
deploy/setup.sh "$preset"
bin="$root/build/$preset"
plugin_dir=$(PATH="$PATH:/usr/sbin" mariadbd --no-defaults --verbose --help 2>/dev/null | awk '$1 == "plugin-dir" {print $2}')
[ -f "$plugin_dir/ha_spider.so" ] || { echo "cluster.sh: no Spider plugin: apt-get install mariadb-plugin-spider" >&2; exit 1; }

pids=(); names=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "[cluster] stopping..."
  for (( i=${#pids[@]}-1; i>=0; i-- )); do
    kill -TERM "${pids[$i]}" 2>/dev/null || true
    wait "${pids[$i]}" 2>/dev/null || true
  done
  for node in head "${shards[@]}"; do deploy/mariadb.sh stop "$var/$node" || true; done
  echo "[cluster] stopped"
}
trap 'cleanup; exit 0' INT TERM
trap cleanup EXIT

start() {  # start NAME CMD...
  local name=$1; shift
  "$@" >"$var/log/$name.log" 2>&1 &
  pids+=($!); names+=("$name")
  echo "[cluster] $name (pid $!) -> var/cluster/log/$name.log"
}

# 1. Capture nodes: each its own MariaDB, written locally; writer.shard_id = 1, 2, 3.
for i in 1 2 3; do
  s=s$i bus=$((bus_base + 10 * i)) metrics=$((metrics_base + 10 * i))
  deploy/mariadb.sh start "$var/$s" $((db_port + i))
  # What differs per node on one machine: the shard id (a file of its own, read after writer.ini:
  # the later file wins), the spool and the ack link's port.
  printf '[writer]\nshard_id = %d\n' "$i" > "$var/$s-writer.ini"
  start "$s-writer" "$bin/writer/sipvault-writer" --config "$root/deploy/config/writer.ini" --config "$var/$s-writer.ini" \
    --spool-dir "$var/$s/spool" --ack-output "connect:tcp://127.0.0.1:$((bus + 3))" \
    --db-socket "$var/$s/mysqld.sock" --listen "bind:tcp://127.0.0.1:$((bus + 2))" \
    --metrics-listen "127.0.0.1:$((metrics + 3))"
  start "$s-parser" "$bin/parser/sipvault-parser" --config "$root/deploy/config/parser.ini" --id "$i" \
    --input "connect:tcp://127.0.0.1:$((bus + 1))" --output "connect:tcp://127.0.0.1:$((bus + 2))" \
    --metrics-listen "127.0.0.1:$((metrics + 2))"
  start "$s-collector" "$bin/collector/sipvault-collector" --config "$root/deploy/config/collector.ini" --id "$i" \
    --ack-input "bind:tcp://127.0.0.1:$((bus + 3))" \
    --udp "127.0.0.1:$((hep_port + i))" --tcp "127.0.0.1:$((hep_port + i))" \
    --output "bind:tcp://127.0.0.1:$((bus + 1))" --metrics-listen "127.0.0.1:$((metrics + 1))"
done

# 2. The query node: a Spider head and its api (which migrates only its own tables there).
SIPVAULT_MARIADB_PLUGINS=ha_spider.so deploy/mariadb.sh start "$var/head" "$db_port"
start api "$bin/api/sipvault-api" --config "$root/deploy/config/api.ini" --cluster true \
  --db-socket "$var/head/mysqld.sock" --listen "127.0.0.1:$api_port" --admin-password-file "$var/api-admin-password"

# 3. The node list, the head's read-only user on each shard, the Spider tables (shards first at
#    the head's schema version: wait for the writers' and the api's migrations).
newest=$(ls store/sql/*.sql | sed 's|.*/||' | cut -c1-3 | sort -n | tail -1 | sed 's/^0*//')
version() { mariadb --no-defaults -S "$var/$1/mysqld.sock" -uroot -N -B sipvault -e "SELECT MAX(version) FROM schema_version" 2>/dev/null || true; }
for node in head "${shards[@]}"; do
  for _ in $(seq 1 300); do [ "$(version "$node")" = "$newest" ] && break; sleep 0.2; done
  [ "$(version "$node")" = "$newest" ] || { echo "[cluster] $node did not reach schema v$newest, see var/cluster/log/"; exit 1; }
done
password_file="$var/head-read-password"
[ -s "$password_file" ] || (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$password_file")
{
  printf '[head]\nadmin_socket = %s\n\n[spider]\nuser = sipvault_head\npassword = %s\nuser_host = 127.0.0.1\n' \
    "$var/head/mysqld.sock" "$(cat "$password_file")"
  for i in 1 2 3; do
    printf '\n[shard.s%d]\nhost = 127.0.0.1\nport = %d\nshard_id = %d\nadmin_socket = %s\n' \
      "$i" $((db_port + i)) "$i" "$var/s$i/mysqld.sock"
  done
} > "$var/cluster.ini"
chmod 600 "$var/cluster.ini"
tools/sipvault-cluster --config "$var/cluster.ini" grant
tools/sipvault-cluster --config "$var/cluster.ini" apply

# 4. A sample into every node: 200 generated calls each, and one call whose B leg (X-CID) was
#    captured on another shard: one flow through the head.
python3 deploy/cluster_sample.py --calls 200 \
  "127.0.0.1:$((hep_port + 1))" "127.0.0.1:$((hep_port + 2))" "127.0.0.1:$((hep_port + 3))" > "$var/log/sample.json"

cat <<EOT

[cluster] sipvault cluster is running (docs/cluster.md)
      shards:      s1 s2 s3  HEP udp+tcp 127.0.0.1:$((hep_port + 1)) :$((hep_port + 2)) :$((hep_port + 3))
                   MariaDB 127.0.0.1:$((db_port + 1)) :$((db_port + 2)) :$((db_port + 3))
      head:        MariaDB 127.0.0.1:$db_port (Spider), node list var/cluster/cluster.ini
      metrics:     shard i: collector :$((metrics_base))+10i+1, parser +2, writer +3; api /metrics (login)
      try:         the flow of Call-ID linked-a@example.com (legs on s1 and s2)
                   deploy/mariadb.sh stop var/cluster/s2   (answers turn partial, naming s2)
                   deploy/mariadb.sh start var/cluster/s2 $((db_port + 2))
EOT
for _ in $(seq 1 100); do [ -s "$var/api-admin-password" ] && break; sleep 0.1; done
[ -f "$var/api-admin-password" ] && cat <<EOT
      web UI/API:  http://127.0.0.1:$api_port/   login: admin / $(cat "$var/api-admin-password")
EOT
echo "      logs:        var/cluster/log/   -- Ctrl-C stops everything"
while :; do
  for (( i=0; i<${#pids[@]}; i++ )); do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "[cluster] ${names[$i]} exited; see var/cluster/log/${names[$i]}.log"; exit 1
    fi
  done
  sleep 2
done
