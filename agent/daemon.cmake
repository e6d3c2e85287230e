# sipvault-agent: libpcap capture -> sipvault_netdecode -> HEP v3/v2/v1 over UDP/TCP/TLS.
# Included from agent/CMakeLists.txt outside fuzz builds (needs libpcap and Poco via sipvault_common).
pkg_check_modules(PCAP REQUIRED IMPORTED_TARGET libpcap)
find_package(Threads REQUIRED)

add_library(sipvault_agent_lib STATIC
  agent_metrics.cpp
  agent_options.cpp
  agent_runtime.cpp
  capture_worker.cpp
  hep_framer.cpp
  hep_output.cpp
  hep_transport.cpp
  pcap_source.cpp
  privileges.cpp
  sip_start_line.cpp)
target_include_directories(sipvault_agent_lib PUBLIC ${PROJECT_SOURCE_DIR})
target_link_libraries(sipvault_agent_lib PUBLIC sipvault_netdecode sipvault_hep sipvault_common sipvault_tls PkgConfig::PCAP
  Threads::Threads)

add_executable(sipvault-agent main.cpp)
target_link_libraries(sipvault-agent PRIVATE sipvault_agent_lib)
# sipvault_common links ZeroMQ for the other stages; the agent never calls it, so --as-needed
# keeps libzmq out of its runtime dependencies (and out of the .deb's Depends).
target_link_options(sipvault-agent PRIVATE "LINKER:--as-needed")
install(TARGETS sipvault-agent RUNTIME DESTINATION bin COMPONENT agent)
