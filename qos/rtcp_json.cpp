// RTCP as JSON (HEP 5) and the agent's RTP statistics (HEP 34), parsed with Poco::JSON.
//
// The HOMER JSON form, as rtpengine writes it (daemon/rtcp.c homer_* handlers), captagent and
// heplify alike:
//   {"sender_information":{"ntp_timestamp_sec":..,"ntp_timestamp_usec":..,"octets":..,
//      "rtp_timestamp":..,"packets":..},
//    "ssrc":N,"type":200,"report_count":1,
//    "report_blocks":[{"source_ssrc":..,"highest_seq_no":..,"fraction_lost":0..255,"ia_jitter":..,
//      "packets_lost":..,"lsr":..,"dlsr":..}],
//    "report_blocks_xr":{"type":7,"id":SSRC,"fraction_lost":..,"round_trip_delay":..,...},  (heplify)
//    "sdes_report_count":..,"sdes_information":[...]}
// Real senders differ in small ways that are accepted: numbers as numeric strings (FreeSWITCH
// event bridges), lsr printed as a signed int32, packets_lost as the raw 24 bits, ia_jitter as a
// float, null for an absent object. Anything else of the wrong type is BadJson.
#include "qos/rtcp_json.h"

#include <arpa/inet.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <charconv>
#include <cmath>
#include <exception>
#include <string>

#include "qos/rtcp_block.h"

namespace sipvault::qos {
namespace {

using Poco::JSON::Object;
using Poco::Dynamic::Var;

constexpr size_t kMaxJsonBytes = 64 * 1024;  // a report is < 2 KiB; anything larger is not one
constexpr size_t kMaxDepth = 8;              // the deepest real form is 3 levels
constexpr size_t kMaxBlocks = 31;            // RTCP's 5-bit report count
constexpr uint32_t kJsonClockRate = 8000;    // the JSON carries no clock rate

// Thrown inside this file only, caught in the two entry points: a field of the wrong type or out
// of its range makes the whole report BadJson.
struct BadField {};

// A JSON number or a numeric string as a double; nullopt for a missing key or null.
std::optional<double> number(const Object& o, const std::string& key) {
  if (!o.has(key)) return std::nullopt;
  const Var v = o.get(key);
  if (v.isEmpty()) return std::nullopt;
  double d = 0;
  if (v.isString()) {
    const std::string s = v.extract<std::string>();
    const char* end = s.data() + s.size();
    const auto [ptr, ec] = std::from_chars(s.data(), end, d);
    if (ec != std::errc() || ptr != end) throw BadField{};
  } else if (v.isBoolean() || !v.isNumeric()) {
    throw BadField{};
  } else {
    d = v.convert<double>();
  }
  if (!std::isfinite(d)) throw BadField{};
  return d;
}

// An integer field within [lo, hi]; fractions are refused.
std::optional<int64_t> integer(const Object& o, const std::string& key, double lo, double hi) {
  const auto d = number(o, key);
  if (!d) return std::nullopt;
  if (*d < lo || *d > hi || std::floor(*d) != *d) throw BadField{};
  return static_cast<int64_t>(*d);
}

std::optional<uint32_t> u32(const Object& o, const std::string& key) {
  const auto v = integer(o, key, 0, 4294967295.0);
  return v ? std::optional<uint32_t>(uint32_t(*v)) : std::nullopt;
}

// A 32-bit field some senders print signed (rtpengine's lsr): taken modulo 2^32.
uint32_t wrapped32(const Object& o, const std::string& key) {
  const auto v = integer(o, key, -2147483648.0, 4294967295.0);
  return v ? static_cast<uint32_t>(*v) : 0;
}

// Object member: nullptr when missing or null; BadField when it is another type.
Object::Ptr object(const Object& o, const std::string& key) {
  if (!o.has(key) || o.get(key).isEmpty()) return nullptr;
  Object::Ptr p = o.getObject(key);
  if (!p) throw BadField{};
  return p;
}

Poco::JSON::Array::Ptr array(const Object& o, const std::string& key) {
  if (!o.has(key) || o.get(key).isEmpty()) return nullptr;
  Poco::JSON::Array::Ptr p = o.getArray(key);
  if (!p) throw BadField{};
  return p;
}

std::string text(const Object& o, const std::string& key, size_t max_len) {
  if (!o.has(key)) throw BadField{};
  const Var v = o.get(key);
  if (!v.isString()) throw BadField{};
  std::string s = v.extract<std::string>();
  if (s.size() > max_len) throw BadField{};
  return s;
}

// The root object, or nullptr when `json` is not a JSON object within the limits.
Object::Ptr parseObject(std::string_view json) {
  if (json.empty() || json.size() > kMaxJsonBytes) return nullptr;
  Poco::JSON::Parser parser;
  parser.setDepth(kMaxDepth);
  const Var root = parser.parse(std::string(json));
  if (root.type() != typeid(Object::Ptr)) return nullptr;
  return root.extract<Object::Ptr>();
}

void decodeHomerJson(const Object& root, uint64_t capture_us, std::vector<QosReport>& out) {
  const uint32_t reporter = u32(root, "ssrc").value_or(0);
  const auto type = integer(root, "type", 0, 255);
  const Object::Ptr sender = object(root, "sender_information");
  const uint8_t block_type = (type && *type >= 200 && *type <= 207) ? uint8_t(*type) : (sender ? 200 : 201);

  if (sender) {
    if (const auto packets = u32(*sender, "packets")) {
      QosReport s;
      s.source = ReportSource::RtcpJson;
      s.report_type = 200;
      s.direction = Direction::Sent;
      s.ssrc = reporter;
      s.reporter_ssrc = reporter;
      s.packets = *packets;
      out.push_back(std::move(s));
    }
  }
  if (const auto blocks = array(root, "report_blocks")) {
    if (blocks->size() > kMaxBlocks) throw BadField{};
    for (size_t i = 0; i < blocks->size(); ++i) {
      const Object::Ptr b = blocks->getObject(static_cast<unsigned>(i));
      if (!b) throw BadField{};
      const auto source_ssrc = u32(*b, "source_ssrc");
      if (!source_ssrc) continue;  // a block that names no stream reports on nothing
      RtcpBlockFields f;
      f.ssrc = *source_ssrc;
      f.fraction = uint8_t(integer(*b, "fraction_lost", 0, 255).value_or(0));
      // packets_lost: signed, or the raw 24 bits printed unsigned (rtpengine's %u).
      int64_t lost = integer(*b, "packets_lost", -8388608.0, 16777215.0).value_or(0);
      if (lost > 0x7fffff) lost -= 0x1000000;
      f.lost = int32_t(lost);
      f.ext_high = u32(*b, "highest_seq_no").value_or(0);
      const double jitter = number(*b, "ia_jitter").value_or(0);
      if (jitter < 0 || jitter > 4294967295.0) throw BadField{};
      f.jitter_units = jitter;
      f.lsr = wrapped32(*b, "lsr");
      f.dlsr = wrapped32(*b, "dlsr");
      out.push_back(receivedBlockReport(f, ReportSource::RtcpJson, block_type, reporter, capture_us, kJsonClockRate));
    }
  }
  // heplify's XR summary: type 7 (VoIP metrics) with the reported stream in "id"; type 0 = none.
  if (const Object::Ptr xr = object(root, "report_blocks_xr")) {
    if (integer(*xr, "type", 0, 255).value_or(0) == 7) {
      QosReport x;
      x.source = ReportSource::RtcpJson;
      x.report_type = 207;
      x.direction = Direction::Received;
      x.ssrc = u32(*xr, "id").value_or(0);
      x.reporter_ssrc = reporter;
      if (const auto loss = integer(*xr, "fraction_lost", 0, 255)) x.fraction_lost = *loss / 256.0;
      if (const auto rtd = integer(*xr, "round_trip_delay", 0, 65535); rtd && *rtd > 0 && *rtd <= 10'000)
        x.rtt_ms = double(*rtd);
      out.push_back(std::move(x));
    }
  }
}

bool isIpText(const std::string& s) {
  unsigned char buf[16];
  if (s.empty()) return true;  // unknown
  if (s.find('\0') != std::string::npos) return false;  // inet_pton would stop there
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void decodeAgentJson(const Object& root, std::vector<QosReport>& out) {
  if (text(root, "type", 32) != "sipvault_rtp") throw BadField{};
  if (integer(root, "version", 0, 1000) != 1) throw BadField{};
  QosReport r;
  r.source = ReportSource::AgentRtp;
  r.direction = Direction::Received;
  r.ssrc = u32(root, "ssrc").value();
  r.media_src_ip = text(root, "src_ip", 45);
  r.media_dst_ip = text(root, "dst_ip", 45);
  if (!isIpText(r.media_src_ip) || !isIpText(r.media_dst_ip)) throw BadField{};
  r.media_src_port = uint16_t(integer(root, "src_port", 0, 65535).value());
  r.media_dst_port = uint16_t(integer(root, "dst_port", 0, 65535).value());
  r.codec = text(root, "codec", 32);
  r.packets = uint64_t(integer(root, "packets", 0, 9.0e15).value());
  r.lost = integer(root, "lost", -9.0e15, 9.0e15);
  r.highest_seq = u32(root, "highest_seq");
  if ((r.fraction_lost = number(root, "fraction_lost")) && (*r.fraction_lost < 0 || *r.fraction_lost > 1))
    throw BadField{};
  if ((r.jitter_ms = number(root, "jitter_ms")) && (*r.jitter_ms < 0 || *r.jitter_ms > 1e7)) throw BadField{};
  if ((r.mos = number(root, "mos")) && (*r.mos < 1 || *r.mos > 5)) throw BadField{};
  out.push_back(std::move(r));
}

}  // namespace

QosDecodeStatus decodeRtcpJson(std::string_view json, uint64_t capture_us, std::vector<QosReport>& out) {
  const size_t before = out.size();
  try {
    const Object::Ptr root = parseObject(json);
    if (!root) return QosDecodeStatus::BadJson;
    decodeHomerJson(*root, capture_us, out);
    if (out.size() > before) return QosDecodeStatus::Ok;
    // An RTCP JSON object without a report (rtpengine's SDES or BYE alone): well-formed, empty.
    const bool rtcp_like = root->has("type") || root->has("ssrc") || root->has("report_blocks") ||
                           root->has("sender_information") || root->has("sdes_information");
    return rtcp_like ? QosDecodeStatus::Empty : QosDecodeStatus::BadJson;
  } catch (...) {  // Poco JSON/conversion errors, BadField, bad_alloc: the input is refused, whole
    out.resize(before);
    return QosDecodeStatus::BadJson;
  }
}

QosDecodeStatus decodeAgentRtpJson(std::string_view json, std::vector<QosReport>& out) {
  const size_t before = out.size();
  try {
    const Object::Ptr root = parseObject(json);
    if (!root) return QosDecodeStatus::BadJson;
    decodeAgentJson(*root, out);
    return QosDecodeStatus::Ok;
  } catch (...) {
    out.resize(before);
    return QosDecodeStatus::BadJson;
  }
}

}  // namespace sipvault::qos
