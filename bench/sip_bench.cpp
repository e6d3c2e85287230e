// SIP parser benchmarks on real captured messages: an 822-byte INVITE with SDP (sngrep aaa.pcap
// frame 223) and a 788-byte 200 OK with SDP (heplify rtp_rtcp_sip_ipv4_udp.pcap frame 498), plus
// the rare paths (folded/escaped values -> arena: RFC 4475 wsinv) and TCP stream framing.
// Target: well under 1 µs per message, since HEP decode + SIP parse must fit in 1 µs on one core.
//
//   build/sip-rel/bench/sip_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "sip/sip_parser.h"
#include "sip/sip_stream_framer.h"

using namespace sipvault::sip;

namespace {

using namespace sipvault;

const std::string kCorpus = std::string(SIPVAULT_SOURCE_DIR) + "/../shared/corpus/";

std::string readFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

uint32_t le32(const std::string& s, size_t at) {
  return uint32_t(uint8_t(s[at])) | uint32_t(uint8_t(s[at + 1])) << 8 | uint32_t(uint8_t(s[at + 2])) << 16 |
         uint32_t(uint8_t(s[at + 3])) << 24;
}

// UDP payload of 1-based frame `frame` of a classic little-endian pcap with Ethernet + IPv4 (the
// two corpus files used here); exits loudly when the file is not what it should be.
std::string udpPayload(const std::string& rel, uint32_t frame) {
  const std::string pcap = readFile(kCorpus + rel);
  if (pcap.size() < 24 || le32(pcap, 0) != 0xa1b2c3d4u || le32(pcap, 20) != 1) {
    std::fprintf(stderr, "sip_bench: %s%s is not an Ethernet pcap (corpus missing?)\n", kCorpus.c_str(),
                 rel.c_str());
    std::exit(1);
  }
  size_t at = 24;
  for (uint32_t n = 1; at + 16 <= pcap.size(); ++n) {
    const size_t caplen = le32(pcap, at + 8);
    const size_t data = at + 16;
    if (data + caplen > pcap.size()) break;
    if (n == frame && caplen > 14 + 20 + 8) {
      const size_t ip = data + 14;
      const size_t udp = ip + size_t(uint8_t(pcap[ip]) & 0x0f) * 4;
      const size_t len = size_t(uint8_t(pcap[udp + 4])) << 8 | uint8_t(pcap[udp + 5]);
      if (len >= 8 && udp + len <= data + caplen) return pcap.substr(udp + 8, len - 8);
    }
    at = data + caplen;
  }
  std::fprintf(stderr, "sip_bench: frame %u not found in %s\n", frame, rel.c_str());
  std::exit(1);
}

void requireParses(const std::string& bytes, const char* what) {
  SipMessage m;
  const ParseOutcome r = parseSipMessage(bytes, m);
  if (!r.ok() || !m.sdp.present) {
    std::fprintf(stderr, "sip_bench: %s does not parse with SDP: %s\n", what, std::string(r.reason).c_str());
    std::exit(1);
  }
}

void parseLoop(benchmark::State& state, const std::string& bytes) {
  SipMessage msg;  // reused, as the parser daemon does
  for (auto _ : state) {
    const ParseOutcome r = parseSipMessage(bytes, msg);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(msg.call_id.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(bytes.size()));
  state.counters["msg_bytes"] = double(bytes.size());
}

void BM_ParseInviteWithSdp(benchmark::State& state) {
  static const std::string invite = udpPayload("pcap/sngrep_aaa.pcap", 223);
  requireParses(invite, "INVITE");
  parseLoop(state, invite);
}
BENCHMARK(BM_ParseInviteWithSdp);

void BM_Parse200OkWithSdp(benchmark::State& state) {
  static const std::string ok = udpPayload("pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap", 498);
  requireParses(ok, "200 OK");
  parseLoop(state, ok);
}
BENCHMARK(BM_Parse200OkWithSdp);

// The rare path: folded headers and quoted-pairs rewritten into the arena.
void BM_ParseFoldedTorture(benchmark::State& state) {
  static const std::string wsinv = readFile(kCorpus + "rfc4475/valid/wsinv.dat");
  requireParses(wsinv, "wsinv");
  parseLoop(state, wsinv);
}
BENCHMARK(BM_ParseFoldedTorture);

// A fresh SipMessage per parse (first-use arena cost not included: these messages need none).
void BM_ParseInviteFreshMessage(benchmark::State& state) {
  static const std::string invite = udpPayload("pcap/sngrep_aaa.pcap", 223);
  for (auto _ : state) {
    SipMessage msg;
    const ParseOutcome r = parseSipMessage(invite, msg);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(msg.call_id.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseInviteFreshMessage);

// TCP: INVITE + 200 OK back to back in one segment, framed then parsed.
void BM_FrameAndParseStream(benchmark::State& state) {
  static const std::string stream =
      udpPayload("pcap/sngrep_aaa.pcap", 223) + udpPayload("pcap/heplify_rtp_rtcp_sip_ipv4_udp.pcap", 498);
  SipStreamFramer framer;
  SipMessage msg;
  size_t messages = 0;
  for (auto _ : state) {
    framer.append(stream);
    for (SipFrame f = framer.next(); f.kind != SipFrame::Kind::NeedMore; f = framer.next()) {
      if (f.kind != SipFrame::Kind::Message) continue;
      benchmark::DoNotOptimize(parseSipMessage(f.bytes, msg));
      ++messages;
    }
  }
  if (messages != 2 * size_t(state.iterations())) state.SkipWithError("framer lost messages");
  state.SetItemsProcessed(int64_t(messages));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(stream.size()));
}
BENCHMARK(BM_FrameAndParseStream);

}  // namespace

BENCHMARK_MAIN();
