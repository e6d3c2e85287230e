#pragma once
// Result of decoding one frame or one layer. Every non-Ok outcome is also counted in
// DecodeCounters under a specific reason; the status only says which kind it was.
#include <cstdint>
#include <string_view>

namespace sipvault::netdecode {

enum class DecodeStatus : uint8_t {
  Ok,           // decoded; zero or more PacketViews were emitted (TCP may still be buffering)
  Pending,      // held for reassembly (an IP or SCTP fragment); nothing emitted yet
  Ignored,      // well-formed but not ours: ARP, ICMP, ESP, pure TCP ACK of an unknown flow ...
  Truncated,    // the bytes end before a header or a length field says they should
  Malformed,    // a header or length that cannot be right
  Unsupported,  // a link type, tunnel or option this decoder does not handle
  Dropped,      // discarded by reassembly (conflicting overlap, memory bound, too deep nesting)
};

[[nodiscard]] constexpr std::string_view toString(DecodeStatus s) {
  switch (s) {
    case DecodeStatus::Ok:
      return "ok";
    case DecodeStatus::Pending:
      return "pending";
    case DecodeStatus::Ignored:
      return "ignored";
    case DecodeStatus::Truncated:
      return "truncated";
    case DecodeStatus::Malformed:
      return "malformed";
    case DecodeStatus::Unsupported:
      return "unsupported";
    case DecodeStatus::Dropped:
      return "dropped";
  }
  return "unknown";
}

}  // namespace sipvault::netdecode
