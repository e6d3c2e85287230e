#include "parser/qos_extractor.h"

#include <cstring>
#include <string>

#include "proto/packet.h"
#include "qos/rtcp_decoder.h"
#include "qos/rtcp_json.h"
#include "qos/sip_quality.h"
#include "sip/sip_parser.h"

namespace sipvault::parser {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// `text` starts with `lower_prefix` (given in lower case), ASCII case-insensitively.
bool startsWithNoCase(std::string_view text, std::string_view lower_prefix) {
  if (text.size() < lower_prefix.size()) return false;
  for (size_t i = 0; i < lower_prefix.size(); ++i)
    if (lower(text[i]) != lower_prefix[i]) return false;
  return true;
}

bool isWsp(char c) { return c == ' ' || c == '\t'; }

// "X-RTP-Stat" / "P-RTP-Stat" (any case) as a whole header name.
bool isRtpStatName(std::string_view name) {
  return name.size() == 10 && (lower(name[0]) == 'x' || lower(name[0]) == 'p') &&
         startsWithNoCase(name.substr(1), "-rtp-stat");
}

// A header line (from its first byte) whose name is X-RTP-Stat / P-RTP-Stat: the name, optional
// blanks, then the colon.
bool rtpStatLine(std::string_view line) {
  if (line.size() < 11 || !isRtpStatName(line.substr(0, 10))) return false;
  size_t i = 10;
  while (i < line.size() && isWsp(line[i])) ++i;
  return i < line.size() && line[i] == ':';
}

// The decoder's reports are kept only when it succeeded: a failed decode adds nothing.
qos::QosDecodeStatus keepIfOk(qos::QosDecodeStatus status, std::vector<qos::QosReport>& out, size_t before) {
  if (status != qos::QosDecodeStatus::Ok) out.resize(before);
  return status;
}

void count(QosStatusCounts& counts, qos::QosDecodeStatus status) {
  const auto i = static_cast<size_t>(status);
  if (i < counts.size()) ++counts[i];
}

// Unknown figures on the wire: a negative float (mos: 0).
float figure(const std::optional<double>& v, float unknown) {
  return v ? static_cast<float>(*v) : unknown;
}

void setAddress(std::string* out, std::string_view text) {
  if (text.empty()) return;
  if (const auto ip = IpAddress::parse(text)) {
    const std::string_view raw = ip->raw();
    out->assign(raw.data(), raw.size());
  }
}

}  // namespace

bool isQosPayloadType(uint32_t payload_type) {
  return payload_type == kPayloadRtcp || payload_type == kPayloadAgentRtp;
}

qos::QosDecodeStatus decodeHepQos(uint32_t payload_type, std::string_view payload, uint64_t capture_us,
                                  std::vector<qos::QosReport>& out) {
  const size_t before = out.size();
  if (payload_type == kPayloadAgentRtp) return keepIfOk(qos::decodeAgentRtpJson(payload, out), out, before);
  size_t first = 0;  // JSON may start after blanks; RTCP's first byte never is one
  while (first < payload.size() && (isWsp(payload[first]) || payload[first] == '\r' || payload[first] == '\n')) ++first;
  if (first < payload.size() && payload[first] == '{')
    return keepIfOk(qos::decodeRtcpJson(payload, capture_us, out), out, before);
  // decodeRtcp itself refuses what is not RTCP (NotRtcp, BadVersion) and tells a cut packet
  // (Truncated) from RTP on the RTCP port, which looksLikeRtcp's one answer would not.
  return keepIfOk(qos::decodeRtcp(payload, capture_us, out), out, before);
}

bool hasRtpStatHeader(std::string_view headers) {
  const char* p = headers.data();
  const char* const end = p + headers.size();
  while (p < end) {
    if ((*p == 'X' || *p == 'x' || *p == 'P' || *p == 'p') && rtpStatLine(std::string_view(p, end - p))) return true;
    const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
    if (!nl) break;
    p = static_cast<const char*>(nl) + 1;
  }
  return false;
}

bool isVqRtcpXr(std::string_view content_type) {
  while (!content_type.empty() && isWsp(content_type.front())) content_type.remove_prefix(1);
  constexpr std::string_view kType = "application/vq-rtcpxr";
  if (!startsWithNoCase(content_type, kType)) return false;
  const std::string_view rest = content_type.substr(kType.size());
  return rest.empty() || rest.front() == ';' || isWsp(rest.front());
}

void findSipQos(const sip::SipMessage& m, std::vector<qos::QosReport>& out, QosStatusCounts& failures) {
  // Method names are case-sensitive (RFC 3261 7.1): a BYE or a response to one.
  if (m.transactionMethod() == "BYE" && hasRtpStatHeader(m.headers)) {
    sip::SipHeaderReader reader(m.headers);
    sip::SipHeaderField field;
    std::string unfolded;
    for (;;) {
      const auto status = reader.next(field);
      if (status == sip::SipHeaderReader::Status::BadLine) continue;
      if (status != sip::SipHeaderReader::Status::Field) break;
      if (!isRtpStatName(field.name)) continue;
      std::string_view value = field.value;
      if (field.folded) {
        unfolded.clear();
        for (char c : value) {
          if (c == '\r' || c == '\n') continue;  // the fold's blanks stay: one or more separators
          unfolded += c;
        }
        value = unfolded;
      }
      const size_t before = out.size();
      const auto s = keepIfOk(qos::decodeRtpStatHeader(value, out), out, before);
      if (s != qos::QosDecodeStatus::Ok) count(failures, s);
    }
  }
  if (m.is_request && m.method == "PUBLISH" && isVqRtcpXr(m.content_type)) {
    const size_t before = out.size();
    const auto s = keepIfOk(qos::decodeVqRtcpXr(m.body, out), out, before);
    if (s != qos::QosDecodeStatus::Ok) count(failures, s);
  }
}

void appendQosFields(const qos::QosReport& r, std::string_view default_call_id,
                     google::protobuf::RepeatedPtrField<wire::QosFields>& out) {
  wire::QosFields& f = *out.Add();
  f.set_source(static_cast<uint32_t>(r.source));
  f.set_report_type(r.report_type);
  f.set_direction(static_cast<uint32_t>(r.direction));
  f.set_ssrc(r.ssrc);
  f.set_reporter_ssrc(r.reporter_ssrc);
  if (r.packets) {
    f.set_has_packets(true);
    f.set_packets(*r.packets);
  }
  if (r.lost) {
    f.set_has_lost(true);
    f.set_lost(*r.lost);
  }
  if (r.highest_seq) {
    f.set_has_highest_seq(true);
    f.set_highest_seq(*r.highest_seq);
  }
  f.set_fraction_lost(figure(r.fraction_lost, -1));
  f.set_jitter_ms(figure(r.jitter_ms, -1));
  f.set_rtt_ms(figure(r.rtt_ms, -1));
  f.set_mos(figure(r.mos, 0));
  f.set_codec(r.codec);
  if (r.call_id.empty()) f.set_call_id(default_call_id.data(), default_call_id.size());
  else f.set_call_id(r.call_id);
  setAddress(f.mutable_media_src_ip(), r.media_src_ip);
  setAddress(f.mutable_media_dst_ip(), r.media_dst_ip);
  f.set_media_src_port(r.media_src_port);
  f.set_media_dst_port(r.media_dst_port);
}

}  // namespace sipvault::parser
