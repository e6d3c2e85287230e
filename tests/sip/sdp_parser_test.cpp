// SDP summary: connection addresses, media, codec names.
#include "sip/sdp_parser.h"

#include <catch2/catch.hpp>

#include "pcap_payload_reader.h"
#include "sip_test_support.h"

using namespace sipvault::sip;

using namespace sipvault;

TEST_CASE("Static payload types are named from RFC 3551", "[sdp]") {
  CHECK(staticPayloadName(0) == "PCMU");
  CHECK(staticPayloadName(8) == "PCMA");
  CHECK(staticPayloadName(9) == "G722");
  CHECK(staticPayloadName(18) == "G729");
  CHECK(staticPayloadName(96).empty());
  CHECK(staticPayloadName(2).empty());
}

TEST_CASE("RFC 4475 wsinv SDP: rtpmap names win over the static table", "[sdp][rfc4475]") {
  auto p = test::parseCorpusFile("rfc4475/valid/wsinv.dat");
  REQUIRE(p->outcome.ok());
  const SdpSummary& s = p->msg.sdp;
  REQUIRE(s.present);
  CHECK(s.connection_address == "192.0.2.4");
  REQUIRE(s.media_count == 2);
  CHECK(s.media[0].type == "audio");
  CHECK(s.media[0].port == 49217);
  CHECK(s.media[0].protocol == "RTP/AVP");
  CHECK(s.media[1].type == "video");
  CHECK(s.media[1].port == 3227);
  // m=audio ... 0 12 (static PCMU, QCELP); m=video ... 31 with a=rtpmap:31 LPC.
  REQUIRE(s.codec_count == 3);
  CHECK(s.codecs[0] == "PCMU");
  CHECK(s.codecs[1] == "QCELP");
  CHECK(s.codecs[2] == "LPC");
}

TEST_CASE("hep-js INVITE SDP with bare LF: G729, PCMU, PCMA and telephone-event", "[sdp][hep]") {
  std::string error;
  const auto datagrams = test::readUdpPayloads(test::corpusPath("hep/hep-wireshark_hep.pcap"), 9060, error);
  REQUIRE(error.empty());
  REQUIRE(!datagrams.empty());
  const std::string& hep = datagrams[0].payload;  // the INVITE
  const size_t at = hep.find("INVITE sip:");
  REQUIRE(at != std::string::npos);
  auto p = test::parseBytes(hep.substr(at));
  REQUIRE(p->outcome.ok());
  const SdpSummary& s = p->msg.sdp;
  REQUIRE(s.present);
  CHECK(s.connection_address == "127.126.124.123");
  REQUIRE(s.media_count == 1);
  CHECK(s.media[0].port == 5072);
  REQUIRE(s.codec_count == 4);
  CHECK(s.codecs[0] == "G729");
  CHECK(s.codecs[1] == "PCMU");
  CHECK(s.codecs[2] == "PCMA");
  CHECK(s.codecs[3] == "telephone-event");
}

TEST_CASE("SDP details: per-media c=, multicast TTL, port counts, dynamic types, T.38", "[sdp]") {
  const std::string body =
      "v=0\n"
      "o=- 1 1 IN IP4 192.0.2.1\n"
      "s=-\n"
      "t=0 0\n"
      "m=audio 49170/2 RTP/AVP 96 97 0\n"
      "c=IN IP4 233.252.0.1/127\n"
      "a=rtpmap:96 opus/48000/2\n"
      "m=image 5000 udptl t38\n"
      "c=IN IP6 2001:db8::5\n"
      "m=video 0 RTP/AVP 31\n";
  SdpSummary s;
  parseSdp(body, s);
  REQUIRE(s.present);
  REQUIRE(s.media_count == 3);
  CHECK(s.media[0].port == 49170);
  CHECK(s.media[0].connection_address == "233.252.0.1");
  CHECK(s.media[1].type == "image");
  CHECK(s.media[1].connection_address == "2001:db8::5");
  CHECK(s.media[2].port == 0);
  CHECK(s.media[2].connection_address.empty());  // no session-level c=
  CHECK(s.connection_address == "233.252.0.1");  // first media-level one
  // 97 has no rtpmap and is dynamic: not named.
  REQUIRE(s.codec_count == 4);
  CHECK(s.codecs[0] == "opus");
  CHECK(s.codecs[1] == "PCMU");
  CHECK(s.codecs[2] == "t38");
  CHECK(s.codecs[3] == "H261");
}

TEST_CASE("The SDP part of a multipart body is found", "[sdp]") {
  auto p = test::parseBytes(
      "INVITE sip:a@b SIP/2.0\r\nCall-ID: mp\r\n"
      "Content-Type: multipart/mixed;boundary=\"unique-boundary-1\"\r\n\r\n"
      "--unique-boundary-1\r\n"
      "Content-Type: application/sdp\r\n\r\n"
      "v=0\r\nc=IN IP4 192.0.2.9\r\nm=audio 4000 RTP/AVP 8\r\n"
      "--unique-boundary-1\r\n"
      "Content-Type: application/isup;version=itu-t92+\r\n\r\n"
      "\x01\x00\x49\x00\r\n"
      "--unique-boundary-1--\r\n");
  REQUIRE(p->outcome.ok());
  REQUIRE(p->msg.sdp.present);
  CHECK(p->msg.sdp.connection_address == "192.0.2.9");
  REQUIRE(p->msg.sdp.codec_count == 1);
  CHECK(p->msg.sdp.codecs[0] == "PCMA");
}

TEST_CASE("Non-SDP and malformed SDP lines are skipped", "[sdp]") {
  SdpSummary s;
  parseSdp("hello\r\n=\r\nm=\r\nm=audio\r\nc=IN\r\n", s);
  CHECK(s.present);
  CHECK(s.media_count == 2);
  CHECK(s.codec_count == 0);
  parseSdp("", s);
  CHECK(!s.present);
}
