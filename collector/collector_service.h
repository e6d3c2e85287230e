#pragma once
// sipvault-collector assembled: listeners (HEP over UDP, TCP, TLS; IP-in-IP) -> one bounded
// BatchQueue -> BusPublisher (ZeroMQ PUSH to the parsers; with acks, the unacked window and
// resends).
//
//   start():  check the inputs, load TLS keys, open the bus and every listener (all or nothing),
//             then start them. Ports in use, a missing CAP_NET_RAW or a bad endpoint come back as a
//             StartFailure; nothing is left running.
//   stop():   the ordered drain, all of it within collector.drain_timeout_ms: listeners stop
//             reading and flush their partial batches into the queue, the queue closes, the
//             publisher sends what is left and (with acks) waits until writers confirmed every
//             batch, resending as needed. With no parser taking batches the deadline closes the
//             queue under the listeners; what could not be handed on is counted
//             (dropped_total{reason="shutdown"} packets, batches_undelivered_total) and logged.
// Thread-safety: call start/stop from one thread. Counters are in CollectorMetrics.
#include <memory>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "collector/batch_builder.h"
#include "collector/bus_publisher.h"
#include "collector/collector_metrics.h"
#include "collector/collector_options.h"
#include "collector/ingest_context.h"
#include "collector/packet_admission.h"
#include "common/log.h"
#include "common/start_failure.h"

namespace sipvault::collector {

class IpIpListener;
class TcpListener;
class UdpListener;

class CollectorService {
 public:
  CollectorService(CollectorOptions options, CollectorMetrics& metrics, Log log);
  ~CollectorService();  // stop() if still running

  [[nodiscard]] std::optional<StartFailure> start();
  void stop();

 private:
  [[nodiscard]] std::optional<StartFailure> open();
  void logStarted() const;

  const CollectorOptions options_;
  CollectorMetrics& metrics_;
  Log log_;
  PacketAdmission admission_;
  BatchQueue queue_;
  IngestContext ingest_;
  std::optional<AckSettings> acks_;
  zmq::context_t zmq_{1};
  std::unique_ptr<BusPublisher> publisher_;
  std::vector<std::unique_ptr<UdpListener>> udp_;
  std::vector<std::unique_ptr<TcpListener>> tcp_;  // TLS listeners too: same loop, same limits
  std::unique_ptr<IpIpListener> ipip_;
  bool running_ = false;
};

}  // namespace sipvault::collector
