// The collector+parser hot path per message, end to end: HEPv3 decode of a packet carrying a real
// captured SIP message, then the SIP parse of its payload. Target: >= 1,000,000 messages/s on
// one core (<= 1 us each). The messages are those sipvault-loadgen sends: a realistic ~900-byte
// INVITE with SDP and the 200 OK with SDP (bench/sip_bench.cpp covers captured corpus messages).
//
//
// Custom headers and correlation rules (issue 14): the same parse plus HeaderExtractor with no rules
// (what every message pays when none are configured), with a typical config (PAI whole + its user
// by regex, Diversion, Reason, icid-value and Session-ID links) on the loadgen's INVITE (which
// carries none of those headers: the cost of looking) and on an IMS INVITE that carries them all.
// And the one regex alone, PCRE (Poco::RegularExpression, what the parser uses) against std::regex.
// Call-quality reports (issue 15): parse + the X-RTP-Stat / vq-rtcpxr lookup (SipParseQosScan) against
// the parse alone (SipParse) on the loadgen's INVITE and BYE, the IMS INVITE, and a BYE that has one.
//
//   build/release/bench/decode_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <regex>
#include <string>

#include "bench/loadgen/call_generator.h"
#include "proto/hep_codec.h"
#include "parser/header_extractor.h"
#include "parser/qos_extractor.h"
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

// The IMS-style INVITE of tests/parser/header_extractor_test.cpp (PAI, two Diversions, folded
// History-Info, P-Charging-Vector, Session-ID, Reason, an X- header), with the loadgen's SDP size.
const std::string kImsInvite =
    "INVITE sip:+4989456@192.0.2.20;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-hx1\r\n"
    "Max-Forwards: 69\r\n"
    "From: <sip:+4930123@192.0.2.10>;tag=f1\r\n"
    "To: <sip:+4989456@192.0.2.20;user=phone>\r\n"
    "Call-ID: hx-1@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "Contact: <sip:+4930123@192.0.2.10:5060>\r\n"
    "P-Asserted-Identity: \"Alice\" <sip:+4930123@ims.example.net;user=phone>\r\n"
    "Diversion: <sip:+4930777@ims.example.net>;reason=unconditional;counter=1\r\n"
    "Diversion: <sip:+4930888@ims.example.net>;reason=user-busy\r\n"
    "History-Info: <sip:+4930777@ims.example.net>;index=1,\r\n <sip:+4989456@192.0.2.20>;index=1.1\r\n"
    "P-Charging-Vector: icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";icid-generated-at=192.0.6.8\r\n"
    "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2\r\n"
    "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"
    "X-Leg-Ref: leg=77aa;zone=fra\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 0\r\n\r\n";

std::unique_ptr<parser::HeaderExtractor> extractor(bool typical) {
  using parser::HeaderKind;
  using parser::HeaderRule;
  using parser::LinkType;
  std::vector<HeaderRule> rules;
  if (typical) {
    rules = {{HeaderKind::Field, "p-asserted-identity", "P-Asserted-Identity", LinkType::Value, ""},
             {HeaderKind::Field, "pai_user", "P-Asserted-Identity", LinkType::Value, "<?sips?:([^@;>]+)@"},
             {HeaderKind::Field, "diversion", "Diversion", LinkType::Value, ""},
             {HeaderKind::Field, "reason", "Reason", LinkType::Value, ""},
             {HeaderKind::Link, "icid", "P-Charging-Vector", LinkType::IcidValue, ""},
             {HeaderKind::Link, "session-id", "Session-ID", LinkType::SessionId, ""}};
  }
  std::string error;
  return parser::HeaderExtractor::create(rules, {}, error);
}

void parseAndExtract(benchmark::State& state, const std::string& sip, bool typical) {
  const auto x = extractor(typical);
  SipMessage msg;
  std::vector<parser::ExtractedHeader> out;
  parser::ExtractStats stats;
  for (auto _ : state) {
    ParseOutcome o = parseSipMessage(sip, msg);
    if (!x->empty()) x->extract(msg.headers, out, stats);
    benchmark::DoNotOptimize(o);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetLabel(std::to_string(out.size()) + " values");
}

void BM_SipParse_LoadgenInvite(benchmark::State& s) {
  parseAndExtract(s, bench::CallGenerator(1).call(0)[0].sip, false);
}
void BM_SipParseAndHeaders_LoadgenInvite_TypicalRules(benchmark::State& s) {
  parseAndExtract(s, bench::CallGenerator(1).call(0)[0].sip, true);
}
void BM_SipParse_ImsInvite(benchmark::State& s) { parseAndExtract(s, kImsInvite, false); }
void BM_SipParseAndHeaders_ImsInvite_TypicalRules(benchmark::State& s) { parseAndExtract(s, kImsInvite, true); }
BENCHMARK(BM_SipParse_LoadgenInvite);
BENCHMARK(BM_SipParseAndHeaders_LoadgenInvite_TypicalRules);
BENCHMARK(BM_SipParse_ImsInvite);
BENCHMARK(BM_SipParseAndHeaders_ImsInvite_TypicalRules);

// Call-quality reports (issue 15): the X-RTP-Stat / P-RTP-Stat / vq-rtcpxr lookup the record builder
// does on every SIP message (parser::findSipQos), against the parse alone on the same message.
void parseAndQos(benchmark::State& state, const std::string& sip, bool qos) {
  SipMessage msg;
  std::vector<qos::QosReport> reports;
  parser::QosStatusCounts failures{};
  for (auto _ : state) {
    ParseOutcome o = parseSipMessage(sip, msg);
    if (qos) {
      reports.clear();
      parser::findSipQos(msg, reports, failures);
    }
    benchmark::DoNotOptimize(o);
    benchmark::DoNotOptimize(reports.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.SetLabel(std::to_string(reports.size()) + " reports");
}

std::string byeWithRtpStat() {
  std::string bye = bench::CallGenerator(1).call(0)[5].sip;
  bye.insert(bye.find("Content-Length"),
             "X-RTP-Stat: PS=812;OS=129920;PR=810;OR=129600;PL=3;JI=18;LA=0;DU=16;EN=PCMA;DE=PCMA\r\n");
  return bye;
}

void BM_SipParseQosScan_LoadgenInvite(benchmark::State& s) { parseAndQos(s, bench::CallGenerator(1).call(0)[0].sip, true); }
void BM_SipParse_LoadgenBye(benchmark::State& s) { parseAndQos(s, bench::CallGenerator(1).call(0)[5].sip, false); }
void BM_SipParseQosScan_LoadgenBye(benchmark::State& s) { parseAndQos(s, bench::CallGenerator(1).call(0)[5].sip, true); }
void BM_SipParseQosScan_ImsInvite(benchmark::State& s) { parseAndQos(s, kImsInvite, true); }
void BM_SipParseQosDecode_ByeWithXRtpStat(benchmark::State& s) { parseAndQos(s, byeWithRtpStat(), true); }
BENCHMARK(BM_SipParseQosScan_LoadgenInvite);
BENCHMARK(BM_SipParse_LoadgenBye);
BENCHMARK(BM_SipParseQosScan_LoadgenBye);
BENCHMARK(BM_SipParseQosScan_ImsInvite);
BENCHMARK(BM_SipParseQosDecode_ByeWithXRtpStat);

const std::string kPai = "\"Alice\" <sip:+4930123@ims.example.net;user=phone>";

void BM_PaiUserRegex_Pcre(benchmark::State& state) {
  const Poco::RegularExpression re("<?sips?:([^@;>]+)@");
  Poco::RegularExpression::MatchVec m;
  for (auto _ : state) {
    benchmark::DoNotOptimize(re.match(kPai, 0, m));
  }
}
void BM_PaiUserRegex_StdRegex(benchmark::State& state) {
  const std::regex re("<?sips?:([^@;>]+)@");
  std::smatch m;
  for (auto _ : state) {
    benchmark::DoNotOptimize(std::regex_search(kPai, m, re));
  }
}
BENCHMARK(BM_PaiUserRegex_Pcre);
BENCHMARK(BM_PaiUserRegex_StdRegex);

}  // namespace

BENCHMARK_MAIN();
