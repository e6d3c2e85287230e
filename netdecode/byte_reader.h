#pragma once
// Small helpers for reading network-order integers out of borrowed bytes. Internal to the
// decoder: callers check the length before every read (these helpers do not).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

namespace sipvault::netdecode {

using Bytes = std::span<const uint8_t>;

[[nodiscard]] inline uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }
[[nodiscard]] inline uint32_t be32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}
[[nodiscard]] inline std::string_view asText(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
[[nodiscard]] inline Bytes asBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace sipvault::netdecode
