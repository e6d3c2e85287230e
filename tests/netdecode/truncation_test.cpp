// Every corpus frame cut at every length must decode to a status, never a crash, over-read or
// hang (run under the asan preset to make over-reads fail loudly).
#include <catch2/catch.hpp>

#include "netdecode/packet_decoder.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

class CountingSink final : public PacketSink {
 public:
  void onPacket(const PacketView& view) override {
    ++packets;
    bytes += view.payload.size();
  }
  size_t packets = 0;
  size_t bytes = 0;
};

}  // namespace

TEST_CASE("Corpus frames truncated at every offset never crash the decoder", "[netdecode][robustness]") {
  const char* files[] = {
      "pcap/sngrep_aaa.pcap",
      "pcap/derived/qinq_8021ad_vid200_8021q_vid100_sip_only_from_sngrep_aaa.pcap",
      "pcap/derived/ipv4_frag_udp_rfc4475_longreq.pcap",
      "pcap/derived/tcp_multi_msg_per_segment_from_heplify_sip_ipv4_tcp.pcap",
      "pcap/heplify_sip_ipv4_tcp_retrans.pcap",
      "pcap/sngrep_ipv6frag.pcap",
      "pcap/heplify_ipv6_udp_fragmented.pcap",
      "pcap/heplify_ipip0.pcap",
      "pcap/sngrep_ipip.pcap",
      "pcap/heplify_sip_sctp.pcap",
      "pcap/heplify_erspan_sip_ipv4_udp.pcapng",
  };
  for (const char* file : files) {
    INFO(file);
    const test::Capture capture = test::readCorpusCapture(file);
    const LinkType link = *linkTypeFromDlt(capture.dlt);
    CountingSink sink;
    PacketDecoder decoder({}, sink);
    size_t decoded = 0;
    // Every frame cut at every length, ending with the whole frame, so reassembly state sees
    // truncated pieces next to complete ones.
    for (size_t i = 0; i < capture.frames.size(); ++i) {
      const test::Frame& f = capture.frames[i];
      for (size_t n = 0; n <= f.bytes.size(); ++n) {
        (void)decoder.decode(link, Bytes(f.bytes).first(n), f.ts);
        ++decoded;
      }
    }
    decoder.flush();
    CHECK(decoder.counters().frames == decoded);
    CHECK(sink.packets > 0);
  }
}

}  // namespace sipvault::netdecode
