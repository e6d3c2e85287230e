#pragma once
// Acks from writers to collectors (at-least-once delivery, RELIABILITY.md section 1).
//
// Data flows over PUSH/PULL (common/bus.h); acks flow back on a separate PUB/SUB link, straight from
// every writer to every collector. An ack says "these batches of this sender are durable"; the
// collector forgets them, and resends whatever stays unacked. PUB/SUB may lose acks (slow joiner,
// HWM, restarts): that only costs a resend, which the writer's duplicate window absorbs.
//
// One ZeroMQ message (all integers big-endian):
//   +----------------+----------------+----------------+-----+
//   | sender_id (u64)| sequence (u64) | sequence (u64) | ... |   N >= 1 sequences of that sender
//   +----------------+----------------+----------------+-----+
//    0               8                16
// The first 8 bytes double as the SUB topic, so a collector only receives its own acks.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>
#include <zmq.hpp>

#include "common/bus.h"

namespace sipvault {

// One consumed PacketBatch (plain C++ twin of wire::BatchRef).
struct BatchRef {
  uint64_t sender_id = 0;
  uint64_t sequence = 0;
};

// Pure codec. encodeBatchAck expects sender_id != 0 and at least one sequence (else the result
// does not decode).
[[nodiscard]] std::string encodeBatchAck(uint64_t sender_id, std::span<const uint64_t> sequences);

struct BatchAck {
  uint64_t sender_id = 0;
  std::vector<uint64_t> sequences;
};
// nullopt when malformed: shorter than 16 bytes, length not a multiple of 8, or sender_id 0.
[[nodiscard]] std::optional<BatchAck> decodeBatchAck(std::string_view message);

// Writer side: a PUB socket over an endpoint list ("bind:/connect:" as for BusSocket).
// Not thread-safe (one ZeroMQ socket); linger 0, nothing waits for acks at exit.
class AckPublisher {
 public:
  // Throws zmq::error_t on a bad endpoint (start-up only).
  AckPublisher(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints);

  // Groups refs by sender (order of sequences kept) and publishes one message per sender
  // (split above kMaxSequencesPerMessage). Refs with sender_id 0 are skipped. Never blocks:
  // PUB drops when nobody listens or the peer is slow; the collector then resends.
  void publish(std::span<const BatchRef> refs);

  [[nodiscard]] std::vector<std::string> boundAddresses() const { return bound_; }
  [[nodiscard]] uint64_t messagesSent() const { return sent_; }

  static constexpr size_t kMaxSequencesPerMessage = 4096;

 private:
  zmq::socket_t socket_;
  std::vector<std::string> bound_;
  uint64_t sent_ = 0;
};

// Collector side: a SUB socket subscribed to exactly its own sender_id.
// Not thread-safe (one ZeroMQ socket).
class AckSubscriber {
 public:
  // Throws zmq::error_t on a bad endpoint (start-up only).
  AckSubscriber(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, uint64_t sender_id);

  // Appends acked sequences to `out`; waits at most `timeout` for the first message, then takes
  // whatever else is already queued without waiting. Returns the number of sequences appended.
  // Malformed messages (or another sender's, which the prefix filter should already stop) are
  // counted in malformed() and skipped.
  size_t receive(std::vector<uint64_t>& out, std::chrono::milliseconds timeout);

  [[nodiscard]] uint64_t malformed() const { return malformed_; }
  [[nodiscard]] std::vector<std::string> boundAddresses() const { return bound_; }

 private:
  zmq::socket_t socket_;
  uint64_t sender_id_;
  std::vector<std::string> bound_;
  uint64_t malformed_ = 0;
};

}  // namespace sipvault
