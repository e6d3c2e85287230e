#include "netdecode/ip_reassembler.h"

#include <algorithm>
#include <cstring>

namespace sipvault::netdecode {

namespace {

constexpr uint32_t kMaxDatagram = 65535;
// Real fragment trains leave a handful of holes; thousands of disjoint 8-byte fragments are
// an attack on the range bookkeeping, so such datagrams are dropped.
constexpr size_t kMaxRanges = 128;
// Buffers up to this size keep their capacity for the next datagram; bigger ones are freed so
// idle memory stays at most max_datagrams * kKeepCapacity.
constexpr size_t kKeepCapacity = 16 * 1024;

}  // namespace

IpReassembler::IpReassembler(const IpReassemblerOptions& options, DecodeCounters& counters)
    : options_(options), counters_(counters) {
  options_.max_datagrams = std::max<size_t>(options_.max_datagrams, 1);
  slots_.reserve(options_.max_datagrams);
}

IpReassembler::Datagram* IpReassembler::find(const IpPacket& f) {
  for (Datagram& d : slots_) {
    if (d.used && d.id == f.fragment_id && d.version == f.version && d.src == f.src && d.dst == f.dst &&
        (f.version == 6 || d.protocol == f.protocol)) {
      return &d;
    }
  }
  return nullptr;
}

IpReassembler::Datagram* IpReassembler::allocate(const IpPacket& f, int64_t now_us) {
  Datagram* slot = nullptr;
  if (in_flight_ == options_.max_datagrams) evictOldest(nullptr);
  for (Datagram& d : slots_) {
    if (!d.used) {
      slot = &d;
      break;
    }
  }
  if (slot == nullptr) slot = &slots_.emplace_back();  // capacity reserved: no reallocation
  slot->used = true;
  slot->version = f.version;
  slot->protocol = f.protocol;
  slot->have_first = false;
  slot->src = f.src;
  slot->dst = f.dst;
  slot->id = f.fragment_id;
  slot->total = 0;
  slot->first_seen_us = now_us;
  ++in_flight_;
  return slot;
}

void IpReassembler::release(Datagram& d) {
  bytes_in_flight_ -= d.data.size();
  --in_flight_;
  d.used = false;
  d.held.clear();
  if (d.data.capacity() > kKeepCapacity) {
    std::vector<uint8_t>().swap(d.data);
  } else {
    d.data.clear();
  }
}

void IpReassembler::evictOldest(const Datagram* keep) {
  Datagram* oldest = nullptr;
  for (Datagram& d : slots_) {
    if (d.used && &d != keep && (oldest == nullptr || d.first_seen_us < oldest->first_seen_us)) {
      oldest = &d;
    }
  }
  if (oldest != nullptr) {
    ++counters_.frag_evicted;
    release(*oldest);
  }
}

void IpReassembler::expire(CaptureTime now) {
  if (in_flight_ == 0) return;
  const int64_t now_us = now.micros();
  const int64_t limit_us = int64_t(options_.timeout_ms) * 1000;
  for (Datagram& d : slots_) {
    if (d.used && isStale(d.first_seen_us, now_us, limit_us)) {
      ++counters_.frag_timeout;
      release(d);
    }
  }
}

DecodeStatus IpReassembler::checkOverlap(const Datagram& d, uint32_t begin, uint32_t end, Bytes bytes) const {
  uint32_t covered = 0;
  for (const Range& r : d.held) {
    const uint32_t lo = std::max(r.begin, begin);
    const uint32_t hi = std::min(r.end, end);
    if (lo >= hi) continue;
    if (std::memcmp(d.data.data() + lo, bytes.data() + (lo - begin), hi - lo) != 0) {
      return DecodeStatus::Dropped;
    }
    covered += hi - lo;
  }
  return end > begin && covered == end - begin ? DecodeStatus::Pending : DecodeStatus::Ok;
}

void IpReassembler::insertRange(Datagram& d, uint32_t begin, uint32_t end) {
  // Merge with every range that overlaps or touches [begin, end), keep the list sorted.
  auto first = std::lower_bound(d.held.begin(), d.held.end(), begin,
                                [](const Range& r, uint32_t b) { return r.end < b; });
  auto last = first;
  while (last != d.held.end() && last->begin <= end) {
    begin = std::min(begin, last->begin);
    end = std::max(end, last->end);
    ++last;
  }
  if (first == last) {
    d.held.insert(first, Range{begin, end});
  } else {
    *first = Range{begin, end};
    d.held.erase(first + 1, last);
  }
}

DecodeStatus IpReassembler::add(const IpPacket& f, CaptureTime ts, IpPacket& out) {
  ++counters_.frag_received;
  expire(ts);
  const uint32_t len = uint32_t(f.payload.size());
  const uint32_t begin = f.fragment_offset;
  const uint32_t end = begin + len;  // both below 2^17: no overflow
  if (end > kMaxDatagram) {
    ++counters_.frag_too_large;
    return DecodeStatus::Malformed;
  }
  if (f.more_fragments && (len == 0 || len % 8 != 0)) {
    ++counters_.frag_malformed;
    return DecodeStatus::Malformed;
  }

  Datagram* d = find(f);
  if (d == nullptr) d = allocate(f, ts.micros());

  // The last fragment fixes the size; everything else must fit inside it.
  const bool known_total = d->total != 0;
  const bool conflict = f.more_fragments ? known_total && end > d->total
                                         : (known_total && end != d->total) || end < d->data.size();
  if (conflict) {
    ++counters_.frag_malformed;
    release(*d);
    return DecodeStatus::Malformed;
  }

  switch (checkOverlap(*d, begin, end, f.payload)) {
    case DecodeStatus::Pending:
      ++counters_.frag_duplicate;
      return DecodeStatus::Pending;
    case DecodeStatus::Dropped:
      ++counters_.frag_overlap_conflict;
      release(*d);
      return DecodeStatus::Dropped;
    default:
      break;
  }
  if (d->held.size() >= kMaxRanges) {
    ++counters_.frag_malformed;
    release(*d);
    return DecodeStatus::Dropped;
  }

  if (end > d->data.size()) {
    const size_t grow = end - d->data.size();
    while (bytes_in_flight_ + grow > options_.max_bytes && in_flight_ > 1) evictOldest(d);
    if (bytes_in_flight_ + grow > options_.max_bytes) {
      ++counters_.frag_evicted;
      release(*d);
      return DecodeStatus::Dropped;
    }
    d->data.resize(end);
    bytes_in_flight_ += grow;
  }
  if (len > 0) std::memcpy(d->data.data() + begin, f.payload.data(), len);
  insertRange(*d, begin, end);
  if (!f.more_fragments) d->total = end;
  if (begin == 0) {
    d->have_first = true;
    d->protocol = f.protocol;  // IPv6: only the first fragment's next header counts
  }

  const bool complete =
      d->total != 0 && d->held.size() == 1 && d->held[0].begin == 0 && d->held[0].end == d->total;
  if (!complete) return DecodeStatus::Pending;

  out = IpPacket{};
  out.version = d->version;
  out.src = d->src;
  out.dst = d->dst;
  out.protocol = d->protocol;
  const uint32_t total = d->total;
  bytes_in_flight_ -= d->data.size();
  completed_.swap(d->data);  // no copy; the slot inherits the previous completed_ buffer
  d->data.clear();
  release(*d);
  out.payload = Bytes(completed_.data(), total);
  ++counters_.frag_reassembled;
  return DecodeStatus::Ok;
}

}  // namespace sipvault::netdecode
