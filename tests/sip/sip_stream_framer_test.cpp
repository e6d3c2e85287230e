// SipStreamFramer: SIP over TCP split by Content-Length, on real message bytes.
#include "sip/sip_stream_framer.h"

#include <catch2/catch.hpp>
#include <map>
#include <random>

#include "pcap_payload_reader.h"
#include "sip_test_support.h"

using namespace sipvault::sip;

using namespace sipvault;

namespace {

struct Collected {
  std::vector<std::string> messages;
  size_t keep_alive_bytes = 0;
  size_t skipped_bytes = 0;
};

void drain(SipStreamFramer& framer, Collected& out) {
  for (;;) {
    const SipFrame f = framer.next();
    switch (f.kind) {
      case SipFrame::Kind::NeedMore:
        return;
      case SipFrame::Kind::Message:
        out.messages.emplace_back(f.bytes);
        break;
      case SipFrame::Kind::KeepAlive:
        out.keep_alive_bytes += f.bytes.size();
        break;
      case SipFrame::Kind::Skipped:
        REQUIRE(!f.reason.empty());
        out.skipped_bytes += f.bytes.size();
        break;
    }
  }
}

Collected frameSegments(const std::vector<std::string_view>& segments,
                        size_t max = SipStreamFramer::kDefaultMaxMessageBytes) {
  SipStreamFramer framer(max);
  Collected out;
  for (std::string_view s : segments) {
    framer.append(s);
    drain(framer, out);
  }
  return out;
}

// RFC 4475 valid messages whose Content-Length frames them exactly (a stream needs that).
std::vector<std::string> streamableMessages() {
  std::vector<std::string> out;
  for (const auto& f : test::corpusFiles("rfc4475/valid", ".dat")) {
    auto p = test::parseCorpusFile("rfc4475/valid/" + f);
    if (p->outcome.ok() && p->outcome.flags == 0 && p->msg.content_length >= 0) out.push_back(p->bytes);
  }
  return out;
}

}  // namespace

TEST_CASE("The framer returns back-to-back RFC 4475 messages split at every byte offset", "[sip][framer]") {
  const auto all = streamableMessages();
  REQUIRE(all.size() >= 20);
  // A few messages (short ones and the folded wsinv) keep the every-offset loop quick.
  const std::vector<std::string> msgs(all.begin(), all.begin() + 6);
  std::string stream;
  for (const auto& m : msgs) stream += m + "\r\n\r\n";  // keep-alive CRLFs between messages
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    const std::string_view s(stream);
    const Collected c = frameSegments({s.substr(0, cut), s.substr(cut)});
    INFO("cut at " << cut);
    REQUIRE(c.messages == msgs);
    CHECK(c.skipped_bytes == 0);
    CHECK(c.keep_alive_bytes == 4 * msgs.size());
  }
}

TEST_CASE("The framer handles a stream fed one byte at a time", "[sip][framer]") {
  const auto msgs = streamableMessages();
  std::string stream;
  for (const auto& m : msgs) stream += m;
  std::vector<std::string_view> bytes;
  for (size_t i = 0; i < stream.size(); ++i) bytes.push_back(std::string_view(stream).substr(i, 1));
  const Collected c = frameSegments(bytes);
  CHECK(c.messages == msgs);
  CHECK(c.skipped_bytes == 0);
}

TEST_CASE("On a stream, RFC 4475 dblreq holds two messages", "[sip][framer][rfc4475]") {
  const std::string bytes = test::readFile(test::corpusPath("rfc4475/valid/dblreq.dat"));
  const Collected c = frameSegments({bytes});
  REQUIRE(c.messages.size() == 2);
  // The embedded INVITE's SDP is 155 bytes for Content-Length 150: its tail "C\r\n" is junk on a
  // stream (then a CRLF keep-alive), and the CRLF after the REGISTER is a keep-alive too.
  CHECK(c.skipped_bytes == 3);
  CHECK(c.keep_alive_bytes == 4);
  auto first = test::parseBytes(c.messages[0]);
  auto second = test::parseBytes(c.messages[1]);
  REQUIRE(first->outcome.ok());
  REQUIRE(second->outcome.ok());
  CHECK(first->outcome.flags == 0);  // no trailing bytes once framed
  CHECK(first->msg.method == "REGISTER");
  CHECK(second->msg.method == "INVITE");
  CHECK(second->msg.call_id == "dblreq.0ha0isnda977644900765@192.0.2.15");
  CHECK(second->msg.content_length == 150);
}

TEST_CASE("The framer splits the derived multi-message TCP capture into its 7 SIP messages",
          "[sip][framer][pcap]") {
  std::string error;
  const auto segments = test::readTcpPayloads(
      test::corpusPath("pcap/derived/tcp_multi_msg_per_segment_from_heplify_sip_ipv4_tcp.pcap"), 5060, error);
  REQUIRE(error.empty());
  std::map<std::string, SipStreamFramer> framers;  // one per direction
  Collected c;
  for (const auto& s : segments) {
    SipStreamFramer& f = framers[s.flow];
    f.append(s.payload);
    drain(f, c);
  }
  CHECK(c.skipped_bytes == 0);
  REQUIRE(c.messages.size() == 7);
  std::map<std::string, int> methods;
  for (const auto& m : c.messages) {
    auto p = test::parseBytes(m);
    INFO(p->outcome.reason);
    REQUIRE(p->outcome.ok());
    CHECK(p->outcome.flags == 0);
    ++methods[std::string(p->msg.transactionMethod())];
  }
  CHECK(methods["INVITE"] == 4);  // INVITE, 100, 180, 200
  CHECK(methods["ACK"] == 1);
  CHECK(methods["BYE"] == 2);  // BYE and its 200 OK
}

TEST_CASE("The framer reassembles 406 SIP messages from the fragmented TCP capture", "[sip][framer][pcap]") {
  std::string error;
  const auto segments =
      test::readTcpPayloads(test::corpusPath("pcap/heplify_sip_ipv4_tcp_fragmented.pcap"), 6060, error);
  REQUIRE(error.empty());
  std::map<std::string, SipStreamFramer> framers;
  Collected c;
  for (const auto& s : segments) {
    SipStreamFramer& f = framers[s.flow];
    f.append(s.payload);
    drain(f, c);
  }
  CHECK(c.skipped_bytes == 0);
  CHECK(c.messages.size() == 406);
  SipMessage msg;
  size_t ok = 0;
  for (const auto& m : c.messages) {
    const ParseOutcome r = parseSipMessage(m, msg);
    INFO(r.reason << " flags " << test::flagList(r.flags));
    CHECK(r.ok());
    CHECK((r.flags & uint32_t(SipFlag::TrailingBytes)) == 0);
    CHECK((r.flags & uint32_t(SipFlag::ContentLengthExceedsBody)) == 0);
    ok += r.ok() && !msg.call_id.empty();
  }
  CHECK(ok == 406);
}

TEST_CASE("The framer skips junk before a message line by line and resynchronises", "[sip][framer]") {
  const std::string msg = test::readFile(test::corpusPath("rfc4475/valid/lwsdisp.dat"));
  const std::string junk = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n\x01\x02garbage";
  // A capture that starts mid-message: the tail of some body, then a real message.
  const Collected c = frameSegments({junk + "\r\n", msg});
  REQUIRE(c.messages.size() == 1);
  CHECK(c.messages[0] == msg);
  CHECK(c.skipped_bytes == junk.size() + 2);
}

TEST_CASE("What the framer finds does not depend on where the stream is cut", "[sip][framer]") {
  // The junk line ends in something that looks like a request line once its first byte is gone:
  // it must be dropped whole however it arrives.
  const std::string msg = test::readFile(test::corpusPath("rfc4475/valid/lwsdisp.dat"));
  const std::string stream = std::string("\x01") + "abc INVITE sip:x@y SIP/2.0\r\n" + msg;
  const Collected whole = frameSegments({stream});
  REQUIRE(whole.messages == std::vector<std::string>{msg});
  for (size_t cut = 1; cut < 40; ++cut) {
    const std::string_view s(stream);
    const Collected c = frameSegments({s.substr(0, cut), s.substr(cut)});
    INFO("cut at " << cut);
    CHECK(c.messages == whole.messages);
    CHECK(c.skipped_bytes == whole.skipped_bytes);
  }
}

TEST_CASE("The framer skips a header section with an unusable Content-Length", "[sip][framer]") {
  // RFC 4475 ncl (Content-Length: -999) and mcl01 (two different values) cannot be framed.
  for (const char* name : {"ncl", "mcl01"}) {
    const std::string bad = test::readFile(test::corpusPath(std::string("rfc4475/invalid/") + name + ".dat"));
    const std::string good = test::readFile(test::corpusPath("rfc4475/valid/lwsdisp.dat"));
    const Collected c = frameSegments({bad, good});
    INFO(name);
    REQUIRE(c.messages.size() == 1);
    CHECK(c.messages[0] == good);
    CHECK(c.skipped_bytes > 0);
    CHECK(c.skipped_bytes + c.keep_alive_bytes == bad.size());  // blank body lines are CRLF runs
  }
}

TEST_CASE("The framer discards a message larger than its limit and stays in sync", "[sip][framer]") {
  const std::string small = test::readFile(test::corpusPath("rfc4475/valid/lwsdisp.dat"));
  // mpart01: headers fit in 1024 bytes, headers + 553-byte body do not: dropped by Content-Length.
  // longreq: 3515 bytes, its header section alone is over the limit: dropped line by line.
  const std::string mpart = test::readFile(test::corpusPath("rfc4475/valid/mpart01.dat"));
  const std::string longreq = test::readFile(test::corpusPath("rfc4475/valid/longreq.dat"));
  REQUIRE(small.size() < 1024);
  REQUIRE(mpart.find("\r\n\r\n") < 1024);
  REQUIRE(mpart.size() > 1024);
  for (const std::string* big : {&mpart, &longreq}) {
    const std::string stream = small + *big + small;
    for (size_t seg : {size_t(1), size_t(7), size_t(100), stream.size()}) {
      std::vector<std::string_view> segments;
      for (size_t i = 0; i < stream.size(); i += seg)
        segments.push_back(std::string_view(stream).substr(i, seg));
      const Collected c = frameSegments(segments, 1024);
      INFO("message of " << big->size() << " bytes, segment size " << seg);
      CHECK(c.messages == std::vector<std::string>{small, small});
      if (big == &mpart) {
        CHECK(c.skipped_bytes == big->size());
      } else {
        CHECK(c.skipped_bytes + c.keep_alive_bytes == big->size());  // its blank line is a CRLF run
      }
    }
  }
}

TEST_CASE("A missing Content-Length on a stream means an empty body", "[sip][framer]") {
  // RFC 4475 inv2543 has no Content-Length: on a stream its SDP is not part of the message.
  const std::string msg = test::readFile(test::corpusPath("rfc4475/valid/inv2543.dat"));
  const size_t header_end = msg.find("\r\n\r\n") + 4;
  const Collected c = frameSegments({msg});
  REQUIRE(c.messages.size() == 1);
  CHECK(c.messages[0] == msg.substr(0, header_end));
  CHECK(c.skipped_bytes == msg.size() - header_end);  // the SDP lines are not start lines
}

TEST_CASE("Random bytes never crash the framer and its buffer stays bounded", "[sip][framer][robustness]") {
  std::mt19937 rng(4475);
  const std::string seed = test::readFile(test::corpusPath("rfc4475/valid/wsinv.dat"));
  const std::string alphabet = "\r\n :;,<>\"\\/SIP2.0aZ9-lL\t";
  for (int round = 0; round < 300; ++round) {
    SipStreamFramer framer(2048);
    Collected c;
    for (int seg = 0; seg < 40; ++seg) {
      std::string bytes;
      const size_t len = rng() % 200;
      for (size_t i = 0; i < len; ++i) {
        const unsigned pick = rng() % 4;
        bytes += pick == 0   ? char(rng())
                 : pick == 1 ? alphabet[rng() % alphabet.size()]
                             : seed[rng() % seed.size()];
      }
      if (rng() % 5 == 0) bytes += seed;  // sometimes a real message
      framer.append(bytes);
      drain(framer, c);
      CHECK(framer.buffered() <= 2048 + bytes.size());
    }
    for (const auto& m : c.messages) {
      SipMessage msg;
      (void)parseSipMessage(m, msg);
    }
  }
}
