// The collector+parser hot path per message, end to end: HEPv3 decode of a packet carrying a real
// captured SIP message, then the SIP parse of its payload. Target: >= 1,000,000 messages/s on
// one core (<= 1 us each). The messages are those sipvault-loadgen sends: a realistic ~900-byte
// INVITE with SDP and the 200 OK with SDP (bench/sip_bench.cpp covers captured corpus messages).
//
//   build/release/bench/decode_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <string>

#include "bench/loadgen/call_generator.h"
#include "proto/hep_codec.h"
#include "sip/sip_parser.h"

using namespace sipvault::sip;

namespace {

using namespace sipvault;

// HEPv3 packet around message `index` of generated call 0 (0 = INVITE, 3 = 200 OK with SDP).
std::string hepPacket(size_t index) {
  const auto call = bench::CallGenerator(1).call(0);
  PacketView p;
  p.src = *IpAddress::parse("10.10.0.1");
  p.dst = *IpAddress::parse("10.0.0.1");
  p.src_port = p.dst_port = 5060;
  p.ip_proto = kIpProtoUdp;
  p.ts_sec = 1795000000;
  p.capture_id = 100;
  p.has_auth_key = true;
  p.auth_key = "secret";
  p.payload = call[index].sip;
  std::string out;
  (void)encodeHep3(p, out);
  return out;
}

void decodeAndParse(benchmark::State& state, size_t index) {
  const std::string packet = hepPacket(index);
  std::string scratch;
  SipMessage msg;
  for (auto _ : state) {
    HepDecodeResult r = decodeHep(packet, scratch);
    ParseOutcome o = parseSipMessage(r.packet->payload, msg);
    benchmark::DoNotOptimize(o);
    benchmark::DoNotOptimize(msg.call_id.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetLabel(std::to_string(packet.size()) + "-byte HEP packet");
}

void BM_Hep3DecodeAndSipParse_Invite(benchmark::State& s) { decodeAndParse(s, 0); }
void BM_Hep3DecodeAndSipParse_200OkWithSdp(benchmark::State& s) { decodeAndParse(s, 3); }
BENCHMARK(BM_Hep3DecodeAndSipParse_Invite);
BENCHMARK(BM_Hep3DecodeAndSipParse_200OkWithSdp);

}  // namespace

BENCHMARK_MAIN();
