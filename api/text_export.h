#pragma once
// A readable text trace of stored messages (GET /api/v1/export.txt):
//
//   ===== 2026-11-26T12:49:45.061749Z  127.0.0.1:5080 -> 127.0.0.1:5060  udp  capture_id=2001  id=...
//   INVITE sip:1000@127.0.0.1:5060 SIP/2.0
//   ...the raw message, line ends normalised to LF...
//   (blank line)
//
// The text is UTF-8: invalid sequences in a message are replaced with U+FFFD. Pure; thread-safe.
#include <span>
#include <string>

#include "api/message_record.h"

namespace sipvault::api {

// Appends the trace of `m` to `out`. Uses m.raw(); a message whose raw column does not decode
// says so instead.
void appendTextTrace(const MessageRecord& m, std::string& out);

}  // namespace sipvault::api
