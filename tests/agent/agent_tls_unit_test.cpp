// Unit tests of the agent's TLS settings: the tls: scheme and agent.tls_* keys, and the
// transport refusing a tls: server without a TLS context.
#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>

#include <catch2/catch.hpp>

#include "agent/agent_options.h"
#include "agent/hep_transport.h"
#include "common/tls_context.h"

using namespace sipvault;
using namespace sipvault::agent;

namespace {

AgentOptions optionsFrom(std::initializer_list<std::pair<std::string, std::string>> kv) {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  c->setString("agent.read", "x.pcap");
  for (const auto& [k, v] : kv) c->setString(k, v);
  return AgentOptions::fromConfig(*c);
}

}  // namespace

TEST_CASE("Options: tls: servers take agent.tls_ca, an optional client pair, or tls_insecure",
          "[agent][options][tls]") {
  AgentOptions o = optionsFrom({{"agent.hep_server", "tls:hep1.example.net:9061, tcp:h2:9060"},
                                {"agent.tls_ca", "/etc/sipvault/ca.pem"},
                                {"agent.tls_cert", "/etc/sipvault/agent.pem"},
                                {"agent.tls_key", "/etc/sipvault/agent.key"}});
  REQUIRE(o.servers.size() == 2);
  CHECK(o.servers[0].scheme == "tls");
  CHECK(o.servers[0].host == "hep1.example.net");
  CHECK(o.servers[0].port == 9061);
  CHECK(o.tls.ca == "/etc/sipvault/ca.pem");
  CHECK(o.tls.cert == "/etc/sipvault/agent.pem");
  CHECK(o.tls.key == "/etc/sipvault/agent.key");
  CHECK_FALSE(o.tls_insecure);
  CHECK(optionsFrom({{"agent.hep_server", "tls:h:9061"}, {"agent.tls_insecure", "true"}}).tls_insecure);
  // A half client pair, insecure beside a CA, and HEP v1/v2 on a stream are refused.
  CHECK_THROWS_AS(optionsFrom({{"agent.hep_server", "tls:h:9061"}, {"agent.tls_cert", "a.pem"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.hep_server", "tls:h:9061"}, {"agent.tls_key", "a.key"}}),
                  Poco::InvalidArgumentException);
  CHECK_THROWS_AS(
      optionsFrom(
          {{"agent.hep_server", "tls:h:9061"}, {"agent.tls_ca", "ca.pem"}, {"agent.tls_insecure", "true"}}),
      Poco::InvalidArgumentException);
  CHECK_THROWS_AS(optionsFrom({{"agent.hep_server", "tls:h:9061"}, {"agent.hep_version", "2"}}),
                  Poco::InvalidArgumentException);
}

TEST_CASE("A tls: transport needs a TLS context and is named tls:HOST:PORT", "[agent][transport][tls]") {
  MetricsRegistry registry;
  AgentMetrics metrics(registry);
  const HostPort server{"tls", "127.0.0.1", 9061};
  TransportOptions options;
  CHECK_THROWS_AS(makeTransport(server, options, metrics, Log::get("test")), std::runtime_error);
  std::string error;
  options.tls = TlsContext::client({}, false, error);
  REQUIRE(options.tls);
  auto t = makeTransport(server, options, metrics, Log::get("test"));
  CHECK(t->name() == "tls:127.0.0.1:9061");
  CHECK_FALSE(t->healthy(std::chrono::steady_clock::now()));  // not before its handshake
}

TEST_CASE("TLS contexts name the file that does not load", "[agent][tls]") {
  std::string error;
  CHECK_FALSE(TlsContext::client({"", "", "/nonexistent/ca.pem"}, true, error));
  CHECK(error.find("/nonexistent/ca.pem") != std::string::npos);
  CHECK_FALSE(TlsContext::client({"/nonexistent/agent.pem", "", ""}, true, error));
  CHECK(error.find("private key") != std::string::npos);
  CHECK_FALSE(TlsContext::server({"/nonexistent/server.pem", "/nonexistent/server.key", ""}, error));
  CHECK(error.find("/nonexistent/server.pem") != std::string::npos);
  CHECK_FALSE(TlsContext::server({}, error));
}
