#pragma once
// One JSON object per HEP packet for sipvault-hepdump: every chunk by name and, for SIP payloads,
// the parsed fields. Pure formatting (no I/O). Untrusted bytes are emitted as valid JSON text:
// invalid UTF-8 becomes U+FFFD, control characters are escaped.
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/hep_codec.h"
#include "sip/sip_parser.h"

namespace sipvault::hepdump {

// `sip`/`outcome` are null when the payload is not SIP (payload type != 1) or was not parsed.
[[nodiscard]] std::string hepPacketJson(const PacketView& packet, const sip::SipMessage* sip,
                                        const sip::ParseOutcome* outcome);
// {"error": "...", "code": "truncated", "offset": N, "source": "..."}
[[nodiscard]] std::string hepErrorJson(const HepDecodeError& error, std::string_view source);
// RFC 3339 UTC with microseconds: 2011-08-15T20:34:19.123456Z
[[nodiscard]] std::string rfc3339Micros(uint32_t sec, uint32_t usec);

}  // namespace sipvault::hepdump
