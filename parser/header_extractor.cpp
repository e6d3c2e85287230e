#include "parser/header_extractor.h"

#include <Poco/Exception.h>

#include "sip/sip_parser.h"

namespace sipvault::parser {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool isWsp(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view v) {
  while (!v.empty() && isWsp(v.front())) v.remove_prefix(1);
  while (!v.empty() && isWsp(v.back())) v.remove_suffix(1);
  return v;
}

// A folded value with each line break (and the blanks around it) turned into one SP.
std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size();) {
    const char c = value[i];
    if (c == '\r' || c == '\n') {
      while (!out.empty() && isWsp(out.back())) out.pop_back();
      while (i < value.size() && (isWsp(value[i]) || value[i] == '\r' || value[i] == '\n')) ++i;
      out += ' ';
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

std::string_view unquote(std::string_view v) {
  v = trim(v);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

// The value of parameter `name` in "a=1;b=2;c" (name case-insensitive); nullopt when absent.
std::optional<std::string_view> parameter(std::string_view params, std::string_view name) {
  while (!params.empty()) {
    const size_t semi = params.find(';');
    const std::string_view item = params.substr(0, semi);
    const size_t eq = item.find('=');
    if (eq != std::string_view::npos && equalsNoCase(trim(item.substr(0, eq)), name))
      return unquote(item.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    params.remove_prefix(semi + 1);
  }
  return std::nullopt;
}

// An RFC 7989 UUID: 32 hex digits, lower-cased; empty for anything else and for the null UUID.
std::string sessionUuid(std::string_view v) {
  v = trim(v);
  if (v.size() != 32) return {};
  std::string out;
  bool all_zero = true;
  for (char c : v) {
    const char l = lower(c);
    if (!((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f'))) return {};
    if (l != '0') all_zero = false;
    out += l;
  }
  return all_zero ? std::string() : out;
}

bool validName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
  return true;
}

bool validHeader(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameBytes) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.' || c == '!' || c == '%' || c == '*' || c == '+' || c == '`' || c == '\'' || c == '~'))
      return false;
  return true;
}

}  // namespace

std::optional<LinkType> linkTypeFromName(std::string_view name) {
  if (name == "value") return LinkType::Value;
  if (name == "regex") return LinkType::Regex;
  if (name == "icid-value") return LinkType::IcidValue;
  if (name == "session-id") return LinkType::SessionId;
  return std::nullopt;
}

HeaderExtractor::HeaderExtractor(std::vector<HeaderRule> rules, const HeaderLimits& limits)
    : rules_(std::move(rules)), limits_(limits) {}

std::unique_ptr<HeaderExtractor> HeaderExtractor::create(std::vector<HeaderRule> rules, const HeaderLimits& limits,
                                                         std::string& error) {
  std::unique_ptr<HeaderExtractor> x(new HeaderExtractor({}, limits));
  for (HeaderRule& r : rules) {
    for (char& c : r.name) c = lower(c);
    if (!validName(r.name)) {
      error = "rule name '" + r.name + "': use 1-64 letters, digits, '-' or '_'";
      return nullptr;
    }
    if (!validHeader(r.header)) {
      error = "rule " + r.name + ": header name '" + r.header + "' is not a SIP header name";
      return nullptr;
    }
    // A compact form in the config ("i") is compared like the message's: as its full name.
    r.header = std::string(sip::canonicalHeaderName(r.header));
    if (r.kind == HeaderKind::Field) r.type = r.regex.empty() ? LinkType::Value : LinkType::Regex;
    if (r.type == LinkType::Regex && r.regex.empty()) {
      error = "rule " + r.name + ": type regex needs a regex";
      return nullptr;
    }
    std::unique_ptr<Poco::RegularExpression> pattern;
    if (!r.regex.empty()) {
      if (r.type != LinkType::Regex && r.type != LinkType::Value) {
        error = "rule " + r.name + ": a regex goes with type regex, not with icid-value or session-id";
        return nullptr;
      }
      r.type = LinkType::Regex;
      try {
        pattern = std::make_unique<Poco::RegularExpression>(r.regex);
      } catch (const Poco::Exception& e) {
        error = "rule " + r.name + ": bad regex '" + r.regex + "': " + e.message();
        return nullptr;
      }
    }
    x->rules_by_length_.resize(kMaxNameBytes + 1);
    x->rules_by_length_[r.header.size()].push_back(x->rules_.size());
    x->rules_.push_back(std::move(r));
    x->patterns_.push_back(std::move(pattern));
  }
  return x;
}

void HeaderExtractor::add(const HeaderRule& rule, std::string value, std::vector<ExtractedHeader>& out,
                          ExtractStats& stats) const {
  if (value.empty()) return;
  if (out.size() >= limits_.max_per_message) {
    ++stats.dropped;
    return;
  }
  if (value.size() > limits_.max_value_bytes) {
    value.resize(limits_.max_value_bytes);
    ++stats.truncated;
  }
  ++stats.values;
  out.push_back({rule.kind, rule.name, std::move(value)});
}

void HeaderExtractor::apply(size_t i, const std::string& value, std::vector<ExtractedHeader>& out,
                            ExtractStats& stats) const {
  const HeaderRule& rule = rules_[i];
  switch (rule.type) {
    case LinkType::Value:
      add(rule, value, out, stats);
      return;
    case LinkType::Regex: {
      Poco::RegularExpression::MatchVec m;
      try {
        if (patterns_[i]->match(value, 0, m) == 0) return;
      } catch (const Poco::Exception&) {
        return;  // PCRE's match limit on a hostile value: no value, never a crash
      }
      const auto& g = m.size() > 1 ? m[1] : m[0];
      if (g.offset == std::string::npos) return;
      add(rule, value.substr(g.offset, g.length), out, stats);
      return;
    }
    case LinkType::IcidValue:
      if (auto icid = parameter(value, "icid-value")) add(rule, std::string(*icid), out, stats);
      return;
    case LinkType::SessionId: {
      const std::string_view v = value;
      const size_t semi = v.find(';');
      std::string local = sessionUuid(v.substr(0, semi));
      std::string remote;
      if (semi != std::string_view::npos)
        if (auto r = parameter(v.substr(semi + 1), "remote")) remote = sessionUuid(*r);
      if (remote == local) remote.clear();
      add(rule, std::move(local), out, stats);
      add(rule, std::move(remote), out, stats);
      return;
    }
  }
}

void HeaderExtractor::extract(std::string_view header_section, std::vector<ExtractedHeader>& out,
                              ExtractStats& stats) const {
  out.clear();
  if (rules_.empty()) return;
  sip::SipHeaderReader reader(header_section);
  sip::SipHeaderField field;
  for (;;) {
    const auto status = reader.next(field);
    if (status == sip::SipHeaderReader::Status::BadLine) continue;
    if (status != sip::SipHeaderReader::Status::Field) break;
    const std::string_view name = sip::canonicalHeaderName(field.name);
    if (name.size() >= rules_by_length_.size()) continue;
    std::optional<std::string> value;  // unfolded once, for the first rule that wants it
    for (size_t i : rules_by_length_[name.size()]) {
      if (!equalsNoCase(name, rules_[i].header)) continue;
      if (!value) value = field.folded ? unfold(field.value) : std::string(field.value);
      apply(i, *value, out, stats);
    }
  }
}

}  // namespace sipvault::parser
