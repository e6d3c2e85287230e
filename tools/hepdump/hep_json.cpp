#include "tools/hepdump/hep_json.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <ctime>
#include <sstream>

#include "proto/packet_convert.h"

namespace sipvault::hepdump {

using namespace sipvault::sip;

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

std::string text(std::string_view v) { return toValidUtf8(v); }

std::string protoName(uint8_t p) {
  switch (p) {
    case kIpProtoUdp: return "udp";
    case kIpProtoTcp: return "tcp";
    case kIpProtoSctp: return "sctp";
    default: return std::to_string(p);
  }
}

std::string payloadTypeName(uint8_t t) {
  switch (t) {
    case 1: return "sip";
    case 5: return "rtcp_json";
    case 100: return "log";
    default: return std::to_string(t);
  }
}

Object::Ptr sipObject(const SipMessage& m, const ParseOutcome& o) {
  Object::Ptr s = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  if (!o.ok()) {
    s->set("error", std::string(parseErrorName(o.error)));
    s->set("reason", std::string(o.reason));
    return s;
  }
  if (m.is_request) {
    s->set("method", text(m.method));
    s->set("ruri", text(m.request_uri.text));
    s->set("ruri_user", text(m.request_uri.user));
    s->set("ruri_host", text(m.request_uri.host));
  } else {
    s->set("status", m.status_code);
    s->set("reason_phrase", text(m.reason_phrase));
  }
  s->set("call_id", text(m.call_id));
  s->set("from_user", text(m.from.uri.user));
  s->set("from_host", text(m.from.uri.host));
  s->set("from_tag", text(m.from.tag));
  s->set("to_user", text(m.to.uri.user));
  s->set("to_host", text(m.to.uri.host));
  s->set("to_tag", text(m.to.tag));
  s->set("cseq", std::to_string(m.cseq_number) + " " + text(m.cseq_method));
  if (const SipVia* v = m.topVia()) {
    s->set("via_transport", text(v->transport));
    s->set("via_host", text(v->host));
    s->set("via_branch", text(v->branch));
  }
  if (!m.contact.empty()) s->set("contact", text(m.contact));
  if (!m.agent().empty()) s->set("user_agent", text(m.agent()));
  if (!m.pai_user.empty()) s->set("pai_user", text(m.pai_user));
  if (!m.reason.empty()) s->set("reason_header", text(m.reason));
  if (!m.x_cid.empty()) s->set("x_cid", text(m.x_cid));
  if (!m.content_type.empty()) s->set("content_type", text(m.content_type));
  s->set("content_length", m.content_length);
  if (m.sdp.present) {
    Object::Ptr sdp = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    sdp->set("connection", text(m.sdp.connection_address));
    Array::Ptr ports = new Array, codecs = new Array;
    for (size_t i = 0; i < m.sdp.media_count; ++i) ports->add(m.sdp.media[i].port);
    for (size_t i = 0; i < m.sdp.codec_count; ++i) codecs->add(text(m.sdp.codecs[i]));
    sdp->set("media_ports", ports);
    sdp->set("codecs", codecs);
    s->set("sdp", sdp);
  }
  if (o.flags) {
    Array::Ptr flags = new Array;
    for (uint32_t bit = 1; bit != 0 && bit <= o.flags; bit <<= 1)
      if (o.flags & bit) flags->add(std::string(sipFlagName(static_cast<SipFlag>(bit))));
    s->set("flags", flags);
  }
  return s;
}

std::string stringify(const Object::Ptr& o) {
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

}  // namespace

std::string rfc3339Micros(uint32_t sec, uint32_t usec) {
  const std::time_t t = sec;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec % 1000000u);
  return buf;
}

std::string hepPacketJson(const PacketView& p, const SipMessage* sip, const ParseOutcome* outcome) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("hep_version", p.hep_version);
  o->set("ip_family", p.src.family);
  o->set("ip_proto", protoName(p.ip_proto));
  o->set("src_ip", p.src.toString());
  o->set("src_port", p.src_port);
  o->set("dst_ip", p.dst.toString());
  o->set("dst_port", p.dst_port);
  o->set("timestamp", rfc3339Micros(p.ts_sec, p.ts_usec));
  o->set("payload_type", payloadTypeName(p.payload_type));
  o->set("capture_id", p.capture_id);
  o->set("auth_key_present", p.has_auth_key);
  if (!p.correlation_id.empty()) o->set("correlation_id", text(p.correlation_id));
  if (!p.node_name.empty()) o->set("node_name", text(p.node_name));
  if (p.vlan) o->set("vlan", p.vlan);
  if (p.keep_alive) o->set("keep_alive", true);
  o->set("compressed", p.payload_compressed);
  o->set("payload_length", p.payload.size());
  if (sip && outcome) o->set("sip", sipObject(*sip, *outcome));
  else if (p.payload_type != kPayloadSip) o->set("payload", text(p.payload.substr(0, 4096)));
  return stringify(o);
}

std::string hepErrorJson(const HepDecodeError& error, std::string_view source) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("error", std::string(error.reason));
  o->set("code", std::string(toString(error.code)));
  o->set("offset", error.offset);
  o->set("source", std::string(source));
  return stringify(o);
}

}  // namespace sipvault::hepdump
