#include "parser/parser_worker.h"

#include <string>

namespace sipvault::parser {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool ParserWorker::sendUntil(const std::string& bytes, const std::atomic<bool>& stop, Clock::time_point deadline) {
  for (;;) {
    const SendResult r = output_.send(bytes, milliseconds(100));
    if (r == SendResult::Sent) {
      metrics_.batches_out.inc();
      return true;
    }
    if (r == SendResult::Closed) return false;
    metrics_.send_waits.inc();
    // While running, wait as long as it takes (backpressure reaches the collectors through the
    // batches we no longer pull). When stopping, give writers until the deadline.
    if (stop.load() && Clock::now() > deadline) return false;
  }
}

bool ParserWorker::convert(wire::PacketBatch& in, wire::SipBatch& out) {
  out.Clear();
  builder_.build(in, out);
  if (in.sender_id() != 0) {
    wire::BatchRef* origin = out.add_origins();
    origin->set_sender_id(in.sender_id());
    origin->set_sequence(in.sequence());
  }
  if (out.records_size() == 0 && out.origins_size() == 0) return false;
  out.set_parser_id(options_.parser_id);
  out.set_sequence(++sequence_);
  return true;
}

uint64_t ParserWorker::run(const std::atomic<bool>& stop, milliseconds drain_deadline, int drain_max_batches) {
  uint64_t undelivered = 0;
  Clock::time_point deadline = Clock::time_point::max();
  int drain_left = drain_max_batches;
  wire::PacketBatch in;
  wire::SipBatch out;
  std::string bytes;
  for (;;) {
    const bool stopping = stop.load();
    if (stopping && deadline == Clock::time_point::max()) deadline = Clock::now() + drain_deadline;
    zmq::message_t message;
    // Once stopping, take what is already queued (a 10 ms gap ends it) and at most
    // drain_max_batches, so continuous load cannot keep us here; then cut the input off.
    if (stopping && (drain_left-- <= 0 || Clock::now() > deadline)) break;
    if (!input_.receive(message, milliseconds(stopping ? 10 : 200))) {
      if (stopping) break;
      continue;
    }
    if (!in.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
      metrics_.batches_bad.inc();
      continue;
    }
    if (!convert(in, out)) continue;
    out.SerializeToString(&bytes);
    if (!sendUntil(bytes, stop, deadline)) ++undelivered;
  }
  input_.detach();
  return undelivered;
}

}  // namespace sipvault::parser
