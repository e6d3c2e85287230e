#!/usr/bin/env bash
# Every daemon reads its options one way (StageApp::readOptions): a bad value in a config file or on
# the command line exits 78 (EX_CONFIG) with one event=startup_failed line naming the key, before
# anything is opened. (Before the restructure a bad parser.id exited 70, "this is a bug".)
#
#   bad_config_test.sh BUILD_DIR
set -u
build=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

expect_78() {  # NAME KEY BINARY ARGS...
  local name=$1 key=$2; shift 2
  local out rc
  out=$("$@" --metrics-listen '' 2>&1); rc=$?
  if [ "$rc" -ne 78 ]; then
    echo "FAIL $name: exit $rc, want 78"; echo "$out" | tail -3; failures=$((failures + 1)); return
  fi
  if ! grep -q "event=startup_failed.*problem=.*$key" <<<"$out"; then
    echo "FAIL $name: no startup_failed line naming $key"; echo "$out" | tail -3; failures=$((failures + 1)); return
  fi
  echo "ok   $name: exit 78, $(grep -o 'problem=[^f]*' <<<"$out" | head -1)"
}

# From a config file, the way an operator meets it.
printf '[parser]\nid = seven\n' > "$work/parser.ini"
expect_78 "parser.id in a file" parser.id "$build/parser/sipvault-parser" --config "$work/parser.ini"
printf '[parser]\nkeep_rejects = maybe\n' > "$work/parser2.ini"
expect_78 "parser.keep_rejects in a file" parser.keep_rejects "$build/parser/sipvault-parser" --config "$work/parser2.ini"
printf '[parser]\nbus_hwm = 0\n' > "$work/parser3.ini"
expect_78 "parser.bus_hwm out of range" parser.bus_hwm "$build/parser/sipvault-parser" --config "$work/parser3.ini"
printf '[collector]\nid = x\n' > "$work/collector.ini"
expect_78 "collector.id in a file" collector.id "$build/collector/sipvault-collector" --config "$work/collector.ini"
printf '[collector]\nbatch_packets = 0\n' > "$work/collector2.ini"
expect_78 "collector.batch_packets" collector.batch_packets "$build/collector/sipvault-collector" \
  --config "$work/collector2.ini"
expect_78 "writer.batch_rows" writer.batch_rows "$build/writer/sipvault-writer" --batch-rows=abc
expect_78 "agent.capture_id" agent.capture_id "$build/agent/sipvault-agent" --capture-id=-1 -r /dev/null
printf '[api]\nhttp_threads = many\n' > "$work/api.ini"
expect_78 "api.http_threads in a file" api.http_threads "$build/api/sipvault-api" --config "$work/api.ini"

[ "$failures" -eq 0 ] && echo "all daemons exit 78 on a bad value" || exit 1
