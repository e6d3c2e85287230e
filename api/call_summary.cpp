#include "api/call_summary.h"

#include <Poco/JSON/Array.h>

#include <algorithm>

#include "api/time_text.h"

namespace sipvault::api {

std::vector<std::string> hostsInOrder(std::span<const MessageRecord> messages) {
  std::vector<std::string> hosts;
  auto add = [&](const std::string& ip, uint16_t port) {
    std::string h = hostText(ip, port);
    if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(std::move(h));
  };
  for (const MessageRecord& m : messages) {
    add(m.src_ip, m.src_port);
    add(m.dst_ip, m.dst_port);
  }
  return hosts;
}

CallSummary summarizeCall(std::span<const MessageRecord> messages) {
  CallSummary c;
  if (messages.empty()) return c;
  const MessageRecord* first_request = &messages.front();
  for (const MessageRecord& m : messages) {
    if (m.isRequest()) {
      first_request = &m;
      break;
    }
  }
  c.call_id = messages.front().call_id;
  c.call = messages.front().call();
  c.first_us = messages.front().capture_us;
  c.last_us = messages.front().capture_us;
  c.method = first_request->method;
  c.from_user = first_request->from_user;
  c.to_user = first_request->to_user.empty() ? first_request->ruri_user : first_request->to_user;
  c.message_count = messages.size();
  for (const MessageRecord& m : messages) {
    c.first_us = std::min(c.first_us, m.capture_us);
    c.last_us = std::max(c.last_us, m.capture_us);
    if (!m.isRequest() && m.status >= 200 && m.method == c.method) c.final_status = m.status;
  }
  c.hosts = hostsInOrder(messages);
  return c;
}

Poco::JSON::Object::Ptr callSummaryJson(const CallSummary& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("call_id", jsonText(c.call_id));
  o->set("call_ref", encodeCallRef(c.call));
  o->set("first_time", formatTimeUs(c.first_us));
  o->set("last_time", formatTimeUs(c.last_us));
  o->set("first_time_us", c.first_us);
  o->set("last_time_us", c.last_us);
  o->set("from_user", jsonText(c.from_user));
  o->set("to_user", jsonText(c.to_user));
  o->set("method", jsonText(c.method));
  o->set("final_status", c.final_status);
  o->set("message_count", static_cast<uint64_t>(c.message_count));
  Poco::JSON::Array::Ptr hosts = new Poco::JSON::Array;
  for (const std::string& h : c.hosts) hosts->add(h);
  o->set("hosts", hosts);
  o->set("duration_ms", (c.last_us - c.first_us) / 1000);
  return o;
}

}  // namespace sipvault::api
