#pragma once
// The parser's loop: pull a PacketBatch, build a SipBatch, push it to a writer. Single-threaded;
// run more processes for more throughput. On stop() it finishes the batch in hand and sends it
// (waiting up to the drain deadline for a writer) before returning.
#include <atomic>
#include <chrono>

#include "common/bus.h"
#include "parser/record_builder.h"

namespace sipvault {

class ParserWorker {
 public:
  ParserWorker(BusSocket& input, BusSocket& output, const ParserOptions& options, ParserMetrics& metrics)
      : input_(input), output_(output), options_(options), metrics_(metrics), builder_(options, metrics) {}

  // Runs until `stop` is set; returns the number of batches it could not deliver at the end.
  uint64_t run(const std::atomic<bool>& stop, std::chrono::milliseconds drain_deadline);

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

}  // namespace sipvault
