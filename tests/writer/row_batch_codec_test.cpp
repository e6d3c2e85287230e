#include <catch2/catch.hpp>

#include "tests/writer/writer_corpus.h"
#include "writer/record_converter.h"
#include "writer/row_batch_codec.h"

using namespace sipvault::writer;

using namespace sipvault;
using namespace sipvault::store;
using namespace std::string_literals;

namespace {

// Rows of all three tables, converted from corpus messages the way the receiver does.
RowBatch corpusBatch() {
  RecordConverter converter;
  RowBatch batch;
  uint64_t t = 1700000000000000ull;
  uint32_t storage_class = 0;
  for (const auto& f : test::rfc4475Valid()) {
    wire::SipRecord r = test::sipRecordFor(f.bytes, t++);
    r.mutable_packet()->set_correlation_id("corr-" + f.name);
    r.set_storage_class(storage_class++ % 3);
    converter.append(r, batch);
  }
  for (int i = 0; i < 2; ++i) {  // summarized: counted in sip_summaries, no message row
    wire::SipRecord r = test::sipRecordFor(test::rfc4475Valid().front().bytes, t++);
    r.set_summarize(true);
    converter.append(r, batch);
  }
  for (const auto& f : test::rfc4475Valid()) {  // the same bytes refused by a parser
    wire::SipRecord r = test::sipRecordFor(f.bytes, t++);
    r.clear_sip();
    r.set_reject_reason("bad start line");
    converter.append(r, batch);
    break;
  }
  wire::SipRecord rtcp;
  rtcp.mutable_packet()->set_payload_type(5);
  rtcp.mutable_packet()->set_payload(R"({"type":200,"ssrc":"0x1"})");
  rtcp.mutable_packet()->set_src_ip(std::string(16, '\x20'));
  rtcp.mutable_packet()->set_capture_time_us(~0ull);  // the widest number
  converter.append(rtcp, batch);
  return batch;
}

std::string encode(const RowBatch& b) {
  std::string out;
  encodeRowBatch(b, out);
  return out;
}

}  // namespace

TEST_CASE("Row batch codec round-trips rows of all three tables", "[writer][spool][codec]") {
  const RowBatch batch = corpusBatch();
  REQUIRE(batch.messages.size() > 20);
  REQUIRE(batch.rejects.size() == 1);
  REQUIRE(batch.others.size() == 1);
  const std::string bytes = encode(batch);
  RowBatch back;
  REQUIRE(decodeRowBatch(bytes, back));
  REQUIRE(back.messages.size() == batch.messages.size());
  REQUIRE(back.rejects.size() == 1);
  REQUIRE(back.others.size() == 1);
  REQUIRE(batch.summaries.size() == 2);
  REQUIRE(back.summaries.size() == 2);
  CHECK(back.summaries[1].minute_us == batch.summaries[1].minute_us);
  CHECK(back.summaries[1].method == batch.summaries[1].method);
  CHECK(back.messages[1].storage_class == 1);
  CHECK(back.messages[2].storage_class == 2);
  CHECK(encode(back) == bytes);  // every field, through the one field list
  for (size_t i = 0; i < batch.messages.size(); ++i) {
    const SipMessageRow &a = batch.messages[i], &b = back.messages[i];
    CHECK(a.packet.raw == b.packet.raw);
    CHECK(a.packet.flags == b.packet.flags);
    CHECK(a.packet.capture_us == b.packet.capture_us);
    CHECK(a.call_id == b.call_id);
    CHECK(a.call_id_hash == b.call_id_hash);
    CHECK(a.packet.src_ip == b.packet.src_ip);
    CHECK(a.packet.correlation_id == b.packet.correlation_id);
  }
  CHECK(back.rejects[0].reason == "bad start line");
  CHECK(back.others[0].packet.capture_us == ~0ull);
  CHECK(back.others[0].packet.payload_type == 5);
}

TEST_CASE("Row batch codec round-trips an empty batch", "[writer][spool][codec]") {
  RowBatch back;
  back.messages.resize(3);
  REQUIRE(decodeRowBatch(encode(RowBatch{}), back));
  CHECK(back.empty());
}

TEST_CASE("Row batch codec refuses every truncation and garbage without crashing", "[writer][spool][codec]") {
  const std::string bytes = encode(corpusBatch());
  RowBatch back;
  // Every proper prefix is short of at least one field.
  for (size_t n = 0; n < bytes.size(); n += (n < 2000 ? 1 : 97)) {
    INFO("prefix " << n);
    CHECK_FALSE(decodeRowBatch(std::string_view(bytes).substr(0, n), back));
  }
  CHECK_FALSE(decodeRowBatch(bytes + "x", back));  // trailing bytes
  std::string wrong_version = bytes;
  wrong_version[0] = kRowBatchCodecVersion + 1;
  CHECK_FALSE(decodeRowBatch(wrong_version, back));
  // A count far beyond the bytes present must not allocate that many rows.
  CHECK_FALSE(decodeRowBatch(std::string("\x01\xff\xff\xff\xff\x0f\x00\x00", 8), back));
  // A number wider than its column: one reject row (15 one-byte fields) whose src_port (5th field)
  // is 81919, next to the same row with port 5, which decodes.
  const std::string head("\x01\x00\x01\x00" "\x00\x00\x00\x00", 8);  // v1, counts 0/1/0, 4 fields
  const std::string rest(10, '\0');                                     // 9 more packet fields + reason
  REQUIRE(decodeRowBatch(head + "\x05" + rest, back));
  CHECK(back.rejects.at(0).packet.src_port == 5);
  CHECK_FALSE(decodeRowBatch(head + "\xff\xff\x04" + rest, back));
  // A version 1 record (spooled by a writer before storage classes) still decodes: class calls.
  REQUIRE(decodeRowBatch(head + "\x05" + rest, back));
  CHECK(back.summaries.empty());
  // Overlong varint.
  CHECK_FALSE(decodeRowBatch(std::string("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x00", 13), back));
}

TEST_CASE("Row batch codec carries each message's custom header values, and still reads version 1",
          "[writer][spool][codec][headers]") {
  RowBatch batch = corpusBatch();
  batch.messages[0].headers = {{kHeaderKindField, "pai_user", "+4930123"},
                               {kHeaderKindLink, "icid", "tab\there nul\0byte"s}};
  const std::string bytes = encode(batch);
  CHECK(static_cast<uint8_t>(bytes[0]) == kRowBatchCodecVersion);
  RowBatch back;
  REQUIRE(decodeRowBatch(bytes, back));
  REQUIRE(back.messages[0].headers.size() == 2);
  CHECK(back.messages[0].headers[1].kind == kHeaderKindLink);
  CHECK(back.messages[0].headers[1].name == "icid");
  CHECK(back.messages[0].headers[1].value == "tab\there nul\0byte"s);
  CHECK(back.messages[1].headers.empty());
  CHECK(encode(back) == bytes);

  // Version 1 (an older writer's spool) had no header counts: rejects and others are laid out the
  // same, so such a batch with version byte 1 still decodes; messages then carry no values.
  RowBatch no_messages = corpusBatch();
  no_messages.messages.clear();
  no_messages.summaries.clear();  // version 1 had no summaries either
  std::string v1 = encode(no_messages);
  v1[0] = 1;
  // Versions 3 and 4's trailer for no messages: zero summaries, zero qos rows; version 1 had neither.
  REQUIRE(v1.size() > 2);
  REQUIRE(v1.substr(v1.size() - 2) == std::string(2, '\0'));
  v1.resize(v1.size() - 2);
  REQUIRE(decodeRowBatch(v1, back));
  CHECK(back.rejects.size() == 1);
  CHECK(back.others.size() == 1);
  // With messages, version 1 bytes lack the counts: the v2 bytes read as v1 do not decode.
  std::string wrong = bytes;
  wrong[0] = 1;
  CHECK_FALSE(decodeRowBatch(wrong, back));
}
