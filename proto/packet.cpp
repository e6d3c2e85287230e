#include "proto/packet.h"

#include <arpa/inet.h>

#include <cstring>

namespace sipvault {

std::string IpAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (family == 4) {
    if (inet_ntop(AF_INET, bytes.data(), text, sizeof text) == nullptr) return {};
  } else if (family == 6) {
    if (inet_ntop(AF_INET6, bytes.data(), text, sizeof text) == nullptr) return {};
  } else {
    return {};
  }
  return text;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest valid text form fits in
  // INET6_ADDRSTRLEN (46 incl. NUL), so anything longer cannot be an address.
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buf) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (std::memchr(buf, '\0', text.size()) != nullptr) return std::nullopt;  // embedded NUL

  IpAddress ip;
  if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
    ip.family = 4;
    return ip;
  }
  ip = IpAddress{};  // a failed inet_pton may have written partial bytes
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
    ip.family = 6;
    return ip;
  }
  return std::nullopt;
}

IpAddress IpAddress::v4(const uint8_t* p) {
  IpAddress ip;
  ip.family = 4;
  std::memcpy(ip.bytes.data(), p, 4);
  return ip;
}

IpAddress IpAddress::v6(const uint8_t* p) {
  IpAddress ip;
  ip.family = 6;
  std::memcpy(ip.bytes.data(), p, 16);
  return ip;
}

}  // namespace sipvault
