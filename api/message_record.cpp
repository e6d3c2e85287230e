#include "api/message_record.h"

#include <Poco/JSON/Array.h>
#include <arpa/inet.h>

#include <charconv>
#include <limits>

#include "api/base64.h"
#include "api/row_cells.h"
#include "api/search_filter.h"
#include "api/sip_response.h"
#include "api/sip_sections.h"
#include "api/time_text.h"
#include "proto/packet_convert.h"
#include "store/raw_codec.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

Poco::JSON::Object::Ptr newObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

}  // namespace

std::optional<MessageRecord> MessageRecord::fromRow(const DbRow& row, bool with_raw) {
  if (row.size() != (with_raw ? 28u : 27u)) return std::nullopt;
  MessageRecord m;
  const bool ok =
      readNumber(row[0], m.id) && readNumber(row[1], m.capture_us) && readText(row[2], m.method) &&
      readNumber(row[3], m.status) && readNumber(row[4], m.cseq) && readText(row[5], m.call_id) &&
      readText(row[6], m.from_user) && readText(row[7], m.to_user) && readText(row[8], m.ruri_user) &&
      readText(row[9], m.from_tag) && readText(row[10], m.to_tag) && readText(row[11], m.user_agent) &&
      readText(row[12], m.via_branch) && readText(row[13], m.x_cid) && readText(row[14], m.correlation_id) &&
      readText(row[15], m.src_ip) && readText(row[16], m.dst_ip) && readNumber(row[17], m.src_port) &&
      readNumber(row[18], m.dst_port) && readNumber(row[19], m.ip_proto) &&
      readNumber(row[20], m.capture_id) && readText(row[21], m.node) && readNumber(row[22], m.vlan) &&
      readNumber(row[23], m.raw_len) && readNumber(row[24], m.flags) && readNumber(row[25], m.call_id_hash) &&
      readNumber(row[26], m.shard_id);
  if (!ok) return std::nullopt;
  if (with_raw) {
    if (!row[27]) return std::nullopt;
    m.stored_raw = *row[27];
  }
  return m;
}

std::optional<std::string> MessageRecord::raw() const {
  if (!stored_raw) return std::nullopt;
  return decodeRaw(*stored_raw, raw_len, flags);
}

std::string ipText(std::string_view raw) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (raw.size() == 4) inet_ntop(AF_INET, raw.data(), buf, sizeof buf);
  else if (raw.size() == 16) inet_ntop(AF_INET6, raw.data(), buf, sizeof buf);
  return buf;
}

std::string hostText(std::string_view raw_ip, uint16_t port) {
  const std::string ip = ipText(raw_ip);
  return (raw_ip.size() == 16 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

std::string transportName(uint8_t ip_proto) {
  switch (ip_proto) {
    case 17: return "udp";
    case 6: return "tcp";
    case 132: return "sctp";
    default: return std::to_string(ip_proto);
  }
}

std::string jsonText(std::string_view bytes) { return toValidUtf8(bytes); }

Poco::JSON::Object::Ptr messageJson(const MessageRecord& m) {
  Poco::JSON::Object::Ptr o = newObject();
  o->set("id", messageId(m.capture_us, m.id));
  o->set("time", formatTimeUs(m.capture_us));
  o->set("time_us", m.capture_us);
  o->set("method", jsonText(m.method));
  o->set("status", m.status);
  o->set("status_text", std::string(standardReason(m.status)));
  o->set("is_request", m.isRequest());
  o->set("call_id", jsonText(m.call_id));
  o->set("call_ref", encodeCallRef(m.call()));
  o->set("from_user", jsonText(m.from_user));
  o->set("to_user", jsonText(m.to_user));
  o->set("ruri_user", jsonText(m.ruri_user));
  o->set("from_tag", jsonText(m.from_tag));
  o->set("to_tag", jsonText(m.to_tag));
  o->set("cseq", m.cseq);
  o->set("user_agent", jsonText(m.user_agent));
  o->set("via_branch", jsonText(m.via_branch));
  o->set("x_cid", jsonText(m.x_cid));
  o->set("correlation_id", jsonText(m.correlation_id));
  o->set("src_ip", ipText(m.src_ip));
  o->set("src_port", m.src_port);
  o->set("dst_ip", ipText(m.dst_ip));
  o->set("dst_port", m.dst_port);
  o->set("transport", transportName(m.ip_proto));
  o->set("capture_id", m.capture_id);
  o->set("node", jsonText(m.node));
  o->set("vlan", m.vlan);
  o->set("raw_len", m.raw_len);
  o->set("flags", m.flags);
  if (m.extracted) {
    Poco::JSON::Array::Ptr fields = new Poco::JSON::Array;
    Poco::JSON::Array::Ptr links = new Poco::JSON::Array;
    for (const HeaderEntry& h : *m.extracted) {
      Poco::JSON::Object::Ptr e = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
      e->set(h.kind == kHeaderKindLink ? "rule" : "name", jsonText(h.name));
      e->set("value", jsonText(h.value));
      (h.kind == kHeaderKindLink ? links : fields)->add(e);
    }
    o->set("custom_headers", fields);
    o->set("links", links);
  }
  return o;
}

Poco::JSON::Object::Ptr messageDetailJson(const MessageRecord& m) {
  Poco::JSON::Object::Ptr o = messageJson(m);
  const std::optional<std::string> raw = m.raw();
  const std::string bytes = raw.value_or("");
  o->set("raw", jsonText(bytes));
  o->set("raw_base64", base64Encode(bytes));
  o->set("raw_ok", raw.has_value());  // false: the stored raw column did not decode
  const SipSections sections = splitSipMessage(bytes);
  o->set("start_line", jsonText(sections.start_line));
  Poco::JSON::Array::Ptr headers = new Poco::JSON::Array;
  for (const auto& [name, value] : sections.headers) {
    Poco::JSON::Array::Ptr pair = new Poco::JSON::Array;
    pair->add(jsonText(name));
    pair->add(jsonText(value));
    headers->add(pair);
  }
  o->set("headers", headers);
  o->set("body", jsonText(sections.body));
  return o;
}

}  // namespace sipvault::api
