#pragma once
// A cheap test of whether a payload starts like a SIP message, so the agent forwards SIP and
// skips everything else that passes the BPF filter (RTP on a SIP port, keep-alive CRLFs, STUN,
// WebSocket frames, other protocols in reassembled fragments).
//
// Request:  METHOD SP Request-URI SP SIP/<d>.<d> [SP/HT]* [CR] LF   METHOD = RFC 3261 token
// Response: SIP/<d>.<d> SP <3 digits> SP ...
// Only the first line is looked at; it must end within the payload. No allocation; pure.
#include <string_view>

namespace sipvault::agent {

[[nodiscard]] bool looksLikeSip(std::string_view payload);

}  // namespace sipvault::agent
