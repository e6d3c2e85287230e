// The parser daemon's batch step: PacketBatch in, SipBatch out, every outcome counted.
#include <catch2/catch.hpp>

#include "parser/record_builder.h"
#include "proto/packet.h"

using namespace sipvault::parser;

using namespace sipvault;

namespace {

void addPacket(wire::PacketBatch& b, uint32_t type, std::string payload) {
  wire::CapturedPacket* p = b.add_packets();
  p->set_payload_type(type);
  p->set_payload(std::move(payload));
  p->set_capture_time_us(1795000000000000ull);
  p->set_src_port(5060);
}

const char* kInvite =
    "INVITE sip:4989456@192.0.2.20 SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
    "From: \"A \xff\" <sip:4930123@192.0.2.10>;tag=f1\r\n"
    "To: <sip:4989456@192.0.2.20>\r\n"
    "Call-ID: rb-1@test\r\nCSeq: 7 INVITE\r\nUser-Agent: UA<script>\r\nX-CID: other-leg@test\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 55\r\n\r\n"
    "v=0\r\nc=IN IP4 192.0.2.10\r\nm=audio 4000 RTP/AVP 0 8\r\n\r\n";

}  // namespace

TEST_CASE("the record builder extracts SIP fields, keeps rejects and non-SIP by default", "[parser][daemon]") {
  MetricsRegistry registry;
  ParserMetrics metrics(registry);
  ParserOptions options;
  RecordBuilder builder(options, metrics);
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, kInvite);
  addPacket(in, kPayloadSip, "this is not SIP\r\n\r\n");
  addPacket(in, kPayloadRtcp, R"({"sender_information":{}})");
  wire::SipBatch out;
  builder.build(in, out);
  REQUIRE(out.records_size() == 3);

  const wire::SipRecord& sip = out.records(0);
  REQUIRE(sip.has_sip());
  CHECK(sip.reject_reason().empty());
  CHECK(sip.sip().method() == "INVITE");
  CHECK(sip.sip().call_id() == "rb-1@test");
  CHECK(sip.sip().from_user() == "4930123");
  CHECK(sip.sip().to_user() == "4989456");
  CHECK(sip.sip().ruri_user() == "4989456");
  CHECK(sip.sip().from_tag() == "f1");
  CHECK(sip.sip().cseq_number() == 7);
  CHECK(sip.sip().via_transport() == "TCP");
  CHECK(sip.sip().user_agent() == "UA<script>");
  CHECK(sip.sip().x_cid() == "other-leg@test");
  CHECK(sip.sip().sdp_connection() == "192.0.2.10");
  REQUIRE(sip.sip().sdp_media_ports_size() == 1);
  CHECK(sip.sip().sdp_media_ports(0) == 4000);
  CHECK(sip.packet().payload() == kInvite);  // byte-exact, moved not copied

  CHECK_FALSE(out.records(1).has_sip());
  CHECK(out.records(1).reject_reason().rfind("not_sip", 0) == 0);
  CHECK(out.records(1).packet().payload() == "this is not SIP\r\n\r\n");
  CHECK_FALSE(out.records(2).has_sip());
  CHECK(out.records(2).reject_reason().empty());
  CHECK(out.records(2).packet().payload_type() == kPayloadRtcp);

  CHECK(metrics.sip_parsed.value() == 1);
  CHECK(metrics.non_sip_kept.value() == 1);
  CHECK(registry.render().find("sipvault_parser_sip_rejected_total{reason=\"not_sip\"} 1") != std::string::npos);
}

TEST_CASE("a SipBatch with non-UTF-8 SIP text survives serialization", "[parser][daemon]") {
  MetricsRegistry registry;
  ParserMetrics metrics(registry);
  ParserOptions options;
  RecordBuilder builder(options, metrics);
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, kInvite);
  wire::SipBatch out;
  builder.build(in, out);
  REQUIRE(out.records(0).sip().from_display() == "A \xff");
  std::string bytes;
  REQUIRE(out.SerializeToString(&bytes));
  wire::SipBatch back;
  REQUIRE(back.ParseFromString(bytes));
  CHECK(back.records(0).sip().from_display() == "A \xff");
}

TEST_CASE("rejects and non-SIP payloads are dropped and counted when configured so", "[parser][daemon]") {
  MetricsRegistry registry;
  ParserMetrics metrics(registry);
  ParserOptions options;
  options.keep_rejects = false;
  options.keep_non_sip = false;
  RecordBuilder builder(options, metrics);
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, "garbage");
  addPacket(in, kPayloadLog, "a log line");
  addPacket(in, kPayloadSip, kInvite);
  wire::SipBatch out;
  builder.build(in, out);
  REQUIRE(out.records_size() == 1);
  CHECK(out.records(0).sip().call_id() == "rb-1@test");
  CHECK(metrics.rejects_dropped.value() == 1);
  CHECK(metrics.non_sip_dropped.value() == 1);
}

TEST_CASE("the record builder applies the ingest policy: class, summary and drop, counted per rule",
          "[parser][daemon][policy]") {
  auto make = [](const std::string& action, const std::string& method) {
    std::string error;
    auto r = parsePolicyRule(method, {{"action", action}, {"match.method", method}}, error);
    REQUIRE(r);
    return *r;
  };
  MetricsRegistry registry;
  ParserOptions options;
  options.policy_rules = {make("summarize", "OPTIONS"), make("store:registrations", "REGISTER"),
                          make("drop", "PUBLISH"), make("drop", "NEVER")};
  ParserMetrics metrics(registry, options.policy_rules);
  RecordBuilder builder(options, metrics);
  auto request = [](const std::string& method) {
    return method + " sip:x@192.0.2.20 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bK" + method +
           "\r\nFrom: <sip:a@192.0.2.10>;tag=1\r\nTo: <sip:x@192.0.2.20>\r\nCall-ID: " + method +
           "@t\r\nCSeq: 1 " + method + "\r\nContent-Length: 0\r\n\r\n";
  };
  wire::PacketBatch in;
  addPacket(in, kPayloadSip, kInvite);
  addPacket(in, kPayloadSip, request("OPTIONS"));
  addPacket(in, kPayloadSip, request("REGISTER"));
  addPacket(in, kPayloadSip, request("PUBLISH"));
  wire::SipBatch out;
  builder.build(in, out);
  REQUIRE(out.records_size() == 3);
  CHECK(out.records(0).storage_class() == 0);
  CHECK_FALSE(out.records(0).summarize());
  const wire::SipRecord& summary = out.records(1);
  CHECK(summary.summarize());
  CHECK(summary.packet().payload().empty());
  CHECK(summary.sip().method() == "OPTIONS");
  CHECK(summary.sip().call_id().empty());
  CHECK(summary.packet().capture_time_us() == 1795000000000000ull);
  CHECK(out.records(2).storage_class() == static_cast<uint32_t>(StorageClass::Registrations));
  CHECK(out.records(2).sip().call_id() == "REGISTER@t");

  const std::string text = registry.render();
  CHECK(text.find(R"(parser_policy_messages_total{rule="default",action="store:calls"} 1)") != std::string::npos);
  CHECK(text.find(R"(parser_policy_messages_total{rule="OPTIONS",action="summarize"} 1)") != std::string::npos);
  CHECK(text.find(R"(parser_policy_messages_total{rule="REGISTER",action="store:registrations"} 1)") !=
        std::string::npos);
  CHECK(text.find(R"(parser_policy_messages_total{rule="PUBLISH",action="drop"} 1)") != std::string::npos);
  CHECK(text.find(R"(parser_policy_messages_total{rule="NEVER",action="drop"} 0)") != std::string::npos);
}
