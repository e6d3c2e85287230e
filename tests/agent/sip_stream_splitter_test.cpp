// frameSipMessage / SipStreamSplitter on RFC 4475 messages.
#include <catch2/catch.hpp>

#include "agent/decode/sip_stream_splitter.h"
#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

std::string dat(const std::string& name) { return test::readCorpusFile("rfc4475/" + name + ".dat"); }

constexpr size_t kMax = 65535;

}  // namespace

TEST_CASE("A complete SIP message is framed by its Content-Length", "[netdecode][sip-framing]") {
  for (const char* name : {"valid/longreq", "valid/wsinv", "valid/mpart01", "valid/esc01", "valid/unreason",
                           "valid/noreason", "valid/lwsdisp", "valid/escnull"}) {
    const std::string msg = dat(name);
    INFO(name);
    const SipFrame f = frameSipMessage(msg, kMax);
    CHECK(f.status == SipFrameStatus::Message);
    CHECK(f.length == msg.size());
  }
}

TEST_CASE("Every strict prefix of a SIP message needs more bytes", "[netdecode][sip-framing]") {
  const std::string msg = dat("valid/mpart01");  // binary body with bare CR/LF: length decides
  for (size_t n = 1; n < msg.size(); ++n) {
    const SipFrame f = frameSipMessage(std::string_view(msg).substr(0, n), kMax);
    if (f.status != SipFrameStatus::NeedMore) FAIL("prefix " << n << " framed as " << int(f.status));
  }
}

TEST_CASE("Two SIP messages back to back with keep-alives split in two", "[netdecode][sip-framing]") {
  // dblreq is a REGISTER (Content-Length 0) followed by an INVITE in the same bytes.
  const std::string stream = "\r\n\r\n" + dat("valid/dblreq");
  const SipFrame ka = frameSipMessage(stream, kMax);
  CHECK(ka.status == SipFrameStatus::KeepAlive);
  CHECK(ka.length == 4);
  const std::string_view rest = std::string_view(stream).substr(4);
  const SipFrame reg = frameSipMessage(rest, kMax);
  REQUIRE(reg.status == SipFrameStatus::Message);
  CHECK(rest.substr(0, reg.length).find("REGISTER sip:example.com SIP/2.0") == 0);
  // The file has one stray CRLF between the two messages.
  const SipFrame crlf = frameSipMessage(rest.substr(reg.length), kMax);
  CHECK(crlf.status == SipFrameStatus::KeepAlive);
  CHECK(crlf.length == 2);
  const std::string_view invite = rest.substr(reg.length + crlf.length);
  const SipFrame inv = frameSipMessage(invite, kMax);
  REQUIRE(inv.status == SipFrameStatus::Message);
  CHECK(invite.find("INVITE ") == 0);
  CHECK(inv.length == invite.find("\r\n\r\n") + 4 + 150);  // its Content-Length: 150
}

TEST_CASE("Bytes before a SIP start line are skipped to resynchronise", "[netdecode][sip-framing]") {
  const std::string msg = dat("valid/esc01");
  const std::string junk = "tail of an earlier body\r\nv=0\r\n";
  const std::string stream = junk + msg;
  const SipFrame skip = frameSipMessage(stream, kMax);
  CHECK(skip.status == SipFrameStatus::Skip);
  CHECK(skip.length == junk.size());
  const SipFrame f = frameSipMessage(std::string_view(stream).substr(skip.length), kMax);
  CHECK(f.status == SipFrameStatus::Message);
  SECTION("an incomplete last line is kept: it may be a start line") {
    const std::string partial = junk + msg.substr(0, 10);
    const SipFrame s = frameSipMessage(partial, kMax);
    CHECK(s.status == SipFrameStatus::Skip);
    CHECK(s.length == junk.size());
  }
}

TEST_CASE("Compact l: and a missing Content-Length are understood", "[netdecode][sip-framing]") {
  const std::string transports = dat("valid/transports");  // "l: 0"
  CHECK(frameSipMessage(transports, kMax).length == transports.size());
  // inv2543 has no Content-Length: on a stream its body cannot be delimited, so it is taken as 0.
  const std::string inv2543 = dat("valid/inv2543");
  const SipFrame f = frameSipMessage(inv2543, kMax);
  REQUIRE(f.status == SipFrameStatus::Message);
  CHECK(f.length == inv2543.find("\r\n\r\n") + 4);
}

TEST_CASE("SIP messages over the size bound are skipped, not buffered", "[netdecode][sip-framing]") {
  const std::string msg = dat("valid/longreq");
  const SipFrame f = frameSipMessage(msg, 1000);
  CHECK(f.status == SipFrameStatus::Oversize);
  CHECK(f.length == msg.find("\r\n") + 2);
  // A Content-Length that overflows or points far away (clerr: 9999) is bounded too.
  const std::string clerr = dat("invalid/clerr");
  CHECK(frameSipMessage(clerr, 4096).status == SipFrameStatus::Oversize);
  CHECK(frameSipMessage(clerr, kMax).status == SipFrameStatus::NeedMore);
}

TEST_CASE("Start lines are recognised", "[netdecode][sip-framing]") {
  CHECK(isSipStartLine("INVITE sip:bob@example.com SIP/2.0"));
  CHECK(isSipStartLine("SIP/2.0 100 "));
  const std::string intmeth = dat("valid/intmeth");  // an extension method full of token punctuation
  CHECK(isSipStartLine(std::string_view(intmeth).substr(0, intmeth.find("\r\n"))));
  CHECK_FALSE(isSipStartLine("GET / HTTP/1.1"));
  CHECK_FALSE(isSipStartLine("SIP/2.0 1x0 Trying"));
  CHECK_FALSE(isSipStartLine("Via: SIP/2.0/TCP host"));
  CHECK_FALSE(isSipStartLine(" sip:x SIP/2.0"));
  CHECK_FALSE(isSipStartLine(""));
}

TEST_CASE("The splitter emits each framed message with the stream's metadata", "[netdecode][sip-framing]") {
  test::CollectingSink sink;
  DecodeCounters counters;
  SipStreamSplitter splitter(sink, counters);
  TcpStreamInfo info;
  info.meta.src = *IpAddress::parse("192.0.2.1");
  info.meta.src_port = 5060;
  info.meta.ip_proto = kIpProtoTcp;
  const std::string a = dat("valid/esc01");
  const std::string b = dat("valid/unreason");
  const std::string stream = a + "\r\n" + b + b.substr(0, 40);
  const size_t used = splitter.onStreamData(info, stream, false);
  CHECK(used == a.size() + 2 + b.size());
  REQUIRE(sink.packets.size() == 2);
  CHECK(sink.packets[0].payload == a);
  CHECK(sink.packets[1].payload == b);
  CHECK(sink.packets[1].src_port == 5060);
  CHECK(counters.sip_stream_messages == 2);
}

}  // namespace sipvault::netdecode
