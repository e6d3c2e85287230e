# Debian package of the capture agent alone (CPack component "agent"): the binary, its systemd
# unit and an example config. Nothing of the server side; runtime Depends come from
# dpkg-shlibdeps. Included at the end of the top-level CMakeLists.txt (after every install()).
#
#   cmake --build BUILD --target sipvault-agent && (cd BUILD && cpack -G DEB)
#   (cpack does not build anything itself: CMAKE_SKIP_INSTALL_ALL_DEPENDENCY below)
#   -> BUILD/sipvault-agent_<version>_<arch>.deb
#
# Installed layout: /usr/bin/sipvault-agent, /lib/systemd/system/sipvault-agent.service,
# /etc/sipvault/agent.ini (a conffile), /usr/share/doc/sipvault-agent/.
if(NOT TARGET sipvault-agent)
  return()
endif()
# cpack (and `make install`) would otherwise build every target first; the package needs only
# sipvault-agent, which the caller builds beforehand.
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

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "sipvault")
set(CPACK_PACKAGE_VENDOR "sipvault")
set(CPACK_PACKAGE_CONTACT "sipvault maintainers <sipvault@localhost>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL agent)
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
include(CPack)
