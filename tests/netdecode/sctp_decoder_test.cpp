// SCTP DATA chunk reassembly on the real SIP-over-SCTP capture (Linux SLL): its INVITE is split
// over two DATA chunks (TSN 0 with B, TSN 1 with E) in two packets.
#include <catch2/catch.hpp>

#include <algorithm>

#include "netdecode/packet_decoder.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

struct Run {
  std::vector<test::Emitted> sip;
  DecodeCounters counters;
};

// Decodes the given frame indexes in that order, each at the given time.
Run decodeFrames(const std::vector<size_t>& order, const std::vector<CaptureTime>& times = {},
                 const PacketDecoderOptions& options = {}) {
  const test::Capture capture = test::readCorpusCapture("pcap/heplify_sip_sctp.pcap");
  test::CollectingSink sink;
  PacketDecoder decoder(options, sink);
  for (size_t i = 0; i < order.size(); ++i) {
    const test::Frame& f = capture.frames.at(order[i]);
    (void)decoder.decode(LinkType::LinuxSll, f.bytes, times.empty() ? f.ts : times[i]);
  }
  return Run{test::sipOnly(sink.packets), decoder.counters()};
}

bool hasInvite(const Run& run) {
  return std::any_of(run.sip.begin(), run.sip.end(), [](const test::Emitted& e) {
    return e.payload.rfind("INVITE ", 0) == 0 && e.payload.size() == 1452 + 312;
  });
}

}  // namespace

TEST_CASE("An SCTP message whose last chunk arrives first is still reassembled", "[netdecode][sctp]") {
  const Run forward = decodeFrames({0, 1, 2, 3, 4});
  const Run reversed = decodeFrames({4, 3, 2, 1, 0});
  CHECK(forward.sip.size() == 4);
  CHECK(reversed.sip.size() == 4);
  CHECK(hasInvite(reversed));
  const auto invite = [](const Run& r) {
    return std::find_if(r.sip.begin(), r.sip.end(), [](const test::Emitted& e) { return e.payload.rfind("INVITE ", 0) == 0; })->payload;
  };
  CHECK(invite(forward) == invite(reversed));
}

TEST_CASE("A repeated SCTP fragment is ignored", "[netdecode][sctp]") {
  const Run run = decodeFrames({0, 0, 1, 2, 3, 4});
  CHECK(run.sip.size() == 4);
  CHECK(run.counters.sctp_fragment_duplicate == 1);
  CHECK(hasInvite(run));
}

TEST_CASE("SCTP fragments time out and are bounded", "[netdecode][sctp]") {
  SECTION("timeout on capture time") {
    const Run run = decodeFrames({0, 1}, {{1000, 0}, {1031, 0}});
    CHECK_FALSE(hasInvite(run));
    CHECK(run.counters.sctp_fragment_timeout == 1);
  }
  SECTION("max_fragments") {
    PacketDecoderOptions options;
    options.sctp.max_fragments = 1;
    const Run run = decodeFrames({0, 1}, {}, options);
    CHECK_FALSE(hasInvite(run));
    CHECK(run.counters.sctp_fragment_evicted == 1);
  }
  SECTION("max_message_bytes") {
    PacketDecoderOptions options;
    options.sctp.max_message_bytes = 1500;
    const Run run = decodeFrames({0, 1}, {}, options);
    CHECK_FALSE(hasInvite(run));
    CHECK(run.counters.sctp_message_too_large == 1);
  }
}

}  // namespace sipvault::netdecode
