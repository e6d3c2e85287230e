#include "common/batch_ack.h"

#include <algorithm>
#include <unordered_map>

namespace sipvault {
namespace {

constexpr size_t kWord = 8;

void putU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

uint64_t getU64(std::string_view in) {  // caller guarantees in.size() >= 8
  uint64_t v = 0;
  for (size_t i = 0; i < kWord; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

void bindOrConnect(zmq::socket_t& socket, const std::vector<BusEndpoint>& endpoints,
                   std::vector<std::string>& bound) {
  for (const BusEndpoint& ep : endpoints) {
    if (ep.bind) {
      socket.bind(ep.address);
      bound.push_back(socket.get(zmq::sockopt::last_endpoint));
    } else {
      socket.connect(ep.address);
    }
  }
}

}  // namespace

std::string encodeBatchAck(uint64_t sender_id, std::span<const uint64_t> sequences) {
  std::string out;
  out.reserve(kWord * (1 + sequences.size()));
  putU64(out, sender_id);
  for (uint64_t seq : sequences) putU64(out, seq);
  return out;
}

std::optional<BatchAck> decodeBatchAck(std::string_view message) {
  if (message.size() < 2 * kWord || message.size() % kWord != 0) return std::nullopt;
  BatchAck ack;
  ack.sender_id = getU64(message);
  if (ack.sender_id == 0) return std::nullopt;
  ack.sequences.reserve(message.size() / kWord - 1);
  for (size_t off = kWord; off + kWord <= message.size(); off += kWord) ack.sequences.push_back(getU64(message.substr(off)));
  return ack;
}

AckPublisher::AckPublisher(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints)
    : socket_(ctx, zmq::socket_type::pub) {
  // A short linger lets the last acks of a draining writer leave; a collector that is away does
  // not hold the exit up for longer (it resends what it did not hear about).
  socket_.set(zmq::sockopt::linger, 1000);
  socket_.set(zmq::sockopt::sndhwm, 10000);
  bindOrConnect(socket_, endpoints, bound_);
}

void AckPublisher::publish(std::span<const BatchRef> refs) {
  // Usually one or a few senders per call: a small map keeps first-seen order irrelevant and
  // sequence order per sender intact.
  std::unordered_map<uint64_t, std::vector<uint64_t>> by_sender;
  for (const BatchRef& ref : refs) {
    if (ref.sender_id != 0) by_sender[ref.sender_id].push_back(ref.sequence);
  }
  for (const auto& [sender, seqs] : by_sender) {
    for (size_t first = 0; first < seqs.size(); first += kMaxSequencesPerMessage) {
      const size_t n = std::min(kMaxSequencesPerMessage, seqs.size() - first);
      const std::string msg = encodeBatchAck(sender, std::span<const uint64_t>(seqs).subspan(first, n));
      try {
        if (socket_.send(zmq::const_buffer(msg.data(), msg.size()), zmq::send_flags::dontwait)) ++sent_;
      } catch (const zmq::error_t&) {
        // ETERM at shutdown or EAGAIN: the ack is lost, the collector resends.
      }
    }
  }
}

AckSubscriber::AckSubscriber(zmq::context_t& ctx, const std::vector<BusEndpoint>& endpoints, uint64_t sender_id)
    : socket_(ctx, zmq::socket_type::sub), sender_id_(sender_id) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::rcvhwm, 100000);
  const std::string topic = encodeBatchAck(sender_id, {});
  socket_.set(zmq::sockopt::subscribe, topic);
  bindOrConnect(socket_, endpoints, bound_);
}

size_t AckSubscriber::receive(std::vector<uint64_t>& out, std::chrono::milliseconds timeout) {
  size_t appended = 0;
  zmq::pollitem_t item{static_cast<void*>(socket_), 0, ZMQ_POLLIN, 0};
  try {
    if (zmq::poll(&item, 1, timeout) == 0) return 0;
    zmq::message_t msg;
    while (socket_.recv(msg, zmq::recv_flags::dontwait)) {
      auto ack = decodeBatchAck(msg.to_string_view());
      if (!ack || ack->sender_id != sender_id_) {
        ++malformed_;
        continue;
      }
      out.insert(out.end(), ack->sequences.begin(), ack->sequences.end());
      appended += ack->sequences.size();
    }
  } catch (const zmq::error_t&) {
    // Interrupted or context terminated: return what we have; the caller's loop decides.
  }
  return appended;
}

}  // namespace sipvault
