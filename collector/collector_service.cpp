#include "collector/collector_service.h"

#include <condition_variable>
#include <mutex>
#include <thread>

#include "collector/ipip_listener.h"
#include "collector/tcp_listener.h"
#include "collector/udp_listener.h"
#include "common/tls_context.h"

namespace sipvault::collector {

CollectorService::CollectorService(CollectorOptions options, CollectorMetrics& metrics, Log log)
    : options_(std::move(options)),
      metrics_(metrics),
      log_(log),
      admission_(options_.auth_key, options_.capture_ids, options_.ipip_allow),
      queue_(static_cast<size_t>(options_.queue_batches), options_.queue_bytes),
      ingest_{admission_,
              metrics_,
              queue_,
              options_.collector_id,
              options_.batch_packets,
              options_.batch_bytes,
              options_.batch_time,
              options_.max_inflated} {}

CollectorService::~CollectorService() { stop(); }

std::optional<StartFailure> CollectorService::start() {
  if (options_.udp_listen.empty() && options_.tcp_listen.empty() && options_.tls_listen.empty() &&
      !options_.ipip)
    return StartFailure{StartFailure::Kind::Config, "no input enabled",
                        "set collector.udp, collector.tcp, collector.tls or collector.ipip"};
  if (auto failure = open()) {
    // All or nothing: what was opened closes here.
    ipip_.reset();
    tcp_.clear();
    udp_.clear();
    publisher_.reset();
    return failure;
  }
  publisher_->start();
  for (auto& l : udp_) l->start();
  for (auto& l : tcp_) l->start();
  if (ipip_) ipip_->start();
  running_ = true;
  logStarted();
  return std::nullopt;
}

std::optional<StartFailure> CollectorService::open() {
  std::string err;
  auto endpoints = parseBusEndpoints(options_.output, err);
  if (!endpoints)
    return StartFailure{StartFailure::Kind::Config, "collector.output: " + err,
                        "e.g. bind:tcp://127.0.0.1:5560"};
  if (!options_.ack_input.empty()) {
    auto ack_endpoints = parseBusEndpoints(options_.ack_input, err);
    if (!ack_endpoints)
      return StartFailure{StartFailure::Kind::Config, "collector.ack_input: " + err,
                          "e.g. bind:tcp://127.0.0.1:5561"};
    acks_ = AckSettings{*ack_endpoints, randomSenderId(), options_.ack_timeout, options_.max_resends,
                        options_.ack_window_bytes};
  }
  std::shared_ptr<TlsContext> tls_context;
  if (!options_.tls_listen.empty()) {
    tls_context = TlsContext::server({options_.tls_cert, options_.tls_key, options_.tls_ca}, err);
    if (!tls_context)
      return StartFailure{StartFailure::Kind::Config, "collector.tls: " + err,
                          "fix collector.tls_cert / tls_key / tls_ca (PEM files)"};
  }
  const CollectorOptions& o = options_;
  try {
    publisher_ = std::make_unique<BusPublisher>(zmq_, *endpoints, o.bus_hwm, queue_, metrics_, acks_);
    for (const auto& a : o.udp_listen)
      udp_.push_back(std::make_unique<UdpListener>(a, o.udp_sockets, o.udp_rcvbuf, ingest_));
    const TcpLimits limits{o.tcp_max_connections, o.tcp_max_per_source, o.tcp_first_packet_timeout,
                           o.tcp_idle_timeout};
    for (const auto& a : o.tcp_listen) tcp_.push_back(std::make_unique<TcpListener>(a, limits, ingest_));
    for (const auto& a : o.tls_listen)
      tcp_.push_back(std::make_unique<TcpListener>(
          a, limits, ingest_, TlsListenerOptions{tls_context, o.tls_handshake_timeout, log_}));
    if (o.ipip) ipip_ = std::make_unique<IpIpListener>(o.ipip_bind, ingest_);
  } catch (const IpIpPermissionError& e) {
    return StartFailure{
        StartFailure::Kind::Unavailable, e.what(),
        "run as root or grant CAP_NET_RAW (setcap cap_net_raw+ep sipvault-collector), or drop --ipip"};
  } catch (const zmq::error_t& e) {
    return StartFailure{StartFailure::Kind::Unavailable,
                        "ZeroMQ output " + o.output + " / ack input " + o.ack_input + ": " + e.what(),
                        "free the address or change collector.output / collector.ack_input"};
  } catch (const std::exception& e) {
    return StartFailure{StartFailure::Kind::Unavailable, e.what(),
                        "free the port or change the listen address"};
  }
  return std::nullopt;
}

void CollectorService::logStarted() const {
  for (const auto& l : udp_) log_.info("listening", {{"transport", "udp"}, {"addr", l->boundAddress()}});
  for (const auto& l : tcp_)
    log_.info("listening", {{"transport", l->tls() ? "tls" : "tcp"}, {"addr", l->boundAddress()}});
  if (ipip_) {
    log_.info("listening",
              {{"transport", "ipip"}, {"addr", options_.ipip_bind.empty() ? "*" : options_.ipip_bind}});
    // IP-in-IP carries no auth key: without an allow list anyone who can reach us can inject.
    if (options_.ipip_allow.empty())
      log_.warn("ipip_open_to_any_source", {{"fix", "set collector.ipip_allow to the mirrors' addresses"}});
  }
  for (const auto& a : publisher_->boundAddresses()) log_.info("bus_bound", {{"addr", a}});
  if (acks_) {
    for (const auto& a : publisher_->ackBoundAddresses()) log_.info("ack_bound", {{"addr", a}});
    log_.info("acks_on", {{"sender_id", acks_->sender_id},
                          {"ack_timeout_ms", options_.ack_timeout.count()},
                          {"max_resends", options_.max_resends}});
  }
}

void CollectorService::stop() {
  if (!running_) return;
  running_ = false;
  log_.info("draining", {{"queued_batches", queue_.size()}});
  const auto deadline = std::chrono::steady_clock::now() + options_.drain_timeout;
  // Order matters: listeners flush their partial batches into the queue, then the queue closes and
  // the publisher sends what is left. A listener flushing into a full queue waits for the parsers;
  // with none taking batches that would never end, so at the deadline the queue is closed under
  // it: what it still holds is dropped and counted (reason="shutdown").
  std::mutex mu;
  std::condition_variable cv;
  bool listeners_stopped = false;
  std::thread deadline_guard([&] {
    std::unique_lock lock(mu);
    if (!cv.wait_until(lock, deadline, [&] { return listeners_stopped; })) {
      log_.warn("drain_deadline_passed", {{"queued_batches", queue_.size()}, {"fix", "start the parsers"}});
      queue_.close();
    }
  });
  for (auto& l : udp_) l->stop();
  for (auto& l : tcp_) l->stop();
  if (ipip_) ipip_->stop();
  {
    std::lock_guard lock(mu);
    listeners_stopped = true;
  }
  cv.notify_one();
  deadline_guard.join();
  queue_.close();
  // With acks this also waits until writers confirmed every batch (resending as needed).
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  publisher_->drainAndStop(std::max(left, std::chrono::milliseconds(0)));
  metrics_.batches_undelivered.inc(publisher_->undelivered());
  if (acks_) {
    const std::vector<uint64_t> unacked = publisher_->unacked();
    if (unacked.empty())
      log_.info("all_acked", {{"acked", metrics_.batches_acked.value()}});
    else
      log_.warn("unacked_at_exit", {{"batches", unacked.size()},
                                    {"first_sequence", unacked.front()},
                                    {"last_sequence", unacked.back()},
                                    {"sender_id", acks_->sender_id}});
  }
  log_.info("stopped", {{"accepted", metrics_.accepted.value()},
                        {"batches_sent", metrics_.batches_sent.value()},
                        {"undelivered_batches", publisher_->undelivered()},
                        {"dropped_at_stop", metrics_.dropped_at_stop.value()},
                        {"resent", metrics_.batches_resent.value()},
                        {"gave_up", metrics_.batches_gave_up.value()}});
}

}  // namespace sipvault::collector
