// sipvault-collector: receives HEP (UDP, TCP) and IP-in-IP mirrors, validates them and pushes
// Protobuf batches to the parser workers over ZeroMQ. Wiring only; the parts live in the library.
#include <Poco/Util/AbstractConfiguration.h>

#include <memory>
#include <optional>
#include <vector>

#include "collector/bus_publisher.h"
#include "collector/collector_options.h"
#include "collector/ipip_listener.h"
#include "collector/tcp_listener.h"
#include "collector/udp_listener.h"
#include "common/stage_app.h"
#include "common/tls_context.h"

namespace sipvault {

class CollectorApp : public StageApp {
 public:
  CollectorApp()
      : StageApp("collector", "Receives HEP v1/v2/v3 over UDP and TCP (and IP-in-IP mirrors) and feeds the parsers.",
                 {
                     {"udp", "u", "collector.udp", "ADDRS", "HEP/UDP listen addresses, comma-separated (\"\" = off)"},
                     {"tcp", "t", "collector.tcp", "ADDRS", "HEP/TCP listen addresses, comma-separated (\"\" = off)"},
                     {"tls", "", "collector.tls", "ADDRS", "HEP over TLS listen addresses, e.g. 0.0.0.0:9061 (default off)"},
                     {"tls-cert", "", "collector.tls_cert", "FILE", "TLS certificate chain (PEM)"},
                     {"tls-key", "", "collector.tls_key", "FILE", "TLS private key (PEM)"},
                     {"tls-ca", "", "collector.tls_ca", "FILE", "require TLS client certificates signed by this CA (PEM)"},
                     {"tls-handshake-timeout", "", "collector.tls_handshake_timeout_s", "S",
                      "drop a TLS client whose handshake takes longer (default 10)"},
                     {"udp-sockets", "", "collector.udp_sockets", "N", "SO_REUSEPORT sockets (threads) per UDP address"},
                     {"ipip", "", "collector.ipip", "", "also read IP-in-IP (IP proto 4) mirrors; needs CAP_NET_RAW"},
                     {"auth-key", "", "collector.auth_key", "KEY", "require this HEP auth key"},
                     {"capture-ids", "", "collector.capture_ids", "IDS", "accept only these capture ids"},
                     {"output", "o", "collector.output", "ENDPOINTS", "ZeroMQ output (bind:tcp://... / connect:...)"},
                     {"id", "", "collector.id", "N", "this collector's id"},
                     {"ack-input", "", "collector.ack_input", "ENDPOINTS",
                      "where writers publish acks (bind:tcp://127.0.0.1:5561); set = at-least-once delivery"},
                     {"ack-timeout-ms", "", "collector.ack_timeout_ms", "MS", "resend a batch unacked this long (5000)"},
                     {"max-resends", "", "collector.max_resends", "N", "resends before a batch is dropped (3)"},
                     {"ack-window-mb", "", "collector.ack_window_mb", "MB", "unacked bytes held before backpressure (256)"},
                     {"drain-timeout-ms", "", "collector.drain_timeout_ms", "MS",
                      "on SIGTERM, wait this long for the queue to drain and for acks (10000)"},
                 }) {}

 protected:
  std::string helpFooter() const override {
    return "Example: sipvault-collector --udp 0.0.0.0:9060 --tcp 0.0.0.0:9060 --output bind:tcp://127.0.0.1:5560\n"
           "Config keys: see deploy/config/collector.ini.";
  }

  int runStage(const std::vector<std::string>&) override {
    CollectorOptions opt;
    try {
      opt = CollectorOptions::fromConfig(config());
    } catch (const Poco::Exception& e) {
      return fail(kExitConfig, e.displayText(), "fix the value in the config file or on the command line");
    }
    std::string err;
    auto endpoints = parseBusEndpoints(opt.output, err);
    if (!endpoints) return fail(kExitConfig, "collector.output: " + err, "e.g. bind:tcp://127.0.0.1:5560");
    std::optional<AckSettings> acks;
    if (!opt.ack_input.empty()) {
      auto ack_endpoints = parseBusEndpoints(opt.ack_input, err);
      if (!ack_endpoints) return fail(kExitConfig, "collector.ack_input: " + err, "e.g. bind:tcp://127.0.0.1:5561");
      acks = AckSettings{*ack_endpoints, randomSenderId(), opt.ack_timeout, opt.max_resends, opt.ack_window_bytes};
    }

    std::shared_ptr<TlsContext> tls_context;
    if (!opt.tls_listen.empty()) {
      tls_context = TlsContext::server({opt.tls_cert, opt.tls_key, opt.tls_ca}, err);
      if (!tls_context)
        return fail(kExitConfig, "collector.tls: " + err, "fix collector.tls_cert / tls_key / tls_ca (PEM files)");
    }

    CollectorMetrics counters(metrics());
    PacketAdmission admission(opt.auth_key, opt.capture_ids);
    BatchQueue queue(static_cast<size_t>(opt.queue_batches));
    zmq::context_t zmq_ctx(1);
    std::unique_ptr<BusPublisher> publisher;
    std::vector<std::unique_ptr<UdpListener>> udp;
    std::vector<std::unique_ptr<TcpListener>> tcp;
    std::unique_ptr<IpIpListener> ipip;
    try {
      publisher = std::make_unique<BusPublisher>(zmq_ctx, *endpoints, opt.bus_hwm, queue, counters, acks);
      for (const auto& a : opt.udp_listen)
        udp.push_back(std::make_unique<UdpListener>(a, opt.udp_sockets, opt.udp_rcvbuf, admission, counters, queue,
                                                    opt.collector_id, opt.batch_packets, opt.batch_time));
      for (const auto& a : opt.tcp_listen)
        tcp.push_back(std::make_unique<TcpListener>(a, opt.tcp_max_connections, opt.tcp_idle_timeout, admission,
                                                    counters, queue, opt.collector_id, opt.batch_packets,
                                                    opt.batch_time));
      // TLS listeners join the TCP ones: same loop, same limits, started and stopped with them.
      for (const auto& a : opt.tls_listen)
        tcp.push_back(std::make_unique<TcpListener>(
            a, opt.tcp_max_connections, opt.tcp_idle_timeout, admission, counters, queue, opt.collector_id,
            opt.batch_packets, opt.batch_time, TlsListenerOptions{tls_context, opt.tls_handshake_timeout, log()}));
      if (opt.ipip)
        ipip = std::make_unique<IpIpListener>(opt.ipip_bind, admission, counters, queue, opt.collector_id,
                                              opt.batch_packets, opt.batch_time);
    } catch (const IpIpPermissionError& e) {
      return fail(kExitUnavailable, e.what(),
                  "run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep sipvault-collector), or drop --ipip");
    } catch (const zmq::error_t& e) {
      return fail(kExitUnavailable, "ZeroMQ output " + opt.output + " / ack input " + opt.ack_input + ": " + e.what(),
                  "free the address or change collector.output / collector.ack_input");
    } catch (const std::exception& e) {
      return fail(kExitUnavailable, e.what(), "free the port or change the listen address");
    }
    if (udp.empty() && tcp.empty() && !ipip)
      return fail(kExitConfig, "no input enabled", "set collector.udp, collector.tcp or collector.ipip");

    publisher->start();
    for (auto& l : udp) {
      l->start();
      log().info("listening", {{"transport", "udp"}, {"addr", l->boundAddress()}});
    }
    for (auto& l : tcp) {
      l->start();
      log().info("listening", {{"transport", l->tls() ? "tls" : "tcp"}, {"addr", l->boundAddress()}});
    }
    if (ipip) {
      ipip->start();
      log().info("listening", {{"transport", "ipip"}, {"addr", opt.ipip_bind.empty() ? "*" : opt.ipip_bind}});
    }
    for (const auto& a : publisher->boundAddresses()) log().info("bus_bound", {{"addr", a}});
    if (acks) {
      for (const auto& a : publisher->ackBoundAddresses()) log().info("ack_bound", {{"addr", a}});
      log().info("acks_on", {{"sender_id", acks->sender_id}, {"ack_timeout_ms", opt.ack_timeout.count()},
                             {"max_resends", opt.max_resends}});
    }

    waitForShutdown();
    log().info("draining", {{"queued_batches", queue.size()}});
    // Order matters: listeners flush their partial batches into the queue, then the queue
    // closes and the publisher sends what is left.
    for (auto& l : udp) l->stop();
    for (auto& l : tcp) l->stop();
    if (ipip) ipip->stop();
    queue.close();
    // With acks this also waits until writers confirmed every batch (resending as needed).
    publisher->drainAndStop(opt.drain_timeout);
    if (acks) {
      const std::vector<uint64_t> unacked = publisher->unacked();
      if (unacked.empty())
        log().info("all_acked", {{"acked", counters.batches_acked.value()}});
      else
        log().warn("unacked_at_exit", {{"batches", unacked.size()},
                                       {"first_sequence", unacked.front()},
                                       {"last_sequence", unacked.back()},
                                       {"sender_id", acks->sender_id}});
    }
    log().info("stopped", {{"accepted", counters.accepted.value()},
                           {"batches_sent", counters.batches_sent.value()},
                           {"undelivered_batches", publisher->undelivered()},
                           {"resent", counters.batches_resent.value()},
                           {"gave_up", counters.batches_gave_up.value()}});
    return kExitOk;
  }
};

}  // namespace sipvault

SIPVAULT_STAGE_MAIN(sipvault::CollectorApp)
