#!/usr/bin/env bash
# A private MariaDB server for development, tests and the demo: its own datadir, config, socket,
# port and PID file, so it never touches (or depends on) a system MariaDB.
#
#   deploy/mariadb.sh start  DATADIR PORT   initialize DATADIR if empty, start mariadbd on
#                                           127.0.0.1:PORT and DATADIR/mysqld.sock, wait until it
#                                           answers, create database `sipvault` and user
#                                           sipvault/sipvault (all rights on `sipvault%`.*)
#   deploy/mariadb.sh stop   DATADIR        stop the server started from DATADIR (by its PID file)
#   deploy/mariadb.sh status DATADIR        exit 0 when that server is running
#
# Idempotent: `start` on a running server only re-checks the database and user; `stop` on a stopped
# one does nothing. Works as root (mariadbd runs with --user=root). Sized for a small box (512M
# buffer pool, no binlog) but durable like production: the writer acks a batch once committed, so
# a commit must survive an OS crash: innodb_flush_log_at_trx_commit=1, doublewrite on
# (writer/README.md says what =2 gives up).
# Environment: SIPVAULT_MARIADB_BUFFER_POOL (default 512M), SIPVAULT_MARIADB_LOG_FILE_SIZE (default 256M),
# SIPVAULT_MARIADB_WAIT_S (default 60), SIPVAULT_MARIADB_FLUSH_LOG (1, or 2 to measure the non-durable setting),
# SIPVAULT_MARIADB_PLUGINS (plugin libraries loaded at start, e.g. ha_rocksdb.so: MyRocks cannot be INSTALLed later;
# ha_spider.so makes a cluster head with the Spider settings of docs/cluster.md),
# SIPVAULT_MARIADB_SPIDER_TIMEOUT_S (a head's read/write timeout on shards, default 30 = api.query_timeout_s),
# SIPVAULT_MARIADB_IO_CAPACITY (unset: InnoDB's flushing defaults; a number switches adaptive flushing on, at that
# many page writes/s and up to 4x as the redo log fills. On this project's 2-core test machine it lowered the held
# rate from a full partition: docs/sizing.md "Page flushing").
set -euo pipefail

die() { echo "mariadb.sh: $*" >&2; exit 1; }
mariadb_plugin_dir() { mariadbd --no-defaults --verbose --help 2>/dev/null | awk '$1 == "plugin-dir" {print $2}'; }
usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 64; }

command -v mariadbd >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin"
for tool in mariadbd mariadb-install-db mariadb mariadb-admin; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found: install mariadb-server and mariadb-client (deploy/setup.sh)"
done

[ $# -ge 2 ] || usage
cmd=$1
dir=$2
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
sock="$dir/mysqld.sock"
pidfile="$dir/mysqld.pid"
cnf="$dir/my.cnf"
errlog="$dir/mysqld.log"
# Temporary tables and files of this server only: never the shared /tmp, where two servers
# bootstrapping at once (parallel tests) were seen to lose a temporary table.
tmp="$dir/tmp"
wait_s=${SIPVAULT_MARIADB_WAIT_S:-60}
flush_log=${SIPVAULT_MARIADB_FLUSH_LOG:-1}
[[ "$flush_log" =~ ^[012]$ ]] || die "SIPVAULT_MARIADB_FLUSH_LOG must be 0, 1 or 2, not '$flush_log'"
io_capacity=${SIPVAULT_MARIADB_IO_CAPACITY:-}
[[ -z "$io_capacity" || "$io_capacity" =~ ^[1-9][0-9]{2,6}$ ]] \
  || die "SIPVAULT_MARIADB_IO_CAPACITY must be 100..9999999 page writes/s, not '$io_capacity'"

# The PID in our PID file, if that process is alive and is a mariadbd started with our config.
our_pid() {
  [ -s "$pidfile" ] || return 1
  local pid
  pid=$(tr -dc '0-9' < "$pidfile")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "--defaults-file=$cnf" || return 1
  echo "$pid"
}

client() { mariadb --no-defaults --protocol=socket --socket="$sock" -uroot "$@"; }

answers() { mariadb-admin --no-defaults --protocol=socket --socket="$sock" -uroot --connect-timeout=2 ping >/dev/null 2>&1; }

write_config() {
  local port=$1
  cat > "$cnf" <<EOF
# Written by deploy/mariadb.sh; rewritten on every start.
[mariadbd]
user=root
datadir=$data
socket=$sock
pid-file=$pidfile
tmpdir=$tmp
log-error=$errlog
port=$port
bind-address=127.0.0.1
skip-name-resolve
skip-log-bin
local-infile=1
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
max_connections=200
max_allowed_packet=64M
performance_schema=OFF
innodb_buffer_pool_size=${SIPVAULT_MARIADB_BUFFER_POOL:-512M}
innodb_log_file_size=${SIPVAULT_MARIADB_LOG_FILE_SIZE:-256M}
innodb_log_buffer_size=32M
innodb_flush_log_at_trx_commit=${flush_log}
innodb_doublewrite=1
innodb_file_per_table=1
EOF
  if [ -n "$io_capacity" ]; then
    printf 'innodb_io_capacity=%d\ninnodb_io_capacity_max=%d\ninnodb_max_dirty_pages_pct_lwm=10\n' \
      "$io_capacity" $((io_capacity * 4)) >> "$cnf"
  fi
  # Page compression of the capture tables (store/sql/004): lz4 when Debian's provider plugin is
  # there (about the CPU of no compression), else zlib at its fastest level.
  if [ -f "$(mariadb_plugin_dir)/provider_lz4.so" ]; then
    printf 'plugin-load-add=provider_lz4\ninnodb_compression_algorithm=lz4\n' >> "$cnf"
  else
    printf 'innodb_compression_algorithm=zlib\ninnodb_compression_level=1\n' >> "$cnf"
  fi
  local plugin
  for plugin in ${SIPVAULT_MARIADB_PLUGINS:-}; do
    [[ "$plugin" =~ ^[A-Za-z0-9_.-]+$ ]] || die "SIPVAULT_MARIADB_PLUGINS: not a plugin file name: '$plugin'"
    echo "plugin-load-add=$plugin" >> "$cnf"
    if [ "$plugin" = ha_spider.so ]; then write_spider_config; fi
  done
}

# A cluster head (docs/cluster.md says why each one): shards read in parallel, connections kept
# per session, no ping at transaction start, a dead shard refused after 2 s and a hung one after
# the api's query timeout (the default, 600 s, outlives KILL and max_statement_time), no
# start transaction/commit around each statement sent to a shard (semi_trx), and key
# lookups sent as UNION ALL (the default makes a temporary table on the shard, which the head's
# SELECT-only user may not).
write_spider_config() {
  local timeout=${SIPVAULT_MARIADB_SPIDER_TIMEOUT_S:-30}
  [[ "$timeout" =~ ^[0-9]+$ ]] || die "SIPVAULT_MARIADB_SPIDER_TIMEOUT_S must be a number of seconds"
  cat >> "$cnf" <<EOF
spider_bgs_mode=1
spider_bgs_first_read=0
spider_conn_recycle_mode=2
spider_ping_interval_at_trx_start=0
spider_connect_timeout=2
spider_connect_retry_count=0
spider_bka_mode=2
spider_semi_trx=0
spider_net_read_timeout=$timeout
spider_net_write_timeout=$timeout
EOF
}

provision() {
  client <<'EOF' || die "could not create database/user (see $errlog)"
CREATE DATABASE IF NOT EXISTS sipvault;
CREATE USER IF NOT EXISTS 'sipvault'@'localhost' IDENTIFIED BY 'sipvault';
CREATE USER IF NOT EXISTS 'sipvault'@'127.0.0.1' IDENTIFIED BY 'sipvault';
GRANT ALL PRIVILEGES ON `sipvault%`.* TO 'sipvault'@'localhost';
GRANT ALL PRIVILEGES ON `sipvault%`.* TO 'sipvault'@'127.0.0.1';
FLUSH PRIVILEGES;
EOF
}

# Creates the system tables in an empty $data (unknown options go to the bootstrap mariadbd).
install_db() {
  mkdir -p "$data" "$tmp"
  mariadb-install-db --no-defaults --datadir="$data" --tmpdir="$tmp" --user=root \
    --auth-root-authentication-method=normal --skip-test-db >>"$dir/install.log" 2>&1
}

start() {
  local port=$1
  [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -gt 0 ] && [ "$port" -lt 65536 ] || die "bad port '$port'"
  if pid=$(our_pid); then
    answers || die "mariadbd (pid $pid) from $dir is running but does not answer on $sock"
    provision
    echo "mariadb.sh: already running (pid $pid) socket=$sock port=$(grep '^port=' "$cnf" | cut -d= -f2)"
    return 0
  fi
  rm -f "$pidfile" "$sock"
  write_config "$port"
  mkdir -p "$tmp"
  if [ ! -d "$data/mysql" ]; then
    install_db || { rm -rf "$data"; install_db; } || die "mariadb-install-db failed twice, see $dir/install.log"
  fi
  # Detached from our stdio so that callers (CTest fixtures) do not wait on the server.
  setsid mariadbd --defaults-file="$cnf" </dev/null >>"$errlog" 2>&1 &
  local started=$!
  local i
  for ((i = 0; i < wait_s * 10; i++)); do
    if answers; then break; fi
    if ! kill -0 "$started" 2>/dev/null; then
      tail -n 5 "$errlog" >&2 || true
      die "mariadbd exited during start-up (port $port in use?), see $errlog"
    fi
    sleep 0.1
  done
  answers || { kill -TERM "$started" 2>/dev/null || true; die "mariadbd did not answer within ${wait_s}s, see $errlog"; }
  provision
  echo "mariadb.sh: started (pid $(our_pid || echo "$started")) socket=$sock port=$port"
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    rm -f "$pidfile"
    echo "mariadb.sh: not running ($dir)"
    return 0
  fi
  kill -TERM "$pid"
  local i
  for ((i = 0; i < wait_s * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "mariadb.sh: pid $pid did not stop within ${wait_s}s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  echo "mariadb.sh: stopped (pid $pid)"
}

case "$cmd" in
  start) [ $# -eq 3 ] || usage; start "$3" ;;
  stop) stop ;;
  status) if pid=$(our_pid) && answers; then echo "running pid=$pid socket=$sock"; else echo "not running"; exit 1; fi ;;
  *) usage ;;
esac
