#include "api/trusted_proxies.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

#include "api/sip_sections.h"

namespace sipvault::api {
namespace {

template <typename Fn>
void forEachEntry(std::string_view list, Fn&& fn) {
  while (!list.empty()) {
    const size_t sep = list.find_first_of(", ");
    const std::string_view entry = list.substr(0, sep);
    if (!entry.empty() && !fn(entry)) return;
    if (sep == std::string_view::npos) break;
    list.remove_prefix(sep + 1);
  }
}

}  // namespace

std::optional<TrustedProxies::Net> TrustedProxies::parseAddress(std::string_view text) {
  text = trimBlanks(text);
  // "[::1]" as some proxies write IPv6.
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string s(text);
  Net n;
  if (::inet_pton(AF_INET, s.c_str(), n.bytes.data()) == 1)
    n.length = 4;
  else if (::inet_pton(AF_INET6, s.c_str(), n.bytes.data()) == 1)
    n.length = 16;
  else
    return std::nullopt;
  n.prefix = static_cast<unsigned>(n.length * 8);
  return n;
}

std::optional<TrustedProxies> TrustedProxies::parse(std::string_view list, std::string& bad) {
  TrustedProxies out;
  bool ok = true;
  forEachEntry(list, [&](std::string_view entry) {
    const size_t slash = entry.find('/');
    auto net = parseAddress(entry.substr(0, slash));
    if (net && slash != std::string_view::npos) {
      const std::string_view len = entry.substr(slash + 1);
      unsigned prefix = 0;
      auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
      if (ec != std::errc() || ptr != len.data() + len.size() || len.empty() || prefix > net->length * 8)
        net.reset();
      else
        net->prefix = prefix;
    }
    if (!net) {
      bad = std::string(entry);
      ok = false;
      return false;
    }
    out.nets_.push_back(*net);
    return true;
  });
  if (!ok) return std::nullopt;
  return out;
}

bool TrustedProxies::contains(std::string_view address) const {
  const auto a = parseAddress(address);
  if (!a) return false;
  for (const Net& n : nets_) {
    if (n.length != a->length) continue;
    const unsigned whole = n.prefix / 8, rest = n.prefix % 8;
    if (std::memcmp(n.bytes.data(), a->bytes.data(), whole) != 0) continue;
    if (rest != 0) {
      const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
      if ((n.bytes[whole] & mask) != (a->bytes[whole] & mask)) continue;
    }
    return true;
  }
  return false;
}

std::string TrustedProxies::clientOf(const std::string& peer, std::string_view forwarded_for) const {
  if (nets_.empty() || !contains(peer)) return peer;
  std::string client = peer;
  // Right to left: each hop was added by the one before it; stop at the first we do not trust.
  while (!forwarded_for.empty()) {
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view entry =
        trimBlanks(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view() : forwarded_for.substr(0, comma);
    if (entry.empty()) continue;
    if (!parseAddress(entry)) break;
    client = std::string(entry.front() == '[' ? entry.substr(1, entry.size() - 2) : entry);
    if (!contains(client)) break;
  }
  return client;
}

}  // namespace sipvault::api
