#include "writer/record_converter.h"

#include <algorithm>
#include <limits>

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

}  // namespace

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
}

}  // namespace sipvault::writer
