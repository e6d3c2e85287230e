#!/usr/bin/env bash
# sngrep 1.6 as a HEP v2 sender (issue 12): `sngrep -N -q -I CAPTURE -H udp:...` with eep.send.version 2
# writes a wrong v1/v2 header-length byte. Through collector -> parser -> writer every SIP message
# of the capture must be stored (Call-ID and method/status as tshark reads the capture), none
# dropped as hep_bad_length, and each counted as a quirk by the collector.
#
#   sngrep_hep2_test.sh BUILD_DIR CORPUS_DIR      (env: SIPVAULT_TEST_DB_SOCKET)
build=$1 corpus=$2
here=$(cd "$(dirname "$0")" && pwd)
work="$build/tests/pipeline/sngrep-hep2"
db="sipvault_sngrep"
rm -rf "$work"; mkdir -p "$work"
source "$here/lib.sh"
command -v sngrep >/dev/null || { echo "sngrep not installed (apt-get install sngrep)"; exit 1; }
capture="$corpus/pcap/sngrep_aaa.pcap"

hep=$(free_port) bus1=$(free_port) bus2=$(free_port) metrics=$(free_port)
fresh_db
start_writer "$bus2"
start_parser parser "connect:tcp://127.0.0.1:$bus1" "connect:tcp://127.0.0.1:$bus2"
start_collector collector1 "$hep" "$bus1" --metrics-listen "127.0.0.1:$metrics"
check_started 2

# sngrep reads its settings from $SNGREPRC (and /etc/sngreprc); HOME too, so no user file interferes.
printf 'set eep.send on\nset eep.send.version 2\nset eep.send.id 2002\n' > "$work/sngreprc"
SNGREPRC="$work/sngreprc" HOME="$work" timeout 60 sngrep -N -q -I "$capture" -H "udp:127.0.0.1:$hep" \
  > "$work/sngrep.log" 2>&1 || { echo "sngrep failed"; cat "$work/sngrep.log"; exit 1; }

# Truth from the capture itself: Call-ID and method or status of every SIP message.
tshark -r "$capture" -Y sip -T fields -E separator=/t -e sip.Call-ID -e sip.Method -e sip.Status-Code 2>/dev/null |
  awk -F'\t' '{ print $1 "\t" ($2 != "" ? $2 : $3) }' | sort > "$work/expected.tsv"
expected=$(wc -l < "$work/expected.tsv")
[ "$expected" -ge 80 ] || { echo "tshark found only $expected SIP messages in $capture"; exit 1; }
stored=$(wait_rows sip_messages "$expected")
sql "SELECT call_id, IF(status = 0, method, status) FROM sip_messages" | sort > "$work/stored.tsv"
if ! diff "$work/expected.tsv" "$work/stored.tsv" > "$work/diff.txt"; then
  echo "stored rows ($stored) differ from the capture's SIP ($expected):"; head -20 "$work/diff.txt"; exit 1
fi
[ "$(sql "SELECT COUNT(*) FROM sip_messages WHERE capture_id <> 2002")" = 0 ] || { echo "wrong capture id"; exit 1; }

metric() { curl -sf "http://127.0.0.1:$metrics/metrics" | awk -v k="$1" '$1 == k { print $2 }'; }
quirks=$(metric 'sipvault_collector_hep_quirks_total{quirk="v1v2_header_length"}')
bad=$(metric 'sipvault_collector_dropped_total{reason="hep_bad_length"}')
[ "$quirks" = "$expected" ] || { echo "quirk counter $quirks, want $expected"; exit 1; }
[ "${bad:-0}" = 0 ] || { echo "$bad packets dropped as hep_bad_length"; exit 1; }
echo "sngrep HEP v2: $expected messages stored, $quirks counted as header-length quirks"
# Passed: leave nothing behind (on failure the logs and the database stay for a look).
cleanup; trap - EXIT
mariadb --no-defaults --protocol=socket --socket="$sock" -usipvault -psipvault -e "DROP DATABASE $db"
rm -rf "$work"
