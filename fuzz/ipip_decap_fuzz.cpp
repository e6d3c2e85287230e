// libFuzzer target for IP-in-IP decapsulation as the collector uses it: one outer IP packet
// from a raw socket. Runs the stateless decapsulateIpIp and the full decoder's raw-IP path.
#include <cstddef>
#include <cstdint>

#include "netdecode/ip_header.h"
#include "netdecode/ipip_decap.h"
#include "netdecode/packet_decoder.h"

namespace {

using sipvault::PacketView;
using namespace sipvault::netdecode;

class TouchingSink final : public PacketSink {
 public:
  void onPacket(const PacketView& view) override {
    for (char c : view.payload) sum_ += uint8_t(c);
  }
  uint64_t sum_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Bytes packet(data, size);
  IpIpInner inner;
  if (decapsulateIpIp(packet, inner) == DecodeStatus::Ok) {
    // The inner view must lie inside the input.
    if (inner.inner.data() < data || inner.inner.data() + inner.inner.size() > data + size) __builtin_trap();
    IpPacket ip;
    (void)parseIp(inner.inner, ip);
  }
  TouchingSink sink;
  PacketDecoder decoder({}, sink);
  (void)decoder.decodeIp(packet, CaptureTime{1700000000, 0});
  decoder.flush();
  return 0;
}
