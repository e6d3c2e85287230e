#include "netdecode/sctp_decoder.h"

#include <algorithm>

namespace sipvault::netdecode {

namespace {

constexpr uint8_t kChunkData = 0;
constexpr uint8_t kFlagBegin = 0x02;
constexpr uint8_t kFlagEnd = 0x01;
constexpr size_t kDataHeader = 16;
// Reassembly lookups (and evicted fragments' scans) one packet may cost: enough to complete many
// fragmented messages, far below the ~3,800 chunks x 256 held fragments a hostile packet could ask.
constexpr size_t kWorkPerPacket = 8192;

}  // namespace

SctpDecoder::SctpDecoder(const SctpDecoderOptions& options, PacketSink& sink, DecodeCounters& counters)
    : options_(options), sink_(sink), counters_(counters) {}

size_t SctpDecoder::FragmentKeyHash::operator()(const FragmentKey& k) const {
  // FNV-1a over the key bytes (as the TCP reassembler's stream table).
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const uint8_t*>(p)[i]) * 1099511628211ull;
  };
  mix(k.id.src.raw().data(), k.id.src.raw().size());
  mix(k.id.dst.raw().data(), k.id.dst.raw().size());
  const uint32_t rest[4] = {uint32_t(k.id.src_port) << 16 | k.id.dst_port, k.id.vtag, k.id.stream, k.tsn};
  mix(rest, sizeof rest);
  return size_t(h);
}

int SctpDecoder::find(const StreamId& id, uint32_t tsn) {
  if (work_left_ > 0) --work_left_;
  const auto it = index_.find(FragmentKey{id, tsn});
  return it == index_.end() ? -1 : int(it->second);
}

void SctpDecoder::removeAt(size_t index) {
  fragment_bytes_ -= fragments_[index].data.size();
  index_.erase(FragmentKey{fragments_[index].id, fragments_[index].tsn});
  if (index + 1 != fragments_.size()) {
    fragments_[index] = std::move(fragments_.back());
    index_[FragmentKey{fragments_[index].id, fragments_[index].tsn}] = index;
  }
  fragments_.pop_back();
}

void SctpDecoder::evictOldest() {
  work_left_ -= std::min(work_left_, fragments_.size());
  auto oldest = std::min_element(fragments_.begin(), fragments_.end(),
                                 [](const Fragment& a, const Fragment& b) { return a.seen_us < b.seen_us; });
  ++counters_.sctp_fragment_evicted;
  removeAt(size_t(oldest - fragments_.begin()));
}

void SctpDecoder::expire(CaptureTime now) {
  const int64_t limit_us = int64_t(options_.timeout_ms) * 1000;
  for (size_t i = 0; i < fragments_.size();) {
    if (isStale(fragments_[i].seen_us, now.micros(), limit_us)) {
      ++counters_.sctp_fragment_timeout;
      removeAt(i);
    } else {
      ++i;
    }
  }
}

void SctpDecoder::addFragment(Fragment&& f, const PacketView& view) {
  ++counters_.sctp_fragments;
  if (work_left_ == 0) {
    ++counters_.sctp_work_capped;
    return;
  }
  if (find(f.id, f.tsn) >= 0) {
    ++counters_.sctp_fragment_duplicate;
    return;
  }
  if (f.data.size() > options_.max_fragment_bytes || options_.max_fragments == 0) {
    ++counters_.sctp_fragment_evicted;
    return;
  }
  while (!fragments_.empty() && (fragments_.size() >= options_.max_fragments ||
                                 fragment_bytes_ + f.data.size() > options_.max_fragment_bytes)) {
    evictOldest();
  }
  fragment_bytes_ += f.data.size();
  index_.emplace(FragmentKey{f.id, f.tsn}, fragments_.size());
  fragments_.push_back(std::move(f));
  const StreamId id = fragments_.back().id;
  const uint32_t added_tsn = fragments_.back().tsn;

  // Walk back to the message's first fragment (B), then forward to its last (E), by TSN.
  uint32_t first = added_tsn;
  for (size_t steps = 0;; ++steps) {
    const int i = find(id, first);
    if (i < 0 || steps > fragments_.size()) return;
    const Fragment& g = fragments_[size_t(i)];
    if (g.flags & kFlagBegin) break;
    if (steps > 0 && (g.flags & kFlagEnd)) return;  // reached the previous message
    --first;
  }
  size_t total = 0;
  uint32_t last = first;
  for (size_t steps = 0;; ++steps) {
    const int i = find(id, last);
    if (i < 0 || steps > fragments_.size()) return;
    const Fragment& g = fragments_[size_t(i)];
    if (steps > 0 && (g.flags & kFlagBegin)) return;  // a new message before our end
    total += g.data.size();
    if (g.flags & kFlagEnd) break;
    ++last;
  }

  const bool fits = total <= options_.max_message_bytes;
  message_.clear();
  for (uint32_t tsn = first;; ++tsn) {
    const auto at = index_.find(FragmentKey{id, tsn});  // present: walked above (not charged twice)
    const size_t i = at->second;
    if (fits) message_.append(fragments_[i].data);
    removeAt(i);
    if (tsn == last) break;
  }
  if (!fits) {
    ++counters_.sctp_message_too_large;
    return;
  }
  PacketView out = view;
  out.payload = message_;
  ++counters_.sctp_messages;
  sink_.onPacket(out);
}

DecodeStatus SctpDecoder::decode(const PacketView& meta, Bytes packet) {
  ++counters_.sctp_packets;
  if (packet.size() < 12) {
    ++counters_.sctp_truncated;
    return DecodeStatus::Truncated;
  }
  if (!fragments_.empty()) expire(CaptureTime{meta.ts_sec, meta.ts_usec});
  work_left_ = kWorkPerPacket;
  PacketView view = meta;
  view.src_port = be16(packet.data());
  view.dst_port = be16(packet.data() + 2);
  view.ip_proto = kIpProtoSctp;
  view.payload = {};
  const uint32_t vtag = be32(packet.data() + 4);

  DecodeStatus status = DecodeStatus::Ignored;
  Bytes chunks = packet.subspan(12);
  while (!chunks.empty()) {
    if (chunks.size() < 4) {
      ++counters_.sctp_truncated;
      return DecodeStatus::Truncated;
    }
    const uint8_t type = chunks[0];
    const uint8_t flags = chunks[1];
    const size_t len = be16(chunks.data() + 2);
    if (len < 4) {
      ++counters_.sctp_malformed;
      return DecodeStatus::Malformed;
    }
    if (len > chunks.size()) {
      ++counters_.sctp_truncated;
      return DecodeStatus::Truncated;
    }
    if (type == kChunkData) {
      if (len <= kDataHeader) {  // a DATA chunk must carry at least one byte
        ++counters_.sctp_malformed;
        return DecodeStatus::Malformed;
      }
      const Bytes data = chunks.subspan(kDataHeader, len - kDataHeader);
      status = DecodeStatus::Ok;
      if ((flags & (kFlagBegin | kFlagEnd)) == (kFlagBegin | kFlagEnd)) {
        PacketView out = view;
        out.payload = asText(data);
        ++counters_.sctp_messages;
        sink_.onPacket(out);
      } else {
        Fragment f;
        f.id = StreamId{meta.src, meta.dst, view.src_port, view.dst_port, vtag, be16(chunks.data() + 8)};
        f.tsn = be32(chunks.data() + 4);
        f.flags = flags;
        f.seen_us = CaptureTime{meta.ts_sec, meta.ts_usec}.micros();
        f.data.assign(asText(data));
        addFragment(std::move(f), view);
      }
    }
    chunks = chunks.subspan(std::min(chunks.size(), (len + 3) & ~size_t(3)));
  }
  return status;
}

}  // namespace sipvault::netdecode
