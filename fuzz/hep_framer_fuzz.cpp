// libFuzzer target: HEP-over-TCP framing. The input is a stream preceded by a few bytes that
// set the sizes of the reads it arrives in:
//   [n] [size_1 .. size_n] [stream ...]      read i is size_(i mod n) + 1 bytes
// The packets (and the final error, if any) must be the same as when the whole stream arrives
// in one read, and every packet must be a complete HEP3 packet as its header says.
#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "proto/hep_stream_framer.h"

namespace {

using sipvault::HepStreamFramer;

void require(bool ok) {
  if (!ok) __builtin_trap();
}

struct Outcome {
  std::vector<std::string> packets;
  bool failed = false;
  sipvault::HepError error = sipvault::HepError::Malformed;
};

// Drains the framer into `out`; returns false once the stream has failed.
bool drain(HepStreamFramer& framer, Outcome& out) {
  std::string scratch;
  for (;;) {
    const auto f = framer.next();
    if (f.status == HepStreamFramer::Status::NeedMore) return true;
    if (f.status == HepStreamFramer::Status::Error) {
      out.failed = true;
      out.error = f.error;
      return false;
    }
    require(f.packet.size() >= sipvault::kHep3HeaderSize);
    require(std::equal(f.packet.begin(), f.packet.begin() + 4, "HEP3"));
    require((size_t(f.packet[4]) << 8 | f.packet[5]) == f.packet.size());
    (void)sipvault::decodeHep(f.packet, scratch);  // exercise the decoder on framed packets too
    out.packets.emplace_back(reinterpret_cast<const char*>(f.packet.data()), f.packet.size());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t n = std::min<size_t>(1 + data[0] % 16, size - 1);
  if (n == 0) return 0;
  const std::span<const uint8_t> sizes(data + 1, n);
  const std::span<const uint8_t> stream(data + 1 + n, size - 1 - n);

  Outcome whole;
  HepStreamFramer one_read;
  require(one_read.feed(stream));
  drain(one_read, whole);

  Outcome chunked;
  HepStreamFramer framer;
  size_t pos = 0;
  for (size_t i = 0; pos < stream.size(); ++i) {
    const size_t len = std::min<size_t>(stream.size() - pos, size_t(sizes[i % n]) + 1);
    if (!framer.feed(stream.subspan(pos, len))) {
      require(framer.failed());  // never refused for space: each read is drained
      break;
    }
    pos += len;
    if (!drain(framer, chunked)) break;
  }
  if (!chunked.failed) drain(framer, chunked);

  require(chunked.packets == whole.packets);
  require(chunked.failed == whole.failed);
  if (whole.failed) require(chunked.error == whole.error);
  if (!whole.failed) {
    size_t framed = 0;
    for (const auto& p : whole.packets) framed += p.size();
    require(framed + one_read.buffered() == stream.size());
  }
  return 0;
}
