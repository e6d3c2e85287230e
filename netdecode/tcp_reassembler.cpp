#include "netdecode/tcp_reassembler.h"

#include <algorithm>

namespace sipvault::netdecode {
namespace {

// Sequence numbers wrap: compare them as signed distances (RFC 1982 serial arithmetic).
int32_t seqDiff(uint32_t a, uint32_t b) { return int32_t(a - b); }

// Held segments are kept in a sorted vector; bounding their number keeps insertion cheap even
// when a peer (or an attacker) sends many tiny out-of-order segments.
constexpr size_t kMaxHeldSegments = 512;
// An unconsumed buffer keeps up to this much spare room; beyond it, a buffer less than a quarter
// full is shrunk, so a stream's memory follows what it holds rather than its largest tail.
constexpr size_t kSpareBytes = 4096;

// Heap bytes a string takes: its capacity, or 0 while its bytes fit in the string itself.
size_t heapBytes(const std::string& s) { return s.capacity() > std::string().capacity() ? s.capacity() : 0; }

// The heap bytes `s` will take once it holds `size` bytes (std::string at least doubles when it grows).
size_t heapBytesAfter(const std::string& s, size_t size) {
  return size <= s.capacity() ? heapBytes(s) : std::max(size, 2 * s.capacity());
}

}  // namespace

size_t TcpReassembler::StreamKeyHash::operator()(const StreamKey& k) const {
  // FNV-1a over the key bytes: cheap, and good enough for a table keyed on observed traffic.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  const std::string_view src = k.src.raw();
  const std::string_view dst = k.dst.raw();
  mix(reinterpret_cast<const uint8_t*>(src.data()), src.size());
  mix(reinterpret_cast<const uint8_t*>(dst.data()), dst.size());
  const uint16_t rest[3] = {k.src_port, k.dst_port, k.vlan};
  mix(reinterpret_cast<const uint8_t*>(rest), sizeof rest);
  return size_t(h);
}

TcpReassembler::TcpReassembler(const TcpReassemblerOptions& options, TcpStreamConsumer& consumer,
                               DecodeCounters& counters)
    : options_(options), consumer_(consumer), counters_(counters) {
  options_.max_streams = std::clamp<size_t>(options_.max_streams, 1, kNone - 1);
  index_.reserve(std::min<size_t>(options_.max_streams, 65536));
}

// ---- stream table ----------------------------------------------------------------------------

void TcpReassembler::lruUnlink(uint32_t i) {
  Stream& s = slab_[i];
  if (s.lru_prev != kNone)
    slab_[s.lru_prev].lru_next = s.lru_next;
  else
    lru_head_ = s.lru_next;
  if (s.lru_next != kNone)
    slab_[s.lru_next].lru_prev = s.lru_prev;
  else
    lru_tail_ = s.lru_prev;
  s.lru_prev = s.lru_next = kNone;
}

void TcpReassembler::lruPushFront(uint32_t i) {
  Stream& s = slab_[i];
  s.lru_prev = kNone;
  s.lru_next = lru_head_;
  if (lru_head_ != kNone) slab_[lru_head_].lru_prev = i;
  lru_head_ = i;
  if (lru_tail_ == kNone) lru_tail_ = i;
}

uint32_t TcpReassembler::allocate(const StreamKey& key, CaptureTime ts) {
  if (index_.size() >= options_.max_streams && lru_tail_ != kNone) {
    close(lru_tail_, CloseReason::EvictedFull);
  }
  uint32_t i;
  if (!free_.empty()) {
    i = free_.back();
    free_.pop_back();
  } else {
    i = uint32_t(slab_.size());
    slab_.emplace_back();
  }
  Stream& s = slab_[i];
  s.key = key;
  s.id = next_id_++;
  s.last_ts = ts;
  s.next_seq = s.isn = s.fin_seq = 0;
  s.syn_seen = s.seq_known = s.fin_seen = s.discontinuity = false;
  index_.emplace(key, i);
  lruPushFront(i);
  ++counters_.tcp_flows_opened;
  return i;
}

void TcpReassembler::close(uint32_t i, CloseReason reason) {
  Stream& s = slab_[i];
  // Whatever is still held after a hole is delivered, so a capture that lost one segment
  // still yields the messages after it.
  while (!s.held.empty()) skipGap(s, s.held.front().seq);
  consumer_.onStreamClosed(infoFor(s));
  switch (reason) {
    case CloseReason::Closed:
      ++counters_.tcp_flows_closed;
      break;
    case CloseReason::EvictedIdle:
      ++counters_.tcp_flows_evicted_idle;
      break;
    case CloseReason::EvictedFull:
      ++counters_.tcp_flows_evicted_full;
      break;
    case CloseReason::Flushed:
      break;
  }
  std::string().swap(s.unconsumed);
  std::vector<HeldSegment>().swap(s.held);
  recharge(s);  // 0 now: a reused slot starts with nothing charged
  lruUnlink(i);
  index_.erase(s.key);
  free_.push_back(i);
}

void TcpReassembler::expireIdle(int64_t now_us) {
  const int64_t limit_us = int64_t(options_.idle_timeout_ms) * 1000;
  while (lru_tail_ != kNone && isStale(slab_[lru_tail_].last_ts.micros(), now_us, limit_us)) {
    close(lru_tail_, CloseReason::EvictedIdle);
  }
}

void TcpReassembler::expire(CaptureTime now) { expireIdle(now.micros()); }

void TcpReassembler::flush() {
  while (lru_tail_ != kNone) close(lru_tail_, CloseReason::Flushed);
}

TcpStreamInfo TcpReassembler::infoFor(const Stream& s) const {
  TcpStreamInfo info;
  info.meta.src = s.key.src;
  info.meta.dst = s.key.dst;
  info.meta.src_port = s.key.src_port;
  info.meta.dst_port = s.key.dst_port;
  info.meta.vlan = s.key.vlan;
  info.meta.ip_proto = kIpProtoTcp;
  info.meta.ts_sec = s.last_ts.sec;
  info.meta.ts_usec = s.last_ts.usec;
  info.stream_id = s.id;
  return info;
}

// ---- segments --------------------------------------------------------------------------------

DecodeStatus TcpReassembler::add(const PacketView& meta, const TcpSegment& seg) {
  ++counters_.tcp_segments;
  const CaptureTime ts{meta.ts_sec, meta.ts_usec};
  expireIdle(ts.micros());

  StreamKey key{meta.src, meta.dst, seg.src_port, seg.dst_port, meta.vlan};
  auto found = index_.find(key);
  if (seg.flags & kTcpRst) {
    // RST ends the connection for both sides.
    if (found != index_.end()) close(found->second, CloseReason::Closed);
    StreamKey reverse{meta.dst, meta.src, seg.dst_port, seg.src_port, meta.vlan};
    if (auto r = index_.find(reverse); r != index_.end()) close(r->second, CloseReason::Closed);
    return DecodeStatus::Ok;
  }
  const bool syn = seg.flags & kTcpSyn;
  uint32_t i;
  if (found == index_.end()) {
    if (!syn && seg.payload.empty()) return DecodeStatus::Ignored;  // no state for bare ACKs
    i = allocate(key, ts);
  } else {
    i = found->second;
    lruUnlink(i);
    lruPushFront(i);
  }
  Stream& s = slab_[i];
  s.last_ts = ts;

  uint32_t data_seq = seg.seq;
  if (syn) {
    data_seq = seg.seq + 1;
    if (!s.syn_seen || s.isn != seg.seq) {
      // First SYN, or a new connection reusing the ports: start over.
      if (s.seq_known) {
        clearHeld(s);
        s.unconsumed.clear();
        releaseSpare(s);
        s.fin_seen = false;
      }
      s.syn_seen = true;
      s.isn = seg.seq;
      s.next_seq = data_seq;
      s.seq_known = true;
      s.discontinuity = false;
    }
  }
  if (!s.seq_known) {
    // Picked up mid-stream: this segment is where our byte stream starts.
    s.seq_known = true;
    s.next_seq = data_seq;
    s.discontinuity = true;
  }
  if (!seg.payload.empty()) handleData(s, data_seq, seg.payload);
  if (seg.flags & kTcpFin) {
    s.fin_seen = true;
    s.fin_seq = data_seq + uint32_t(seg.payload.size());
  }

  if (!s.held.empty() && isStale(s.gap_since_us, ts.micros(), int64_t(options_.gap_timeout_ms) * 1000)) {
    skipGap(s, s.held.front().seq);
  }
  if (s.fin_seen && seqDiff(s.next_seq, s.fin_seq) >= 0) close(i, CloseReason::Closed);
  return DecodeStatus::Ok;
}

void TcpReassembler::handleData(Stream& s, uint32_t seq, Bytes payload) {
  for (;;) {
    const int32_t ahead = seqDiff(seq, s.next_seq);
    if (ahead < 0) {
      const uint64_t old = uint64_t(-int64_t(ahead));
      if (old >= payload.size()) {
        ++counters_.tcp_retransmitted;
        return;
      }
      ++counters_.tcp_overlap_trimmed;
      payload = payload.subspan(size_t(old));
      seq = s.next_seq;
      continue;
    }
    if (ahead == 0) {
      deliver(s, payload);
      s.next_seq += uint32_t(payload.size());
      drainHeld(s);
      return;
    }
    // After a hole. Past the per-stream bound the hole is given up on instead of dropping
    // newer data: in a capture, a missing segment usually never comes.
    if (s.held_bytes + payload.size() > options_.max_out_of_order_bytes ||
        s.held.size() >= kMaxHeldSegments) {
      skipGap(s, s.held.empty() ? seq : s.held.front().seq);
      continue;
    }
    const size_t vector_growth =
        s.held.size() == s.held.capacity() ? (s.held.size() + 1) * sizeof(HeldSegment) : 0;
    if (buffered_ + payload.size() + vector_growth > options_.max_buffered_bytes) {
      ++counters_.tcp_out_of_order_dropped;
      return;
    }
    auto pos = std::find_if(s.held.begin(), s.held.end(),
                            [&](const HeldSegment& h) { return seqDiff(h.seq, seq) >= 0; });
    if (pos != s.held.end() && pos->seq == seq && pos->data.size() >= payload.size()) {
      ++counters_.tcp_retransmitted;  // the same out-of-order segment again
      return;
    }
    if (s.held.empty()) s.gap_since_us = s.last_ts.micros();
    pos = s.held.insert(pos, HeldSegment{seq, std::string(asText(payload))});
    s.held_bytes += heapBytes(pos->data);
    recharge(s);
    ++counters_.tcp_out_of_order;
    return;
  }
}

void TcpReassembler::drainHeld(Stream& s) {
  // Segments are sorted by seq; overlapping ones are trimmed like retransmissions.
  while (!s.held.empty()) {
    HeldSegment& h = s.held.front();
    const int32_t ahead = seqDiff(h.seq, s.next_seq);
    if (ahead > 0) return;
    const size_t old = size_t(-int64_t(ahead));
    if (old < h.data.size()) {
      deliver(s, asBytes(std::string_view(h.data).substr(old)));
      s.next_seq += uint32_t(h.data.size() - old);
    }
    s.held_bytes -= heapBytes(h.data);
    s.held.erase(s.held.begin());
  }
  if (s.held.empty() && s.held.capacity() > 0) std::vector<HeldSegment>().swap(s.held);
  recharge(s);
}

void TcpReassembler::skipGap(Stream& s, uint32_t to_seq) {
  ++counters_.tcp_gap_skipped;
  // The unconsumed tail can never be completed now.
  s.unconsumed.clear();
  releaseSpare(s);
  s.discontinuity = true;
  s.next_seq = to_seq;
  drainHeld(s);
  if (!s.held.empty()) s.gap_since_us = s.last_ts.micros();
}

void TcpReassembler::clearHeld(Stream& s) {
  s.held_bytes = 0;
  std::vector<HeldSegment>().swap(s.held);
  recharge(s);
}

void TcpReassembler::releaseSpare(Stream& s) {
  std::string& u = s.unconsumed;
  if (u.capacity() > kSpareBytes && u.size() < u.capacity() / 4) {
    if (u.empty())
      std::string().swap(u);
    else
      u.shrink_to_fit();
  }
  recharge(s);
}

void TcpReassembler::recharge(Stream& s) {
  const size_t now = heapBytes(s.unconsumed) + s.held_bytes + s.held.capacity() * sizeof(HeldSegment);
  buffered_ = buffered_ - s.charged + now;
  s.charged = now;
}

void TcpReassembler::deliver(Stream& s, Bytes data) {
  if (data.empty()) return;
  const TcpStreamInfo info = infoFor(s);
  if (s.unconsumed.empty()) {
    const size_t used = std::min(consumer_.onStreamData(info, asText(data), s.discontinuity), data.size());
    s.discontinuity = false;
    if (used < data.size()) keepUnconsumed(s, data.subspan(used));
    return;
  }
  const size_t need = s.unconsumed.size() + data.size();
  if (need > options_.max_unconsumed_bytes ||
      buffered_ - heapBytes(s.unconsumed) + heapBytesAfter(s.unconsumed, need) >
          options_.max_buffered_bytes) {
    // The consumer could not frame anything out of a full buffer: drop it and restart.
    ++counters_.tcp_tail_overflow;
    std::string().swap(s.unconsumed);
    recharge(s);
    s.discontinuity = true;
    deliver(s, data);  // unconsumed is empty now: recursion depth 1
    return;
  }
  s.unconsumed.append(asText(data));
  recharge(s);
  const size_t used =
      std::min(consumer_.onStreamData(info, s.unconsumed, s.discontinuity), s.unconsumed.size());
  s.discontinuity = false;
  s.unconsumed.erase(0, used);
  releaseSpare(s);
}

void TcpReassembler::keepUnconsumed(Stream& s, Bytes rest) {
  if (rest.size() > options_.max_unconsumed_bytes ||
      buffered_ - heapBytes(s.unconsumed) + heapBytesAfter(s.unconsumed, rest.size()) >
          options_.max_buffered_bytes) {
    ++counters_.tcp_tail_overflow;
    s.discontinuity = true;
    return;
  }
  s.unconsumed.assign(asText(rest));
  recharge(s);
}

}  // namespace sipvault::netdecode
