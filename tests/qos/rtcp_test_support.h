#pragma once
// Test-only builders of RTCP packets (RFC 3550 SR/RR/SDES/BYE, RFC 3611 XR), big-endian.
#include <cstdint>
#include <string>
#include <vector>

namespace sipvault::qos::test {

inline void putBe16(std::string& s, uint16_t v) {
  s.push_back(char(v >> 8));
  s.push_back(char(v));
}
inline void putBe32(std::string& s, uint32_t v) {
  putBe16(s, uint16_t(v >> 16));
  putBe16(s, uint16_t(v));
}

struct Block {
  uint32_t ssrc = 0;
  uint8_t fraction = 0;
  int32_t lost = 0;  // 24-bit signed
  uint32_t ext_high = 0;
  uint32_t jitter = 0;
  uint32_t lsr = 0;
  uint32_t dlsr = 0;
};

inline void putBlock(std::string& s, const Block& b) {
  putBe32(s, b.ssrc);
  putBe32(s, uint32_t(b.fraction) << 24 | (uint32_t(b.lost) & 0xffffff));
  putBe32(s, b.ext_high);
  putBe32(s, b.jitter);
  putBe32(s, b.lsr);
  putBe32(s, b.dlsr);
}

// Fixes the length field of the packet that starts at `start` (words - 1).
inline void finishPacket(std::string& s, size_t start) {
  const size_t words = (s.size() - start) / 4 - 1;
  s[start + 2] = char(words >> 8);
  s[start + 3] = char(words);
}

inline void header(std::string& s, uint8_t count, uint8_t pt) {
  s.push_back(char(0x80 | count));
  s.push_back(char(pt));
  putBe16(s, 0);
}

inline std::string rr(uint32_t sender, const std::vector<Block>& blocks) {
  std::string s;
  header(s, uint8_t(blocks.size()), 201);
  putBe32(s, sender);
  for (const auto& b : blocks) putBlock(s, b);
  finishPacket(s, 0);
  return s;
}

inline std::string sr(uint32_t sender, uint32_t packets, const std::vector<Block>& blocks) {
  std::string s;
  header(s, uint8_t(blocks.size()), 200);
  putBe32(s, sender);
  putBe32(s, 0xc5928000);  // NTP msw
  putBe32(s, 0);           // NTP lsw
  putBe32(s, 123456);      // RTP timestamp
  putBe32(s, packets);
  putBe32(s, packets * 160);
  for (const auto& b : blocks) putBlock(s, b);
  finishPacket(s, 0);
  return s;
}

inline std::string sdes(uint32_t ssrc, const std::string& cname) {
  std::string s;
  header(s, 1, 202);
  putBe32(s, ssrc);
  s.push_back(1);  // CNAME
  s.push_back(char(cname.size()));
  s += cname;
  s.push_back(0);
  while (s.size() % 4) s.push_back(0);
  finishPacket(s, 0);
  return s;
}

inline std::string bye(uint32_t ssrc) {
  std::string s;
  header(s, 1, 203);
  putBe32(s, ssrc);
  finishPacket(s, 0);
  return s;
}

struct VoipMetrics {
  uint32_t ssrc = 0;
  uint8_t loss_rate = 0;  // /256
  uint16_t rtd_ms = 0;
  uint8_t mos_cq = 127;  // x10, 127 unavailable
};

// XR with a receiver reference time block (BT 4, skipped) and one VoIP metrics block (BT 7).
inline std::string xr(uint32_t sender, const VoipMetrics& m) {
  std::string s;
  header(s, 0, 207);
  putBe32(s, sender);
  s.push_back(4);  // BT 4: receiver reference time, block length 2
  s.push_back(0);
  putBe16(s, 2);
  putBe32(s, 0xc5928000);
  putBe32(s, 0x80000000);
  s.push_back(7);  // BT 7: VoIP metrics, block length 8
  s.push_back(0);
  putBe16(s, 8);
  putBe32(s, m.ssrc);
  s.push_back(char(m.loss_rate));
  s.push_back(0);  // discard rate
  s.push_back(0);  // burst density
  s.push_back(0);  // gap density
  putBe16(s, 0);   // burst duration
  putBe16(s, 0);   // gap duration
  putBe16(s, m.rtd_ms);
  putBe16(s, 40);  // end system delay
  s.push_back(char(0x7f));  // signal level
  s.push_back(char(0x7f));  // noise level
  s.push_back(char(0x7f));  // RERL
  s.push_back(16);          // Gmin
  s.push_back(char(127));   // R factor
  s.push_back(char(127));   // ext R
  s.push_back(char(127));   // MOS-LQ
  s.push_back(char(m.mos_cq));
  s.push_back(0);  // RX config
  s.push_back(0);
  putBe16(s, 60);  // JB nominal
  putBe16(s, 120);
  putBe16(s, 200);
  finishPacket(s, 0);
  return s;
}

}  // namespace sipvault::qos::test
