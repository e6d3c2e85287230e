#pragma once
// The receiver thread: pulls SipBatch messages from ZeroMQ, converts their records to rows
// (record_converter.h) and pushes them into the RowQueue. It never touches the database, so a
// slow or absent database only shows here as a full queue: push() blocks, this thread stops
// pulling, and ZeroMQ's high-water mark pushes back on the parsers (counted as backpressure).
// A frame that is not a SipBatch is dropped, counted and logged (rate-limited).
// Records the duplicate window has seen are dropped and counted (duplicate_window.h). The
// SipBatch's origins travel with its rows (QueuedBatch::acks); a SipBatch left with no rows is
// still queued when it has origins, so that it gets acked in its turn.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "common/bus.h"
#include "common/log.h"
#include "writer/duplicate_window.h"
#include "writer/record_converter.h"
#include "writer/row_queue.h"
#include "writer/writer_metrics.h"

namespace sipvault::writer {

class BusReceiver {
 public:
  // Binds/connects the PULL socket now; throws zmq::error_t when an endpoint cannot be used.
  BusReceiver(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int high_water_mark,
              RowQueue& queue, ReceiverMetrics& metrics, Log log, DuplicateWindowOptions dedup = {},
              store::RawCodec codec = store::RawCodec::Lz4);
  ~BusReceiver();

  [[nodiscard]] std::vector<std::string> boundAddresses() const { return socket_.boundAddresses(); }

  void start();
  // Asks the thread to stop pulling; it then takes what ZeroMQ already holds for this socket (for
  // at most ~1 s), queues it and ends.
  void requestStop() { stop_ = true; }
  void join();

 private:
  void run();
  void handle(const zmq::message_t& message);

  BusSocket socket_;
  RowQueue& queue_;
  ReceiverMetrics& metrics_;
  Log log_;
  RecordConverter converter_;
  DuplicateWindow dedup_;
  std::string qos_content_;  // the reports of a payload-less record, as the duplicate key's content
  uint64_t evictions_seen_ = 0;
  RateLimiter bad_log_{std::chrono::seconds(10)};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sipvault::writer
