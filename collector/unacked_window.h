#pragma once
// The batches a collector pushed but the writers have not yet acked (at-least-once delivery,
// RELIABILITY.md section 1). Pure bookkeeping: no sockets, no threads, the clock is passed in.
//
// A batch enters when it is first sent and leaves when acked. If no ack comes within timeout() of
// its last send it is due for a resend; after `max_resends` resends without an ack it is given up
// (removed, and the caller counts it).
//
// timeout() = max(ack_timeout, srtt + 4 * rttvar), the ack latency estimate of TCP's retransmission
// timer (RFC 6298), sampled from batches acked on their first send (Karn: a resent batch's ack is
// ambiguous). Under overload the queues between collector and database hold many seconds of
// batches; resending those while they are still on their way would only add load (measured: a
// 90k/s overload resent more than it stored). A batch really lost is still resent after
// ack_timeout while acks come quickly. The caller stops taking new batches while
// full() (backpressure), so the window holds about `max_bytes` of batches.
//
// Not thread-safe: owned by the collector's bus thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace sipvault::collector {

class UnackedWindow {
 public:
  using Clock = std::chrono::steady_clock;

  UnackedWindow(size_t max_bytes, std::chrono::milliseconds ack_timeout, int max_resends);

  // True when the held bytes reached the bound: take no new batch until acks make room. (The
  // window may overshoot by one batch, so an oversized batch cannot wedge an empty window.)
  [[nodiscard]] bool full() const { return bytes_ >= max_bytes_ && !held_.empty(); }
  // Takes a batch just sent. A sequence already held is replaced.
  void add(uint64_t sequence, std::string bytes, Clock::time_point sent_at);
  // Forgets an acked batch; false when it was not held (late or duplicate ack). The overload with
  // `now` also feeds the ack latency estimate.
  bool ack(uint64_t sequence);
  bool ack(uint64_t sequence, Clock::time_point now);
  // How long a batch may go unacked before it is resent (see above).
  [[nodiscard]] std::chrono::microseconds timeout() const;

  // Sequences whose ack is overdue and that may still be resent, oldest first. The caller sends
  // them (in order) and calls markResent() for each one it could send.
  [[nodiscard]] std::vector<uint64_t> resendDue(Clock::time_point now) const;
  // The bytes of a held batch; nullptr when not held. Valid until the batch is acked or given up.
  [[nodiscard]] const std::string* find(uint64_t sequence) const;
  void markResent(uint64_t sequence, Clock::time_point now);
  // Removes the overdue batches that have used up their resends and returns their sequences.
  std::vector<uint64_t> takeExhausted(Clock::time_point now);

  [[nodiscard]] size_t bytes() const { return bytes_; }
  [[nodiscard]] size_t size() const { return held_.size(); }
  [[nodiscard]] bool empty() const { return held_.empty(); }
  // Held sequences, lowest first (for the shutdown log).
  [[nodiscard]] std::vector<uint64_t> sequences() const;

 private:
  struct Held {
    std::string bytes;
    Clock::time_point last_sent;
    int resends = 0;
  };
  [[nodiscard]] bool overdue(const Held& h, Clock::time_point now) const { return now - h.last_sent >= timeout(); }
  using HeldMap = std::map<uint64_t, Held>;  // by sequence: sequences grow with send order
  void sampleLatency(std::chrono::microseconds latency);
  HeldMap::iterator forget(HeldMap::iterator it);  // removes a batch; the next one

  const size_t max_bytes_;
  const std::chrono::milliseconds ack_timeout_;
  const int max_resends_;
  // Ack latency estimate in microseconds; srtt_ < 0 until the first sample.
  double srtt_us_ = -1;
  double rttvar_us_ = 0;
  HeldMap held_;
  size_t bytes_ = 0;
};

}  // namespace sipvault::collector
