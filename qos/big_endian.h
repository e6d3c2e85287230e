#pragma once
// Internal to qos/: big-endian reads from bytes the caller has bounds-checked.
#include <cstdint>

namespace sipvault::qos {

inline uint16_t readBe16(const unsigned char* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t readBe32(const unsigned char* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

}  // namespace sipvault::qos
