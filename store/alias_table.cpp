#include "store/alias_table.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace sipvault::store {
namespace {

std::optional<std::string> parseIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  unsigned char buf[16];
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), buf) != 1) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(buf), 4);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) != 1) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(buf), 16);
}

std::string ipText(std::string_view raw) {
  char out[INET6_ADDRSTRLEN] = {};
  inet_ntop(raw.size() == 4 ? AF_INET : AF_INET6, raw.data(), out, sizeof out);
  return out;
}

template <typename T>
std::optional<T> parseNumber(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  uint64_t v = 0;
  for (char c : text)
    if (c < '0' || c > '9') return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > max) return std::nullopt;
  return static_cast<T>(v);
}

// Sets every bit after the first `bits` to `one`.
std::string fillHostBits(std::string raw, unsigned bits, bool one) {
  for (size_t i = 0; i < raw.size(); ++i) {
    const unsigned first = static_cast<unsigned>(i) * 8;
    if (first + 8 <= bits) continue;
    const unsigned keep = bits > first ? bits - first : 0;  // 0..7 bits of this byte kept
    const auto mask = static_cast<unsigned char>(0xff >> keep);
    auto b = static_cast<unsigned char>(raw[i]);
    raw[i] = static_cast<char>(one ? (b | mask) : (b & ~mask));
  }
  return raw;
}

std::string endpointKey(std::string_view raw_ip, uint16_t port) {
  std::string k(raw_ip);
  k += static_cast<char>(port >> 8);
  k += static_cast<char>(port & 0xff);
  return k;
}

}  // namespace

std::string AliasTarget::firstAddress() const { return fillHostBits(address, prefix_bits, false); }
std::string AliasTarget::lastAddress() const { return fillHostBits(address, prefix_bits, true); }

bool AliasTarget::contains(std::string_view raw_ip) const {
  // Per message in the parser: compare in place, no copy.
  if (kind != Kind::Prefix || raw_ip.size() != address.size()) return false;
  const size_t whole = prefix_bits / 8;
  if (raw_ip.compare(0, whole, address, 0, whole) != 0) return false;
  const unsigned rest = prefix_bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (static_cast<unsigned char>(raw_ip[whole]) & mask) == static_cast<unsigned char>(address[whole]);
}

std::optional<AliasTarget> parseAliasTarget(std::string_view text, std::string& why) {
  AliasTarget t;
  if (text.rfind("capture:", 0) == 0) {
    auto id = parseNumber<uint32_t>(text.substr(8), 0xffffffffu);
    if (!id) {
      why = "capture:N needs a capture id 0-4294967295";
      return std::nullopt;
    }
    t.kind = AliasTarget::Kind::Capture;
    t.capture_id = *id;
    return t;
  }
  const std::string_view bad_syntax =
      "expected a prefix (192.0.2.0/24), an address (192.0.2.10), address:port (192.0.2.10:5060, "
      "[2001:db8::1]:5060) or capture:N";
  // [v6]:port or v4:port (a v4 literal has no ':', a bare v6 one has several).
  std::string_view host = text, port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      why = bad_syntax;
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (!port_text.empty() || (!text.empty() && text.front() == '[')) {
    auto ip = parseIp(host);
    auto port = parseNumber<uint16_t>(port_text, 65535);
    if (!ip || !port) {
      why = bad_syntax;
      return std::nullopt;
    }
    t.kind = AliasTarget::Kind::Endpoint;
    t.address = *ip;
    t.port = *port;
    return t;
  }
  const size_t slash = text.find('/');
  auto ip = parseIp(text.substr(0, slash));
  if (!ip) {
    why = bad_syntax;
    return std::nullopt;
  }
  const unsigned max_bits = static_cast<unsigned>(ip->size() * 8);
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    auto b = parseNumber<unsigned>(text.substr(slash + 1), max_bits);
    if (!b) {
      why = "prefix length must be 0-" + std::to_string(max_bits);
      return std::nullopt;
    }
    bits = *b;
  }
  t.kind = AliasTarget::Kind::Prefix;
  t.prefix_bits = static_cast<uint8_t>(bits);
  t.address = *ip;
  if (fillHostBits(*ip, bits, false) != *ip) {
    why = "host bits are set; the prefix is " + ipText(fillHostBits(*ip, bits, false)) + "/" + std::to_string(bits);
    return std::nullopt;
  }
  return t;
}

std::string formatAliasTarget(const AliasTarget& t) {
  switch (t.kind) {
    case AliasTarget::Kind::Capture:
      return "capture:" + std::to_string(t.capture_id);
    case AliasTarget::Kind::Endpoint:
      return t.address.size() == 16 ? "[" + ipText(t.address) + "]:" + std::to_string(t.port)
                                    : ipText(t.address) + ":" + std::to_string(t.port);
    case AliasTarget::Kind::Prefix:
      break;
  }
  const std::string ip = ipText(t.address);
  return t.prefix_bits == t.address.size() * 8 ? ip : ip + "/" + std::to_string(t.prefix_bits);
}

std::string_view aliasKindName(AliasTarget::Kind kind) {
  switch (kind) {
    case AliasTarget::Kind::Endpoint:
      return "endpoint";
    case AliasTarget::Kind::Capture:
      return "capture";
    case AliasTarget::Kind::Prefix:
      break;
  }
  return "prefix";
}

bool validAliasName(std::string_view name, std::string& why) {
  if (name.empty() || name.size() > kMaxAliasNameBytes) {
    why = "must be 1-" + std::to_string(kMaxAliasNameBytes) + " bytes";
    return false;
  }
  if (name.front() == ' ' || name.back() == ' ') {
    why = "must not start or end with a space";
    return false;
  }
  // UTF-8 well-formed (no overlong forms or surrogates), no C0/C1 controls or DEL.
  for (size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > name.size() || (n == 2 && c < 0xc2) || c > 0xf4) {
      why = "is not valid UTF-8";
      return false;
    }
    uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(name[i + k]);
      if ((cc >> 6) != 2) {
        why = "is not valid UTF-8";
        return false;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
      why = "is not valid UTF-8";
      return false;
    }
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
      why = "contains a control character";
      return false;
    }
    i += n;
  }
  return true;
}

AliasTable::AliasTable(std::vector<Alias> aliases) : aliases_(std::move(aliases)) {
  std::sort(aliases_.begin(), aliases_.end(), [](const Alias& a, const Alias& b) {
    return a.name != b.name ? a.name < b.name : formatAliasTarget(a.target) < formatAliasTarget(b.target);
  });
  for (size_t i = 0; i < aliases_.size(); ++i) {
    const AliasTarget& t = aliases_[i].target;
    switch (t.kind) {
      case AliasTarget::Kind::Endpoint:
        endpoints_.emplace(endpointKey(t.address, t.port), i);
        break;
      case AliasTarget::Kind::Capture:
        captures_.emplace(t.capture_id, i);
        break;
      case AliasTarget::Kind::Prefix:
        prefixes_.push_back(i);
        break;
    }
  }
  std::stable_sort(prefixes_.begin(), prefixes_.end(), [this](size_t a, size_t b) {
    return aliases_[a].target.prefix_bits > aliases_[b].target.prefix_bits;
  });
}

const std::string* AliasTable::nameOfAddress(std::string_view raw_ip, uint16_t port) const {
  if (raw_ip.size() != 4 && raw_ip.size() != 16) return nullptr;
  if (auto it = endpoints_.find(endpointKey(raw_ip, port)); it != endpoints_.end()) return &aliases_[it->second].name;
  for (size_t i : prefixes_)
    if (aliases_[i].target.contains(raw_ip)) return &aliases_[i].name;
  return nullptr;
}

const std::string* AliasTable::nameOf(std::string_view raw_ip, uint16_t port, uint32_t capture_id) const {
  if (const std::string* n = nameOfAddress(raw_ip, port)) return n;
  if (auto it = captures_.find(capture_id); it != captures_.end()) return &aliases_[it->second].name;
  return nullptr;
}

std::vector<AliasTarget> AliasTable::targetsOf(std::string_view name) const {
  std::vector<AliasTarget> out;
  for (const Alias& a : aliases_)
    if (a.name == name) out.push_back(a.target);
  return out;
}

std::vector<std::string> AliasTable::names() const {
  std::vector<std::string> out;
  for (const Alias& a : aliases_)
    if (out.empty() || out.back() != a.name) out.push_back(a.name);
  return out;
}

}  // namespace sipvault::store
