#include "api/search_filter.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>

#include "api/base64.h"
#include "api/time_text.h"
#include "proto/packet.h"
#include "proto/storage_class.h"
#include "store/search_key.h"
#include "store/stored_rows.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

constexpr std::array<std::string_view, 25> kFilterNames = {
    "from",     "to",       "call_id",   "call_ref",   "from_user", "to_user", "from_tag",
    "to_tag",   "method",   "status",    "user_agent", "src_ip",    "dst_ip",  "ip",
    "port",     "src_port", "dst_port",  "transport",  "capture_id", "limit",  "cursor",
    "alias",    "src_alias", "dst_alias", "class"};

bool isHeaderParam(std::string_view name) { return name.substr(0, kHeaderParamPrefix.size()) == kHeaderParamPrefix; }

bool isFilterName(std::string_view name) {
  return isHeaderParam(name) || std::find(kFilterNames.begin(), kFilterNames.end(), name) != kFilterNames.end();
}

// header.<name>: the rule name the parser stored (lower-case token), so it can only be a token.
std::optional<ParamError> parseHeaderMatch(std::string_view param, std::string_view value,
                                           std::vector<HeaderMatch>& out) {
  std::string name(param.substr(kHeaderParamPrefix.size()));
  for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  const bool token = !name.empty() && name.size() <= 64 &&
                     std::all_of(name.begin(), name.end(), [](char c) {
                       return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
                     });
  if (!token) return ParamError{std::string(param), "header.<name>: a name of 1-64 letters, digits, '-' or '_'"};
  for (const HeaderMatch& h : out)
    if (h.name == name) return ParamError{std::string(param), "given more than once"};
  if (out.size() >= kMaxHeaderFilters)
    return ParamError{std::string(param), "at most " + std::to_string(kMaxHeaderFilters) + " header.<name> filters"};
  out.push_back(
      {std::move(name), NumberMatch{std::string(value), value.find('*') != std::string_view::npos, {}}});
  return std::nullopt;
}

// Parameters that may be repeated: their values are joined as one comma list.
bool isListName(std::string_view name) { return name == "method" || name == "status"; }

template <typename T>
std::optional<T> parseUnsigned(std::string_view text, T max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > max) return std::nullopt;
  return static_cast<T>(v);
}

std::optional<ParamError> checkText(std::string_view name, std::string_view value) {
  const size_t max = name == "call_id" ? kMaxCallIdValue : kMaxTextValue;
  if (value.size() > max) return ParamError{std::string(name), "longer than " + std::to_string(max) + " bytes"};
  for (unsigned char c : value)
    if (c < 0x20 || c == 0x7f) return ParamError{std::string(name), "contains a control character"};
  return std::nullopt;
}

std::vector<std::string_view> splitComma(std::string_view text) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    const size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.push_back(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return out;
}

std::optional<ParamError> parseMethods(std::string_view value, std::vector<std::string>& out) {
  for (std::string_view item : splitComma(value)) {
    if (item.empty() || item.size() > 32)
      return ParamError{"method", "expected a comma list of SIP methods like INVITE,BYE"};
    std::string m;
    for (char c : item) {
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
        return ParamError{"method", "a SIP method has letters only: '" + std::string(item) + "'"};
      m += static_cast<char>(c >= 'a' ? c - 32 : c);
    }
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(std::move(m));
  }
  return std::nullopt;
}

}  // namespace

std::optional<ParamError> parseStatusList(std::string_view name, std::string_view value,
                                          std::vector<StatusRange>& out) {
  for (std::string_view item : splitComma(value)) {
    const std::string bad = "expected codes 100-699 or classes like 4xx, comma-separated";
    if (item.size() != 3) return ParamError{std::string(name), bad};
    if ((item[1] == 'x' || item[1] == 'X') && (item[2] == 'x' || item[2] == 'X')) {
      if (item[0] < '1' || item[0] > '6') return ParamError{std::string(name), bad};
      const uint16_t base = static_cast<uint16_t>((item[0] - '0') * 100);
      out.push_back({base, static_cast<uint16_t>(base + 99)});
      continue;
    }
    auto code = parseUnsigned<uint16_t>(item, 699);
    if (!code || *code < 100) return ParamError{std::string(name), bad};
    out.push_back({*code, *code});
  }
  return std::nullopt;
}

namespace {

std::optional<ParamError> parseIp(std::string_view name, std::string_view value, std::optional<std::string>& out) {
  auto ip = IpAddress::parse(value);
  if (!ip || ip->family == 0) return ParamError{std::string(name), "not an IPv4 or IPv6 address"};
  out = std::string(ip->raw());
  return std::nullopt;
}

std::optional<ParamError> parsePort(std::string_view name, std::string_view value, std::optional<uint16_t>& out) {
  auto port = parseUnsigned<uint16_t>(value, 65535);
  if (!port) return ParamError{std::string(name), "expected a port number 0-65535"};
  out = *port;
  return std::nullopt;
}

NumberMatch numberMatch(std::string_view value) {
  return NumberMatch{std::string(value), value.find('*') != std::string_view::npos, {}};
}

}  // namespace

std::optional<ParamError> parseTimeRange(const QueryParams& params, uint64_t now_us, uint64_t default_range_us,
                                         uint64_t& from_us, uint64_t& to_us) {
  std::optional<uint64_t> from, to;
  for (const auto& [name, value] : params) {
    if ((name != "from" && name != "to") || value.empty()) continue;
    auto t = parseTimeParam(value);
    if (!t)
      return ParamError{
          name,
          "expected RFC 3339 / ISO 8601 with a zone (2026-11-26T14:05:00Z, 2026-11-26T15:05+01:00) "
          "or epoch time with its unit (1795000000s, 1795000000123ms, ...us); a bare number is "
          "ambiguous"};
    (name == "from" ? from : to) = *t;
  }
  to_us = to ? *to : std::max(now_us, from.value_or(0));
  from_us = from ? *from : (to_us > default_range_us ? to_us - default_range_us : 0);
  if (from_us > to_us) return ParamError{"from", "is after `to`"};
  return std::nullopt;
}

std::optional<ParamError> parseSearchFilter(const QueryParams& params, uint64_t now_us,
                                            const FilterDefaults& defaults,
                                            std::span<const std::string_view> extra, SearchFilter& out) {
  out = SearchFilter{};
  out.limit = defaults.limit;
  // Names first: unknown and repeated parameters are errors whatever their value.
  std::vector<std::string_view> seen;
  std::string methods, statuses;
  for (const auto& [name, value] : params) {
    const bool known = isFilterName(name) || std::find(extra.begin(), extra.end(), name) != extra.end();
    if (!known) return ParamError{name, "unknown parameter"};
    if (isListName(name)) {
      std::string& list = name == "method" ? methods : statuses;
      if (!value.empty()) list += (list.empty() ? "" : ",") + value;
      continue;
    }
    if (std::find(seen.begin(), seen.end(), name) != seen.end()) return ParamError{name, "given more than once"};
    seen.push_back(name);
  }
  if (auto e = parseTimeRange(params, now_us, defaults.range_us, out.from_us, out.to_us)) return e;
  if (!methods.empty())
    if (auto e = parseMethods(methods, out.methods)) return e;
  if (!statuses.empty())
    if (auto e = parseStatusList("status", statuses, out.statuses)) return e;

  for (const auto& [name, value] : params) {
    if (value.empty() || name == "from" || name == "to" || isListName(name)) continue;
    if (std::find(extra.begin(), extra.end(), name) != extra.end()) continue;
    if (auto e = checkText(name, value)) return e;
    if (name == "call_id") {
      out.call_id = value;
    } else if (name == "call_ref") {
      out.call_ref = decodeCallRef(value);
      if (!out.call_ref) return ParamError{name, "not a call_ref from this api"};
    } else if (name == "from_user") {
      out.from_user = numberMatch(value);
    } else if (name == "to_user") {
      out.to_user = numberMatch(value);
    } else if (name == "from_tag") {
      out.from_tag = value;
    } else if (name == "to_tag") {
      out.to_tag = value;
    } else if (name == "user_agent") {
      out.user_agent = value;
    } else if (name == "src_ip") {
      if (auto e = parseIp(name, value, out.src_ip)) return e;
    } else if (name == "dst_ip") {
      if (auto e = parseIp(name, value, out.dst_ip)) return e;
    } else if (name == "ip") {
      if (auto e = parseIp(name, value, out.ip)) return e;
    } else if (name == "port") {
      if (auto e = parsePort(name, value, out.port)) return e;
    } else if (name == "src_port") {
      if (auto e = parsePort(name, value, out.src_port)) return e;
    } else if (name == "dst_port") {
      if (auto e = parsePort(name, value, out.dst_port)) return e;
    } else if (name == "transport") {
      std::string t;
      for (char c : value) t += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if (t == "udp") out.ip_proto = 17;
      else if (t == "tcp") out.ip_proto = 6;
      else if (t == "sctp") out.ip_proto = 132;
      else return ParamError{name, "expected udp, tcp or sctp"};
    } else if (name == "capture_id") {
      auto id = parseUnsigned<uint32_t>(value, 0xffffffffu);
      if (!id) return ParamError{name, "expected a number 0-4294967295"};
      out.capture_id = *id;
    } else if (name == "alias" || name == "src_alias" || name == "dst_alias") {
      std::string why;
      if (!validAliasName(value, why)) return ParamError{name, "not an alias name: " + why};
      const auto side = name == "alias"       ? AliasFilter::Side::Either
                        : name == "src_alias" ? AliasFilter::Side::Src
                                              : AliasFilter::Side::Dst;
      out.aliases.push_back(AliasFilter{side, value, {}, false});
    } else if (name == "class") {
      // A comma list of storage class names (calls, registrations, other).
      for (size_t pos = 0; pos <= value.size();) {
        const size_t comma = std::min(value.find(',', pos), value.size());
        const auto c = parseStorageClass(std::string_view(value).substr(pos, comma - pos));
        if (!c) return ParamError{name, "expected a comma list of calls, registrations, other"};
        const auto id = static_cast<uint8_t>(*c);
        if (std::find(out.storage_classes.begin(), out.storage_classes.end(), id) == out.storage_classes.end())
          out.storage_classes.push_back(id);
        pos = comma + 1;
      }
    } else if (name == "limit") {
      auto limit = parseUnsigned<uint32_t>(value, defaults.max_limit);
      if (!limit || *limit == 0) return ParamError{name, "expected 1-" + std::to_string(defaults.max_limit)};
      out.limit = *limit;
    } else if (name == "cursor") {
      out.cursor = value;
    } else if (isHeaderParam(name)) {
      if (auto e = parseHeaderMatch(name, value, out.headers)) return e;
    }
  }
  return std::nullopt;
}

std::string_view aliasParameterName(AliasFilter::Side side) {
  switch (side) {
    case AliasFilter::Side::Src:
      return "src_alias";
    case AliasFilter::Side::Dst:
      return "dst_alias";
    case AliasFilter::Side::Either:
      break;
  }
  return "alias";
}

CallRef CallRef::of(std::string_view call_id) {
  return {searchKey(call_id), std::string(call_id.substr(0, kCallIdWidth))};
}

std::string encodeCallRef(const CallRef& ref) {
  return base64UrlEncode("r1:" + std::to_string(ref.hash) + ":" + ref.stored);
}

std::optional<CallRef> decodeCallRef(std::string_view text) {
  auto raw = base64UrlDecode(text);
  if (!raw || raw->rfind("r1:", 0) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(*raw).substr(3);
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto hash = parseUnsigned<uint64_t>(rest.substr(0, colon), UINT64_MAX);
  const std::string_view stored = rest.substr(colon + 1);
  if (!hash || stored.empty() || stored.size() > kCallIdWidth) return std::nullopt;
  return CallRef{*hash, std::string(stored)};
}

std::string encodeMessageCursor(const MessageCursor& c) {
  return base64UrlEncode("m1:" + std::to_string(c.capture_us) + ":" + std::to_string(c.id));
}

std::optional<MessageCursor> decodeMessageCursor(std::string_view text) {
  auto raw = base64UrlDecode(text);
  if (!raw || raw->rfind("m1:", 0) != 0) return std::nullopt;
  const std::string_view rest = std::string_view(*raw).substr(3);
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto us = parseUnsigned<uint64_t>(rest.substr(0, colon), UINT64_MAX);
  auto id = parseUnsigned<uint64_t>(rest.substr(colon + 1), UINT64_MAX);
  if (!us || !id) return std::nullopt;
  return MessageCursor{*us, *id};
}

std::string encodeCallCursor(const CallCursor& c) {
  return base64UrlEncode("c2:" + std::to_string(c.first_us) + ":" + std::to_string(c.call_id_hash) + ":" +
                         c.call_id);
}

std::optional<CallCursor> decodeCallCursor(std::string_view text) {
  auto raw = base64UrlDecode(text);
  if (!raw) return std::nullopt;
  const bool v2 = raw->rfind("c2:", 0) == 0;
  if (!v2 && raw->rfind("c1:", 0) != 0) return std::nullopt;
  std::string_view rest = std::string_view(*raw).substr(3);
  const size_t colon = rest.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  auto us = parseUnsigned<uint64_t>(rest.substr(0, colon), UINT64_MAX);
  if (!us) return std::nullopt;
  rest.remove_prefix(colon + 1);
  CallCursor c{*us, "", UINT64_MAX};
  if (v2) {
    const size_t hash_end = rest.find(':');
    if (hash_end == std::string_view::npos) return std::nullopt;
    auto hash = parseUnsigned<uint64_t>(rest.substr(0, hash_end), UINT64_MAX);
    if (!hash) return std::nullopt;
    c.call_id_hash = *hash;
    rest.remove_prefix(hash_end + 1);
  }
  c.call_id = std::string(rest);
  return c;
}

std::string messageId(uint64_t capture_us, uint64_t id) { return std::to_string(capture_us) + "-" + std::to_string(id); }

std::optional<MessageCursor> parseMessageId(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto us = parseUnsigned<uint64_t>(text.substr(0, dash), UINT64_MAX);
  auto id = parseUnsigned<uint64_t>(text.substr(dash + 1), UINT64_MAX);
  if (!us || !id) return std::nullopt;
  return MessageCursor{*us, *id};
}

std::optional<double> parseMosBelow(std::string_view text) {
  // d, d.d or d.dd; nothing else (no sign, exponent, spaces, "nan").
  if (text.empty() || text.size() > 4 || text[0] < '0' || text[0] > '9') return std::nullopt;
  double v = text[0] - '0';
  if (text.size() > 1) {
    if (text[1] != '.' || text.size() == 2) return std::nullopt;
    double scale = 0.1;
    for (char c : text.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      v += (c - '0') * scale;
      scale /= 10;
    }
  }
  if (v < 1.0 || v > 5.0) return std::nullopt;
  return v;
}

}  // namespace sipvault::api
