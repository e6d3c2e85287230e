#pragma once
// Address strings used in configs: "HOST:PORT", "[::1]:PORT", "udp:HOST:PORT", "tcp:HOST:PORT".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault {

struct HostPort {
  std::string scheme;  // "udp", "tcp", "tls", or "" when none was given
  std::string host;    // without brackets
  uint16_t port = 0;
  [[nodiscard]] std::string toString() const;  // HOST:PORT, IPv6 in brackets
};

// Parses "[scheme:]host:port"; nullopt on a missing/invalid port or empty host.
[[nodiscard]] std::optional<HostPort> parseHostPort(std::string_view text);

}  // namespace sipvault

#include <sys/socket.h>

namespace sipvault {

// Resolves host:port (numeric or a name) to a socket address; false when it does not resolve.
[[nodiscard]] bool resolveSockaddr(const HostPort& hp, int socktype, sockaddr_storage& out, socklen_t& len);
// "IP:PORT" text of a socket address (IPv6 in brackets).
[[nodiscard]] std::string sockaddrToString(const sockaddr* sa);

}  // namespace sipvault
