# Debian packages, built by cpack from a build tree in which the daemons are built:
#   sipvault-agent   the capture agent alone (component "agent"): binary, unit, example config;
#                    nothing of the server side, so a SIP host gets no ZeroMQ/MariaDB libraries.
#   sipvault-server  collector, parser, writer, api (+ web UI) and sipvault-hepdump (component
#                    "server"): binaries, hardened systemd units, a `sipvault` system user, configs
#                    under /etc/sipvault/ (conffiles), state under /var/lib/sipvault/. The writer
#                    applies the MariaDB schema at start, as always; MariaDB itself is Recommended.
# Runtime Depends come from dpkg-shlibdeps. Included at the end of the top-level CMakeLists.txt
# (after every install()).
#
#   cmake --build BUILD && (cd BUILD && cpack -G DEB)
#   (cpack does not build anything itself: CMAKE_SKIP_INSTALL_ALL_DEPENDENCY below)
#   -> BUILD/sipvault-agent_<version>_<arch>.deb, BUILD/sipvault-server_<version>_<arch>.deb
#
# Agent layout: /usr/bin/sipvault-agent, /lib/systemd/system/sipvault-agent.service,
# /etc/sipvault/agent.ini (a conffile), /usr/share/doc/sipvault-agent/.
# Server layout: /usr/bin/sipvault-{collector,parser,writer,api,hepdump},
# /lib/systemd/system/sipvault-{collector,parser@,writer,api}.service, /etc/sipvault/{collector,
# parser,writer,api}.ini, /usr/share/sipvault/ui/, /var/lib/sipvault/ (spool, admin password),
# /usr/bin/sipvault-cluster (the query node's tool) with examples/cluster.ini in its doc directory.
if(NOT TARGET sipvault-agent)
  return()
endif()
# cpack (and `make install`) would otherwise build every target first; the caller builds
# beforehand what the packages hold.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/sipvault-agent.service
        DESTINATION lib/systemd/system COMPONENT agent)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/agent.ini
        DESTINATION /etc/sipvault COMPONENT agent)
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/agent-package/README
  "sipvault-agent: captures SIP with libpcap and sends it as HEP to sipvault collectors.\n"
  "Configure /etc/sipvault/agent.ini (hep_server, interface), then:\n"
  "  systemctl enable --now sipvault-agent\n"
  "Counters: SIGUSR1 (systemctl reload sipvault-agent) logs them; /metrics on metrics.listen.\n"
  "Options: sipvault-agent --help\n")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/agent-package/README
        DESTINATION share/doc/sipvault-agent COMPONENT agent)

# Maintainer scripts: conffiles, and systemd enable/disable the way debhelper would do it.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/agent-package/conffiles "/etc/sipvault/agent.ini\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/agent-package/postinst
  "#!/bin/sh\nset -e\n"
  "if [ \"$1\" = configure ] && [ -d /run/systemd/system ]; then\n"
  "  systemctl daemon-reload >/dev/null || true\n"
  "fi\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/agent-package/prerm
  "#!/bin/sh\nset -e\n"
  "if [ -d /run/systemd/system ]; then\n"
  "  systemctl stop sipvault-agent.service >/dev/null 2>&1 || true\n"
  "fi\n")
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/agent-package/postrm
  "#!/bin/sh\nset -e\n"
  "if [ -d /run/systemd/system ]; then\n"
  "  systemctl daemon-reload >/dev/null || true\n"
  "fi\n")
file(CHMOD ${CMAKE_CURRENT_BINARY_DIR}/agent-package/postinst ${CMAKE_CURRENT_BINARY_DIR}/agent-package/prerm
     ${CMAKE_CURRENT_BINARY_DIR}/agent-package/postrm
     PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)


# ---- sipvault-server ---------------------------------------------------------------------------
set(SIPVAULT_SERVER_PACKAGE OFF)
if(TARGET sipvault-collector AND TARGET sipvault-parser AND TARGET sipvault-writer AND TARGET sipvault-api)
  set(SIPVAULT_SERVER_PACKAGE ON)
  set(_srv ${CMAKE_CURRENT_BINARY_DIR}/server-package)
  foreach(unit sipvault-collector.service sipvault-parser@.service sipvault-writer.service sipvault-api.service)
    install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/${unit} DESTINATION lib/systemd/system COMPONENT server)
  endforeach()
  # The example configs with the package's paths in place of deploy/run.sh's var/ tree.
  foreach(stage collector parser writer api)
    file(READ ${PROJECT_SOURCE_DIR}/deploy/config/${stage}.ini _ini)
    string(REPLACE "spool_dir = var/spool/writer" "spool_dir = /var/lib/sipvault/spool/writer" _ini "${_ini}")
    string(REPLACE "admin_password_file = var/api-admin-password"
                   "admin_password_file = /var/lib/sipvault/api-admin-password" _ini "${_ini}")
    string(REPLACE "ui_dir =\n" "ui_dir = /usr/share/sipvault/ui\n" _ini "${_ini}")
    file(WRITE ${_srv}/etc/${stage}.ini "${_ini}")
    install(FILES ${_srv}/etc/${stage}.ini DESTINATION /etc/sipvault COMPONENT server)
  endforeach()
  file(WRITE ${_srv}/README
    "sipvault-server: SIP capture with history (collector, parser, writer, api + web UI).\n"
    "1. A MariaDB (10.11) with a database and user for sipvault: see /etc/sipvault/writer.ini [db].\n"
    "2. systemctl enable --now sipvault-writer sipvault-parser@1 sipvault-collector sipvault-api\n"
    "   (the writer creates and migrates the schema; the api prints the first admin's password to\n"
    "   /var/lib/sipvault/api-admin-password).\n"
    "3. Point HEP senders (sipvault-agent, Kamailio siptrace, sngrep -H) at port 9060.\n"
    "Monitoring: deploy/prometheus/ in the source tree. Options: sipvault-<daemon> --help\n"
    "Cluster (a query node reading several capture nodes through Spider): sipvault-cluster --help,\n"
    "examples/cluster.ini here, and docs/cluster.md in the source tree.\n")
  install(FILES ${_srv}/README DESTINATION share/doc/sipvault-server COMPONENT server)
  # The cluster tool (docs/cluster.md) for a query node: Python 3 and the mariadb client, both
  # Recommended; its node list is an example, not a conffile (only a head has one).
  install(PROGRAMS ${PROJECT_SOURCE_DIR}/tools/sipvault-cluster DESTINATION bin COMPONENT server)
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/cluster.ini
          DESTINATION share/doc/sipvault-server/examples COMPONENT server)

  file(WRITE ${_srv}/conffiles
    "/etc/sipvault/collector.ini\n/etc/sipvault/parser.ini\n/etc/sipvault/writer.ini\n/etc/sipvault/api.ini\n")
  # The system user and state directory the units run with (User=sipvault, StateDirectory).
  file(WRITE ${_srv}/postinst
    "#!/bin/sh\nset -e\n"
    "if [ \"$1\" = configure ]; then\n"
    "  if ! getent passwd sipvault >/dev/null; then\n"
    "    useradd --system --user-group --home-dir /var/lib/sipvault --no-create-home --shell /usr/sbin/nologin sipvault\n"
    "  fi\n"
    "  install -d -o sipvault -g sipvault -m 0750 /var/lib/sipvault /var/lib/sipvault/spool\n"
    "  if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi\n"
    "fi\n")
  file(WRITE ${_srv}/prerm
    "#!/bin/sh\nset -e\n"
    "if [ -d /run/systemd/system ]; then\n"
    "  systemctl stop sipvault-api.service sipvault-collector.service 'sipvault-parser@*.service' \\\n"
    "    sipvault-writer.service >/dev/null 2>&1 || true\n"
    "fi\n")
  # Purge removes what postinst made: captured data in the spool and the admin password go too.
  file(WRITE ${_srv}/postrm
    "#!/bin/sh\nset -e\n"
    "if [ -d /run/systemd/system ]; then systemctl daemon-reload >/dev/null || true; fi\n"
    "if [ \"$1\" = purge ]; then\n"
    "  rm -rf /var/lib/sipvault\n"
    "  if getent passwd sipvault >/dev/null; then userdel sipvault >/dev/null 2>&1 || true; fi\n"
    "  if getent group sipvault >/dev/null; then groupdel sipvault >/dev/null 2>&1 || true; fi\n"
    "  rmdir /etc/sipvault 2>/dev/null || true\n"
    "fi\n")
  file(CHMOD ${_srv}/postinst ${_srv}/prerm ${_srv}/postrm
       PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endif()

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "sipvault")
set(CPACK_PACKAGE_VENDOR "sipvault")
set(CPACK_PACKAGE_CONTACT "sipvault maintainers <sipvault@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL agent)
if(SIPVAULT_SERVER_PACKAGE)
  list(APPEND CPACK_COMPONENTS_ALL server)
endif()
set(CPACK_DEBIAN_AGENT_PACKAGE_NAME "sipvault-agent")
set(CPACK_DEBIAN_AGENT_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_AGENT_PACKAGE_SECTION "net")
set(CPACK_COMPONENT_AGENT_DESCRIPTION "sipvault SIP capture agent\n\
Captures SIP on this host with libpcap (UDP, TCP, SCTP; IPv4/IPv6 fragments; VLAN) and\n\
sends it as HEP v3/v2/v1 over UDP or TCP to sipvault (or any HOMER-compatible) collectors.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
  "${CMAKE_CURRENT_BINARY_DIR}/agent-package/conffiles;${CMAKE_CURRENT_BINARY_DIR}/agent-package/postinst;${CMAKE_CURRENT_BINARY_DIR}/agent-package/prerm;${CMAKE_CURRENT_BINARY_DIR}/agent-package/postrm")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME "sipvault-server")
set(CPACK_DEBIAN_SERVER_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "mariadb-server, mariadb-client, python3")
set(CPACK_COMPONENT_SERVER_DESCRIPTION "sipvault SIP capture server\n\
Receives HEP (UDP, TCP, TLS) and IP-in-IP mirrors, parses SIP and stores every message in\n\
MariaDB for days (collector, parser, writer); the api serves search, call flows, pcap export\n\
and the web UI.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA "${_srv}/conffiles;${_srv}/postinst;${_srv}/prerm;${_srv}/postrm")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
