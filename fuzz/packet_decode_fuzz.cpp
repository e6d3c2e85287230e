// libFuzzer target for the capture decoder (sipvault_netdecode): link layers, IP, fragment
// reassembly, tunnels, TCP reassembly + SIP framing, SCTP.
//
// Input layout (so that one input is a short capture and reassembly state spans frames):
//   byte 0: bits 0-2 pick the link type (kLinks), bit 3 selects tiny reassembly bounds so the
//           eviction paths run, bit 4 flushes at the end
//   then records: | length (u16 BE) | seconds to advance the clock (u8) | frame (length bytes) |
//   a short last record takes what is left.
#include <cstddef>
#include <cstdint>

#include "netdecode/packet_decoder.h"

namespace {

using sipvault::PacketView;
using namespace sipvault::netdecode;

constexpr LinkType kLinks[8] = {LinkType::Ethernet, LinkType::LinuxSll, LinkType::LinuxSll2, LinkType::RawIp,
                                LinkType::Null,     LinkType::Loop,     LinkType::Ipv4,      LinkType::Ipv6};

class TouchingSink final : public PacketSink {
 public:
  void onPacket(const PacketView& view) override {
    // Read every payload byte so ASan sees any view into freed or foreign memory.
    for (char c : view.payload) sum_ += uint8_t(c);
  }
  uint64_t sum_ = 0;
};

PacketDecoderOptions tinyBounds() {
  PacketDecoderOptions o;
  o.ip.max_datagrams = 3;
  o.ip.max_bytes = 8 * 1024;
  o.ip.timeout_ms = 5000;
  o.tcp.max_streams = 4;
  o.tcp.idle_timeout_ms = 20000;
  o.tcp.gap_timeout_ms = 3000;
  o.tcp.max_out_of_order_bytes = 2048;
  o.tcp.max_unconsumed_bytes = 4096;
  o.tcp.max_buffered_bytes = 8192;
  o.sctp.max_fragments = 4;
  o.sctp.max_fragment_bytes = 4096;
  o.sctp.max_message_bytes = 4096;
  o.sctp.timeout_ms = 5000;
  o.sip.max_message_bytes = 2048;
  o.sip.max_buffered_bytes = 4096;
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  const LinkType link = kLinks[mode & 7];
  TouchingSink sink;
  PacketDecoder decoder((mode & 8) ? tinyBounds() : PacketDecoderOptions{}, sink);
  CaptureTime ts{1700000000, 0};
  size_t pos = 1;
  while (pos < size) {
    size_t len = size - pos;
    uint8_t advance = 0;
    if (len >= 3) {
      len = size_t(data[pos]) << 8 | data[pos + 1];
      advance = data[pos + 2];
      pos += 3;
      if (len > size - pos) len = size - pos;
    }
    ts.sec += advance;
    ts.usec = (ts.usec + 1) % 1000000;
    (void)decoder.decode(link, Bytes(data + pos, len), ts);
    pos += len;
  }
  if (mode & 16) decoder.flush();
  return 0;
}
