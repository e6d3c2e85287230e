#pragma once
// The TcpStreamConsumer that turns each TCP stream direction into SIP messages and emits each
// one as a PacketView (TCP addresses and ports, the VLAN, the capture time of the segment that
// completed it) to a PacketSink.
//
// Framing is the parser stage's sip::SipStreamFramer (sip/sip_stream_framer.h: Content-Length,
// CRLF keep-alives, resynchronisation on the next start line, oversize messages skipped), one
// framer per stream direction, created on its first bytes and dropped when the reassembler
// closes the stream. After a discontinuity (stream picked up mid-way, or a hole skipped) the
// framer is reset, so a message cut by the hole is dropped rather than glued to later bytes.
//
// Memory: each framer holds at most one partial message (max_message_bytes) plus a segment;
// all framers together are kept under max_buffered_bytes by dropping the partial message of the
// stream that went over (sip_stream_buffer_overflow). Framers are charged by their buffers'
// capacity, not the bytes they hold, and give back spare room after each call, so the budget
// bounds real memory. The number of framers is bounded by the
// reassembler's max_streams. Not thread-safe; one splitter per TcpReassembler.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>

#include "netdecode/decode_counters.h"
#include "netdecode/packet_sink.h"
#include "netdecode/tcp_stream_consumer.h"
#include "sip/sip_stream_framer.h"

namespace sipvault::netdecode {

struct SipStreamSplitterOptions {
  size_t max_message_bytes = sip::SipStreamFramer::kDefaultMaxMessageBytes;  // per message
  size_t max_buffered_bytes = 64u * 1024 * 1024;                             // all streams together
};

class SipStreamSplitter final : public TcpStreamConsumer {
 public:
  // `sink` and `counters` must outlive the splitter.
  SipStreamSplitter(const SipStreamSplitterOptions& options, PacketSink& sink, DecodeCounters& counters);

  // Takes all of `bytes` (the framer keeps what it cannot frame yet): always returns bytes.size().
  [[nodiscard]] size_t onStreamData(const TcpStreamInfo& info, std::string_view bytes,
                                    bool discontinuity) override;
  void onStreamClosed(const TcpStreamInfo& info) override;

  [[nodiscard]] size_t streams() const { return framers_.size(); }
  // Memory the framers' buffers take (capacity): what max_buffered_bytes bounds.
  [[nodiscard]] size_t bufferedBytes() const { return buffered_; }

 private:
  SipStreamSplitterOptions options_;
  PacketSink& sink_;
  DecodeCounters& counters_;
  std::unordered_map<uint64_t, sip::SipStreamFramer> framers_;  // by TcpStreamInfo::stream_id
  size_t buffered_ = 0;                                         // sum of framers' buffered()
};

}  // namespace sipvault::netdecode
