// RFC 4475 torture messages: every expectation below is taken from corpus/rfc4475/EXPECTED.md.
#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "sip_test_support.h"

using namespace sipvault;
using namespace sipvault::sip;
using sipvault::test::flagList;
using sipvault::test::parseCorpusFile;

namespace {

std::unique_ptr<test::Parsed> valid(const std::string& name) {
  auto p = parseCorpusFile("rfc4475/valid/" + name + ".dat");
  INFO(name << ": " << parseErrorName(p->outcome.error) << " " << p->outcome.reason << " flags "
            << flagList(p->outcome.flags));
  REQUIRE(p->outcome.ok());
  return p;
}

}  // namespace

TEST_CASE("Every RFC 4475 valid message parses without error and without findings", "[sip][rfc4475]") {
  const auto files = test::corpusFiles("rfc4475/valid", ".dat");
  REQUIRE(files.size() == 26);
  for (const auto& f : files) {
    auto p = parseCorpusFile("rfc4475/valid/" + f);
    INFO(f << ": " << parseErrorName(p->outcome.error) << " '" << p->outcome.reason << "' flags "
           << flagList(p->outcome.flags));
    CHECK(p->outcome.ok());
    CHECK(!p->msg.call_id.empty());
    // dblreq is the only valid message with bytes after Content-Length (a second message).
    const uint32_t allowed = f == "dblreq.dat" ? uint32_t(SipFlag::TrailingBytes) : 0u;
    CHECK(p->outcome.flags == allowed);
  }
}

TEST_CASE("RFC 4475 wsinv: folding, LWS before colon and odd header case are understood", "[sip][rfc4475]") {
  auto p = valid("wsinv");
  const SipMessage& m = p->msg;
  CHECK(m.is_request);
  CHECK(m.method == "INVITE");
  CHECK(m.request_uri.text == "sip:vivekg@chair-dnrc.example.com;unknownparam");
  CHECK(m.request_uri.user == "vivekg");
  CHECK(m.request_uri.host == "chair-dnrc.example.com");
  CHECK(m.call_id == "wsinv.ndaksdj@192.0.2.1");
  CHECK(m.cseq_number == 9);  // "0009" folded onto the next line
  CHECK(m.cseq_method == "INVITE");
  CHECK(m.content_length == 150);
  CHECK(m.body.size() == 150);
  REQUIRE(m.via_count == 3);
  CHECK(m.vias[0].host == "192.0.2.2");
  CHECK(m.vias[0].transport == "UDP");
  CHECK(m.vias[0].branch == "390skdjuw");
  CHECK(m.vias[1].host == "spindle.example.com");
  CHECK(m.vias[1].transport == "TCP");
  CHECK(m.vias[1].branch == "z9hG4bK9ikj8");
  CHECK(m.vias[2].host == "192.168.255.111");
  CHECK(m.vias[2].transport == "UDP");
  CHECK(m.vias[2].branch == "z9hG4bK30239");
  CHECK(m.to.tag == "1918181833n");
  CHECK(m.from.tag == "98asjd8");
  CHECK(m.from.display_name == "J Rosenberg \\\"");  // quoted-pairs \\ and \" resolved
  CHECK(m.contact.substr(0, 20) == "\"Quoted string \\\"\\\"\"");
  CHECK(m.contact.substr(m.contact.size() - 8) == "q = 0.33");  // folds became single spaces
  CHECK(m.sdp.present);
}

TEST_CASE("RFC 4475 intmeth: extension method and raw NUL/BEL/DEL in a quoted display name",
          "[sip][rfc4475]") {
  auto p = valid("intmeth");
  const SipMessage& m = p->msg;
  const std::string_view method = "!interesting-Method0123456789_*+`.%indeed'~";
  CHECK(m.method == method);
  CHECK(m.cseq_number == 139122385);
  CHECK(m.cseq_method == method);
  CHECK(m.call_id == "intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
  CHECK(m.content_length == 0);
  CHECK(m.request_uri.host == "example.com");
  CHECK(m.request_uri.user == "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
  const std::string_view expected_dn("BEL:\x07 NUL:\x00 DEL:\x7f", 17);
  CHECK(m.to.display_name == expected_dn);
  CHECK(m.to.display_name.size() == 17);
  CHECK(m.from.display_name == "token1~` token2'+_ token3*%!.-");
  CHECK(m.from.tag == "_token~1'+`*%!-.");
}

TEST_CASE("RFC 4475 esc01: escaped user part of the Request-URI is decoded", "[sip][rfc4475]") {
  auto p = valid("esc01");
  const SipMessage& m = p->msg;
  CHECK(m.method == "INVITE");
  CHECK(m.call_id == "esc01.239409asdfakjkn23onasd0-3234");
  CHECK(m.request_uri.scheme == "sip");
  CHECK(m.request_uri.host == "example.net");
  CHECK(m.request_uri.user == "sips:user@example.com");
  CHECK(m.request_uri.user_raw == "sips%3Auser%40example.com");
  CHECK(m.cseq_number == 234234);
  CHECK(m.cseq_method == "INVITE");
  CHECK(m.content_type == "application/sdp");  // compact "C:"
  CHECK(m.content_length == 150);
  CHECK(m.to.uri.user == "user");  // "%75se%72" compares equal to "user"
}

TEST_CASE("RFC 4475 escnull: %00 in user parts survives unescaping", "[sip][rfc4475]") {
  auto p = valid("escnull");
  const SipMessage& m = p->msg;
  CHECK(m.method == "REGISTER");
  CHECK(m.request_uri.text == "sip:example.com");
  CHECK(m.call_id == "escnull.39203ndfvkjdasfkq3w4otrq0adsfdfnavd");
  CHECK(m.cseq_number == 14398234);
  CHECK(m.cseq_method == "REGISTER");
  const std::string_view null_user("null-\0-null", 11);
  CHECK(m.to.uri.user == null_user);
  CHECK(m.from.uri.user == null_user);
  CHECK(m.to.uri.user_raw == "null-%00-null");
  CHECK(m.contact_uri.user == std::string_view("\0", 1));
  CHECK(m.content_length == 0);  // compact "L:0"
}

TEST_CASE("RFC 4475 esc02: escaped method and header names are not their unescaped forms", "[sip][rfc4475]") {
  auto p = valid("esc02");
  const SipMessage& m = p->msg;
  CHECK(m.method == "RE%47IST%45R");
  CHECK(m.cseq_number == 29344);
  CHECK(m.cseq_method == "RE%47IST%45R");
  CHECK(m.call_id == "esc02.asdfnqwo34rq23i34jrjasdcnl23nrlknsdf");
  CHECK(m.from.display_name == "%Z%45");
  CHECK(m.to.display_name == "%Z%45");
  CHECK(m.content_length == 0);
  // C%6Fntact is an extension header: exactly 2 real Contact fields.
  SipHeaderReader reader(m.headers);
  SipHeaderField f;
  int contacts = 0;
  while (reader.next(f) == SipHeaderReader::Status::Field)
    if (canonicalHeaderName(f.name) == "Contact" || f.name == "Contact") ++contacts;
  CHECK(contacts == 2);
  CHECK(m.contact == "<sip:alias1@host1.example.com>");
}

TEST_CASE("RFC 4475 lwsdisp: display name directly followed by <", "[sip][rfc4475]") {
  auto p = valid("lwsdisp");
  const SipMessage& m = p->msg;
  CHECK(m.method == "OPTIONS");
  CHECK(m.call_id == "lwsdisp.1234abcd@funky.example.com");
  CHECK(m.from.display_name == "caller");
  CHECK(m.from.uri.text == "sip:caller@example.com");
  CHECK(m.from.tag == "323");
  CHECK(m.cseq_number == 60);
  CHECK(m.cseq_method == "OPTIONS");
  CHECK(m.content_length == 0);
}

TEST_CASE("RFC 4475 longreq: 34 Via fields in many spellings and a very long Call-ID", "[sip][rfc4475]") {
  auto p = valid("longreq");
  const SipMessage& m = p->msg;
  CHECK(p->bytes.size() == 3515);
  CHECK(m.method == "INVITE");
  CHECK(m.request_uri.text == "sip:user@example.com");
  CHECK(m.call_id.substr(0, 26) == "longreq.onereallyreallyrea");
  CHECK(m.call_id.substr(m.call_id.size() - 16) == "reallylongcallid");
  CHECK(m.via_count == 34);
  CHECK(m.cseq_number == 3882340);
  CHECK(m.cseq_method == "INVITE");
  CHECK(m.content_length == 150);  // compact "l: 150"
  CHECK(m.from.present);           // compact "F:"
  CHECK(m.from.uri.host == "example.net");
}

TEST_CASE("RFC 4475 dblreq: a datagram holds one REGISTER - the trailing INVITE is ignored",
          "[sip][rfc4475]") {
  auto p = valid("dblreq");
  const SipMessage& m = p->msg;
  CHECK(m.method == "REGISTER");
  CHECK(m.request_uri.text == "sip:example.com");
  CHECK(m.call_id == "dblreq.0ha0isndaksdj99sdfafnl3lk233412");  // compact "I:"
  CHECK(m.cseq_number == 8);
  CHECK(m.cseq_method == "REGISTER");
  CHECK(m.content_length == 0);
  CHECK(m.body.empty());
  CHECK(p->outcome.has(SipFlag::TrailingBytes));
  const size_t message_end = size_t(m.body.data() + m.body.size() - p->bytes.data());
  CHECK(p->bytes.size() - message_end == 450);
}

TEST_CASE("RFC 4475 semiuri: a semicolon in the user part is not a URI parameter", "[sip][rfc4475]") {
  auto p = valid("semiuri");
  const SipMessage& m = p->msg;
  CHECK(m.method == "OPTIONS");
  CHECK(m.call_id == "semiuri.0ha0isndaksdj");
  CHECK(m.request_uri.user_raw == "user;par=u%40example.net");
  CHECK(m.request_uri.user == "user;par=u@example.net");
  CHECK(m.request_uri.host == "example.com");
  CHECK(m.cseq_number == 8);
  CHECK(m.cseq_method == "OPTIONS");
}

TEST_CASE("RFC 4475 transports: five Via transports in order", "[sip][rfc4475]") {
  auto p = valid("transports");
  const SipMessage& m = p->msg;
  CHECK(m.method == "OPTIONS");
  CHECK(m.call_id == "transports.kijh4akdnaqjkwendsasfdj");
  REQUIRE(m.via_count == 5);
  CHECK(m.vias[0].transport == "UDP");
  CHECK(m.vias[1].transport == "SCTP");
  CHECK(m.vias[2].transport == "TLS");
  CHECK(m.vias[3].transport == "UNKNOWN");
  CHECK(m.vias[4].transport == "TCP");
  CHECK(m.cseq_number == 60);
  CHECK(m.content_length == 0);
}

TEST_CASE("RFC 4475 mpart01: a binary multipart body is bounded by Content-Length", "[sip][rfc4475]") {
  auto p = valid("mpart01");
  const SipMessage& m = p->msg;
  CHECK(m.method == "MESSAGE");
  CHECK(m.request_uri.text == "sip:kumiko@example.org");
  CHECK(m.call_id == "3d9485ad0c49859b@Zmx1ZmZ5LW1hYy0xNi5sb2NhbA..");
  CHECK(m.cseq_number == 1);
  CHECK(m.cseq_method == "MESSAGE");
  CHECK(m.content_type == "multipart/mixed;boundary=7a9cbec02ceef655");
  CHECK(m.content_length == 553);
  CHECK(m.body.size() == 553);
  CHECK(m.body.data() + m.body.size() == p->bytes.data() + p->bytes.size());
  CHECK(!m.sdp.present);  // no application/sdp part
}

TEST_CASE("RFC 4475 unreason and noreason: unusual and empty reason phrases", "[sip][rfc4475]") {
  auto u = valid("unreason");
  CHECK(!u->msg.is_request);
  CHECK(u->msg.status_code == 200);
  CHECK(u->msg.reason_phrase.substr(0, 14) == "= 2**3 * 5**2 ");
  CHECK(u->msg.reason_phrase.size() > 14);  // the UTF-8 Cyrillic text follows
  CHECK(u->msg.call_id == "unreason.1234ksdfak3j2erwedfsASdf");
  CHECK(u->msg.cseq_number == 35);
  CHECK(u->msg.cseq_method == "INVITE");
  CHECK(u->msg.content_length == 154);

  auto n = valid("noreason");
  CHECK(n->msg.status_code == 100);
  CHECK(n->msg.reason_phrase.empty());
  CHECK(n->msg.start_line == "SIP/2.0 100 ");  // the trailing SP is kept
  CHECK(n->msg.call_id == "noreason.asndj203insdf99223ndf");
  CHECK(n->msg.cseq_number == 35);
  CHECK(n->msg.cseq_method == "INVITE");
  CHECK(n->msg.content_length == 0);
}

TEST_CASE("RFC 4475 unkscm, novelsc, unksm2: non-SIP schemes are kept opaque", "[sip][rfc4475]") {
  auto a = valid("unkscm");
  CHECK(a->msg.request_uri.text == "nobodyKnowsThisScheme:totallyopaquecontent");
  CHECK(a->msg.request_uri.scheme == "nobodyKnowsThisScheme");
  CHECK(a->msg.request_uri.host.empty());
  CHECK(a->msg.call_id == "unkscm.nasdfasser0q239nwsdfasdkl34");
  CHECK(a->msg.cseq_number == 3923423);
  CHECK(a->msg.cseq_method == "OPTIONS");

  auto b = valid("novelsc");
  CHECK(b->msg.request_uri.text == "soap.beep://192.0.2.103:3002");
  CHECK(b->msg.request_uri.scheme == "soap.beep");
  CHECK(b->msg.call_id == "novelsc.asdfasser0q239nwsdfasdkl34");
  CHECK(b->msg.cseq_number == 3923423);

  auto c = valid("unksm2");
  CHECK(c->msg.method == "REGISTER");
  CHECK(c->msg.call_id == "unksm2.daksdj@hyphenated-host.example.com");
  CHECK(c->msg.to.uri.text == "isbn:2983792873");
  CHECK(c->msg.to.uri.scheme == "isbn");
  CHECK(c->msg.from.uri.text == "http://www.example.com");
  CHECK(c->msg.from.tag == "3234233");
  CHECK(c->msg.contact == "<name:John_Smith>");
  CHECK(c->msg.contact_uri.scheme == "name");
  CHECK(c->msg.cseq_number == 234902);
}

TEST_CASE("RFC 4475 bext01, invut, regaut01, zeromf, sdp01: syntactically valid requests", "[sip][rfc4475]") {
  auto a = valid("bext01");
  CHECK(a->msg.method == "OPTIONS");
  CHECK(a->msg.call_id == "bext01.0ha0isndaksdj");
  REQUIRE(a->msg.via_count == 1);
  CHECK(a->msg.vias[0].transport == "TLS");
  CHECK(a->msg.cseq_number == 8);

  auto b = valid("invut");
  CHECK(b->msg.method == "INVITE");
  CHECK(b->msg.call_id == "invut.0ha0isndaksdjadsfij34n23d");
  CHECK(b->msg.content_type == "application/unknownformat");
  CHECK(b->msg.body.size() == 40);
  CHECK(!b->msg.sdp.present);
  CHECK(b->msg.cseq_number == 235448);

  auto c = valid("regaut01");
  CHECK(c->msg.method == "REGISTER");
  CHECK(c->msg.call_id == "regaut01.0ha0isndaksdj");
  CHECK(c->msg.content_length == 0);  // "Content-Length:0"
  CHECK(c->msg.cseq_number == 9338);

  auto d = valid("zeromf");
  CHECK(d->msg.method == "OPTIONS");
  CHECK(d->msg.call_id == "zeromf.jfasdlfnm2o2l43r5u0asdfas");
  CHECK(d->msg.cseq_number == 39234321);

  auto e = valid("sdp01");
  CHECK(e->msg.method == "INVITE");
  CHECK(e->msg.call_id == "sdp01.ndaksdj9342dasdd");
  CHECK(e->msg.cseq_number == 8);
  CHECK(e->msg.content_length == 150);
  CHECK(e->msg.sdp.present);
}

TEST_CASE("RFC 4475 bcast: a response with a broadcast Via is just recorded", "[sip][rfc4475]") {
  auto p = valid("bcast");
  const SipMessage& m = p->msg;
  CHECK(m.status_code == 200);
  CHECK(m.call_id == "bcast.0384840201234ksdfak3j2erwedfsASdf");
  CHECK(m.cseq_number == 35);
  CHECK(m.cseq_method == "INVITE");
  REQUIRE(m.via_count >= 2);
  CHECK(m.vias[1].host == "255.255.255.255");
  CHECK(m.content_length == 154);
}

TEST_CASE("RFC 4475 cparam01/02 and regescrt: Contact parameters and escaped headers", "[sip][rfc4475]") {
  auto a = valid("cparam01");
  CHECK(a->msg.call_id == "cparam01.70710@saturn.example.com");
  CHECK(a->msg.contact == "sip:+19725552222@gw1.example.net;unknownparam");
  CHECK(a->msg.contact_uri.text == "sip:+19725552222@gw1.example.net");  // header parameter
  CHECK(a->msg.cseq_number == 2);

  auto b = valid("cparam02");
  CHECK(b->msg.call_id == "cparam02.70710@saturn.example.com");
  CHECK(b->msg.contact_uri.text == "sip:+19725552222@gw1.example.net;unknownparam");  // URI parameter
  CHECK(b->msg.cseq_number == 3);

  auto c = valid("regescrt");
  CHECK(c->msg.call_id == "regescrt.k345asrl3fdbv@192.0.2.1");
  CHECK(c->msg.contact == "<sip:user@example.com?Route=%3Csip:sip.example.com%3E>");  // compact "M:"
  CHECK(c->msg.contact_uri.has_headers);
  CHECK(c->msg.content_length == 0);
  CHECK(c->msg.cseq_number == 14398234);
}

TEST_CASE("RFC 4475 inv2543: without Content-Length the body runs to the end of the datagram",
          "[sip][rfc4475]") {
  auto p = valid("inv2543");
  const SipMessage& m = p->msg;
  CHECK(m.method == "INVITE");
  CHECK(m.call_id == "inv2543.1717@ift.client.example.com");
  CHECK(m.content_length == -1);
  CHECK(m.body.size() == 105);
  CHECK(m.cseq_number == 56);
  REQUIRE(m.via_count == 1);
  CHECK(m.vias[0].branch.empty());
  CHECK(m.sdp.present);
}

// What each invalid message is: a hard error, or a flag on a stored message (with its Call-ID).
struct InvalidCase {
  std::string_view name;
  ParseError error;
  SipFlag flag;  // checked when error == Ok
  std::string_view call_id;
};

TEST_CASE("Every RFC 4475 invalid message is rejected or flagged with a reason", "[sip][rfc4475]") {
  const InvalidCase kCases[] = {
      {"badaspec", ParseError::Ok, SipFlag::MalformedHeader, "badaspec.sdf0234n2nds0a099u23h3hnnw009cdkne3"},
      {"badbranch", ParseError::Ok, SipFlag::BareBranchCookie, "badbranch.sadonfo23i420jv0as0derf3j3n"},
      {"baddate", ParseError::Ok, SipFlag::BadDate, "baddate.239423mnsadf3j23lj42--sedfnm234"},
      {"baddn", ParseError::Ok, SipFlag::MalformedHeader, "baddn.31415@c.example.com"},
      {"badinv01", ParseError::Ok, SipFlag::MalformedHeader, "badinv01.0ha0isndaksdjasdf3234nas"},
      {"badvers", ParseError::Ok, SipFlag::UnsupportedVersion, "badvers.31417@c.example.com"},
      {"bigcode", ParseError::BadStatusCode, {}, {}},
      {"clerr", ParseError::Ok, SipFlag::ContentLengthExceedsBody, "clerr.0ha0isndaksdjweiafasdk3"},
      {"escruri", ParseError::Ok, SipFlag::BadRequestUri,
       "escruri.23940-asdfhj-aje3br-234q098w-fawerh2q-h4n5"},
      {"insuf", ParseError::MissingCallId, {}, {}},
      {"ltgtruri", ParseError::Ok, SipFlag::BadRequestUri, "ltgtruri.1@192.0.2.5"},
      {"lwsruri", ParseError::Ok, SipFlag::BadRequestUri, "lwsruri.asdfasdoeoi2323-asdfwrn23-asd834rk423"},
      {"lwsstart", ParseError::Ok, SipFlag::StartLineWhitespace,
       "lwsstart.dfknq234oi243099adsdfnawe3@example.com"},
      {"mcl01", ParseError::BadContentLength, {}, {}},
      {"mismatch01", ParseError::Ok, SipFlag::MethodMismatch, "mismatch01.dj0234sxdfl3"},
      {"mismatch02", ParseError::Ok, SipFlag::MethodMismatch, "mismatch02.dj0234sxdfl3"},
      {"multi01", ParseError::Ok, SipFlag::DuplicateHeader, "multi01.98asdh@192.0.2.1"},
      {"ncl", ParseError::BadContentLength, {}, {}},
      {"quotbal", ParseError::Ok, SipFlag::MalformedHeader, "quotbal.aksdj"},
      {"regbadct", ParseError::Ok, SipFlag::MalformedHeader, "regbadct.k345asrl3fdbv@10.0.0.1"},
      {"scalar02", ParseError::Ok, SipFlag::BadCSeq, "scalar02.23o0pd9vanlq3wnrlnewofjas9ui32"},
      {"scalarlg", ParseError::Ok, SipFlag::BadCSeq, "scalarlg.noase0of0234hn2qofoaf0232aewf2394r"},
      {"trws", ParseError::Ok, SipFlag::StartLineWhitespace, "trws.oicu34958239neffasdhr2345r"},
  };
  const auto files = test::corpusFiles("rfc4475/invalid", ".dat");
  REQUIRE(files.size() == std::size(kCases));
  for (const InvalidCase& c : kCases) {
    auto p = parseCorpusFile("rfc4475/invalid/" + std::string(c.name) + ".dat");
    INFO(c.name << ": " << parseErrorName(p->outcome.error) << " '" << p->outcome.reason << "' flags "
                << flagList(p->outcome.flags));
    CHECK(!p->outcome.reason.empty());
    CHECK(p->outcome.error == c.error);
    if (c.error == ParseError::Ok) {
      CHECK(p->outcome.has(c.flag));
      CHECK(p->msg.call_id == c.call_id);
    }
  }
}

TEST_CASE("RFC 4475 invalid messages keep the fields a capture tool still needs", "[sip][rfc4475]") {
  SECTION("scalar02: a CSeq of 2^65 overflows and is flagged, not wrapped") {
    auto p = parseCorpusFile("rfc4475/invalid/scalar02.dat");
    CHECK(p->msg.cseq_number == 0);
    CHECK(p->msg.cseq_method == "REGISTER");
  }
  SECTION("lwsruri: CSeq 2130706432 is below 2^31 and accepted") {
    auto p = parseCorpusFile("rfc4475/invalid/lwsruri.dat");
    CHECK(p->msg.cseq_number == 2130706432u);
    CHECK(!p->outcome.has(SipFlag::BadCSeq));
  }
  SECTION("multi01: the first of two Call-IDs and CSeqs is kept") {
    auto p = parseCorpusFile("rfc4475/invalid/multi01.dat");
    CHECK(p->msg.call_id == "multi01.98asdh@192.0.2.1");
    CHECK(p->msg.cseq_number == 5);
  }
  SECTION("baddn: the unquoted display name with a comma stays one From value") {
    auto p = parseCorpusFile("rfc4475/invalid/baddn.dat");
    CHECK(p->msg.from.display_name == "Bell, Alexander");
    CHECK(p->msg.from.uri.user == "a.g.bell");
    CHECK(p->msg.from.tag == "43");
  }
  SECTION("clerr: the body is what the datagram holds") {
    auto p = parseCorpusFile("rfc4475/invalid/clerr.dat");
    CHECK(p->msg.content_length == 9999);
    CHECK(p->msg.body.size() == 154);
  }
  SECTION("bigcode: 4294967301 is not read as status 5") {
    auto p = parseCorpusFile("rfc4475/invalid/bigcode.dat");
    CHECK(p->msg.status_code == 0);
  }
  SECTION("badbranch: the bare magic cookie is still read as the branch") {
    auto p = parseCorpusFile("rfc4475/invalid/badbranch.dat");
    REQUIRE(p->msg.topVia() != nullptr);
    CHECK(p->msg.topVia()->branch == "z9hG4bK");
  }
}

TEST_CASE("RFC 4475 extra test.dat: a request line without SIP-Version is rejected", "[sip][rfc4475]") {
  auto p = parseCorpusFile("rfc4475/extra/test.dat");
  CHECK(p->outcome.error == ParseError::BadStartLine);
  CHECK(!p->outcome.reason.empty());
}
