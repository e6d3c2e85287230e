#include "writer/record_converter.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "proto/packet.h"
#include "proto/storage_class.h"
#include "store/search_key.h"

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

void cut(std::string& dst, std::string_view src, size_t width, uint16_t& flags) {
  if (src.size() > width) {
    src = src.substr(0, width);
    flags |= kFieldTruncated;
  }
  dst.assign(src);
}

template <typename T>
T clampTo(uint64_t v) {
  return static_cast<T>(std::min<uint64_t>(v, std::numeric_limits<T>::max()));
}

std::string_view ipBytes(const std::string& ip) {
  // Only 4- or 16-byte addresses are addresses; anything else is stored as unknown.
  return ip.size() == 4 || ip.size() == 16 ? std::string_view(ip) : std::string_view();
}

// A wire float that means "unknown" when negative -> nullopt; so does one that cannot be right
// (not a number, infinite, above `max`: a hostile or broken sender).
std::optional<double> knownFigure(float v, double max = std::numeric_limits<float>::max()) {
  if (!std::isfinite(v) || v < 0 || v > max) return std::nullopt;
  return static_cast<double>(v);
}

}  // namespace

void RecordConverter::appendQos(const wire::SipRecord& record, RowBatch& batch) {
  const wire::CapturedPacket& p = record.packet();
  const bool packet_is_report = !record.has_sip();
  const std::string& record_call_id = record.has_sip() ? record.sip().call_id() : p.correlation_id();
  for (const wire::QosFields& q : record.qos()) {
    QosRow& row = batch.qos.emplace_back();
    uint16_t ignored_flags = 0;  // sip_qos has no flags column; cut() wants one
    row.capture_us = p.capture_time_us();
    const std::string& call_id = q.call_id().empty() ? record_call_id : q.call_id();
    row.call_id_hash = call_id.empty() ? 0 : searchKey(call_id);
    cut(row.call_id, call_id, kCallIdWidth, ignored_flags);
    row.source = clampTo<uint8_t>(q.source());
    row.report_type = clampTo<uint8_t>(q.report_type());
    row.direction = clampTo<uint8_t>(q.direction());
    // One side's address: the report's own, else the packet's when the packet is the report.
    auto side = [&](const std::string& media_ip, uint32_t media_port, const std::string& packet_ip,
                    uint32_t packet_port, std::string& ip, uint16_t& port) {
      const bool own = !ipBytes(media_ip).empty();
      if (!own && !packet_is_report) return;
      ip.assign(ipBytes(own ? media_ip : packet_ip));
      port = clampTo<uint16_t>(own ? media_port : packet_port);
    };
    side(q.media_src_ip(), q.media_src_port(), p.src_ip(), p.src_port(), row.src_ip, row.src_port);
    side(q.media_dst_ip(), q.media_dst_port(), p.dst_ip(), p.dst_port(), row.dst_ip, row.dst_port);
    row.ssrc = q.ssrc();
    row.reporter_ssrc = q.reporter_ssrc();
    if (q.has_packets()) row.packets = q.packets();
    if (q.has_lost()) row.lost = q.lost();
    if (q.has_highest_seq()) row.highest_seq = q.highest_seq();
    row.fraction_lost = knownFigure(q.fraction_lost(), 1.0);
    row.jitter_ms = knownFigure(q.jitter_ms());
    row.rtt_ms = knownFigure(q.rtt_ms());
    if (q.mos() > 0) row.mos = knownFigure(q.mos(), 5.0);
    cut(row.codec, q.codec(), kCodecWidth, ignored_flags);
    row.capture_id = p.capture_id();
    cut(row.node, p.node_name(), kNodeWidth, ignored_flags);
  }
}

void RecordConverter::fillPacket(const wire::CapturedPacket& p, PacketColumns& out) {
  out.capture_us = p.capture_time_us();
  out.src_ip.assign(ipBytes(p.src_ip()));
  out.dst_ip.assign(ipBytes(p.dst_ip()));
  out.src_port = clampTo<uint16_t>(p.src_port());
  out.dst_port = clampTo<uint16_t>(p.dst_port());
  out.ip_proto = clampTo<uint8_t>(p.ip_proto());
  out.payload_type = clampTo<uint8_t>(p.payload_type());
  out.vlan = clampTo<uint16_t>(p.vlan());
  out.capture_id = p.capture_id();
  cut(out.node, p.node_name(), kNodeWidth, out.flags);
  cut(out.correlation_id, p.correlation_id(), kLongWidth, out.flags);
  const std::string& payload = p.payload();
  out.raw_len = clampTo<uint32_t>(payload.size());
  out.flags |= raw_encoder_.encode(payload, out.raw);
}

void RecordConverter::append(const wire::SipRecord& record, RowBatch& batch) {
  const wire::CapturedPacket& p = record.packet();
  if (record.qos_size() > 0) {
    appendQos(record, batch);
    // The reports alone: a decoded HEP 5/34 packet, or a message the ingest policy dropped.
    if (!record.has_sip() && record.reject_reason().empty() && p.payload().empty()) return;
  }
  if (!record.reject_reason().empty() || (!record.has_sip() && p.payload_type() == kPayloadSip)) {
    RejectRow& row = batch.rejects.emplace_back();
    fillPacket(p, row.packet);
    cut(row.reason, record.reject_reason().empty() ? kNoSipFieldsReason : std::string_view(record.reject_reason()),
        kLongWidth, row.packet.flags);
    return;
  }
  if (!record.has_sip()) {
    OtherRow& row = batch.others.emplace_back();
    fillPacket(p, row.packet);
    row.correlation_hash = searchKey(p.correlation_id());
    return;
  }
  const wire::SipFields& s = record.sip();
  if (record.summarize()) {
    SummaryRow& sum = batch.summaries.emplace_back();
    sum.minute_us = p.capture_time_us() / 60000000u * 60000000u;
    sum.src_ip.assign(ipBytes(p.src_ip()));
    sum.dst_ip.assign(ipBytes(p.dst_ip()));
    sum.dst_port = clampTo<uint16_t>(p.dst_port());
    sum.method.assign(std::string_view(s.method()).substr(0, kMethodWidth));
    sum.status = clampTo<uint16_t>(s.status());
    return;
  }
  SipMessageRow& row = batch.messages.emplace_back();
  fillPacket(p, row.packet);
  row.storage_class = static_cast<uint8_t>(storageClassFromNumber(record.storage_class()));
  uint16_t& flags = row.packet.flags;
  row.call_id_hash = searchKey(s.call_id());
  row.from_user_hash = searchKey(s.from_user());
  row.to_user_hash = searchKey(s.to_user());
  row.ruri_user_hash = searchKey(s.ruri_user());
  row.correlation_hash = searchKey(p.correlation_id().empty() ? s.x_cid() : p.correlation_id());
  cut(row.method, s.method(), kMethodWidth, flags);
  row.status = clampTo<uint16_t>(s.status());
  row.cseq = s.cseq_number();
  cut(row.call_id, s.call_id(), kCallIdWidth, flags);
  cut(row.from_user, s.from_user(), kUserWidth, flags);
  cut(row.from_tag, s.from_tag(), kTagWidth, flags);
  cut(row.to_user, s.to_user(), kUserWidth, flags);
  cut(row.to_tag, s.to_tag(), kTagWidth, flags);
  cut(row.ruri_user, s.ruri_user(), kUserWidth, flags);
  cut(row.user_agent, s.user_agent(), kLongWidth, flags);
  cut(row.via_branch, s.via_branch(), kTagWidth, flags);
  cut(row.x_cid, s.x_cid(), kLongWidth, flags);
  // Custom header and link values (parser.headers / parser.correlation): written to sip_headers
  // with this row; the parser bounds their number and length, the widths are kept here too.
  row.headers.reserve(static_cast<size_t>(std::min(s.headers_size(), 256)));
  for (const wire::HeaderValue& h : s.headers()) {
    if (row.headers.size() > UINT8_MAX) break;
    HeaderValue& v = row.headers.emplace_back();
    v.kind = h.kind() == kHeaderKindLink ? kHeaderKindLink : kHeaderKindField;
    v.name.assign(std::string_view(h.name()).substr(0, kHeaderNameWidth));
    v.value.assign(std::string_view(h.value()).substr(0, kHeaderValueWidth));
  }
  if (row.headers.empty()) flags |= kNoHeaderRows;
}

}  // namespace sipvault::writer
