#pragma once
// Splits a reassembled SIP-over-TCP (or TLS-decrypted) byte stream into messages (RFC 3261 18.3):
// a message is its header section up to the blank line plus Content-Length body bytes (a missing
// Content-Length means 0 on a stream). Several messages per segment and one message across many
// segments are both fine. Pure: no I/O; used by the agent and hepdump for TCP, one framer per
// direction of a connection.
//
//   framer.append(segment_payload);
//   for (SipFrame f = framer.next(); f.kind != SipFrame::Kind::NeedMore; f = framer.next())
//     if (f.kind == SipFrame::Kind::Message) handle(f.bytes); else count(f);
//
// Resynchronisation: a capture can start in the middle of a stream and streams can carry junk. A
// message may only start at a line that looksLikeSipStartLine(); anything else is returned as
// Skipped bytes (line by line) so the caller can count it. The messages found do not depend on
// how the stream was cut into segments. CRLF keep-alives (RFC 5626) are
// returned as KeepAlive. A header section with an unusable Content-Length (not a number, negative,
// two different values) is skipped; a message longer than max_message_bytes is skipped whole
// (its body is discarded as it arrives, so the stream stays in sync).
//
// Memory: buffers at most max_message_bytes plus the last appended segment. Work is linear in the
// bytes appended (scan progress is kept between calls). No exceptions except std::bad_alloc from
// the buffer.
//
// Lifetime: SipFrame::bytes points into the framer's buffer and is valid until the next call to
// append() or reset(). Not thread-safe; one framer per stream direction.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sipvault::sip {

struct SipFrame {
  enum class Kind : uint8_t {
    NeedMore,   // no complete unit buffered; append more bytes
    Message,    // `bytes` is one complete SIP message
    KeepAlive,  // `bytes` is a run of CR/LF between messages
    Skipped,    // `bytes` were dropped; `reason` says why
  };
  Kind kind = Kind::NeedMore;
  std::string_view bytes;
  std::string_view reason;  // static text, set for Skipped
};

class SipStreamFramer {
 public:
  static constexpr size_t kDefaultMaxMessageBytes = 65536;

  explicit SipStreamFramer(size_t max_message_bytes = kDefaultMaxMessageBytes)
      : max_message_bytes_(max_message_bytes < 64 ? 64 : max_message_bytes) {}

  // Adds stream bytes (copied). Invalidates views from earlier next() calls.
  void append(std::string_view bytes);
  // The next unit from the buffered bytes; NeedMore when there is none yet.
  [[nodiscard]] SipFrame next();
  // Bytes buffered and not yet returned.
  [[nodiscard]] size_t buffered() const { return buffer_.size() - head_; }
  // Drops everything (e.g. after a TCP gap): the next bytes are treated as a new stream. Gives
  // the buffer's memory back.
  void reset();
  // Memory the buffer takes (its capacity): what a budget over many framers must count.
  // (0 while the bytes fit in the string itself: no heap.)
  [[nodiscard]] size_t memoryBytes() const {
    return buffer_.capacity() > std::string().capacity() ? buffer_.capacity() : 0;
  }
  // Gives back buffer memory the unreturned bytes do not need (an empty buffer, or one less than
  // a quarter full past a few KiB). Invalidates views from earlier next() calls.
  void releaseSpare();

 private:
  enum class Phase : uint8_t { StartLine, Headers, Body };

  SipFrame take(SipFrame::Kind kind, size_t len, std::string_view reason);
  void clearScan();
  bool finishContentLength(size_t value_end);

  size_t max_message_bytes_;
  std::string buffer_;
  size_t head_ = 0;               // first unreturned byte in buffer_
  size_t discard_remaining_ = 0;  // body bytes of an oversized message still to drop
  bool skip_to_eol_ = false;      // dropping the rest of a line whose start was dropped

  // Scan state of the message starting at head_; offsets are relative to head_.
  Phase phase_ = Phase::StartLine;
  size_t scan_pos_ = 0;         // start of the next header line to examine
  size_t search_from_ = 0;      // where the search for the next '\n' resumes
  size_t cl_value_ = SIZE_MAX;  // start of a Content-Length value whose field may continue
  int64_t content_length_ = -1;
  std::string_view cl_error_;
  size_t total_ = 0;  // header section + body, once known
};

}  // namespace sipvault::sip
