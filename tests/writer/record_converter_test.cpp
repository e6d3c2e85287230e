#include "writer/record_converter.h"

#include <catch2/catch.hpp>

#include "proto/packet.h"
#include "store/raw_codec.h"
#include "store/search_key.h"
#include "tests/writer/writer_corpus.h"

using namespace sipvault::store;
using namespace sipvault::writer;

using namespace sipvault;

TEST_CASE("A parsed SIP record becomes a sip_messages row with full-value search keys", "[writer][convert]") {
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat");
  wire::SipRecord rec = test::sipRecordFor(raw, 1328589362251758ull);
  rec.mutable_sip()->set_x_cid("other-leg@192.0.2.99");
  RowBatch batch;
  RecordConverter conv;
  conv.append(rec, batch);
  REQUIRE(batch.messages.size() == 1);
  CHECK(batch.rejects.empty());
  CHECK(batch.others.empty());
  const SipMessageRow& row = batch.messages[0];
  CHECK(row.call_id == "wsinv.ndaksdj@192.0.2.1");
  CHECK(row.call_id_hash == searchKey("wsinv.ndaksdj@192.0.2.1"));
  CHECK(row.ruri_user == "vivekg");
  CHECK(row.ruri_user_hash == searchKey("vivekg"));
  CHECK(row.from_user_hash == searchKey(rec.sip().from_user()));
  CHECK(row.to_user_hash == searchKey(rec.sip().to_user()));
  // No HEP correlation id: the X-CID is the correlation key.
  CHECK(row.correlation_hash == searchKey("other-leg@192.0.2.99"));
  CHECK(row.method == "INVITE");
  CHECK(row.status == 0);
  CHECK(row.packet.capture_us == 1328589362251758ull);
  CHECK(row.packet.src_ip == std::string("\xc0\x00\x02\x0a", 4));
  CHECK(row.packet.src_port == 5060);
  CHECK(row.packet.dst_port == 5080);
  CHECK(row.packet.raw_len == raw.size());
  CHECK((row.packet.flags & kFieldTruncated) == 0);
  CHECK(decodeRaw(row.packet.raw, row.packet.raw_len, row.packet.flags) == raw);
}

TEST_CASE("The HEP correlation id wins over X-CID for the correlation key", "[writer][convert]") {
  wire::SipRecord rec = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/lwsdisp.dat"), 1);
  rec.mutable_packet()->set_correlation_id("hep-corr");
  rec.mutable_sip()->set_x_cid("xcid");
  RowBatch batch;
  RecordConverter().append(rec, batch);
  REQUIRE(batch.messages.size() == 1);
  CHECK(batch.messages[0].correlation_hash == searchKey("hep-corr"));
  CHECK(batch.messages[0].packet.correlation_id == "hep-corr");
  CHECK(batch.messages[0].x_cid == "xcid");
}

TEST_CASE("Values wider than their column are cut and flagged, keys keep the full value", "[writer][convert]") {
  wire::SipRecord rec = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/longreq.dat"), 1);
  const std::string long_user(300, '7');
  rec.mutable_sip()->set_from_user(long_user);
  RowBatch batch;
  RecordConverter().append(rec, batch);
  REQUIRE(batch.messages.size() == 1);
  const SipMessageRow& row = batch.messages[0];
  CHECK(row.from_user == long_user.substr(0, kUserWidth));
  CHECK(row.from_user_hash == searchKey(long_user));
  CHECK((row.packet.flags & kFieldTruncated) != 0);
  // The 140-byte Call-ID of longreq fits.
  CHECK(row.call_id.size() == rec.sip().call_id().size());
}

TEST_CASE("A message without header values is marked as having no sip_headers rows, one with them is not",
          "[writer][convert]") {
  wire::SipRecord rec = test::sipRecordFor(test::readFile(test::corpusDir() / "rfc4475/valid/wsinv.dat"), 1);
  RowBatch plain;
  RecordConverter().append(rec, plain);
  REQUIRE(plain.messages.size() == 1);
  CHECK((plain.messages[0].packet.flags & kNoHeaderRows) != 0);
  CHECK(decodeRaw(plain.messages[0].packet.raw, plain.messages[0].packet.raw_len, plain.messages[0].packet.flags));

  wire::HeaderValue* h = rec.mutable_sip()->add_headers();
  h->set_kind(kHeaderKindLink);
  h->set_name("icid");
  h->set_value("icid-1");
  RowBatch with_headers;
  RecordConverter().append(rec, with_headers);
  REQUIRE(with_headers.messages.size() == 1);
  CHECK(with_headers.messages[0].headers.size() == 1);
  CHECK((with_headers.messages[0].packet.flags & kNoHeaderRows) == 0);
}

TEST_CASE("Rejected SIP goes to sip_rejects with its reason and raw bytes", "[writer][convert]") {
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/invalid/ltgtruri.dat");
  wire::SipRecord rec;
  rec.mutable_packet()->set_payload(raw);
  rec.mutable_packet()->set_payload_type(kPayloadSip);
  rec.set_reject_reason("request-uri in angle brackets");
  RowBatch batch;
  RecordConverter conv;
  conv.append(rec, batch);
  // SIP payload without fields and without a reason is a reject too.
  wire::SipRecord bare;
  bare.mutable_packet()->set_payload(raw);
  bare.mutable_packet()->set_payload_type(kPayloadSip);
  conv.append(bare, batch);
  REQUIRE(batch.rejects.size() == 2);
  CHECK(batch.rejects[0].reason == "request-uri in angle brackets");
  CHECK(batch.rejects[1].reason == kNoSipFieldsReason);
  CHECK(decodeRaw(batch.rejects[0].packet.raw, batch.rejects[0].packet.raw_len, batch.rejects[0].packet.flags) == raw);
  CHECK(batch.messages.empty());
}

TEST_CASE("Non-SIP payload types go to hep_other keyed by correlation id", "[writer][convert]") {
  wire::SipRecord rec;
  rec.mutable_packet()->set_payload_type(kPayloadRtcp);
  rec.mutable_packet()->set_payload(R"({"type":200,"ssrc":"0x1234"})");
  rec.mutable_packet()->set_correlation_id("wsinv.ndaksdj@192.0.2.1");
  RowBatch batch;
  RecordConverter().append(rec, batch);
  REQUIRE(batch.others.size() == 1);
  CHECK(batch.others[0].correlation_hash == searchKey("wsinv.ndaksdj@192.0.2.1"));
  CHECK(batch.others[0].packet.payload_type == kPayloadRtcp);
}

TEST_CASE("Out-of-range numbers and odd addresses are clamped, not trusted", "[writer][convert]") {
  wire::SipRecord rec = test::sipRecordFor("OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n", 1);
  rec.mutable_packet()->set_src_port(70000);
  rec.mutable_packet()->set_ip_proto(999);
  rec.mutable_packet()->set_src_ip("abc");  // neither 4 nor 16 bytes
  rec.mutable_sip()->set_status(99999);
  RowBatch batch;
  RecordConverter().append(rec, batch);
  REQUIRE(batch.messages.size() == 1);
  CHECK(batch.messages[0].packet.src_port == 65535);
  CHECK(batch.messages[0].packet.ip_proto == 255);
  CHECK(batch.messages[0].packet.src_ip.empty());
  CHECK(batch.messages[0].status == 65535);
}
