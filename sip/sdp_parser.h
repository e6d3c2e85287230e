#pragma once
// Summary of an SDP body (RFC 4566): connection addresses, media ports and codec names. Pure,
// no allocation; results are views into `body` or static strings. Malformed lines are skipped:
// a capture tool wants whatever is usable.
#include <cstdint>
#include <string_view>

#include "sip/sip_message.h"

namespace sipvault::sip {

// Fills `out` from an SDP body (CRLF or LF line ends). `out.present` is set when the body has at
// least one SDP line ("v=", "c=", "m=", ...).
void parseSdp(std::string_view body, SdpSummary& out);
// The same without clearing `out` first: for a default-constructed (all-empty) summary.
void parseSdpInto(std::string_view body, SdpSummary& out);

// The first application/sdp part of a multipart body whose Content-Type is `content_type`
// (e.g. `multipart/mixed;boundary=7a9c`); empty when there is none or the boundary is missing.
[[nodiscard]] std::string_view findMultipartSdp(std::string_view body, std::string_view content_type);

// True for "application/sdp", with or without parameters (case-insensitive).
[[nodiscard]] bool isSdpContentType(std::string_view content_type);

// Name of a static RTP payload type (RFC 3551), e.g. 0 -> "PCMU", 18 -> "G729"; empty if unassigned.
[[nodiscard]] std::string_view staticPayloadName(unsigned payload_type);
// RTP clock rate of a static payload type (RFC 3551 tables 4 and 5), e.g. 8 -> 8000, 9 (G722) ->
// 8000, 34 -> 90000; 0 if unassigned.
[[nodiscard]] uint32_t staticPayloadClockRate(unsigned payload_type);

}  // namespace sipvault::sip
