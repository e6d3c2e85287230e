// Call-quality reports (SipRecord.qos) through the writer's pure parts: the converter's sip_qos
// rows (call id, addresses, unknown figures, widths) and the spool codec's version 4.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "proto/packet.h"
#include "store/search_key.h"
#include "tests/writer/writer_corpus.h"
#include "writer/record_converter.h"
#include "writer/row_batch_codec.h"

using namespace sipvault::store;
using namespace sipvault::writer;
using namespace sipvault;

namespace {

const std::string kRtcpSrc("\x0a\x00\x00\x05", 4);  // 10.0.0.5
const std::string kRtcpDst("\x0a\x00\x00\x06", 4);  // 10.0.0.6

// A HEP 5 record as the parser sends it once its RTCP decoded: no payload, no SIP fields.
wire::SipRecord rtcpRecord() {
  wire::SipRecord r;
  auto* p = r.mutable_packet();
  p->set_capture_time_us(1795701612345678ull);
  p->set_ip_family(4);
  p->set_src_ip(kRtcpSrc);
  p->set_dst_ip(kRtcpDst);
  p->set_src_port(40001);
  p->set_dst_port(30001);
  p->set_ip_proto(17);
  p->set_payload_type(kPayloadRtcp);
  p->set_capture_id(77);
  p->set_node_name("media-1");
  p->set_correlation_id("call-7@example.org");
  wire::QosFields* rr = r.add_qos();  // a report block: a receiver's view
  rr->set_source(1);
  rr->set_report_type(201);
  rr->set_direction(0);
  rr->set_ssrc(0x11223344u);
  rr->set_reporter_ssrc(0x55667788u);
  rr->set_has_lost(true);
  rr->set_lost(-3);  // RTCP's counter is signed: duplicates can make it negative
  rr->set_has_highest_seq(true);
  rr->set_highest_seq(70000);
  rr->set_fraction_lost(0.25f);
  rr->set_jitter_ms(2.5f);
  rr->set_rtt_ms(-1);  // unknown
  rr->set_mos(0);      // unknown
  wire::QosFields* sr = r.add_qos();  // the sender info of an SR
  sr->set_source(1);
  sr->set_report_type(200);
  sr->set_direction(1);
  sr->set_ssrc(0x55667788u);
  sr->set_has_packets(true);
  sr->set_packets(1234);
  sr->set_fraction_lost(-1);
  sr->set_jitter_ms(-1);
  sr->set_rtt_ms(-1);
  return r;
}

}  // namespace

TEST_CASE("A decoded HEP 5 record becomes sip_qos rows alone, on the correlation id and the packet's addresses",
          "[writer][convert][qos]") {
  RowBatch batch;
  RecordConverter().append(rtcpRecord(), batch);
  CHECK(batch.others.empty());  // no payload left to keep raw
  CHECK(batch.messages.empty());
  CHECK(batch.rejects.empty());
  REQUIRE(batch.qos.size() == 2);
  const QosRow& rr = batch.qos[0];
  CHECK(rr.capture_us == 1795701612345678ull);
  CHECK(rr.call_id == "call-7@example.org");
  CHECK(rr.call_id_hash == searchKey("call-7@example.org"));
  CHECK(rr.source == 1);
  CHECK(rr.report_type == 201);
  CHECK(rr.direction == 0);
  CHECK(rr.src_ip == kRtcpSrc);
  CHECK(rr.dst_ip == kRtcpDst);
  CHECK(rr.src_port == 40001);
  CHECK(rr.dst_port == 30001);
  CHECK(rr.ssrc == 0x11223344u);
  CHECK(rr.reporter_ssrc == 0x55667788u);
  CHECK_FALSE(rr.packets);
  CHECK(rr.lost == -3);
  CHECK(rr.highest_seq == 70000u);
  CHECK(rr.fraction_lost == Approx(0.25));
  CHECK(rr.jitter_ms == Approx(2.5));
  CHECK_FALSE(rr.rtt_ms);
  CHECK_FALSE(rr.mos);
  CHECK(rr.capture_id == 77);
  CHECK(rr.node == "media-1");
  const QosRow& sr = batch.qos[1];
  CHECK(sr.direction == 1);
  CHECK(sr.packets == 1234u);
  CHECK_FALSE(sr.lost);
  CHECK_FALSE(sr.highest_seq);
  CHECK_FALSE(sr.fraction_lost);
  CHECK_FALSE(sr.jitter_ms);
}

TEST_CASE("Reports on a SIP message sit beside its row, on its Call-ID, without the signalling addresses",
          "[writer][convert][qos]") {
  wire::SipRecord rec = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat"), 5);
  wire::QosFields* h = rec.add_qos();  // an X-RTP-Stat header: knows only the call
  h->set_source(3);
  h->set_direction(1);
  h->set_has_packets(true);
  h->set_packets(500);
  h->set_mos(4.1f);
  h->set_fraction_lost(-1);
  h->set_jitter_ms(-1);
  h->set_rtt_ms(-1);
  wire::QosFields* vq = rec.add_qos();  // a vq-rtcpxr body: names its call and the media
  vq->set_source(4);
  vq->set_call_id("its-own-call@x");
  vq->set_media_src_ip(std::string(16, '\x20'));
  vq->set_media_src_port(7078);
  vq->set_media_dst_ip("bad");  // not an address: no address
  vq->set_media_dst_port(9);
  vq->set_fraction_lost(7.5f);  // cannot be a fraction: unknown
  vq->set_mos(std::numeric_limits<float>::quiet_NaN());
  vq->set_jitter_ms(std::numeric_limits<float>::infinity());
  vq->set_codec(std::string(40, 'c'));
  RowBatch batch;
  RecordConverter().append(rec, batch);
  REQUIRE(batch.messages.size() == 1);
  REQUIRE(batch.qos.size() == 2);
  CHECK(batch.qos[0].call_id == "wsinv.ndaksdj@192.0.2.1");
  CHECK(batch.qos[0].call_id_hash == batch.messages[0].call_id_hash);
  CHECK(batch.qos[0].src_ip.empty());
  CHECK(batch.qos[0].dst_ip.empty());
  CHECK(batch.qos[0].src_port == 0);
  CHECK(batch.qos[0].packets == 500u);
  CHECK(batch.qos[0].mos == Approx(4.1).epsilon(1e-6));
  CHECK(batch.qos[1].call_id == "its-own-call@x");
  CHECK(batch.qos[1].src_ip == std::string(16, '\x20'));
  CHECK(batch.qos[1].src_port == 7078);
  CHECK(batch.qos[1].dst_ip.empty());
  CHECK(batch.qos[1].dst_port == 0);
  CHECK_FALSE(batch.qos[1].fraction_lost);
  CHECK_FALSE(batch.qos[1].mos);
  CHECK_FALSE(batch.qos[1].jitter_ms);
  CHECK(batch.qos[1].codec == std::string(kCodecWidth, 'c'));
}

TEST_CASE("A message the policy dropped leaves its reports, a summarized one its summary and reports",
          "[writer][convert][qos]") {
  wire::SipRecord dropped = rtcpRecord();  // as the parser leaves it: packet of a SIP message, no payload
  dropped.mutable_packet()->set_payload_type(kPayloadSip);
  dropped.mutable_packet()->clear_correlation_id();
  dropped.mutable_qos(0)->set_call_id("bye-call@x");
  RowBatch batch;
  RecordConverter conv;
  conv.append(dropped, batch);
  CHECK(batch.rejects.empty());  // not "no SIP fields from parser"
  REQUIRE(batch.qos.size() == 2);
  CHECK(batch.qos[0].call_id == "bye-call@x");
  CHECK(batch.qos[1].call_id.empty());  // nothing names its call: uncorrelated
  CHECK(batch.qos[1].call_id_hash == 0);

  wire::SipRecord summarized = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat"), 5);
  summarized.set_summarize(true);
  summarized.add_qos()->set_source(3);
  batch.clear();
  conv.append(summarized, batch);
  CHECK(batch.summaries.size() == 1);
  CHECK(batch.messages.empty());
  CHECK(batch.qos.size() == 1);
}

TEST_CASE("Row batch codec version 4 round-trips sip_qos rows, NULLs and signs included", "[writer][spool][codec][qos]") {
  RowBatch batch;
  RecordConverter conv;
  conv.append(rtcpRecord(), batch);
  conv.append(test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat"), 9), batch);
  batch.qos[1].lost = std::numeric_limits<int64_t>::min();
  batch.qos[1].rtt_ms = 1e-300;
  batch.qos[1].packets = ~0ull;
  std::string bytes;
  encodeRowBatch(batch, bytes);
  CHECK(static_cast<uint8_t>(bytes[0]) == 4);
  RowBatch back;
  REQUIRE(decodeRowBatch(bytes, back));
  REQUIRE(back.qos.size() == 2);
  REQUIRE(back.messages.size() == 1);
  for (size_t i = 0; i < 2; ++i) {
    const QosRow &a = batch.qos[i], &b = back.qos[i];
    CHECK(a.capture_us == b.capture_us);
    CHECK(a.call_id == b.call_id);
    CHECK(a.call_id_hash == b.call_id_hash);
    CHECK(a.source == b.source);
    CHECK(a.report_type == b.report_type);
    CHECK(a.direction == b.direction);
    CHECK(a.src_ip == b.src_ip);
    CHECK(a.dst_port == b.dst_port);
    CHECK(a.ssrc == b.ssrc);
    CHECK(a.reporter_ssrc == b.reporter_ssrc);
    CHECK(a.packets == b.packets);
    CHECK(a.lost == b.lost);
    CHECK(a.highest_seq == b.highest_seq);
    CHECK(a.fraction_lost == b.fraction_lost);
    CHECK(a.jitter_ms == b.jitter_ms);
    CHECK(a.rtt_ms == b.rtt_ms);
    CHECK(a.mos == b.mos);
    CHECK(a.node == b.node);
  }
  CHECK(back.qos[1].lost == std::numeric_limits<int64_t>::min());
  CHECK(back.qos[0].lost == -3);
  std::string again;
  encodeRowBatch(back, again);
  CHECK(again == bytes);

  // Every proper prefix is refused, and so is a presence byte other than 0 or 1.
  for (size_t n = 0; n < bytes.size(); ++n) CHECK_FALSE(decodeRowBatch(std::string_view(bytes).substr(0, n), back));
  RowBatch one;
  one.qos.push_back(batch.qos[0]);
  std::string single;
  encodeRowBatch(one, single);
  // The packets field of the first row is absent: its presence byte 0 sits after 12 one-byte or
  // longer fields; find it by re-encoding with packets present and comparing.
  one.qos[0].packets = 5;
  std::string with_packets;
  encodeRowBatch(one, with_packets);
  size_t at = 0;
  while (at < single.size() && single[at] == with_packets[at]) ++at;
  REQUIRE(at < single.size());
  REQUIRE(single[at] == '\0');
  single[at] = '\x02';
  CHECK_FALSE(decodeRowBatch(single, back));
}

TEST_CASE("Row batch codec still reads a version 3 batch: no sip_qos rows", "[writer][spool][codec][qos]") {
  RowBatch batch;
  RecordConverter conv;
  conv.append(test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat"), 9), batch);
  std::string bytes;
  encodeRowBatch(batch, bytes);
  REQUIRE(bytes.back() == '\0');  // version 4's qos count: zero; version 3 ends before it
  bytes.pop_back();
  bytes[0] = 3;
  RowBatch back;
  back.qos.resize(2);
  REQUIRE(decodeRowBatch(bytes, back));
  CHECK(back.messages.size() == 1);
  CHECK(back.qos.empty());
}
