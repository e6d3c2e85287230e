#include "collector/packet_admission.h"

#include <arpa/inet.h>

#include <charconv>

namespace sipvault::collector {

std::optional<Ipv4Prefix> parseIpv4Prefix(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string address(text.substr(0, slash));
  in_addr a{};
  if (inet_pton(AF_INET, address.c_str(), &a) != 1) return std::nullopt;
  Ipv4Prefix p{ntohl(a.s_addr), 32};
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), p.length);
    if (ec != std::errc() || end != len.data() + len.size() || len.empty() || p.length < 0 || p.length > 32)
      return std::nullopt;
  }
  return p;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the received value is looked at whatever it holds; only the lengths show.
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  const size_t n = b.size();
  for (size_t i = 0; i < n; ++i) {
    const auto expected = a.empty() ? uint8_t{0} : static_cast<uint8_t>(a[i % a.size()]);
    diff |= expected ^ static_cast<uint8_t>(b[i]);
  }
  return diff == 0;
}

Admission PacketAdmission::check(const PacketView& p, bool from_hep) const {
  if (!from_hep) return Admission::Accept;
  if (!auth_key_.empty() && (!p.has_auth_key || !constantTimeEquals(auth_key_, p.auth_key)))
    return Admission::BadAuthKey;
  if (!capture_ids_.empty() && !capture_ids_.count(p.capture_id)) return Admission::CaptureIdNotAllowed;
  // A keep-alive with no payload is only a liveness signal from the sender.
  if (p.keep_alive && p.payload.empty()) return Admission::KeepAlive;
  return Admission::Accept;
}

bool PacketAdmission::allowsOuterSource(uint32_t ipv4_source) const {
  if (ipip_allow_.empty()) return true;
  for (const Ipv4Prefix& p : ipip_allow_)
    if (p.contains(ipv4_source)) return true;
  return false;
}

}  // namespace sipvault::collector
