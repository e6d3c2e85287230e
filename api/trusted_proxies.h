#pragma once
// Which client address a request counts as (login limits, logs). Behind a reverse proxy every
// request comes from the proxy, so its X-Forwarded-For names the real client; but anyone can send
// that header, so it is believed only from a peer in the configured list (api.trusted_proxies).
//
// The client is the TCP peer unless the peer is trusted; then it is the right-most address of
// X-Forwarded-For that is not itself a trusted proxy (entries to its left were written by the
// client and prove nothing). A malformed entry stops the walk: the last trusted hop counts.
//
// Immutable after parse(); thread-safe to share.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::api {

class TrustedProxies {
 public:
  // A comma/space separated list of IPv4/IPv6 addresses and prefixes ("10.0.0.0/8, ::1").
  // nullopt with `bad` naming the entry that is neither.
  [[nodiscard]] static std::optional<TrustedProxies> parse(std::string_view list, std::string& bad);

  [[nodiscard]] bool empty() const { return nets_.empty(); }
  [[nodiscard]] bool contains(std::string_view address) const;
  // `peer` is the TCP peer's address text; `forwarded_for` every X-Forwarded-For value, joined
  // with commas.
  [[nodiscard]] std::string clientOf(const std::string& peer, std::string_view forwarded_for) const;

 private:
  struct Net {
    std::array<unsigned char, 16> bytes{};
    size_t length = 0;  // 4 or 16
    unsigned prefix = 0;
  };
  static std::optional<Net> parseAddress(std::string_view text);
  std::vector<Net> nets_;
};

}  // namespace sipvault::api
