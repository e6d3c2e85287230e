#include "parser/ingest_policy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sipvault::parser {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> items(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

std::optional<uint32_t> number(std::string_view s, uint32_t max) {
  uint32_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == static_cast<unsigned char>(y);
         });
}

// `needle` is lower case already.
bool containsIgnoreCase(std::string_view hay, std::string_view needle) {
  return std::search(hay.begin(), hay.end(), needle.begin(), needle.end(), [](char h, char n) {
           return std::tolower(static_cast<unsigned char>(h)) == n;
         }) != hay.end();
}

std::optional<StatusRange> parseStatus(std::string_view s) {
  if (s.size() == 3 && (s[1] == 'x' || s[1] == 'X') && (s[2] == 'x' || s[2] == 'X')) {
    auto c = number(s.substr(0, 1), 6);
    if (!c || *c == 0) return std::nullopt;
    return StatusRange{*c * 100, *c * 100 + 99};
  }
  const size_t dash = s.find('-');
  auto lo = number(trim(s.substr(0, dash)), 699);
  auto hi = dash == std::string_view::npos ? lo : number(trim(s.substr(dash + 1)), 699);
  if (!lo || !hi || *lo < 100 || *hi < *lo) return std::nullopt;
  return StatusRange{*lo, *hi};
}

template <typename T, typename F>
bool anyOf(const std::vector<T>& values, F&& f) {
  return values.empty() || std::any_of(values.begin(), values.end(), f);
}

bool has(const std::vector<uint32_t>& values, uint32_t v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

std::optional<IpPrefix> parseIpPrefix(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string addr(trim(text.substr(0, slash)));
  IpPrefix p;
  unsigned char buf[16];
  if (inet_pton(AF_INET, addr.c_str(), buf) == 1) p.address.assign(reinterpret_cast<char*>(buf), 4);
  else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) p.address.assign(reinterpret_cast<char*>(buf), 16);
  else return std::nullopt;
  const uint32_t max_bits = static_cast<uint32_t>(p.address.size() * 8);
  p.bits = max_bits;
  if (slash != std::string_view::npos) {
    auto bits = number(trim(text.substr(slash + 1)), max_bits);
    if (!bits) return std::nullopt;
    p.bits = *bits;
  }
  return p;
}

bool IpPrefix::contains(std::string_view ip) const {
  if (ip.size() != address.size()) return false;
  const size_t whole = bits / 8;
  if (ip.substr(0, whole) != std::string_view(address).substr(0, whole)) return false;
  const uint32_t rest = bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (static_cast<uint8_t>(ip[whole]) & mask) == (static_cast<uint8_t>(address[whole]) & mask);
}

bool PolicyRule::matches(const PolicySubject& s) const {
  if (is_request && *is_request != s.is_request) return false;
  if (!statuses.empty()) {
    if (s.is_request) return false;
    if (!anyOf(statuses, [&](const StatusRange& r) { return s.status >= r.low && s.status <= r.high; })) return false;
  }
  if (!anyOf(methods, [&](const std::string& m) { return equalsIgnoreCase(s.method, m); })) return false;
  if (!anyOf(src, [&](const IpPrefix& p) { return p.contains(s.src_ip); })) return false;
  if (!anyOf(dst, [&](const IpPrefix& p) { return p.contains(s.dst_ip); })) return false;
  if (!ports.empty() && !has(ports, s.src_port) && !has(ports, s.dst_port)) return false;
  if (!src_ports.empty() && !has(src_ports, s.src_port)) return false;
  if (!dst_ports.empty() && !has(dst_ports, s.dst_port)) return false;
  if (!capture_ids.empty() && !has(capture_ids, s.capture_id)) return false;
  if (!anyOf(nodes, [&](const std::string& n) { return n == s.node; })) return false;
  if (!user_agent.empty() && !containsIgnoreCase(s.user_agent, user_agent)) return false;
  return true;
}

std::optional<PolicyRule> parsePolicyRule(std::string_view default_name, const std::map<std::string, std::string>& keys,
                                          std::string& error) {
  PolicyRule rule;
  rule.name = std::string(default_name);
  bool has_action = false;
  auto bad = [&](const std::string& key, const std::string& what) {
    error = key + " = '" + keys.at(key) + "': " + what;
    return std::nullopt;
  };
  auto numbers = [&](const std::string& key, const std::string& value, uint32_t max,
                     std::vector<uint32_t>& out) -> bool {
    for (std::string_view item : items(value)) {
      auto n = number(item, max);
      if (!n) return false;
      out.push_back(*n);
    }
    return !out.empty();
  };
  for (const auto& [key, value] : keys) {
    if (key == "name") {
      rule.name = std::string(trim(value));
      if (rule.name.empty() || rule.name.find_first_of("\"\\\n") != std::string::npos)
        return bad(key, "a name without quotes, backslashes or newlines");
    } else if (key == "action") {
      const std::string v(trim(value));
      has_action = true;
      if (v == "drop") rule.action = PolicyAction::Drop;
      else if (v == "summarize") rule.action = PolicyAction::Summarize;
      else if (v.rfind("store:", 0) == 0) {
        auto c = parseStorageClass(std::string_view(v).substr(6));
        if (!c) return bad(key, "unknown storage class (calls, registrations, other)");
        rule.action = PolicyAction::Store;
        rule.storage_class = *c;
      } else if (v == "store") {
        rule.action = PolicyAction::Store;
      } else {
        return bad(key, "store:<class>, drop or summarize");
      }
    } else if (key == "match.method") {
      for (std::string_view m : items(value)) rule.methods.push_back(upper(m));
      if (rule.methods.empty()) return bad(key, "a list of methods");
    } else if (key == "match.kind") {
      const std::string v = lower(trim(value));
      if (v != "request" && v != "response") return bad(key, "request or response");
      rule.is_request = v == "request";
    } else if (key == "match.status") {
      for (std::string_view item : items(value)) {
        auto r = parseStatus(item);
        if (!r) return bad(key, "status codes (200), classes (5xx) or ranges (480-489)");
        rule.statuses.push_back(*r);
      }
      if (rule.statuses.empty()) return bad(key, "a list of statuses");
    } else if (key == "match.src" || key == "match.dst") {
      auto& out = key == "match.src" ? rule.src : rule.dst;
      for (std::string_view item : items(value)) {
        auto p = parseIpPrefix(item);
        if (!p) return bad(key, "IP addresses or CIDR prefixes (10.0.0.0/8, 2001:db8::/32)");
        out.push_back(std::move(*p));
      }
      if (out.empty()) return bad(key, "a list of addresses");
    } else if (key == "match.port" || key == "match.src_port" || key == "match.dst_port") {
      auto& out = key == "match.port" ? rule.ports : key == "match.src_port" ? rule.src_ports : rule.dst_ports;
      if (!numbers(key, value, 65535, out)) return bad(key, "a list of ports 0..65535");
    } else if (key == "match.capture_id") {
      if (!numbers(key, value, UINT32_MAX, rule.capture_ids)) return bad(key, "a list of capture ids");
    } else if (key == "match.node") {
      for (std::string_view n : items(value)) rule.nodes.emplace_back(n);
      if (rule.nodes.empty()) return bad(key, "a list of node names");
    } else if (key == "match.user_agent") {
      rule.user_agent = lower(trim(value));
      if (rule.user_agent.empty()) return bad(key, "a non-empty substring");
    } else {
      error = key + ": unknown policy key (name, action, match.method, match.kind, match.status, match.src, "
                    "match.dst, match.port, match.src_port, match.dst_port, match.capture_id, match.node, "
                    "match.user_agent)";
      return std::nullopt;
    }
  }
  if (!has_action) {
    error = "action: missing (store:<class>, drop or summarize)";
    return std::nullopt;
  }
  return rule;
}

int IngestPolicy::match(const PolicySubject& s) const {
  for (size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i].matches(s)) return static_cast<int>(i);
  return -1;
}

std::string_view policyActionName(PolicyAction a) {
  switch (a) {
    case PolicyAction::Store: return "store";
    case PolicyAction::Drop: return "drop";
    case PolicyAction::Summarize: break;
  }
  return "summarize";
}

}  // namespace sipvault::parser
