#pragma once
// The media addresses a call's SDP named (issue 15): where its RTP and RTCP come from, so that
// quality reports that arrived without a call id (sip_qos.call_id_hash = 0) can still be matched
// to the call by the address they were sent from. Pure; thread-safe; any bytes in, never fails.
//
// For every m= line with a non-zero port (RFC 4566; a zero port is a disabled stream):
//   the RTP address: the media-level c= address (else the session-level one) and the m= port;
//   the RTCP address: `a=rtcp:<port> [IN IP4|IP6 <address>]` (RFC 3605) when given, else the
//   RTP port + 1 (RFC 3550 section 11); with `a=rtcp-mux` (RFC 5761) the RTP address itself.
// Both are listed (a report may come from either: RTCP from the RTCP port, the agent's RTP
// statistics name the RTP port). Addresses that are not IPv4/IPv6 literals (FQDNs, 0.0.0.0 hold)
// are skipped; at most kMaxMediaAddresses per body, duplicates removed.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sipvault::api {

inline constexpr size_t kMaxMediaAddresses = 32;

struct MediaAddress {
  std::string ip;  // 4 or 16 raw bytes, as sip_qos.src_ip stores them
  uint16_t port = 0;
  bool rtcp = false;  // the RTCP address (with rtcp-mux: the RTP one, listed once as RTP)
  bool operator==(const MediaAddress& o) const { return ip == o.ip && port == o.port; }
};

// The media addresses of one SDP body (CRLF or LF line ends), appended to `out` (no duplicate of
// an address already in it; `out` grows to at most `limit` entries).
void appendMediaAddresses(std::string_view sdp, std::vector<MediaAddress>& out, size_t limit = kMaxMediaAddresses);

// The SDP of a raw SIP message: its body when Content-Type is application/sdp, the first
// application/sdp part of a multipart body; "" otherwise.
[[nodiscard]] std::string sdpOfMessage(std::string_view raw);

}  // namespace sipvault::api
