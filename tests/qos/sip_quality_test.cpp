// X-RTP-Stat / P-RTP-Stat header values as real senders write them, and RFC 6035's own example
// vq-rtcpxr body.
#include <catch2/catch.hpp>
#include <random>

#include "qos/emodel.h"
#include "qos/sip_quality.h"

using namespace sipvault::qos;

TEST_CASE("Cisco's P-RTP-Stat: comma-separated counters", "[qos][sipq]") {
  // From a Cisco IOS gateway BYE (CUBE P-RTP-Stat: PS, OS, PR, OR, PL, JI ms, LA ms, DU s).
  std::vector<QosReport> out;
  REQUIRE(decodeRtpStatHeader("PS=300,OS=48000,PR=365,OR=58400,PL=5,JI=12,LA=80,DU=7", out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  const QosReport& rx = out[0];
  CHECK(rx.source == ReportSource::RtpStatHeader);
  CHECK(rx.direction == Direction::Received);
  CHECK(rx.report_type == 0);
  CHECK(rx.packets == 365u);
  CHECK(rx.lost == 5);
  CHECK(*rx.fraction_lost == Approx(5.0 / 370));  // the call is the header's interval
  CHECK(*rx.jitter_ms == 12.0);
  CHECK(*rx.rtt_ms == 80.0);
  CHECK(*rx.mos == Approx(estimateMos({.loss = 5.0 / 370, .one_way_delay_ms = 40})));
  const QosReport& tx = out[1];
  CHECK(tx.direction == Direction::Sent);
  CHECK(tx.packets == 300u);
  CHECK_FALSE(tx.mos);
  // LA=0 and JI=0 as written when nothing was measured: no RTT, jitter 0.
  out.clear();
  REQUIRE(decodeRtpStatHeader("PS=0,OS=0,PR=5429,OR=955504,PL=0,JI=0,LA=0,DU=108", out) == QosDecodeStatus::Ok);
  CHECK(out[0].packets == 5429u);
  CHECK_FALSE(out[0].rtt_ms);
  CHECK(*out[0].fraction_lost == 0.0);
  CHECK(*out[0].mos == Approx(4.41).margin(0.005));
}

TEST_CASE("the AVM/Linksys X-RTP-Stat form with rx,tx pairs, codecs and addresses", "[qos][sipq]") {
  std::vector<QosReport> out;
  REQUIRE(decodeRtpStatHeader(" PR=0;ER=0;PL=0;RB=0/0;DE=PCMU;EN=PCMU;JI=0;DL=0,0;IP=10.1.0.33:16384,132.52.127.200:20048",
                              out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);  // no PS: no Sent report
  CHECK(out[0].codec == "PCMU");
  CHECK(out[0].media_src_ip == "10.1.0.33");
  CHECK(out[0].media_src_port == 16384);
  CHECK(out[0].media_dst_ip == "132.52.127.200");
  CHECK(out[0].media_dst_port == 20048);
  CHECK_FALSE(out[0].fraction_lost);  // PR + PL = 0: nothing to divide

  // baresip (src/rtpstat.c): JI in RTP timestamp units, converted at the codec's clock rate.
  out.clear();
  REQUIRE(decodeRtpStatHeader("EX=BareSip;CS=120;CD=31;PR=1540;PS=1548;PL=10,2;PD=0,0;JI=80.0,16.0;"
                              "IP=192.0.2.10:10000,[2001:db8::7]:20000;EN=G722/16000;DE=PCMA/8000",
                              out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  CHECK(out[0].packets == 1540u);
  CHECK(out[0].lost == 10);
  CHECK(*out[0].jitter_ms == Approx(10.0));  // 80 units at 8 kHz
  CHECK(out[0].codec == "PCMA/8000");
  CHECK(out[0].media_dst_ip == "2001:db8::7");
  CHECK(out[0].media_dst_port == 20000);
  CHECK(out[1].packets == 1548u);
  CHECK(out[1].lost == 2);
  CHECK(*out[1].jitter_ms == Approx(1.0));  // 16 units at 16 kHz
  CHECK(out[1].codec == "G722/16000");
}

TEST_CASE("baresip 1.0's X-RTP-Stat from a real loopback call", "[qos][sipq]") {
  // As alice's baresip 1.0.0 wrote it on its BYE in a real call through rtpengine (the issue 15
  // peer captures, tests/data/qos-captures on the peers branch): JI in timestamp units (24 = 3 ms
  // of PCMA, what its own RTCP reported), the local side bound to any.
  std::vector<QosReport> out;
  REQUIRE(decodeRtpStatHeader("EX=BareSip;CS=0;CD=10;PR=250;PS=250;PL=0,0;PD=0,0;JI=24.0,18.0;"
                              "IP=0.0.0.0:25348,127.0.0.1:25332;EN=PCMA/8000;DE=PCMA/8000",
                              out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  CHECK(out[0].packets == 250u);
  CHECK(out[0].lost == 0);
  CHECK(*out[0].jitter_ms == Approx(3.0));
  CHECK(*out[1].jitter_ms == Approx(2.25));
  CHECK(out[0].media_src_ip.empty());  // 0.0.0.0 names no address: the packet's is used
  CHECK(out[0].media_src_port == 25348);
  CHECK(out[0].media_dst_ip == "127.0.0.1");
  CHECK(out[0].media_dst_port == 25332);
}

TEST_CASE("variants that carry a MOS or an R factor keep it", "[qos][sipq]") {
  std::vector<QosReport> out;
  REQUIRE(decodeRtpStatHeader("MOS=3.8;Jitter=7;PacketLossPct=2;RTT=260682;RTPStat=RTP: 258452 bytes, 1509 packets",
                              out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  CHECK(*out[0].mos == 3.8);
  CHECK(*out[0].jitter_ms == 7.0);
  CHECK(*out[0].fraction_lost == Approx(0.02));
  out.clear();
  REQUIRE(decodeRtpStatHeader("PR=100;PL=0;RLQ=80", out) == QosDecodeStatus::Ok);
  CHECK(*out[0].mos == Approx(mosFromR(80)));
  out.clear();
  REQUIRE(decodeRtpStatHeader("PR=100;PL=0;MOS=9", out) == QosDecodeStatus::Ok);  // not a MOS: estimated
  CHECK(*out[0].mos == Approx(4.41).margin(0.005));
}

TEST_CASE("header values that are not quality reports", "[qos][sipq][robust]") {
  std::vector<QosReport> out;
  CHECK(decodeRtpStatHeader("", out) == QosDecodeStatus::BadFormat);
  CHECK(decodeRtpStatHeader("hello world", out) == QosDecodeStatus::BadFormat);
  CHECK(decodeRtpStatHeader("a=b;c=d", out) == QosDecodeStatus::BadFormat);
  CHECK(decodeRtpStatHeader(std::string(5000, 'x'), out) == QosDecodeStatus::BadFormat);
  CHECK(decodeRtpStatHeader("DU=7,EN=PCMA", out) == QosDecodeStatus::Empty);
  CHECK(decodeRtpStatHeader("PR=x;PL=-;JI=;LA=1e999", out) == QosDecodeStatus::Empty);
  // An address with NUL bytes after it is no address (inet_pton alone would stop at the NUL).
  const std::string nul_ip("PR=5;IP=192.0.2.1\0\0\0:4000,2001:DB8:0::1", 39);
  REQUIRE(decodeRtpStatHeader(nul_ip, out) == QosDecodeStatus::Ok);
  CHECK(out[0].media_src_ip.empty());
  CHECK(out[0].media_dst_ip == "2001:db8::1");  // canonical text
  out.clear();
  CHECK(out.empty());
}

namespace {
// RFC 6035 section 4.7.3, message F13: the end-of-session report in the RFC's layout, folded
// continuation lines, the LocalAddr SSRC without its "0x" and the STOP date before START included.
// Addresses, MACs and host names are documentation values (RFC 5737), not the RFC's; the
// decoder does not read the identity and MAC lines.
const char* const kRfc6035Report =
    "VQSessionReport: CallTerm\r\n"
    "CallID: 6dg37f1890463\r\n"
    "LocalID: Alice <sip:alice@atlanta.example.com>\r\n"
    "RemoteID: Bill <sip:bill@biloxi.example.com>\r\n"
    "OrigID: Alice <sip:alice@atlanta.example.com>\r\n"
    "LocalGroup: example-phone-55671\r\n"
    "RemoteGroup: example-gateway-09871\r\n"
    "LocalAddr: IP=192.0.2.100 PORT=5000 SSRC=1a3b5c7d\r\n"
    "LocalMAC: 00:1f:5b:cc:21:0f\r\n"
    "RemoteAddr:IP=198.51.100.150 PORT=5002 SSRC=0x2468abcd\r\n"
    "RemoteMAC: 00:26:08:8e:95:02\r\n"
    "LocalMetrics:\r\n"
    "Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z\r\n"
    "SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r\n"
    "                FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n"
    "JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss:NLR=5.0 JDR=2.0\r\n"
    "BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n"
    "Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n"
    "Signal:SL=-21 NL=-50 RERL=55\r\n"
    "QualityEst:RLQ=90 RCQ=85 EXTRI=90 MOSLQ=4.2 MOSCQ=4.3\r\n"
    "  QoEEstAlg=P.564\r\n"
    "RemoteMetrics:\r\n"
    "Timestamps:START=2004-10-10T18:23:43Z STOP=2004-10-01T18:26:02Z\r\n"
    "SessionDesc:PT=18 PD=G729 SR=8000 FD=20 FO=20 FPP=2 PPS=50\r\n"
    "                FMTP=\"annexb=no\" PLC=3 SSUP=on\r\n"
    "JitterBuffer:JBA=3 JBR=2 JBN=40 JBM=80 JBX=120\r\n"
    "PacketLoss:NLR=5.0 JDR=2.0\r\n"
    "BurstGapLoss:BLD=0 BD=0 GLD=2.0 GD=500 GMIN=16\r\n"
    "Delay:RTD=200 ESD=140 SOWD=200 IAJ=2 MAJ=10\r\n"
    "Signal:SL=-21 NL=-45 RERL=55\r\n"
    "QualityEst:RLQ=90 RCQ=85 MOSLQ=4.3 MOSCQ=4.2 QoEEstAlg=P.564\r\n"
    "DialogID:1890463548@alice.atlanta.example.com;to-tag=8472761;\r\n"
    "   from-tag=9123dh311\r\n";
}  // namespace

TEST_CASE("RFC 6035's example vq-rtcpxr body gives both sides' reports", "[qos][sipq][vq]") {
  std::vector<QosReport> out;
  REQUIRE(decodeVqRtcpXr(kRfc6035Report, out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 2);
  const QosReport& local = out[0];  // Alice's view of Bill's stream
  CHECK(local.source == ReportSource::VqRtcpXr);
  CHECK(local.direction == Direction::Received);
  CHECK(local.call_id == "6dg37f1890463");
  CHECK(local.ssrc == 0x2468abcdu);
  CHECK(local.reporter_ssrc == 0x1a3b5c7du);
  CHECK(local.media_src_ip == "192.0.2.100");
  CHECK(local.media_src_port == 5000);
  CHECK(local.media_dst_ip == "198.51.100.150");
  CHECK(local.media_dst_port == 5002);
  CHECK(local.codec == "G729");
  CHECK(*local.fraction_lost == Approx(0.05));
  CHECK(*local.rtt_ms == 200.0);
  CHECK(*local.jitter_ms == 2.0);
  CHECK(*local.mos == Approx(4.3));  // MOSCQ, the folded line's neighbour
  CHECK_FALSE(local.packets);
  const QosReport& remote = out[1];  // Bill's view of Alice's stream
  CHECK(remote.ssrc == 0x1a3b5c7du);
  CHECK(remote.reporter_ssrc == 0x2468abcdu);
  CHECK(remote.media_src_ip == "198.51.100.150");
  CHECK(*remote.mos == Approx(4.2));
  CHECK(remote.call_id == "6dg37f1890463");
}

TEST_CASE("vq-rtcpxr bodies of other shapes", "[qos][sipq][vq]") {
  std::vector<QosReport> out;
  // LF line ends, no space after the colons, MOS unknown (0.0): estimated from NLR and RTD.
  REQUIRE(decodeVqRtcpXr("VQSessionReport: CallTerm\nCallID:abc@192.0.2.1\nLocalAddr:IP=192.0.2.1 PORT=4000 SSRC=0x01\n"
                         "RemoteAddr:IP=192.0.2.2 PORT=4002 SSRC=0x02\nLocalMetrics:\nSessionDesc:PT=8 PD=PCMA\n"
                         "PacketLoss:NLR=10.0 JDR=0.0\nDelay:RTD=0 IAJ=5\nQualityEst:MOSLQ=0.0 MOSCQ=0.0\n",
                         out) == QosDecodeStatus::Ok);
  REQUIRE(out.size() == 1);
  CHECK(out[0].ssrc == 2u);
  CHECK(out[0].codec == "PCMA");
  CHECK_FALSE(out[0].rtt_ms);
  CHECK(*out[0].mos == Approx(estimateMos({.loss = 0.10, .codec = "PCMA"})));
  // linphone writes the SSRCs in decimal, signed or not.
  out.clear();
  REQUIRE(decodeVqRtcpXr("VQSessionReport: CallTerm\r\nLocalAddr: IP=192.0.2.1 PORT=4000 SSRC=-1\r\n"
                         "RemoteAddr: IP=192.0.2.2 PORT=4002 SSRC=3735928559\r\nLocalMetrics:\r\n"
                         "QualityEst:MOSLQ=4.1\r\n",
                         out) == QosDecodeStatus::Ok);
  CHECK(out[0].ssrc == 0xdeadbeefu);
  CHECK(out[0].reporter_ssrc == 0xffffffffu);
  CHECK(*out[0].mos == Approx(4.1));
  // No metrics: empty. Not a report: BadFormat.
  out.clear();
  CHECK(decodeVqRtcpXr("VQSessionReport: CallTerm\r\nCallID: x\r\n", out) == QosDecodeStatus::Empty);
  CHECK(decodeVqRtcpXr("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\n", out) == QosDecodeStatus::BadFormat);
  CHECK(decodeVqRtcpXr("", out) == QosDecodeStatus::BadFormat);
  CHECK(decodeVqRtcpXr("\r\n\r\n", out) == QosDecodeStatus::BadFormat);
  CHECK(out.empty());
}

TEST_CASE("every prefix and random mutations of the SIP quality forms are safe", "[qos][sipq][robust]") {
  const std::string body = kRfc6035Report;
  const std::string header = "EX=BareSip;CS=120;CD=31;PR=1540;PS=1548;PL=10,2;JI=80.0,16.0;IP=192.0.2.10:10000,[::1]:2";
  std::vector<QosReport> out;
  for (size_t n = 0; n <= body.size(); ++n) {
    out.clear();
    (void)decodeVqRtcpXr(std::string_view(body).substr(0, n), out);
  }
  for (size_t n = 0; n <= header.size(); ++n) {
    out.clear();
    (void)decodeRtpStatHeader(std::string_view(header).substr(0, n), out);
  }
  std::mt19937 rng(6035);
  const std::string alphabet = "=;,: \r\n\t\"[]0x.-9AZaz";
  for (int i = 0; i < 3000; ++i) {
    std::string b = body, h = header;
    for (int m = 0; m < 8; ++m) {
      b[rng() % b.size()] = alphabet[rng() % alphabet.size()];
      h[rng() % h.size()] = alphabet[rng() % alphabet.size()];
    }
    out.clear();
    (void)decodeVqRtcpXr(b, out);
    (void)decodeRtpStatHeader(h, out);
    for (const auto& r : out) {
      if (r.mos) CHECK((*r.mos >= 1 && *r.mos <= 5));
      if (r.fraction_lost) CHECK((*r.fraction_lost >= 0 && *r.fraction_lost <= 1));
    }
  }
}
