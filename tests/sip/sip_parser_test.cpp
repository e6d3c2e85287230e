// Unit cases for parseSipMessage beyond the corpora: line ends, compact names, header values the
// capture fields come from, the arena, errors. Small hand-written messages; corpus tests elsewhere.
#include <catch2/catch.hpp>

#include "sip/sip_start_line.h"
#include "sip_test_support.h"

using namespace sipvault;
using namespace sipvault::sip;

namespace {

std::unique_ptr<test::Parsed> parse(std::string text) { return test::parseBytes(std::move(text)); }

}  // namespace

TEST_CASE("A request with bare LF line ends parses like CRLF", "[sip][parse]") {
  const std::string crlf =
      "INVITE sip:bob@example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
      "From: \"Alice\" <sip:alice@example.com>;tag=a1\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: lf-test@192.0.2.1\r\n"
      "CSeq: 1 INVITE\r\n"
      "Content-Length: 4\r\n"
      "\r\n"
      "abcd";
  std::string lf;
  for (char c : crlf)
    if (c != '\r') lf += c;
  for (const std::string& text : {crlf, lf}) {
    auto p = parse(text);
    REQUIRE(p->outcome.ok());
    CHECK(p->outcome.flags == 0);
    CHECK(p->msg.call_id == "lf-test@192.0.2.1");
    CHECK(p->msg.from.display_name == "Alice");
    CHECK(p->msg.from.tag == "a1");
    CHECK(p->msg.vias[0].port == 5060);
    CHECK(p->msg.body == "abcd");
  }
}

TEST_CASE("Leading CRLFs before the start line are ignored", "[sip][parse]") {
  auto p = parse(
      "\r\n\r\nOPTIONS sip:a@b SIP/2.0\r\nCall-ID: c\r\nFrom: <sip:x@y>;tag=1\r\nTo: <sip:a@b>\r\n"
      "CSeq: 2 OPTIONS\r\nVia: SIP/2.0/TCP h\r\n\r\n");
  REQUIRE(p->outcome.ok());
  CHECK(p->outcome.flags == 0);
  CHECK(p->msg.method == "OPTIONS");
  CHECK(p->msg.content_length == -1);
}

TEST_CASE("Search fields come from P-Asserted-Identity, X-CID, Reason, User-Agent and Server",
          "[sip][parse]") {
  auto p = parse(
      "BYE sip:+15551230000@gw.example.net;user=phone SIP/2.0\r\n"
      "v: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bKx;rport\r\n"
      "f: Alice <sip:alice@example.com>;tag=9\r\n"
      "t: <tel:+15551230000>;tag=7\r\n"
      "i: bye-1@example.com\r\n"
      "CSeq: 3 BYE\r\n"
      "P-Asserted-Identity: \"Alice\" <sip:+15550001111@example.com>, <tel:+15550001111>\r\n"
      "X-CID: leg-a-call-id@example.com\r\n"
      "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n"
      "Server: should-not-win\r\n"
      "User-Agent: softphone 1.0\r\n"
      "l: 0\r\n\r\n");
  REQUIRE(p->outcome.ok());
  const SipMessage& m = p->msg;
  CHECK(p->outcome.flags == 0);
  CHECK(m.request_uri.user == "+15551230000");
  CHECK(m.to.uri.scheme == "tel");
  CHECK(m.to.uri.user == "+15551230000");
  CHECK(m.to.tag == "7");
  CHECK(m.pai_user == "+15550001111");
  CHECK(m.x_cid == "leg-a-call-id@example.com");
  CHECK(m.reason == "Q.850;cause=16;text=\"Normal call clearing\"");
  CHECK(m.user_agent == "softphone 1.0");
  CHECK(m.server == "should-not-win");
  CHECK(m.agent() == "softphone 1.0");
  CHECK(m.vias[0].host == "[2001:db8::1]");
  CHECK(m.vias[0].port == 5070);
  CHECK(m.transactionMethod() == "BYE");
}

TEST_CASE("Folded and escaped values are rewritten into the arena and survive a move",
          "[sip][parse][arena]") {
  std::string text =
      "INVITE sip:b%6Fb@example.com SIP/2.0\r\n"
      "From: \"A \\\"quoted\\\" name\"\r\n"
      "  <sip:al%69ce@example.com>\r\n"
      "  ;tag=folded\r\n"
      "To: <sip:bob@example.com>\r\n"
      "Call-ID: arena@x\r\n"
      "CSeq: 10\r\n"
      "\tINVITE\r\n"
      "Via: SIP/2.0/UDP h;branch=z9hG4bKa\r\n"
      "Content-Length: 0\r\n\r\n";
  SipMessage m;
  const ParseOutcome r = parseSipMessage(text, m);
  REQUIRE(r.ok());
  CHECK(r.flags == 0);
  CHECK(m.arena.capacity() > 0);
  SipMessage moved = std::move(m);
  CHECK(moved.request_uri.user == "bob");
  CHECK(moved.request_uri.user_raw == "b%6Fb");
  CHECK(moved.from.display_name == "A \"quoted\" name");
  CHECK(moved.from.uri.user == "alice");
  CHECK(moved.from.tag == "folded");
  CHECK(moved.cseq_number == 10);
  CHECK(moved.cseq_method == "INVITE");
  CHECK(unfoldHeaderValue("a \r\n\t b", moved.arena) == "a b");
}

TEST_CASE("A message without folds or escapes does not allocate", "[sip][parse][arena]") {
  const std::string text = test::readFile(test::corpusPath("rfc4475/valid/sdp01.dat"));
  SipMessage m;
  REQUIRE(parseSipMessage(text, m).ok());
  CHECK(m.arena.capacity() == 0);
}

TEST_CASE("A reused SipMessage holds only the latest message's fields", "[sip][parse]") {
  const std::string big = test::readFile(test::corpusPath("rfc4475/valid/wsinv.dat"));
  const std::string small = "SIP/2.0 180 Ringing\r\nCall-ID: r\r\nCSeq: 1 INVITE\r\n\r\n";
  SipMessage m;
  REQUIRE(parseSipMessage(big, m).ok());
  REQUIRE(m.via_count == 3);
  const ParseOutcome r = parseSipMessage(small, m);
  REQUIRE(r.ok());
  CHECK(r.has(SipFlag::MissingHeader));
  CHECK(m.via_count == 0);
  CHECK(!m.from.present);
  CHECK(!m.sdp.present);
  CHECK(m.contact.empty());
  CHECK(m.status_code == 180);
  CHECK(m.reason_phrase == "Ringing");
}

TEST_CASE("Commas inside quotes and angle brackets do not split list values", "[sip][parse]") {
  auto p = parse(
      "REGISTER sip:example.com SIP/2.0\r\n"
      "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1;x=\"1,2\", SIP/2.0/TCP b.example.com\r\n"
      "Contact: \"Doe, John\" <sip:john@example.com;p=a,b>;expires=60, <sip:other@example.com>\r\n"
      "From: <sip:john@example.com>;tag=1\r\nTo: <sip:john@example.com>\r\n"
      "Call-ID: lists\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(p->outcome.ok());
  CHECK(p->outcome.flags == 0);
  CHECK(p->msg.via_count == 2);
  CHECK(p->msg.vias[1].transport == "TCP");
  CHECK(p->msg.contact == "\"Doe, John\" <sip:john@example.com;p=a,b>;expires=60");
  CHECK(p->msg.contact_uri.user == "john");
}

TEST_CASE("Hard errors: not SIP, bad start lines, bad status codes, bad lengths", "[sip][parse][errors]") {
  struct Case {
    const char* text;
    ParseError error;
  };
  const Case cases[] = {
      {"", ParseError::Empty},
      {"\r\n\r\n", ParseError::Empty},
      {"     ", ParseError::Empty},
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", ParseError::NotSip},
      {"HTTP/1.1 200 OK\r\n\r\n", ParseError::NotSip},
      {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", ParseError::NotSip},
      {"hello world\r\n\r\n", ParseError::NotSip},
      {"INVITE sip:a@b\r\nCall-ID: x\r\n\r\n", ParseError::BadStartLine},
      {"INVITE sip:a@b SIP/2\r\nCall-ID: x\r\n\r\n", ParseError::BadStartLine},
      {"SIP/2.0\r\nCall-ID: x\r\n\r\n", ParseError::BadStatusCode},
      {"SIP/2.0 99 Low\r\nCall-ID: x\r\n\r\n", ParseError::BadStatusCode},
      {"SIP/2.0 700 High\r\nCall-ID: x\r\n\r\n", ParseError::BadStatusCode},
      {"SIP/2.0 2000 Long\r\nCall-ID: x\r\n\r\n", ParseError::BadStatusCode},
      {"SIP/2.0 20 OK\r\nCall-ID: x\r\n\r\n", ParseError::BadStatusCode},
      {"SIP/2.0 200 OK", ParseError::Truncated},
      {"SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 1 INV", ParseError::Truncated},
      {"SIP/2.0 200 OK\r\nCall-ID: x\r\nno colon here\r\n\r\n", ParseError::BadHeader},
      {"SIP/2.0 200 OK\r\n bad continuation\r\nCall-ID: x\r\n\r\n", ParseError::BadHeader},
      {"SIP/2.0 200 OK\r\nCall-ID:   \r\n\r\n", ParseError::MissingCallId},
      {"SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
       ParseError::BadContentLength},
      {"SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: 12abc\r\n\r\n", ParseError::BadContentLength},
      {"SIP/2.0 200 OK\r\nCall-ID: x\r\nContent-Length: -1\r\n\r\n", ParseError::BadContentLength},
  };
  for (const Case& c : cases) {
    auto p = parse(c.text);
    INFO(c.text << " -> " << parseErrorName(p->outcome.error) << " " << p->outcome.reason);
    CHECK(p->outcome.error == c.error);
    CHECK(!p->outcome.reason.empty());
  }
}

TEST_CASE("Findings on stored messages are flags with a reason", "[sip][parse][flags]") {
  SECTION("no blank line after the headers") {
    auto p = parse("SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n");
    REQUIRE(p->outcome.ok());
    CHECK(p->outcome.has(SipFlag::NoHeaderTerminator));
  }
  SECTION("a repeated equal Content-Length") {
    auto p = parse("SIP/2.0 200 OK\r\nCall-ID: x\r\nl: 2\r\nContent-Length: 2\r\n\r\nab");
    REQUIRE(p->outcome.ok());
    CHECK(p->outcome.has(SipFlag::DuplicateHeader));
    CHECK(p->msg.body == "ab");
  }
  SECTION("a CSeq of 2^31") {
    auto p = parse("SIP/2.0 200 OK\r\nCall-ID: x\r\nCSeq: 2147483648 INVITE\r\n\r\n");
    REQUIRE(p->outcome.ok());
    CHECK(p->outcome.has(SipFlag::BadCSeq));
    CHECK(p->msg.cseq_number == 2147483648u);
  }
  SECTION("two spaces after the SIP-Version") {
    auto p = parse("SIP/2.0  200 OK\r\nCall-ID: x\r\n\r\n");
    REQUIRE(p->outcome.ok());
    CHECK(p->outcome.has(SipFlag::StartLineWhitespace));
    CHECK(p->msg.status_code == 200);
  }
}

TEST_CASE("Error and flag names are stable identifiers", "[sip][parse]") {
  CHECK(parseErrorName(ParseError::MissingCallId) == "missing_call_id");
  CHECK(sipFlagName(SipFlag::DuplicateHeader) == "duplicate_header");
  CHECK(canonicalHeaderName("i") == "Call-ID");
  CHECK(canonicalHeaderName("K") == "Supported");
  CHECK(canonicalHeaderName("X-Foo") == "X-Foo");
}

TEST_CASE("looksLikeSipStartLine accepts request and status lines only", "[sip][parse]") {
  CHECK(looksLikeSipStartLine("INVITE sip:a@b SIP/2.0"));
  CHECK(looksLikeSipStartLine("SIP/2.0 200 OK\r"));
  CHECK(looksLikeSipStartLine("SIP/2.0 100 "));
  CHECK(!looksLikeSipStartLine("GET / HTTP/1.1"));
  CHECK(!looksLikeSipStartLine("v=0"));
  CHECK(!looksLikeSipStartLine("Via: SIP/2.0/UDP host"));
  CHECK(!looksLikeSipStartLine(""));
}
