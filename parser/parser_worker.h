#pragma once
// The parser's loop: pull a PacketBatch, build a SipBatch, push it to a writer. Single-threaded;
// run more processes for more throughput.
//
// At-least-once delivery (RELIABILITY.md section 1): the SipBatch carries the (sender_id,
// sequence) of the PacketBatch it came from in `origins`, so the writer can ack it to the collector.
// A PacketBatch that yields no records still produces an (empty) SipBatch with its origin, so it gets
// acked; from senders that want no acks (sender_id 0) such empty batches are skipped as before.
//
// Stop (SIGTERM) ends even under continuous load: the worker pulls at most `drain_max_batches` more
// (fewer when 10 ms pass without one: the local queue is empty), then detaches its input so nothing new
// arrives, pushes what it built (waiting up to the drain deadline for a writer) and returns. What
// ZeroMQ still held for the detached input is lost here and resent by the collector, which never got
// an ack for it (without acks it is lost: at most the input's high-water mark per collector).
#include <atomic>
#include <chrono>

#include "common/bus.h"
#include "parser/record_builder.h"

namespace sipvault::parser {

class ParserWorker {
 public:
  // `kpi` (optional, outlives the worker): SIP KPIs of every parsed message.
  ParserWorker(BusSocket& input, BusSocket& output, const ParserOptions& options, ParserMetrics& metrics,
               KpiRecorder* kpi = nullptr)
      : input_(input), output_(output), options_(options), metrics_(metrics), builder_(options, metrics) {
    builder_.setKpi(kpi);
  }

  // Runs until `stop` is set, then drains as above; returns the number of batches it could not
  // deliver at the end.
  uint64_t run(const std::atomic<bool>& stop, std::chrono::milliseconds drain_deadline, int drain_max_batches);

  // One PacketBatch -> the SipBatch to push; false when there is nothing to push (no records and
  // no origin to ack). Moves the payloads out of `in`. Exposed for tests.
  bool convert(wire::PacketBatch& in, wire::SipBatch& out);

 private:
  bool sendUntil(const std::string& bytes, const std::atomic<bool>& stop,
                 std::chrono::steady_clock::time_point deadline);

  BusSocket& input_;
  BusSocket& output_;
  const ParserOptions& options_;
  ParserMetrics& metrics_;
  RecordBuilder builder_;
  uint64_t sequence_ = 0;
};

}  // namespace sipvault::parser
