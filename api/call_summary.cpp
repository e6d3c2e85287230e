#include "api/call_summary.h"

#include <Poco/JSON/Array.h>
#include <Poco/String.h>

#include <algorithm>
#include <unordered_set>

#include "api/sip_sections.h"
#include "api/time_text.h"

namespace sipvault::api {

std::vector<std::string> hostsInOrder(std::span<const MessageRecord> messages) {
  // A set, not a scan of `hosts`: a call can hold 100k messages between as many addresses.
  std::vector<std::string> hosts;
  std::unordered_set<std::string> seen;
  auto add = [&](const std::string& ip, uint16_t port) {
    std::string h = hostText(ip, port);
    if (seen.insert(h).second) hosts.push_back(std::move(h));
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
  bool cancelled = false;
  const MessageRecord* final_response = nullptr;
  for (const MessageRecord& m : messages) {
    c.first_us = std::min(c.first_us, m.capture_us);
    c.last_us = std::max(c.last_us, m.capture_us);
    if (!m.isRequest() && m.status >= 200 && m.method == c.method) {
      c.final_status = m.status;
      final_response = &m;
    }
    cancelled = cancelled || (m.isRequest() && m.method == "CANCEL");
  }
  c.state = callState(c.method, c.final_status, cancelled);
  if (final_response) c.q850 = q850Of(*final_response);
  for (const char* method : {"CANCEL", "BYE"})
    for (const MessageRecord& m : messages)
      if (!c.q850 && m.isRequest() && m.method == method) c.q850 = q850Of(m);
  c.hosts = hostsInOrder(messages);
  return c;
}

std::vector<MessageCursor> reasonSources(std::span<const MessageRecord> messages) {
  std::vector<MessageCursor> out;
  auto request =
      std::find_if(messages.begin(), messages.end(), [](const MessageRecord& m) { return m.isRequest(); });
  const std::string method = request != messages.end() ? request->method : std::string();
  const MessageRecord* final_response = nullptr;
  for (const MessageRecord& m : messages) {
    if (!m.isRequest() && m.status >= 200 && m.method == method) final_response = &m;
    if (m.isRequest() && (m.method == "CANCEL" || m.method == "BYE")) out.push_back({m.capture_us, m.id});
  }
  if (final_response) out.push_back({final_response->capture_us, final_response->id});
  return out;
}

std::optional<Q850Reason> q850Of(const MessageRecord& message) {
  if (!message.stored_raw) return std::nullopt;
  const std::optional<std::string> raw = message.raw();
  if (!raw) return std::nullopt;
  for (const auto& [name, value] : splitSipMessage(*raw).headers) {
    if (name.size() != 6 || Poco::icompare(name, "Reason") != 0) continue;
    // One header may list several reasons: "SIP;cause=200, Q.850;cause=16".
    size_t start = 0;
    while (start <= value.size()) {
      size_t comma = start;
      bool quoted = false;
      for (; comma < value.size(); ++comma) {
        if (value[comma] == '"') quoted = !quoted;
        if (value[comma] == ',' && !quoted) break;
      }
      if (auto r = parseQ850Reason(std::string_view(value).substr(start, comma - start))) return r;
      start = comma + 1;
    }
  }
  return std::nullopt;
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
  o->set("final_reason", std::string(standardReason(c.final_status)));
  o->set("state", c.state);
  if (c.q850) {
    Poco::JSON::Object::Ptr q = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    q->set("cause", c.q850->cause);
    q->set("text", jsonText(c.q850->text));
    o->set("q850", q);
  } else {
    o->set("q850", Poco::Dynamic::Var());
  }
  o->set("message_count", static_cast<uint64_t>(c.message_count));
  Poco::JSON::Array::Ptr hosts = new Poco::JSON::Array;
  for (const std::string& h : c.hosts) hosts->add(h);
  o->set("hosts", hosts);
  if (!c.host_aliases.empty()) {
    Poco::JSON::Array::Ptr names = new Poco::JSON::Array;
    for (const std::string& n : c.host_aliases) names->add(n.empty() ? Poco::Dynamic::Var() : Poco::Dynamic::Var(n));
    o->set("host_aliases", names);
  }
  o->set("duration_ms", (c.last_us - c.first_us) / 1000);
  o->set("worst_mos", c.worst_mos ? Poco::Dynamic::Var(*c.worst_mos) : Poco::Dynamic::Var());
  o->set("max_loss", c.max_loss ? Poco::Dynamic::Var(*c.max_loss) : Poco::Dynamic::Var());
  return o;
}

}  // namespace sipvault::api
