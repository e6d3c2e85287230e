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

TEST_CASE("RTCP attributes, rtcp-mux and the first codec with its clock rate are kept per media", "[sdp][rtcp]") {
  const std::string body =
      "v=0\r\n"
      "c=IN IP4 192.0.2.1\r\n"
      "m=audio 40376 RTP/AVP 96 8 101\r\n"
      "a=rtpmap:96 opus/48000/2\r\n"
      "a=rtpmap:101 telephone-event/8000\r\n"
      "a=rtcp:53020 IN IP4 198.51.100.7\r\n"
      "a=rtcp-fb:96 nack\r\n"
      "m=audio 40380 RTP/AVP 8 0\r\n"
      "a=rtcp-mux\r\n"
      "a=rtcp-rsize\r\n"
      "m=audio 40390 RTP/SAVP 9\r\n"
      "a=rtcp:40399\r\n"
      "m=video 40400 RTP/AVP 97\r\n"
      "a=rtpmap:97 H264/90000x\r\n"
      "m=image 5000 udptl t38\r\n"
      "a=rtcp:99999\r\n";
  SdpSummary s;
  parseSdp(body, s);
  REQUIRE(s.media_count == 5);
  CHECK(s.media[0].first_codec == "opus");
  CHECK(s.media[0].clock_rate == 48000);
  CHECK(s.media[0].rtcp_port == 53020);
  CHECK(s.media[0].rtcp_address == "198.51.100.7");
  CHECK_FALSE(s.media[0].rtcp_mux);  // rtcp-fb is not rtcp-mux
  CHECK(s.media[1].first_codec == "PCMA");
  CHECK(s.media[1].clock_rate == 8000);
  CHECK(s.media[1].rtcp_mux);
  CHECK(s.media[1].rtcp_port == 0);  // not given: port + 1 by default
  CHECK(s.media[2].first_codec == "G722");
  CHECK(s.media[2].clock_rate == 8000);  // RFC 3551: G722's RTP clock is 8000
  CHECK(s.media[2].rtcp_port == 40399);
  CHECK(s.media[2].rtcp_address.empty());
  CHECK(s.media[3].first_codec == "H264");
  CHECK(s.media[3].clock_rate == 0);  // not a number: unknown, not a guess
  CHECK(s.media[4].first_codec == "t38");
  CHECK(s.media[4].rtcp_port == 0);  // 99999 is no port
  CHECK(staticPayloadClockRate(0) == 8000);
  CHECK(staticPayloadClockRate(10) == 44100);
  CHECK(staticPayloadClockRate(34) == 90000);
  CHECK(staticPayloadClockRate(96) == 0);
}
