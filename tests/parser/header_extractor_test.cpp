// Custom header fields and correlation link values (parser/header_extractor.h), on real SIP text.
#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>
#include <catch2/catch.hpp>

#include "parser/header_extractor.h"
#include "parser/parser_options.h"
#include "parser/record_builder.h"
#include "proto/packet.h"
#include "sip/sip_parser.h"

using namespace sipvault;
using namespace sipvault::parser;

namespace {

// An IMS-style INVITE as an SBC forwards it: PAI, Diversion twice, History-Info folded over two
// lines, P-Charging-Vector, Session-ID (RFC 7989 example), Reason and a vendor X- header.
const char* kInvite =
    "INVITE sip:+4989456@192.0.2.20;user=phone SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-hx1\r\n"
    "From: <sip:+4930123@192.0.2.10>;tag=f1\r\n"
    "To: <sip:+4989456@192.0.2.20;user=phone>\r\n"
    "Call-ID: hx-1@192.0.2.10\r\n"
    "CSeq: 1 INVITE\r\n"
    "P-Asserted-Identity: \"Alice\" <sip:+4930123@ims.example.net;user=phone>\r\n"
    "Diversion: <sip:+4930777@ims.example.net>;reason=unconditional;counter=1\r\n"
    "diversion: <sip:+4930888@ims.example.net>;reason=user-busy\r\n"
    "History-Info: <sip:+4930777@ims.example.net>;index=1,\r\n"
    "  <sip:+4989456@192.0.2.20>;index=1.1\r\n"
    "P-Charging-Vector: icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";icid-generated-at=192.0.6.8;"
    "orig-ioi=home1.net\r\n"
    "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=47755A9DE7794BA387653F2099600EF2\r\n"
    "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"
    "X-Leg-Ref: leg=77aa;zone=fra\r\n"
    "Content-Length: 0\r\n\r\n";

std::unique_ptr<HeaderExtractor> make(std::vector<HeaderRule> rules, HeaderLimits limits = {}) {
  std::string error;
  auto x = HeaderExtractor::create(std::move(rules), limits, error);
  INFO(error);
  REQUIRE(x);
  return x;
}

HeaderRule field(std::string name, std::string header = "", std::string regex = "") {
  HeaderRule r;
  r.name = name;
  r.header = header.empty() ? name : header;
  r.regex = std::move(regex);
  return r;
}

HeaderRule link(std::string name, std::string header, LinkType type, std::string regex = "") {
  HeaderRule r;
  r.kind = HeaderKind::Link;
  r.name = std::move(name);
  r.header = std::move(header);
  r.type = type;
  r.regex = std::move(regex);
  return r;
}

std::vector<ExtractedHeader> run(const HeaderExtractor& x, const char* message, ExtractStats* stats = nullptr) {
  sip::SipMessage m;
  REQUIRE(sip::parseSipMessage(message, m).ok());
  std::vector<ExtractedHeader> out;
  ExtractStats s;
  x.extract(m.headers, out, s);
  if (stats) *stats = s;
  return out;
}

}  // namespace

TEST_CASE("field rules store whole header values, each header line, unfolded, names case-insensitive",
          "[parser][headers]") {
  auto x = make({field("P-Asserted-Identity"), field("Diversion"), field("History-Info"), field("Reason"),
                 field("X-Leg-Ref"), field("X-Absent")});
  const auto out = run(*x, kInvite);
  REQUIRE(out.size() == 6);
  CHECK(out[0].name == "p-asserted-identity");
  CHECK(out[0].kind == HeaderKind::Field);
  CHECK(out[0].value == "\"Alice\" <sip:+4930123@ims.example.net;user=phone>");
  CHECK(out[1].name == "diversion");
  CHECK(out[1].value == "<sip:+4930777@ims.example.net>;reason=unconditional;counter=1");
  CHECK(out[2].value == "<sip:+4930888@ims.example.net>;reason=user-busy");
  CHECK(out[3].name == "history-info");
  CHECK(out[3].value == "<sip:+4930777@ims.example.net>;index=1, <sip:+4989456@192.0.2.20>;index=1.1");
  CHECK(out[4].value == "Q.850;cause=16;text=\"Normal call clearing\"");
  CHECK(out[5].value == "leg=77aa;zone=fra");
}

TEST_CASE("a field regex stores its first capture group and a line it does not match stores nothing", "[parser][headers]") {
  auto x = make({field("pai_user", "p-asserted-identity", R"(<?sips?:([^@;>]+)@)"),
                 field("icid", "P-Charging-Vector", R"(icid-value="?([^";]+))"),
                 field("cause", "Reason", R"(cause=\d+)"), field("nomatch", "Reason", "SIP;cause=(\\d+)")});
  const auto out = run(*x, kInvite);
  REQUIRE(out.size() == 3);
  CHECK(out[0].name == "pai_user");
  CHECK(out[0].value == "+4930123");
  CHECK(out[1].value == "AyretyU0dm+6O2IrT5tAFrbHLso=023551024");
  CHECK(out[2].value == "cause=16");  // no group: the whole match
}

TEST_CASE("link rules read icid-value, both Session-ID UUIDs and regex captures", "[parser][headers][correlation]") {
  auto x = make({link("icid", "P-Charging-Vector", LinkType::IcidValue),
                 link("session-id", "Session-ID", LinkType::SessionId),
                 link("leg", "X-Leg-Ref", LinkType::Regex, "leg=([0-9a-f]+)")});
  const auto out = run(*x, kInvite);
  REQUIRE(out.size() == 4);
  CHECK(out[0].kind == HeaderKind::Link);
  CHECK(out[0].name == "icid");
  CHECK(out[0].value == "AyretyU0dm+6O2IrT5tAFrbHLso=023551024");
  CHECK(out[1].name == "session-id");
  CHECK(out[1].value == "ab30317f1a784dc48ff824d0d3715d86");
  CHECK(out[2].value == "47755a9de7794ba387653f2099600ef2");  // lower-cased
  CHECK(out[3].name == "leg");
  CHECK(out[3].value == "77aa");
}

TEST_CASE("Session-ID: the null UUID and malformed values are no links", "[parser][headers][correlation]") {
  auto x = make({link("session-id", "Session-ID", LinkType::SessionId)});
  const char* msg =
      "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\n"
      "To: <sip:c@d>;tag=2\r\nCall-ID: s1\r\nCSeq: 1 INVITE\r\n"
      "Session-ID: 00000000000000000000000000000000;remote=ab30317f1a784dc48ff824d0d3715d86\r\n"
      "Session-ID: not-a-uuid;remote=00000000000000000000000000000000\r\nContent-Length: 0\r\n\r\n";
  const auto out = run(*x, msg);
  REQUIRE(out.size() == 1);
  CHECK(out[0].value == "ab30317f1a784dc48ff824d0d3715d86");
}

TEST_CASE("values are bounded per message and in length, and both are counted", "[parser][headers]") {
  HeaderLimits limits;
  limits.max_per_message = 2;
  limits.max_value_bytes = 10;
  auto x = make({field("Diversion"), field("Reason")}, limits);
  ExtractStats stats;
  const auto out = run(*x, kInvite, &stats);
  REQUIRE(out.size() == 2);
  CHECK(out[0].value == "<sip:+4930");
  CHECK(stats.values == 2);
  CHECK(stats.truncated == 2);
  CHECK(stats.dropped == 1);  // Reason
}

TEST_CASE("bad rules are refused with a message naming the rule", "[parser][headers]") {
  std::string error;
  CHECK_FALSE(HeaderExtractor::create({field("pai", "P-Asserted-Identity", "([")}, {}, error));
  CHECK(error.find("pai") != std::string::npos);
  CHECK_FALSE(HeaderExtractor::create({field("bad name", "X-A")}, {}, error));
  CHECK_FALSE(HeaderExtractor::create({field("x", "X:A")}, {}, error));
  CHECK_FALSE(HeaderExtractor::create({link("l", "X-A", LinkType::Regex)}, {}, error));
}

TEST_CASE("parser options read header and correlation rules from config keys", "[parser][headers]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  c->setString("parser.headers.extract", "P-Asserted-Identity, pai_user");
  c->setString("parser.headers.pai_user.header", "P-Asserted-Identity");
  c->setString("parser.headers.pai_user.regex", "sip:([^@]+)@");
  c->setString("parser.correlation.rules", "icid, session-id, leg");
  c->setString("parser.correlation.leg.header", "X-Leg-Ref");
  c->setString("parser.correlation.leg.regex", "leg=([0-9a-f]+)");
  const ParserOptions o = ParserOptions::fromConfig(*c);
  REQUIRE(o.header_rules.size() == 5);
  CHECK(o.header_rules[0].header == "P-Asserted-Identity");
  CHECK(o.header_rules[2].kind == HeaderKind::Link);
  CHECK(o.header_rules[2].header == "P-Charging-Vector");
  CHECK(o.header_rules[2].type == LinkType::IcidValue);
  CHECK(o.header_rules[3].type == LinkType::SessionId);
  CHECK(o.header_rules[4].type == LinkType::Regex);

  c->setString("parser.correlation.leg.type", "bogus");
  CHECK_THROWS_AS(ParserOptions::fromConfig(*c), Poco::InvalidArgumentException);
  c->setString("parser.correlation.leg.type", "regex");
  c->setString("parser.headers.pai_user.regex", "(unclosed");
  CHECK_THROWS_AS(ParserOptions::fromConfig(*c), Poco::InvalidArgumentException);
}

TEST_CASE("the record builder carries extracted values in the record and counts them", "[parser][headers]") {
  MetricsRegistry registry;
  ParserMetrics metrics(registry);
  ParserOptions options;
  options.header_rules = {field("pai_user", "P-Asserted-Identity", "sip:([^@]+)@"),
                          link("icid", "P-Charging-Vector", LinkType::IcidValue)};
  RecordBuilder builder(options, metrics);
  wire::PacketBatch in;
  wire::CapturedPacket* p = in.add_packets();
  p->set_payload_type(kPayloadSip);
  p->set_payload(kInvite);
  wire::SipBatch out;
  builder.build(in, out);
  REQUIRE(out.records_size() == 1);
  const auto& h = out.records(0).sip().headers();
  REQUIRE(h.size() == 2);
  CHECK(h[0].kind() == 0);
  CHECK(h[0].name() == "pai_user");
  CHECK(h[0].value() == "+4930123");
  CHECK(h[1].kind() == 1);
  CHECK(h[1].name() == "icid");
  CHECK(metrics.header_values.value() == 2);
}
