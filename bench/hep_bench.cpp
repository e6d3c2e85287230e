// HEP codec benchmarks: HEPv3 decode of an INVITE with SDP (~800 bytes) and of a real 200 OK
// (corpus vector), HEPv3 encode, plus the compressed and TCP-framing paths for comparison.
// Targets: decode well under 1 µs (it is half of the 1 µs decode + SIP parse budget), encode
// at 2,000,000/s or more.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <string>

#include "proto/hep_codec.h"
#include "proto/hep_stream_framer.h"

namespace {

using namespace sipvault;

// A realistic INVITE with SDP offer, 800-odd bytes (CRLF line ends).
const std::string kInvite =
    "INVITE sip:+4930123456789@sbc.example.net;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1---3f1a9c2d7e;rport\r\n"
    "Max-Forwards: 70\r\n"
    "Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r\n"
    "To: <sip:+4930123456789@sbc.example.net;user=phone>\r\n"
    "From: \"Alice\" <sip:+4940987654321@example.net;user=phone>;tag=8a3f2c1d\r\n"
    "Call-ID: 5b8e1f0a-3c2d-4e6f-9a7b-1c2d3e4f5a6b@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Session-Expires: 1800\r\n"
    "P-Asserted-Identity: <sip:+4940987654321@example.net;user=phone>\r\n"
    "User-Agent: ExamplePhone 4.2.1\r\n"
    "Content-Type: application/sdp\r\n"
    "Content-Length: 264\r\n"
    "\r\n"
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 49170 RTP/AVP 8 0 18 101\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:18 G729/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n";

PacketView invitePacket() {
  PacketView p;
  p.src = IpAddress::parse("192.0.2.10").value();
  p.dst = IpAddress::parse("198.51.100.20").value();
  p.src_port = 5060;
  p.dst_port = 5060;
  p.ip_proto = kIpProtoUdp;
  p.ts_sec = 1700000000;
  p.ts_usec = 123456;
  p.capture_id = 2001;
  p.has_auth_key = true;
  p.auth_key = "myHep";
  p.payload = kInvite;
  return p;
}

std::string encoded(const PacketView& p, HepEncodeOptions options = {}) {
  std::string out;
  (void)encodeHep3(p, out, options);
  return out;
}

std::string read200Ok() {
  std::ifstream in(std::string(SIPVAULT_SOURCE_DIR) +
                       "/../shared/corpus/hep/vectors/heplify-server_hep3_200ok_options.hep",
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void decodeLoop(benchmark::State& state, const std::string& bytes) {
  std::string scratch;
  for (auto _ : state) {
    auto r = decodeHep(bytes, scratch);
    benchmark::DoNotOptimize(r);
    if (!r.ok()) state.SkipWithError("decode failed");
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
  state.counters["packet_bytes"] = double(bytes.size());
}

void BM_Hep3DecodeInvite(benchmark::State& state) { decodeLoop(state, encoded(invitePacket())); }
BENCHMARK(BM_Hep3DecodeInvite);

void BM_Hep3Decode200Ok(benchmark::State& state) {
  const std::string bytes = read200Ok();
  if (bytes.size() != 778) {
    state.SkipWithError("corpus vector heplify-server_hep3_200ok_options.hep not found");
    return;
  }
  decodeLoop(state, bytes);
}
BENCHMARK(BM_Hep3Decode200Ok);

void BM_Hep3DecodeInviteCompressed(benchmark::State& state) {
  decodeLoop(state, encoded(invitePacket(), {.compress_payload = true}));
}
BENCHMARK(BM_Hep3DecodeInviteCompressed);

void BM_Hep2DecodeInvite(benchmark::State& state) {
  std::string bytes;
  (void)encodeHep2(invitePacket(), bytes);
  decodeLoop(state, bytes);
}
BENCHMARK(BM_Hep2DecodeInvite);

void BM_Hep3EncodeInvite(benchmark::State& state) {
  const PacketView p = invitePacket();
  std::string out;
  out.reserve(2048);
  for (auto _ : state) {
    out.clear();  // keeps capacity, as a sender reusing its buffer does
    auto r = encodeHep3(p, out);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hep3EncodeInvite);

void BM_Hep3EncodeInviteCompressed(benchmark::State& state) {
  const PacketView p = invitePacket();
  std::string out;
  for (auto _ : state) {
    out.clear();
    auto r = encodeHep3(p, out, {.compress_payload = true});
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Hep3EncodeInviteCompressed);

// TCP: 64 INVITE packets arriving in 1460-byte reads, framed and decoded.
void BM_Hep3FrameAndDecodeTcp(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 64; ++i) (void)encodeHep3(invitePacket(), stream);
  const auto* data = reinterpret_cast<const uint8_t*>(stream.data());
  HepStreamFramer framer;
  std::string scratch;
  size_t packets = 0;
  for (auto _ : state) {
    for (size_t pos = 0; pos < stream.size(); pos += 1460) {
      const size_t n = std::min<size_t>(1460, stream.size() - pos);
      if (!framer.feed({data + pos, n})) state.SkipWithError("feed refused");
      for (auto f = framer.next(); f.status == HepStreamFramer::Status::Packet; f = framer.next()) {
        auto r = decodeHep(f.packet, scratch);
        benchmark::DoNotOptimize(r);
        ++packets;
      }
    }
  }
  state.SetItemsProcessed(int64_t(packets));
}
BENCHMARK(BM_Hep3FrameAndDecodeTcp);

}  // namespace

BENCHMARK_MAIN();
