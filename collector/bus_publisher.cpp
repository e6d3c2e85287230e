#include "collector/bus_publisher.h"

#include <algorithm>
#include <random>

namespace sipvault::collector {

using Clock = UnackedWindow::Clock;
using std::chrono::milliseconds;

uint64_t randomSenderId() {
  std::random_device rd;
  uint64_t id = 0;
  while (id == 0) id = (uint64_t{rd()} << 32) ^ rd();
  return id;
}

void stampBatch(std::string& batch_bytes, uint64_t sender_id, uint64_t sequence) {
  wire::PacketBatch stamp;
  stamp.set_sender_id(sender_id);
  stamp.set_sequence(sequence);
  batch_bytes += stamp.SerializeAsString();
}

BusPublisher::BusPublisher(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, int hwm,
                           BatchQueue& queue, CollectorMetrics& metrics, std::optional<AckSettings> acks)
    : socket_(ctx, BusSocket::Kind::Push, endpoints, hwm), queue_(queue), metrics_(metrics), acks_(std::move(acks)) {
  if (acks_) {
    ack_socket_ = std::make_unique<AckSubscriber>(ctx, acks_->input, acks_->sender_id);
    window_ = std::make_unique<UnackedWindow>(acks_->window_bytes, acks_->ack_timeout, acks_->max_resends);
  }
}

BusPublisher::~BusPublisher() {
  giving_up_ = true;
  queue_.close();
  if (thread_.joinable()) thread_.join();
}

std::vector<std::string> BusPublisher::ackBoundAddresses() const {
  return ack_socket_ ? ack_socket_->boundAddresses() : std::vector<std::string>{};
}

void BusPublisher::start() {
  thread_ = std::thread([this] {
    if (acks_)
      runAcked();
    else
      run();
    finished_ = true;
  });
}

void BusPublisher::run() {
  for (;;) {
    std::optional<std::string> batch = queue_.pop(milliseconds(50));
    metrics_.queue_depth.set(static_cast<int64_t>(queue_.size()));
    if (!batch) {
      if (queue_.closed()) return;  // closed and drained
      continue;
    }
    if (giving_up_.load()) {  // past the drain deadline: count what is left, do not wait on each
      undelivered_.fetch_add(1);
      continue;
    }
    for (;;) {
      const SendResult r = socket_.send(*batch, milliseconds(100));
      if (r == SendResult::Sent) {
        metrics_.batches_sent.inc();
        break;
      }
      if (r == SendResult::Closed || giving_up_.load()) {
        undelivered_.fetch_add(1);
        break;
      }
    }
  }
}

// One loop, never blocking long in any step, so acks keep being read while parsers push back:
//   read acks -> resend or give up overdue batches -> take a new batch if the window has room
//   -> try to push it (kept as `pending` while the parsers are full).
// Ends when the queue is closed and drained and every batch is acked, or when giving up.
void BusPublisher::runAcked() {
  std::optional<std::string> pending;
  uint64_t pending_sequence = 0;
  bool queue_drained = false;
  Clock::time_point next_resend_scan = Clock::now();
  // Overdue batches are looked for a few times per ack timeout, not on every loop.
  const auto scan_every = std::clamp(acks_->ack_timeout / 4, milliseconds(10), milliseconds(250));
  while (!giving_up_.load()) {
    takeAcks(milliseconds(0));
    const Clock::time_point now = Clock::now();
    if (now >= next_resend_scan) {
      resendOverdue(now);
      next_resend_scan = now + scan_every;
    }
    if (!pending) {
      if (queue_drained || window_->full()) {
        if (queue_drained && window_->empty()) return;
        takeAcks(milliseconds(10));  // nothing to send: wait for acks instead
        continue;
      }
      std::optional<std::string> batch = queue_.pop(milliseconds(10));
      metrics_.queue_depth.set(static_cast<int64_t>(queue_.size()));
      if (!batch) {
        queue_drained = queue_.closed();
        continue;
      }
      pending_sequence = next_sequence_++;
      stampBatch(*batch, acks_->sender_id, pending_sequence);
      pending = std::move(batch);
    }
    const SendResult r = socket_.send(*pending, milliseconds(10));
    if (r == SendResult::Sent) {
      metrics_.batches_sent.inc();
      window_->add(pending_sequence, std::move(*pending), Clock::now());
      pending.reset();
      updateWindowGauges();
    } else if (r == SendResult::Closed) {
      break;
    }
  }
  undelivered_.fetch_add(window_->size() + (pending ? 1 : 0));
  // Batches never taken from the (closed) queue are undelivered too.
  while (queue_.closed() && queue_.pop(milliseconds(0))) undelivered_.fetch_add(1);
}

void BusPublisher::takeAcks(milliseconds wait) {
  acked_scratch_.clear();
  const uint64_t malformed_before = ack_socket_->malformed();
  if (ack_socket_->receive(acked_scratch_, wait) == 0 && ack_socket_->malformed() == malformed_before) return;
  metrics_.acks_malformed.inc(ack_socket_->malformed() - malformed_before);
  const Clock::time_point now = Clock::now();
  for (uint64_t seq : acked_scratch_)
    if (window_->ack(seq, now)) metrics_.batches_acked.inc();  // duplicate/late acks are not counted
  updateWindowGauges();
}

void BusPublisher::resendOverdue(Clock::time_point now) {
  const std::vector<uint64_t> gone = window_->takeExhausted(now);
  if (!gone.empty()) {
    metrics_.batches_gave_up.inc(gone.size());
    uint64_t suppressed = 0;
    if (gave_up_log_.allow(suppressed))
      log_.warn("batches_gave_up", {{"batches", gone.size()},
                                    {"first_sequence", gone.front()},
                                    {"max_resends", acks_->max_resends},
                                    {"suppressed_lines", suppressed}});
  }
  for (uint64_t seq : window_->resendDue(now)) {
    const std::string* bytes = window_->find(seq);
    // Parsers full: stop here, the rest stays overdue and is tried on the next scan.
    if (bytes == nullptr || socket_.send(*bytes, milliseconds(0)) != SendResult::Sent) break;
    window_->markResent(seq, now);
    metrics_.batches_resent.inc();
  }
  updateWindowGauges();
}

void BusPublisher::updateWindowGauges() {
  metrics_.ack_window_bytes.set(static_cast<int64_t>(window_->bytes()));
  metrics_.ack_window_batches.set(static_cast<int64_t>(window_->size()));
}

void BusPublisher::drainAndStop(milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  // Fire and forget is done once the queue is empty; with acks the loop ends by itself once
  // everything is acked.
  auto done = [&] { return acks_ ? finished_.load() : queue_.size() == 0; };
  while (!done() && Clock::now() < until) std::this_thread::sleep_for(milliseconds(10));
  giving_up_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace sipvault::collector
