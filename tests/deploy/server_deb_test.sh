#!/usr/bin/env bash
# The server's Debian package (deploy/packaging.cmake, component "server"), as an operator meets it:
# cpack builds it from this build tree, dpkg installs it, every unit verifies, the daemons run from
# the installed paths and configs as the `sipvault` user against a private MariaDB and store a
# capture sent to them, then dpkg -r and dpkg --purge leave the host as it was. Needs root.
#
#   server_deb_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: dpkg -i needs root"; exit 77; fi
if dpkg -s sipvault-server >/dev/null 2>&1; then
  echo "FAIL: sipvault-server is already installed here; remove it first (dpkg -P sipvault-server)"; exit 1
fi
if getent passwd sipvault >/dev/null; then echo "FAIL: a user sipvault exists already"; exit 1; fi
work=$(mktemp -d /tmp/sipvault-deb.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/deploy/mariadb.sh" stop "$work/db" >/dev/null 2>&1 || true
  dpkg -P sipvault-server >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# cpack writes into the build tree; a copy of the package goes to $work (the agent's test runs
# cpack in the same tree: the two tests share the resource lock "cpack").
(cd "$build" && cpack -G DEB >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$build"/sipvault-server_*.deb)
cp "$deb" "$work/"
deb=$work/$(basename "$deb")

listing=$(dpkg-deb -c "$deb" | awk '{print $6}')  # once: grep -q on a live pipe would SIGPIPE dpkg-deb
files=$(grep -v '/$' <<<"$listing" | grep -v '^./usr/share/sipvault/ui/' | sort | tr '\n' ' ')
want="./etc/sipvault/api.ini ./etc/sipvault/collector.ini ./etc/sipvault/parser.ini ./etc/sipvault/writer.ini \
./usr/bin/sipvault-api ./usr/bin/sipvault-cluster ./usr/bin/sipvault-collector ./usr/bin/sipvault-hepdump \
./usr/bin/sipvault-parser ./usr/bin/sipvault-writer ./usr/lib/systemd/system/sipvault-api.service \
./usr/lib/systemd/system/sipvault-collector.service ./usr/lib/systemd/system/sipvault-parser@.service \
./usr/lib/systemd/system/sipvault-writer.service ./usr/share/doc/sipvault-server/README \
./usr/share/doc/sipvault-server/examples/cluster.ini "
[ "$files" = "$want" ] && ok "package holds the server's files" || bad "package files: $files"
grep -qx './usr/share/sipvault/ui/index.html' <<<"$listing" && ok "web UI included" || bad "no web UI"
if grep -q 'sipvault-agent' <<<"$listing"; then bad "agent inside the server package"; else ok "no agent files"; fi
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for lib in libzmq5 libmariadb3 libpoco libjemalloc2; do
  grep -q "$lib" <<<"$depends" && ok "depends on $lib (shlibdeps)" || bad "no $lib in Depends"
done
dpkg-deb -e "$deb" "$work/control"
[ "$(wc -l <"$work/control/conffiles")" = 4 ] && ok "4 configs are conffiles" || bad "conffiles"

if dpkg -i "$deb" >"$work/dpkg.log" 2>&1; then ok "dpkg -i installs"; else cat "$work/dpkg.log"; bad "dpkg -i"; fi
getent passwd sipvault >/dev/null && ok "system user sipvault created" || bad "no sipvault user"
# The installed cluster tool runs and reads the installed example (check fails: no shard answers there).
/usr/bin/sipvault-cluster --help >"$work/cluster-help.log" 2>&1 && grep -q 'apply' "$work/cluster-help.log" \
  && ok "sipvault-cluster --help" || { cat "$work/cluster-help.log"; bad "sipvault-cluster --help"; }
[ "$(stat -c %U /var/lib/sipvault)" = sipvault ] && ok "/var/lib/sipvault owned by sipvault" || bad "state dir"
grep -q '^ui_dir = /usr/share/sipvault/ui$' /etc/sipvault/api.ini && ok "api.ini points at the installed UI" \
  || bad "api.ini ui_dir"
for unit in /usr/lib/systemd/system/sipvault-{collector,writer,api}.service /usr/lib/systemd/system/sipvault-parser@.service; do
  v=$unit; [[ $unit == *@.service ]] && { cp "$unit" "$work/sipvault-parser@1.service"; v=$work/sipvault-parser@1.service; }
  if systemd-analyze verify "$v" >"$work/verify.log" 2>&1; then ok "$(basename "$unit") verifies"
  else cat "$work/verify.log"; bad "systemd-analyze verify $(basename "$unit")"; fi
done

# The installed daemons with the installed configs, as their units run them (User=sipvault), on
# free ports and a private MariaDB instead of the defaults (a real collector may own :9060 here).
db_port=$(free_port); hep=$(free_port); bus_p=$(free_port); bus_w=$(free_port); ack=$(free_port); api=$(free_port)
"$root/deploy/mariadb.sh" start "$work/db" "$db_port" >"$work/mariadb.log" 2>&1 || { cat "$work/mariadb.log"; exit 1; }
chmod 0755 "$work/db"
as_sipvault() { local log=$1; shift; runuser -u sipvault -- "$@" >"$work/$log.log" 2>&1 & pids+=($!); }
as_sipvault writer /usr/bin/sipvault-writer --config /etc/sipvault/writer.ini --db-host 127.0.0.1 \
  --db-port "$db_port" --listen "bind:tcp://127.0.0.1:$bus_w" --ack-output "connect:tcp://127.0.0.1:$ack" \
  --metrics-listen ''
as_sipvault parser /usr/bin/sipvault-parser --config /etc/sipvault/parser.ini \
  --input "connect:tcp://127.0.0.1:$bus_p" --output "connect:tcp://127.0.0.1:$bus_w" --metrics-listen ''
as_sipvault collector /usr/bin/sipvault-collector --config /etc/sipvault/collector.ini --udp "127.0.0.1:$hep" \
  --tcp "" --output "bind:tcp://127.0.0.1:$bus_p" --ack-input "bind:tcp://127.0.0.1:$ack" --metrics-listen ''
as_sipvault api /usr/bin/sipvault-api --config /etc/sipvault/api.ini --db-host 127.0.0.1 --db-port "$db_port" \
  --listen "127.0.0.1:$api" --metrics-listen ''
sleep 2
if grep -l startup_failed "$work"/{writer,parser,collector,api}.log; then
  tail -3 "$work"/{writer,parser,collector,api}.log; bad "installed daemons start"
else
  ok "installed daemons start as sipvault with the installed configs"
fi
"$build/bench/sipvault-loadgen" --write-pcap "$work/calls.pcap" --calls 50 >/dev/null
"$build/agent/sipvault-agent" -r "$work/calls.pcap" -f "" -H "udp:127.0.0.1:$hep" --rate 2000 \
  --metrics-listen '' >"$work/agent.log" 2>&1
sent=$(grep -o 'event=stopped.* sip=[0-9]*' "$work/agent.log" | grep -o 'sip=[0-9]*' | cut -d= -f2)
stored=0
for _ in $(seq 1 50); do
  stored=$(mariadb --no-defaults --protocol=socket --socket="$work/db/mysqld.sock" -usipvault -psipvault sipvault \
    -N -B -e 'SELECT COUNT(*) FROM sip_messages' 2>/dev/null || echo 0)
  [ "$stored" = "$sent" ] && break
  sleep 0.2
done
[ -n "$sent" ] && [ "$stored" = "$sent" ] && ok "a capture sent to the installed node is stored ($stored of $sent)" \
  || bad "stored $stored of ${sent:-?}"
code=$(curl -s -o "$work/index.html" -w '%{http_code}' "http://127.0.0.1:$api/")
[ "$code" = 200 ] && grep -qi '<html' "$work/index.html" && ok "the installed api serves the installed UI" \
  || bad "UI answer $code"
[ -s /var/lib/sipvault/api-admin-password ] && [ "$(stat -c '%U %a' /var/lib/sipvault/api-admin-password)" = "sipvault 600" ] \
  && ok "admin password written to /var/lib/sipvault, owner-only" || bad "admin password file"
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

dpkg -r sipvault-server >"$work/dpkg-r.log" 2>&1 && ok "dpkg -r removes" || { cat "$work/dpkg-r.log"; bad "dpkg -r"; }
[ ! -e /usr/bin/sipvault-writer ] && [ ! -e /usr/lib/systemd/system/sipvault-writer.service ] \
  && ok "binaries and units gone after -r" || bad "left behind after -r"
[ -e /etc/sipvault/writer.ini ] && ok "configs kept after -r (conffiles)" || bad "configs removed by -r"
dpkg -P sipvault-server >"$work/dpkg-p.log" 2>&1 && ok "dpkg --purge" || { cat "$work/dpkg-p.log"; bad "dpkg --purge"; }
[ ! -e /etc/sipvault/writer.ini ] && [ ! -e /var/lib/sipvault ] && ! getent passwd sipvault >/dev/null \
  && ok "purge leaves no config, state or user" || bad "purge left something: $(ls /etc/sipvault /var/lib/sipvault 2>&1 | tr '\n' ' ')"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
