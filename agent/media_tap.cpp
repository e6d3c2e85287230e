#include "agent/media_tap.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <unordered_set>

#include "qos/rtcp_decoder.h"
#include "sip/sip_parser.h"
#include "sip/sip_start_line.h"
#include "sip/sip_text.h"

namespace sipvault::agent {

namespace {

constexpr uint64_t kExpireEveryUs = 1'000'000;

uint32_t rtpSsrc(std::string_view p) {
  return uint32_t(uint8_t(p[8])) << 24 | uint32_t(uint8_t(p[9])) << 16 | uint32_t(uint8_t(p[10])) << 8 |
         uint32_t(uint8_t(p[11]));
}

// A number, or null when unknown (nothing expected in the interval, fewer than two packets).
void appendNumber(std::string& out, std::optional<double> value, const char* format) {
  if (!value || !std::isfinite(*value)) {
    out += "null";
    return;
  }
  const double v = *value;
  char buf[48];
  const int n = std::snprintf(buf, sizeof buf, format, v);
  if (n > 0) out.append(buf, size_t(std::min(n, int(sizeof buf) - 1)));
}

void appendJsonString(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    const auto u = uint8_t(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {  // control and non-ASCII bytes: \u00XX (codec names are ASCII)
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(u));
      out += buf;
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string rtpStatsJson(const qos::QosReport& r, uint32_t ssrc, const IpAddress& src, uint16_t src_port,
                         const IpAddress& dst, uint16_t dst_port, std::string_view codec, uint32_t clock_rate,
                         uint64_t expected, uint64_t seq_gaps, double interval_s, bool final) {
  std::string j;
  j.reserve(400);
  j += R"({"type":"sipvault_rtp","version":1,"ssrc":)";
  j += std::to_string(ssrc);
  j += R"(,"src_ip":")" + src.toString() + R"(","src_port":)" + std::to_string(src_port);
  j += R"(,"dst_ip":")" + dst.toString() + R"(","dst_port":)" + std::to_string(dst_port);
  j += R"(,"codec":)";
  appendJsonString(j, codec);
  j += R"(,"clock_rate":)" + std::to_string(clock_rate);
  j += R"(,"packets":)" + std::to_string(r.packets.value_or(0));
  j += R"(,"expected":)" + std::to_string(expected);
  j += R"(,"lost":)" + std::to_string(r.lost.value_or(0));
  j += R"(,"highest_seq":)" + std::to_string(r.highest_seq.value_or(0));
  j += R"(,"fraction_lost":)";
  appendNumber(j, r.fraction_lost, "%.4f");
  j += R"(,"jitter_ms":)";
  appendNumber(j, r.jitter_ms, "%.3f");
  j += R"(,"seq_gaps":)" + std::to_string(seq_gaps);
  j += R"(,"mos":)";
  appendNumber(j, r.mos, "%.2f");
  j += R"(,"interval_s":)";
  appendNumber(j, interval_s, "%.3f");
  j += final ? R"(,"final":true})" : R"(,"final":false})";
  return j;
}

size_t MediaTap::StreamKeyHash::operator()(const StreamKey& k) const noexcept {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](std::string_view bytes) {
    for (char c : bytes) h = (h ^ uint8_t(c)) * 1099511628211ull;
  };
  mix(k.src.raw());
  mix(k.dst.raw());
  const uint64_t tail = uint64_t(k.src_port) << 48 | uint64_t(k.dst_port) << 32 | k.ssrc;
  mix(std::string_view(reinterpret_cast<const char*>(&tail), sizeof tail));
  return size_t(h);
}

MediaTap::MediaTap(const MediaTapOptions& options, HepFramer& out)
    : options_(options),
      out_(out),
      table_(options.table, counters_, [this](std::string_view call_id, ForgetReason) {
        if (options_.rtp_stats) forgotten_.emplace_back(call_id);
      }) {
  if (options_.max_streams == 0) options_.max_streams = 1;
  if (options_.report_interval_us == 0) options_.report_interval_us = 1'000'000;
}

void MediaTap::onPacket(const PacketView& view) {
  maybeTick(view.timeUs());
  if (sip::looksLikeSip(view.payload)) {
    out_.onPacket(view);
    onSip(view);
    return;
  }
  if (view.ip_proto == kIpProtoUdp && onMedia(view)) return;
  out_.onPacket(view);  // counted there as not SIP
}

void MediaTap::onSip(const PacketView& view) {
  if (!sip::parseSipMessage(view.payload, msg_).ok() || msg_.call_id.empty()) return;
  const uint64_t now = view.timeUs();
  if (msg_.is_request && (sip::text::iequals(msg_.method, "BYE") || sip::text::iequals(msg_.method, "CANCEL")))
    table_.ending(msg_.call_id, now);
  else if (msg_.sdp.present)
    (void)table_.learn(msg_.call_id, msg_.sdp, now);
  endStreamsOfForgottenCalls(now);  // learn() may have evicted calls
}

bool MediaTap::onMedia(const PacketView& view) {
  const uint64_t now = view.timeUs();
  const bool rtcp = qos::looksLikeRtcp(view.payload);  // RFC 5761 4 demux
  const MediaMatch* m = table_.find(view.dst, view.dst_port, now);
  if (m == nullptr) m = table_.find(view.src, view.src_port, now);
  if (m == nullptr) {
    if (rtcp) ++counters_.rtcp_unmatched;
    return false;
  }
  if (rtcp) {
    if (options_.rtcp) sendRtcp(view, m->call_id);
  } else if (m->role == MediaRole::Rtcp) {
    ++counters_.rtcp_port_not_rtcp;
  } else if (options_.rtp_stats) {
    addRtp(view, *m);
  }
  return true;
}

void MediaTap::sendRtcp(const PacketView& view, std::string_view call_id) {
  if (out_.emit(view, kPayloadRtcp, call_id)) ++counters_.rtcp_sent;
  else ++counters_.media_encode_errors;
}

void MediaTap::addRtp(const PacketView& view, const MediaMatch& match) {
  const std::string_view p = view.payload;
  if (p.size() < 12 || (uint8_t(p[0]) >> 6) != 2) {
    ++counters_.rtp_not_rtp;
    return;
  }
  const uint64_t now = view.timeUs();
  const StreamKey key{view.src, view.dst, view.src_port, view.dst_port, rtpSsrc(p)};
  auto found = by_key_.find(key);
  StreamList::iterator it;
  if (found != by_key_.end()) {
    it = found->second;
    if (it != streams_.begin()) streams_.splice(streams_.begin(), streams_, it);
  } else {
    while (streams_.size() >= options_.max_streams) {
      ++counters_.rtp_streams_evicted;
      endStream(std::prev(streams_.end()), now);
    }
    streams_.emplace_front(Stream{key, std::string(match.call_id), std::string(match.codec), match.clock_rate,
                                  qos::RtpStreamStats(match.clock_rate), now, now, 0});
    it = streams_.begin();
    by_key_.emplace(key, it);
    ++counters_.rtp_streams_started;
  }
  if (it->stats.add(p, now)) {
    ++counters_.rtp_packets;
    it->last_packet_us = std::max(it->last_packet_us, now);
  } else {
    ++counters_.rtp_not_rtp;
  }
}

void MediaTap::report(Stream& s, bool final, uint64_t now_us) {
  const qos::QosReport r = s.stats.interval(s.codec);
  const double interval_s = now_us > s.last_report_us ? double(now_us - s.last_report_us) / 1e6 : 0.0;
  json_ = rtpStatsJson(r, s.key.ssrc, s.key.src, s.key.src_port, s.key.dst, s.key.dst_port, s.codec, s.clock_rate,
                       s.stats.expected(), s.stats.seqGaps(), interval_s, final);
  s.last_report_us = now_us;
  s.packets_at_report = s.stats.packets();
  PacketView v;
  v.src = s.key.src;
  v.dst = s.key.dst;
  v.src_port = s.key.src_port;
  v.dst_port = s.key.dst_port;
  v.ip_proto = kIpProtoUdp;
  v.ts_sec = uint32_t(now_us / 1000000);
  v.ts_usec = uint32_t(now_us % 1000000);
  v.payload = json_;
  if (out_.emit(v, kPayloadAgentRtp, s.call_id)) ++counters_.rtp_reports_sent;
  else ++counters_.media_encode_errors;
}

void MediaTap::endStream(StreamList::iterator it, uint64_t now_us) {
  report(*it, true, now_us);
  ++counters_.rtp_streams_ended;
  by_key_.erase(it->key);
  streams_.erase(it);
}

void MediaTap::endStreamsOfForgottenCalls(uint64_t now_us) {
  if (forgotten_.empty()) return;
  const std::unordered_set<std::string_view> gone(forgotten_.begin(), forgotten_.end());
  for (auto it = streams_.begin(); it != streams_.end();) {
    const auto next = std::next(it);
    if (gone.count(it->call_id)) endStream(it, now_us);
    it = next;
  }
  forgotten_.clear();
}

void MediaTap::maybeTick(uint64_t now_us) {
  if (now_us >= next_expire_us_ || (options_.rtp_stats && now_us >= next_report_us_)) tick(now_us);
}

void MediaTap::tick(uint64_t now_us) {
  if (now_us >= next_expire_us_) {
    table_.expire(now_us);
    endStreamsOfForgottenCalls(now_us);
    for (auto it = streams_.begin(); it != streams_.end();) {
      const auto next = std::next(it);
      if (now_us >= it->last_packet_us + options_.stream_idle_us) endStream(it, now_us);
      it = next;
    }
    next_expire_us_ = now_us + kExpireEveryUs;
  }
  if (!options_.rtp_stats) return;
  if (next_report_us_ == 0) next_report_us_ = now_us + options_.report_interval_us;
  if (now_us < next_report_us_) return;
  for (Stream& s : streams_)
    if (s.stats.packets() > s.packets_at_report) report(s, false, now_us);
  next_report_us_ = now_us + options_.report_interval_us;
}

void MediaTap::finish(uint64_t now_us) {
  while (!streams_.empty()) endStream(streams_.begin(), now_us);
}

}  // namespace sipvault::agent
