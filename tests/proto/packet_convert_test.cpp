#include "proto/packet_convert.h"

#include <catch2/catch.hpp>

namespace sipvault {

TEST_CASE("PacketView survives toWire, Protobuf serialisation and fromWire", "[proto][convert]") {
  PacketView in;
  in.hep_version = 3;
  in.src = IpAddress::parse("2001:db8::1").value();
  in.dst = IpAddress::parse("192.0.2.9").value();  // HEP3 can mix families
  in.src_port = 5061;
  in.dst_port = 40000;
  in.ip_proto = kIpProtoTcp;
  in.ts_sec = 4000000000u;
  in.ts_usec = 123456;
  in.payload_type = kPayloadLog;
  in.capture_id = 0xfffffff0u;
  in.correlation_id = std::string_view("corr\0id", 7);
  in.node_name = "node-7";
  in.vlan = 100;
  const std::string payload("INVITE sip:x SIP/2.0\r\n\0\xff", 25);
  in.payload = payload;

  wire::CapturedPacket m;
  m.set_collector_id(9);
  toWire(in, wire::ORIGIN_HEP3, 1700000000000001ull, &m);
  CHECK(m.collector_id() == 9);  // left alone
  CHECK(m.origin() == wire::ORIGIN_HEP3);
  CHECK(m.received_time_us() == 1700000000000001ull);
  CHECK(m.capture_time_us() == 4000000000123456ull);
  CHECK(m.ip_family() == 6);

  wire::CapturedPacket parsed;
  REQUIRE(parsed.ParseFromString(m.SerializeAsString()));
  const PacketView out = fromWire(parsed);
  CHECK(out.hep_version == 3);
  CHECK(out.src == in.src);
  CHECK(out.dst == in.dst);
  CHECK(out.src_port == in.src_port);
  CHECK(out.dst_port == in.dst_port);
  CHECK(out.ip_proto == in.ip_proto);
  CHECK(out.ts_sec == in.ts_sec);
  CHECK(out.ts_usec == in.ts_usec);
  CHECK(out.payload_type == in.payload_type);
  CHECK(out.capture_id == in.capture_id);
  CHECK(out.correlation_id == in.correlation_id);
  CHECK(out.node_name == in.node_name);
  CHECK(out.vlan == in.vlan);
  CHECK(out.payload == in.payload);
  CHECK(out.payload.data() == parsed.payload().data());  // a view into the message
}

TEST_CASE("toWire makes an invalid UTF-8 node name valid so the message still parses", "[proto][convert]") {
  PacketView in;
  in.node_name =
      std::string_view("sbc\xff\xc0\x80-\xe2\x82\xac", 10);  // bad byte, overlong NUL, then a valid euro sign
  wire::CapturedPacket m;
  toWire(in, wire::ORIGIN_HEP3, 0, &m);
  CHECK(m.node_name() == "sbc\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD-\xe2\x82\xac");
  wire::CapturedPacket parsed;
  CHECK(parsed.ParseFromString(m.SerializeAsString()));
  CHECK(toValidUtf8("plain ascii") == "plain ascii");
  CHECK(toValidUtf8("\xed\xa0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(toValidUtf8("\xf0\x9f\x98\x80") == "\xf0\x9f\x98\x80");
}

TEST_CASE("fromWire does not trust out-of-range wire values", "[proto][convert]") {
  wire::CapturedPacket m;
  m.set_origin(wire::ORIGIN_IPIP);
  m.set_src_ip("abc");  // neither 4 nor 16 bytes
  m.set_src_port(70000);
  m.set_ip_proto(300);
  const PacketView p = fromWire(m);
  CHECK(p.hep_version == 0);
  CHECK(p.src.family == 0);
  CHECK(p.src_port == 0xffff);
  CHECK(p.ip_proto == 0xff);
}

}  // namespace sipvault
