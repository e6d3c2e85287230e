#include "parser/parser_worker.h"

#include <string>

namespace sipvault {

bool ParserWorker::sendUntil(const std::string& bytes, const std::atomic<bool>& stop,
                             std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const SendResult r = output_.send(bytes, std::chrono::milliseconds(100));
    if (r == SendResult::Sent) {
      metrics_.batches_out.inc();
      return true;
    }
    if (r == SendResult::Closed) return false;
    metrics_.send_waits.inc();
    // While running, wait as long as it takes (backpressure reaches the collectors through the
    // batches we no longer pull). When stopping, give writers until the deadline.
    if (stop.load() && std::chrono::steady_clock::now() > deadline) return false;
  }
}

uint64_t ParserWorker::run(const std::atomic<bool>& stop, std::chrono::milliseconds drain_deadline) {
  uint64_t undelivered = 0;
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  wire::PacketBatch in;
  wire::SipBatch out;
  std::string bytes;
  for (;;) {
    if (stop.load() && deadline == std::chrono::steady_clock::time_point::max())
      deadline = std::chrono::steady_clock::now() + drain_deadline;
    zmq::message_t message;
    // Once stopping, keep pulling what is already queued locally (short timeout), then leave.
    if (!input_.receive(message, std::chrono::milliseconds(stop.load() ? 50 : 200))) {
      if (stop.load()) break;
      continue;
    }
    if (!in.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      metrics_.batches_bad.inc();
      continue;
    }
    out.Clear();
    builder_.build(in, out);
    if (out.records_size() == 0) continue;
    out.set_parser_id(options_.parser_id);
    out.set_sequence(++sequence_);
    out.SerializeToString(&bytes);
    if (!sendUntil(bytes, stop, deadline)) ++undelivered;
  }
  return undelivered;
}

}  // namespace sipvault
