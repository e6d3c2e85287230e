// Truncated, mutated and random input: the parser never crashes, never reads outside the input,
// and a cut message is always reported (error or flag), never passed off as complete.
#include <catch2/catch.hpp>
#include <random>

#include "sip_test_support.h"

using namespace sipvault;
using namespace sipvault::sip;

namespace {

// Views never point outside the input, except rewritten (folded/escaped) values, which live in
// the message's arena; these are the ones that always come from the input.
void checkViewsInside(const SipMessage& m, std::string_view in) {
  auto inside = [&](std::string_view v) {
    return v.empty() || (v.data() >= in.data() && v.data() + v.size() <= in.data() + in.size());
  };
  CHECK(inside(m.start_line));
  CHECK(inside(m.method));
  CHECK(inside(m.reason_phrase));
  CHECK(inside(m.headers));
  CHECK(inside(m.body));
  for (size_t i = 0; i < m.sdp.media_count; ++i) CHECK(inside(m.sdp.media[i].type));
}

std::vector<std::string> seedMessages() {
  std::vector<std::string> out;
  for (const char* f : {"rfc4475/valid/wsinv.dat", "rfc4475/valid/intmeth.dat", "rfc4475/valid/esc01.dat",
                        "rfc4475/valid/mpart01.dat", "rfc4475/valid/unreason.dat",
                        "rfc4475/valid/longreq.dat", "rfc5118/wire/mult-ip-in-header.sip"})
    out.push_back(test::readFile(test::corpusPath(f)));
  return out;
}

}  // namespace

TEST_CASE("A message cut at any offset is rejected or flagged, never taken as complete",
          "[sip][robustness]") {
  for (const std::string& full : seedMessages()) {
    auto whole = test::parseBytes(full);
    REQUIRE(whole->outcome.ok());
    REQUIRE(whole->msg.content_length >= 0);
    SipMessage msg;
    for (size_t cut = 0; cut < full.size(); ++cut) {
      // Copy the prefix into its own allocation so ASan/valgrind would see any over-read.
      const std::string prefix = full.substr(0, cut);
      const ParseOutcome r = parseSipMessage(prefix, msg);
      INFO(whole->msg.call_id << " cut at " << cut << ": " << parseErrorName(r.error) << " " << r.reason);
      const bool cut_reported =
          r.has(SipFlag::ContentLengthExceedsBody) || r.has(SipFlag::NoHeaderTerminator);
      CHECK((!r.ok() || cut_reported));
      if (r.ok()) {
        CHECK(!msg.call_id.empty());
        checkViewsInside(msg, prefix);
      }
    }
  }
}

TEST_CASE("Seeded random bytes never crash the parser", "[sip][robustness]") {
  std::mt19937 rng(5118);
  SipMessage msg;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes(rng() % 600, '\0');
    for (char& c : bytes) c = char(rng());
    const ParseOutcome r = parseSipMessage(bytes, msg);
    CHECK(r.error != ParseError::Ok);  // random bytes are not SIP
  }
}

TEST_CASE("Mutated real messages never crash the parser and keep views inside the input",
          "[sip][robustness]") {
  std::mt19937 rng(3261);
  const auto seeds = seedMessages();
  const std::string specials = "\r\n\t :;,<>\"\\%@[]=?/";
  SipMessage msg;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = seeds[rng() % seeds.size()];
    const int edits = 1 + int(rng() % 8);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0:
          bytes[at] = specials[rng() % specials.size()];
          break;
        case 1:
          bytes[at] = char(rng());
          break;
        case 2:
          bytes.insert(at, 1, specials[rng() % specials.size()]);
          break;
        default:
          bytes.erase(at, 1 + rng() % 16);
          break;
      }
    }
    const ParseOutcome r = parseSipMessage(bytes, msg);
    if (r.ok()) {
      CHECK(!msg.call_id.empty());
      checkViewsInside(msg, bytes);
    } else {
      CHECK(!r.reason.empty());
    }
  }
}

TEST_CASE("Pathological inputs stay linear and bounded", "[sip][robustness]") {
  SipMessage msg;
  SECTION("thousands of Via values") {
    std::string m = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nVia: ";
    for (int i = 0; i < 20000; ++i) m += "SIP/2.0/UDP h" + std::to_string(i) + ",";
    m += "SIP/2.0/UDP last\r\n\r\n";
    const ParseOutcome r = parseSipMessage(m, msg);
    CHECK(r.ok());
    CHECK(msg.via_count == 255);  // saturates
    CHECK(msg.vias[0].host == "h0");
  }
  SECTION("a huge folded header and an unterminated quote") {
    std::string m = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nFrom: \"";
    for (int i = 0; i < 20000; ++i) m += "a\\\r\n ";
    m += "\r\n\r\n";
    const ParseOutcome r = parseSipMessage(m, msg);
    CHECK(r.ok());
    CHECK(r.has(SipFlag::MalformedHeader));
    CHECK(msg.arena.capacity() <= 3 * m.size() + 16);
  }
  SECTION("only line ends") {
    const ParseOutcome r = parseSipMessage(std::string(100000, '\n'), msg);
    CHECK(r.error == ParseError::Empty);
  }
}
