#!/usr/bin/env bash
# The agent's Debian package: cpack builds it from this build tree (the sipvault-agent target
# must be built), it holds only agent files, and it installs and removes with dpkg on this
# machine (root). Leaves the machine as it found it.
#   agent_deb_test.sh BUILD_DIR CORPUS_DIR
set -euo pipefail
build=$1 corpus=$2
cd "$build"
if [ ! -f CPackConfig.cmake ]; then
  echo "FAIL: no CPackConfig.cmake in $build: the top-level CMakeLists.txt must include deploy/packaging.cmake"
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: dpkg -i needs root"
  exit 0
fi
if dpkg -s sipvault-agent >/dev/null 2>&1; then
  echo "FAIL: sipvault-agent is already installed here; remove it first (dpkg -r sipvault-agent)"
  exit 1
fi

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "not ok - $1"; fail=$((fail + 1)); }

rm -f sipvault-agent_*.deb
cpack -G DEB > cpack.log 2>&1 || { cat cpack.log; exit 1; }
deb=$(ls sipvault-agent_*.deb)

# Exactly the agent's files: binary, unit, example config, README (and their directories).
files=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$' | sort | tr '\n' ' ')
want="./etc/sipvault/agent.ini ./usr/bin/sipvault-agent ./usr/lib/systemd/system/sipvault-agent.service ./usr/share/doc/sipvault-agent/README "
[ "$files" = "$want" ] && ok "package holds only agent files" || bad "package files: $files"

depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
echo "$depends" | grep -q libpcap0.8 && ok "depends on libpcap (shlibdeps)" || bad "no libpcap in Depends"
if echo "$depends" | grep -Eqi 'zmq|protobuf|mysql|mariadb'; then bad "server-side libraries in Depends"; else ok "nothing of the server side in Depends"; fi
[ "$(dpkg-deb -f "$deb" Package)" = sipvault-agent ] && ok "package name" || bad "package name"
dpkg-deb -e "$deb" control
grep -qx /etc/sipvault/agent.ini control/conffiles && ok "config is a conffile" || bad "conffiles"

cleanup() { dpkg -P sipvault-agent >/dev/null 2>&1 || true; }
trap cleanup EXIT
if dpkg -i "$deb" > dpkg.log 2>&1; then ok "dpkg -i installs"; else cat dpkg.log; bad "dpkg -i"; fi
/usr/bin/sipvault-agent --help | grep -q -- "--hep-server" && ok "installed binary runs" || bad "installed binary"
# The example config works as installed: a replay instead of its live interface, sent to the
# discard port rather than the config's 127.0.0.1:9060 (a collector someone runs may be there).
if /usr/bin/sipvault-agent --config /etc/sipvault/agent.ini --interface= --metrics-listen= \
     --hep-server udp:127.0.0.1:9 -r "$corpus/pcap/sngrep_aaa.pcap" > replay.log 2>&1 && grep -q "event=stopped.* sip=81 " replay.log; then
  ok "installed binary runs a replay with the example config"
else
  cat replay.log; bad "replay with the example config"
fi
systemd-analyze verify /usr/lib/systemd/system/sipvault-agent.service >/dev/null 2>verify.log \
  && ok "unit verifies" || { cat verify.log; bad "systemd-analyze verify"; }
dpkg -r sipvault-agent > dpkg-r.log 2>&1 && ok "dpkg -r removes" || { cat dpkg-r.log; bad "dpkg -r"; }
[ ! -e /usr/bin/sipvault-agent ] && ok "binary gone after removal" || bad "binary left behind"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
