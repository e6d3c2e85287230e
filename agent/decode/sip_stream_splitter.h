#pragma once
// Frames SIP messages out of a TCP byte stream by Content-Length (RFC 3261 section 18.3):
// several messages in one segment, one message across segments, CRLF keep-alives between
// messages (RFC 5626), and resynchronisation on the next SIP start line when the stream was
// picked up mid-message or lost bytes.
//
// A minimal splitter local to the packet decoder: it only finds message boundaries (start
// line, end of headers, Content-Length or its compact form "l"); parsing is the parser stage's
// job. A missing Content-Length counts as 0, as the body length is unknowable on a stream.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agent/decode/decode_counters.h"
#include "agent/decode/packet_sink.h"
#include "agent/decode/tcp_stream_consumer.h"

namespace sipvault::netdecode {

enum class SipFrameStatus : uint8_t {
  Message,    // `length` bytes form one SIP message
  NeedMore,   // the front of the bytes may be a message start but is incomplete
  KeepAlive,  // `length` bytes of CR/LF between messages
  Skip,       // `length` bytes are not a SIP message start: skip them (resynchronising)
  Oversize,   // a message start whose headers or body exceed the bound: skip `length` bytes
};

struct SipFrame {
  SipFrameStatus status = SipFrameStatus::NeedMore;
  size_t length = 0;  // > 0 for every status but NeedMore
};

// Looks at the front of `bytes`. Pure; never reads past `bytes`.
[[nodiscard]] SipFrame frameSipMessage(std::string_view bytes, size_t max_message_bytes);

// True for "METHOD SP uri SP SIP/2.0" and "SIP/2.0 SP 3DIGIT ..." (without the line end).
[[nodiscard]] bool isSipStartLine(std::string_view line);

// The TcpStreamConsumer that emits each framed message as a PacketView (TCP metadata from the
// stream, capture time of the segment that completed it) to a PacketSink. Stateless between
// calls (the reassembler keeps unconsumed bytes), so one instance serves every stream.
class SipStreamSplitter final : public TcpStreamConsumer {
 public:
  static constexpr size_t kDefaultMaxMessageBytes = 65535;

  // `sink` and `counters` must outlive the splitter.
  SipStreamSplitter(PacketSink& sink, DecodeCounters& counters,
                    size_t max_message_bytes = kDefaultMaxMessageBytes);

  [[nodiscard]] size_t onStreamData(const TcpStreamInfo& info, std::string_view bytes,
                                    bool discontinuity) override;

 private:
  PacketSink& sink_;
  DecodeCounters& counters_;
  size_t max_message_bytes_;
};

}  // namespace sipvault::netdecode
