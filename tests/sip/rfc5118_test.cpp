// RFC 5118 IPv6 torture messages (corpus/rfc5118/wire/*.sip); expectations from rfc5118/EXPECTED.md.
// The RFC's own Content-Length values do not match some SDP bodies, so body lengths are not checked.
#include <catch2/catch.hpp>

#include "sip_test_support.h"

using namespace sipvault;
using namespace sipvault::sip;
using sipvault::test::flagList;

namespace {

std::unique_ptr<test::Parsed> wire(const std::string& name) {
  auto p = test::parseCorpusFile("rfc5118/wire/" + name + ".sip");
  INFO(name << ": " << parseErrorName(p->outcome.error) << " '" << p->outcome.reason << "' flags "
            << flagList(p->outcome.flags));
  REQUIRE(p->outcome.ok());
  return p;
}

// Findings that only come from the RFC's mismatched Content-Length values.
constexpr uint32_t kBodyLengthFlags =
    uint32_t(SipFlag::ContentLengthExceedsBody) | uint32_t(SipFlag::TrailingBytes);

}  // namespace

TEST_CASE("Every RFC 5118 message is parsed - only ipv6-bad is flagged", "[sip][rfc5118]") {
  const auto files = test::corpusFiles("rfc5118/wire", ".sip");
  REQUIRE(files.size() == 12);
  for (const auto& f : files) {
    auto p = test::parseCorpusFile("rfc5118/wire/" + f);
    INFO(f << ": " << parseErrorName(p->outcome.error) << " '" << p->outcome.reason << "' flags "
           << flagList(p->outcome.flags));
    REQUIRE(p->outcome.ok());
    CHECK(!p->msg.call_id.empty());
    const uint32_t findings = p->outcome.flags & ~kBodyLengthFlags;
    if (f == "ipv6-bad.sip") {
      CHECK(findings == uint32_t(SipFlag::BadRequestUri));
    } else {
      CHECK(findings == 0);
    }
  }
}

TEST_CASE("RFC 5118 ipv6-good: bracketed IPv6 hosts in Request-URI, Via and Contact", "[sip][rfc5118]") {
  auto p = wire("ipv6-good");
  const SipMessage& m = p->msg;
  CHECK(m.method == "REGISTER");
  CHECK(m.request_uri.text == "sip:[2001:db8::10]");
  CHECK(m.request_uri.host == "[2001:db8::10]");
  CHECK(m.request_uri.port == 0);
  REQUIRE(m.via_count == 1);
  CHECK(m.vias[0].host == "[2001:db8::9:1]");
  CHECK(m.contact_uri.user == "caller");
  CHECK(m.contact_uri.host == "[2001:db8::1]");
  CHECK(m.call_id == "SSG9559905523997077@hlau_4100");
  CHECK(m.cseq_number == 98176);
  CHECK(m.cseq_method == "REGISTER");
}

TEST_CASE("RFC 5118 ipv6-bad: an unbracketed IPv6 Request-URI is flagged, not misread as a port",
          "[sip][rfc5118]") {
  auto p = wire("ipv6-bad");
  CHECK(p->outcome.has(SipFlag::BadRequestUri));
  CHECK(p->msg.request_uri.text == "sip:2001:db8::10");
  // Kept whole for search, never host "2001" with port "db8::10".
  CHECK(p->msg.request_uri.host == "2001:db8::10");
  CHECK(p->msg.request_uri.port == 0);
  CHECK(p->msg.call_id == "SSG9559905523997077@hlau_4100");
}

TEST_CASE("RFC 5118 port-ambiguous and port-unambiguous: the port is outside the brackets only",
          "[sip][rfc5118]") {
  auto a = wire("port-ambiguous");
  CHECK(a->msg.request_uri.host == "[2001:db8::10:5070]");
  CHECK(a->msg.request_uri.port == 0);  // default port applies

  auto b = wire("port-unambiguous");
  CHECK(b->msg.request_uri.host == "[2001:db8::10]");
  CHECK(b->msg.request_uri.port == 5070);
}

TEST_CASE("RFC 5118 via-received-param: received with and without brackets", "[sip][rfc5118]") {
  auto a = wire("via-received-param-with-delim");
  CHECK(a->msg.method == "BYE");
  REQUIRE(a->msg.via_count >= 1);
  CHECK(a->msg.vias[0].received == "[2001:db8::9:255]");
  CHECK(a->msg.cseq_number == 321);
  CHECK(a->msg.cseq_method == "BYE");

  auto b = wire("via-received-param-no-delim");
  CHECK(b->msg.method == "OPTIONS");
  CHECK(b->msg.call_id == "SSG95523997077@hlau_4100");
  REQUIRE(b->msg.via_count >= 1);
  CHECK(b->msg.vias[0].received == "2001:db8::9:255");
  CHECK(b->msg.cseq_number == 921);
}

TEST_CASE("RFC 5118 ipv6-in-sdp and mult-ip-in-sdp: IPv6 connection addresses in SDP",
          "[sip][rfc5118][sdp]") {
  auto a = wire("ipv6-in-sdp");
  CHECK(a->msg.request_uri.user == "user");
  CHECK(a->msg.request_uri.host == "[2001:db8::10]");
  CHECK(a->msg.cseq_number == 8612);
  REQUIRE(a->msg.sdp.present);
  CHECK(a->msg.sdp.connection_address == "2001:db8::20");

  auto b = wire("mult-ip-in-sdp");
  CHECK(b->msg.cseq_number == 8912);
  REQUIRE(b->msg.sdp.media_count >= 2);
  CHECK(b->msg.sdp.media[0].type == "audio");
  CHECK(b->msg.sdp.media[0].connection_address == "192.0.2.1");
  CHECK(b->msg.sdp.media[1].type == "video");
  CHECK(b->msg.sdp.media[1].connection_address == "2001:db8::1");
}

TEST_CASE("RFC 5118 mult-ip-in-header: three Via hops with IPv6, IPv4 and received", "[sip][rfc5118]") {
  auto p = wire("mult-ip-in-header");
  const SipMessage& m = p->msg;
  CHECK(m.method == "BYE");
  CHECK(m.call_id == "997077@lau_4100");
  CHECK(m.cseq_number == 89187);
  REQUIRE(m.via_count == 3);
  CHECK(m.vias[0].host == "[2001:db8::9:1]");
  CHECK(m.vias[0].port == 6050);
  CHECK(m.vias[1].host == "192.0.2.1");
  CHECK(m.vias[2].host == "[2001:db8::9:255]");
  CHECK(m.vias[2].transport == "TCP");
  CHECK(m.vias[2].received == "192.0.2.200");
}

TEST_CASE("RFC 5118 ipv4-mapped-ipv6: mapped addresses in Via, Contact and SDP", "[sip][rfc5118]") {
  auto p = wire("ipv4-mapped-ipv6");
  const SipMessage& m = p->msg;
  CHECK(m.method == "INVITE");
  CHECK(m.cseq_number == 612);
  REQUIRE(m.via_count == 2);
  CHECK(m.vias[0].host == "[::ffff:192.0.2.10]");
  CHECK(m.vias[0].port == 19823);
  CHECK(m.vias[1].host == "[::ffff:192.0.2.2]");
  CHECK(m.contact_uri.user == "ted");
  CHECK(m.contact_uri.host == "[::ffff:192.0.2.2]");
  REQUIRE(m.sdp.present);
  CHECK(m.sdp.connection_address == "::ffff:192.0.2.2");
}

TEST_CASE("RFC 5118 section 4.10: two- and three-colon IPv4-in-IPv6 references", "[sip][rfc5118]") {
  auto a = wire("ipv6-correct-abnf-2-colons");
  CHECK(a->msg.method == "OPTIONS");
  CHECK(a->msg.request_uri.host == "[2001:db8::192.0.2.1]");
  CHECK(a->msg.to.uri.host == "[2001:db8::192.0.2.1]");
  CHECK(a->msg.call_id == "G9559905523997077@hlau_4100");
  CHECK(a->msg.cseq_number == 689);

  // RFC 5118 asks to tolerate the three-colon form; we keep the reference as written.
  auto b = wire("ipv6-bug-abnf-3-colons");
  CHECK(b->msg.request_uri.host == "[2001:db8:::192.0.2.1]");
  CHECK(b->msg.cseq_number == 689);
}
