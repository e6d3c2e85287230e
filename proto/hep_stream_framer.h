#pragma once
// Splits a HEP-over-TCP byte stream into HEP packets.
//
// Only HEP v3 can be framed: its header carries the total length ("HEP3" + u16 BE). v1/v2
// have no length field and their payload runs to the end of the datagram, so on a stream the
// end of one packet cannot be found; a stream starting with a v1/v2 version byte yields
// UnsupportedVersion. Senders that need TCP use v3 (Kamailio, heplify, captagent all do).
//
// Usage (one framer per connection, not thread-safe):
//   framer.feed(bytes_read);                     // false: buffer limit hit, close
//   for (;;) {
//     auto frame = framer.next();
//     if (frame.status == HepStreamFramer::Status::NeedMore) break;
//     if (frame.status == HepStreamFramer::Status::Error) { close; break; }  // sticky
//     decodeHep(frame.packet, scratch);          // a decode error drops one packet only
//   }
//
// Memory: the buffer holds at most `max_buffered` bytes (default 256 KiB). A reader that drains
// next() until NeedMore before each feed needs at most one partial packet (< 64 KiB) plus one
// read. Consumed bytes are reclaimed when feed() needs room, moving only the unconsumed tail,
// so total copying stays linear in the stream length.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "proto/hep_codec.h"

namespace sipvault {

class HepStreamFramer {
 public:
  static constexpr size_t kDefaultMaxBuffered = 256 * 1024;

  enum class Status : uint8_t {
    Packet,    // `packet` holds one complete HEP3 packet (exactly total-length bytes)
    NeedMore,  // no complete packet buffered; feed more bytes
    Error,     // the stream is not HEP3 (see `error`); every later call returns the same
  };

  struct Frame {
    Status status = Status::NeedMore;
    // Valid until the next feed() or reset(); a following next() does not invalidate it.
    std::span<const uint8_t> packet;
    HepError error = HepError::Malformed;  // when status == Error
  };

  explicit HepStreamFramer(size_t max_buffered = kDefaultMaxBuffered);

  // Appends bytes read from the connection. Returns false (and buffers nothing) when the
  // unconsumed bytes would exceed max_buffered, or after an error.
  [[nodiscard]] bool feed(std::span<const uint8_t> bytes);
  [[nodiscard]] Frame next();

  // Bytes fed but not yet returned as packets.
  [[nodiscard]] size_t buffered() const { return end_ - begin_; }
  [[nodiscard]] bool failed() const { return failed_; }
  // Forget everything (e.g. a new connection reuses the framer).
  void reset();

 private:
  Frame failWith(HepError error);

  std::vector<uint8_t> buf_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last fed byte
  size_t max_buffered_;
  bool failed_ = false;
  HepError error_ = HepError::Malformed;
};

}  // namespace sipvault
