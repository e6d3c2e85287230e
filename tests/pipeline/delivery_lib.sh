# Shared by the at-least-once delivery tests (drain_restart_test.sh, sigkill_parser_test.sh).
# Source after lib.sh. Adds: a private network namespace (so the kernel's UDP counters are the
# test's own), UDP drop accounting, stage start helpers with acks, and log field readers.

# reexec_in_netns "$@": re-runs the calling script in a new network namespace with lo up.
# Needs root (unshare -n); without it the test is skipped (exit 77, CTest SKIP_RETURN_CODE).
reexec_in_netns() {
  if [ -n "${SIPVAULT_IN_NETNS:-}" ]; then
    ip link set lo up
    return
  fi
  if [ "$(id -u)" != 0 ] || ! unshare -n true 2>/dev/null; then
    echo "SKIP: needs root for unshare -n (private UDP counters)"; exit 77
  fi
  SIPVAULT_IN_NETNS=1 exec unshare -n "$0" "$@"
}

# udp_counter NAME: the namespace-wide Udp counter NAME from /proc/net/snmp (NoPorts, InErrors, ...).
udp_counter() {
  awk -v name="$1" '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) col[$i] = i; h = 1 } else print $col[name] }' /proc/net/snmp
}

# log_field LOG EVENT FIELD: FIELD's value on the last EVENT line of $work/LOG.log (-1 if none,
# which no check accepts).
log_field() {
  local v
  v=$(grep "event=$2 " "$work/$1.log" | tail -1 | grep -o " $3=[^ ]*" | cut -d= -f2 || true)
  echo "${v:--1}"
}

# stop_timed PID VAR: SIGTERM, wait for the exit, set VAR to the seconds it took. (Not in a $(...)
# subshell: only this shell can wait for its children.)
stop_timed() {
  local t0; t0=$(date +%s.%N)
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  printf -v "$2" '%s' "$(python3 -c "print(round($(date +%s.%N) - $t0, 2))")"
}

start_acked_writer() {  # start_acked_writer LOGNAME BUS_PORT ACK_PORT
  bg "$1" "$build/writer/sipvault-writer" --listen "bind:tcp://127.0.0.1:$2" --db-socket "$sock" \
    --db-user sipvault --db-password sipvault --db-name "$db" --flush-ms 50 \
    --ack-output "connect:tcp://127.0.0.1:$3"
}

# start_acked_collector LOGNAME HEP_PORT BUS_PORT ACK_PORT [extra args]: ACK_PORT "" = acks off.
start_acked_collector() {
  local name=$1 hep=$2 bus=$3 ack=$4; shift 4
  local acks=()
  [ -n "$ack" ] && acks=(--ack-input "bind:tcp://127.0.0.1:$ack")
  bg "$name" "$build/collector/sipvault-collector" --udp "127.0.0.1:$hep" --tcp "" \
    --output "bind:tcp://127.0.0.1:$bus" --id 1 "${acks[@]}" "$@"
}

# stored_counts: "ROWS DISTINCT" of sip_messages; distinct by the message's content key.
stored_counts() {
  sql "SELECT COUNT(*), COUNT(DISTINCT call_id, cseq, method, status, src_ip, dst_ip) FROM sip_messages" | tr '\t' ' '
}
