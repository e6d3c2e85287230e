#include "proto/hep_codec.h"

#include <zlib.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>
#include <random>

#include "test_pcap_reader.h"

// Counts heap allocations so a test can prove that decoding an uncompressed packet allocates
// nothing (the collector's hot path). Replacing the global operator new is allowed in one TU;
// not under AddressSanitizer, whose own operator new would be mixed with ours.
#include "tests/support/sanitizers.h"
#define SIPVAULT_COUNT_ALLOCATIONS (!SIPVAULT_UNDER_ASAN)

namespace {
std::atomic<size_t> g_allocations{0};
}
#if SIPVAULT_COUNT_ALLOCATIONS
void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"  // GCC misreads the replacement pair
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop
#endif

namespace sipvault {
namespace {

using test::corpusPath;
using test::readFile;

const std::string kSip =
    "OPTIONS sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
    "Call-ID: abc@192.0.2.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

IpAddress ip(const char* text) { return IpAddress::parse(text).value(); }

PacketView fullPacket() {
  PacketView p;
  p.src = ip("192.0.2.1");
  p.dst = ip("198.51.100.7");
  p.src_port = 5060;
  p.dst_port = 35000;
  p.ip_proto = kIpProtoTcp;
  p.ts_sec = 0xF0000001u;  // past 2^31: the field is unsigned
  p.ts_usec = 999999;
  p.payload_type = kPayloadSip;
  p.capture_id = 0x12345678;
  p.has_auth_key = true;
  p.auth_key = "secret";
  p.correlation_id = "corr-1@host";
  p.node_name = "sbc-1";
  p.vlan = 4094;
  p.keep_alive = true;
  p.payload = kSip;
  return p;
}

void requireSameFields(const PacketView& a, const PacketView& b) {
  CHECK(a.src == b.src);
  CHECK(a.dst == b.dst);
  CHECK(a.src_port == b.src_port);
  CHECK(a.dst_port == b.dst_port);
  CHECK(a.ip_proto == b.ip_proto);
  CHECK(a.ts_sec == b.ts_sec);
  CHECK(a.ts_usec == b.ts_usec);
  CHECK(a.payload_type == b.payload_type);
  CHECK(a.capture_id == b.capture_id);
  CHECK(a.has_auth_key == b.has_auth_key);
  CHECK(a.auth_key == b.auth_key);
  CHECK(a.correlation_id == b.correlation_id);
  CHECK(a.node_name == b.node_name);
  CHECK(a.vlan == b.vlan);
  CHECK(a.keep_alive == b.keep_alive);
  CHECK(a.payload == b.payload);
}

std::string encode3(const PacketView& p, HepEncodeOptions options = {}) {
  std::string out;
  auto r = encodeHep3(p, out, options);
  REQUIRE(r.ok());
  REQUIRE(r.bytes == out.size());
  return out;
}

// Decodes a copy of `bytes` kept until the next call, so tests can pass temporaries and still
// read the views in the result.
HepDecodeResult decode(std::string_view bytes) {
  static std::string input;
  static std::string scratch;
  input.assign(bytes);
  return decodeHep(input, scratch);
}

void putBe16(std::string& s, size_t at, uint16_t v) {
  s[at] = char(v >> 8);
  s[at + 1] = char(v);
}

// A HEP3 packet made of raw chunks (type, value), for malformed-input tests.
std::string hep3Of(std::initializer_list<std::pair<uint16_t, std::string>> chunks, uint16_t vendor = 0) {
  std::string s = "HEP3xx";
  for (const auto& [type, value] : chunks) {
    std::string c(6, '\0');
    putBe16(c, 0, vendor);
    putBe16(c, 2, type);
    putBe16(c, 4, uint16_t(6 + value.size()));
    s += c + value;
  }
  putBe16(s, 4, uint16_t(s.size()));
  return s;
}

std::string deflateWith(const std::string& in, int window_bits) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = uInt(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = uInt(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace

TEST_CASE("HEPv3 round trip keeps every chunk for IPv4", "[hep][v3][roundtrip]") {
  const PacketView in = fullPacket();
  const std::string bytes = encode3(in);
  auto r = decode(bytes);
  REQUIRE(r.ok());
  CHECK(r.packet->hep_version == 3);
  CHECK(r.consumed == bytes.size());
  CHECK_FALSE(r.packet->payload_compressed);
  requireSameFields(in, *r.packet);
}

TEST_CASE("HEPv3 round trip keeps every chunk for IPv6 and for mixed families", "[hep][v3][roundtrip]") {
  PacketView in = fullPacket();
  in.src = ip("2001:db8::1");
  in.dst = ip("fe80::1:2:3:4");
  auto r = decode(encode3(in));
  REQUIRE(r.ok());
  requireSameFields(in, *r.packet);

  in.dst = ip("203.0.113.5");  // an IPv6 source and an IPv4 destination
  r = decode(encode3(in));
  REQUIRE(r.ok());
  requireSameFields(in, *r.packet);
}

TEST_CASE("HEPv3 round trip of a log packet with no addresses and no optional chunks",
          "[hep][v3][roundtrip]") {
  PacketView in;
  in.payload_type = kPayloadLog;
  in.payload = "SYSLOG: something";
  const std::string bytes = encode3(in);
  auto r = decode(bytes);
  REQUIRE(r.ok());
  requireSameFields(in, *r.packet);
  CHECK(r.packet->src.family == 0);
  // Chunks 1 (family) and 3..6 (addresses) are absent: header + proto, ports, ts x2, type, capture id,
  // payload.
  CHECK(bytes.size() == 6 + 7 + 8 + 8 + 10 + 10 + 7 + 10 + 6 + in.payload.size());
}

TEST_CASE("HEPv3 round trip of an empty auth key keeps the chunk", "[hep][v3][roundtrip]") {
  PacketView in = fullPacket();
  in.auth_key = "";
  auto r = decode(encode3(in));
  REQUIRE(r.ok());
  CHECK(r.packet->has_auth_key);
  CHECK(r.packet->auth_key.empty());
}

TEST_CASE("HEPv3 compressed payload round trips through chunk 16", "[hep][v3][compressed]") {
  const PacketView in = fullPacket();
  const std::string bytes = encode3(in, {.compress_payload = true});
  CHECK(bytes.find(kSip) == std::string::npos);  // really compressed
  std::string scratch;
  auto r = decodeHep(bytes, scratch);
  REQUIRE(r.ok());
  CHECK(r.packet->payload_compressed);
  CHECK(r.packet->payload.data() == scratch.data());
  requireSameFields(in, *r.packet);
}

TEST_CASE("HEPv3 compressed payload accepts gzip and raw deflate too", "[hep][v3][compressed]") {
  for (int window_bits : {15, 15 + 16, -15}) {
    const std::string bytes = hep3Of({{11, "\x01"}, {16, deflateWith(kSip, window_bits)}});
    auto r = decode(bytes);
    INFO("window bits " << window_bits);
    REQUIRE(r.ok());
    CHECK(r.packet->payload == kSip);
  }
}

TEST_CASE("HEPv3 compressed payload that is corrupt, cut short or too big fails to inflate",
          "[hep][v3][compressed]") {
  std::string z = deflateWith(kSip, 15);
  auto r = decode(hep3Of({{16, z.substr(0, z.size() / 2)}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.code == HepError::InflateFailed);

  std::string bad = z;
  bad[5] = char(bad[5] ^ 0xff);
  bad[6] = char(bad[6] ^ 0xff);
  r = decode(hep3Of({{16, bad}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.code == HepError::InflateFailed);

  r = decode(hep3Of({{16, ""}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.code == HepError::InflateFailed);

  // A bomb: 1 MiB + 1 of zeros deflates to about 1 KB.
  const std::string bomb = deflateWith(std::string(kMaxInflatedPayload + 1, '\0'), 15);
  REQUIRE(bomb.size() < 60000);
  r = decode(hep3Of({{16, bomb}}));
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.code == HepError::InflateTooLarge);

  // Exactly at the bound is fine.
  r = decode(hep3Of({{16, deflateWith(std::string(kMaxInflatedPayload, 'a'), 15)}}));
  REQUIRE(r.ok());
  CHECK(r.packet->payload.size() == kMaxInflatedPayload);
}

TEST_CASE(
    "HEPv3 compressed payload is refused past the caller's inflate bound, and the scratch stays within it",
    "[hep][v3][compressed]") {
  constexpr size_t kBound = 64 * 1024;
  const std::string at_bound = hep3Of({{16, deflateWith(std::string(kBound, 'a'), 15)}});
  const std::string past_bound = hep3Of({{16, deflateWith(std::string(kBound + 1, 'a'), 15)}});
  std::string scratch;
  auto r = decodeHep(at_bound, scratch, kBound);
  REQUIRE(r.ok());
  CHECK(r.packet->payload.size() == kBound);
  r = decodeHep(past_bound, scratch, kBound);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error.code == HepError::InflateTooLarge);
  CHECK(scratch.capacity() <= 2 * kBound);  // never grown toward the codec's 1 MiB ceiling
  // A 1000:1 bomb is refused as well, after inflating no more than the bound.
  r = decodeHep(hep3Of({{16, deflateWith(std::string(kMaxInflatedPayload, '\0'), 15)}}), scratch, kBound);
  CHECK(r.error.code == HepError::InflateTooLarge);
  CHECK(scratch.capacity() <= 2 * kBound);
  CHECK(toString(HepError::InflateTooLarge) == "inflate_too_large");
}

TEST_CASE("HEPv3 decode of an uncompressed packet does not allocate", "[hep][v3][perf]") {
  if (!SIPVAULT_COUNT_ALLOCATIONS) {
    WARN("allocation counting is off under AddressSanitizer");
    return;
  }
  const std::string bytes = encode3(fullPacket());
  std::string scratch;
  const size_t before = g_allocations.load();
  size_t ok = 0;
  for (int i = 0; i < 100; ++i) ok += decodeHep(bytes, scratch).ok() ? 1 : 0;
  const size_t allocations = g_allocations.load() - before;
  CHECK(ok == 100);
  CHECK(allocations == 0);

  // The counter works: inflating grows the (empty) scratch string.
  const std::string compressed = encode3(fullPacket(), {.compress_payload = true});
  const size_t before_inflate = g_allocations.load();
  REQUIRE(decodeHep(compressed, scratch).ok());
  CHECK(g_allocations.load() > before_inflate);
}

TEST_CASE("HEPv3 encode appends to what is already in the output", "[hep][v3][encode]") {
  std::string out = "prefix";
  auto r = encodeHep3(fullPacket(), out);
  REQUIRE(r.ok());
  CHECK(out.substr(0, 6) == "prefix");
  CHECK(out.size() == 6 + r.bytes);
  auto d = decode(out.substr(6));
  REQUIRE(d.ok());
}

TEST_CASE("HEPv3 encode refuses packets that do not fit the 16-bit lengths", "[hep][v3][encode]") {
  PacketView p = fullPacket();
  const std::string big(65535, 'x');
  p.payload = big;
  std::string out = "keep";
  auto r = encodeHep3(p, out);
  REQUIRE_FALSE(r.ok());
  CHECK(*r.error == HepEncodeError::TooLarge);
  CHECK(out == "keep");

  // Compressible, so it fits once deflated.
  r = encodeHep3(p, out, {.compress_payload = true});
  REQUIRE(r.ok());
  std::string scratch;
  auto d = decodeHep(std::string_view(out).substr(4), scratch);
  REQUIRE(d.ok());
  CHECK(d.packet->payload == big);

  p.payload = "x";
  p.node_name = big;
  out.clear();
  r = encodeHep3(p, out);
  REQUIRE_FALSE(r.ok());
  CHECK(*r.error == HepEncodeError::TooLarge);
  CHECK(out.empty());

  // The largest payload that fits exactly.
  PacketView small;
  small.src = ip("192.0.2.1");
  small.dst = ip("192.0.2.2");
  const size_t overhead = encode3(small).size();
  const std::string fits(65535 - overhead, 'y');
  small.payload = fits;
  REQUIRE(encode3(small).size() == 65535);
  REQUIRE(decode(encode3(small)).ok());
}

TEST_CASE("HEPv2 encodes the time block little-endian with a 16-byte header length, as Kamailio does",
          "[hep][v2]") {
  PacketView in = fullPacket();
  in.capture_id = 2001;
  std::string out;
  auto r = encodeHep2(in, out);
  REQUIRE(r.ok());
  REQUIRE(out.size() == 28 + kSip.size());
  const auto u = [&](size_t i) { return uint8_t(out[i]); };
  CHECK(u(0) == 2);
  CHECK(u(1) == 16);
  CHECK(u(2) == 2);
  CHECK(u(3) == kIpProtoTcp);
  CHECK((u(4) << 8 | u(5)) == 5060);                                               // ports big-endian
  CHECK((u(16) | u(17) << 8 | u(18) << 16 | uint32_t(u(19)) << 24) == in.ts_sec);  // LE
  CHECK((u(20) | u(21) << 8 | u(22) << 16 | u(23) << 24) == 999999);
  CHECK((u(24) | u(25) << 8) == 2001);
  CHECK(out.substr(28) == kSip);

  auto d = decode(out);
  REQUIRE(d.ok());
  CHECK(d.packet->hep_version == 2);
  CHECK(d.packet->ts_sec == in.ts_sec);
  CHECK(d.packet->ts_usec == in.ts_usec);
  CHECK(d.packet->capture_id == 2001);
  CHECK(d.packet->src == in.src);
  CHECK(d.packet->dst == in.dst);
  CHECK(d.packet->payload == kSip);
}

TEST_CASE("HEPv1 and HEPv2 round trip over IPv4 and IPv6", "[hep][v1][v2][roundtrip]") {
  for (const char* src : {"10.0.0.1", "2001:db8::5"}) {
    PacketView in = fullPacket();
    in.src = ip(src);
    in.dst = in.src.family == 4 ? ip("10.0.0.2") : ip("2001:db8::6");
    in.capture_id = 77;
    for (int version : {1, 2}) {
      std::string out;
      auto r = version == 1 ? encodeHep1(in, out) : encodeHep2(in, out);
      REQUIRE(r.ok());
      const size_t hdr = in.src.family == 4 ? 16 : 40;
      CHECK(uint8_t(out[1]) == hdr);
      CHECK(out.size() == hdr + (version == 2 ? 12 : 0) + kSip.size());
      auto d = decode(out);
      INFO(src << " v" << version);
      REQUIRE(d.ok());
      const PacketView& p = *d.packet;
      CHECK(p.hep_version == version);
      CHECK(p.src == in.src);
      CHECK(p.dst == in.dst);
      CHECK(p.src_port == in.src_port);
      CHECK(p.dst_port == in.dst_port);
      CHECK(p.ip_proto == in.ip_proto);
      CHECK(p.payload_type == kPayloadSip);
      CHECK(p.payload == kSip);
      CHECK(p.ts_sec == (version == 2 ? in.ts_sec : 0u));
      CHECK(p.capture_id == (version == 2 ? 77u : 0u));
      CHECK_FALSE(p.has_auth_key);  // v1/v2 cannot carry it
    }
  }
}

TEST_CASE("HEPv1 and HEPv2 encode refuse what they cannot express", "[hep][v1][v2][encode]") {
  PacketView p = fullPacket();
  std::string out;
  p.dst = ip("2001:db8::1");
  CHECK(*encodeHep1(p, out).error == HepEncodeError::UnsupportedFamily);
  p.src = p.dst = IpAddress{};
  CHECK(*encodeHep2(p, out).error == HepEncodeError::UnsupportedFamily);
  p = fullPacket();
  p.payload_type = kPayloadLog;
  CHECK(*encodeHep1(p, out).error == HepEncodeError::UnsupportedPayloadType);
  p = fullPacket();
  p.capture_id = 65536;
  CHECK(*encodeHep2(p, out).error == HepEncodeError::CaptureIdTooLarge);
  CHECK(encodeHep1(p, out).ok());  // v1 has no capture id to overflow
}

TEST_CASE("HEP decode rejects a truncated HEPv3 packet at every byte offset", "[hep][v3][truncation]") {
  std::vector<std::string> packets = {
      encode3(fullPacket()), encode3(fullPacket(), {.compress_payload = true}),
      readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep")),
      readFile(corpusPath("hep/vectors/heplify-server_hep3_200ok_options.hep"))};
  for (const std::string& full : packets) {
    REQUIRE(decode(full).ok());
    for (size_t n = 0; n < full.size(); ++n) {
      auto r = decode(full.substr(0, n));
      INFO("prefix " << n << " of " << full.size());
      REQUIRE_FALSE(r.ok());
      CHECK(r.error.code == HepError::Truncated);
      CHECK(r.error.offset <= n);
    }
  }
}

TEST_CASE("HEP decode of a cut HEPv1/v2 packet fails inside the header and shortens the payload after it",
          "[hep][v1][v2][truncation]") {
  // v1/v2 have no length field: a datagram cut inside the payload is indistinguishable from a
  // shorter payload.
  for (int version : {1, 2}) {
    for (const char* src : {"10.0.0.1", "2001:db8::5"}) {
      PacketView in = fullPacket();
      in.src = in.dst = ip(src);
      in.capture_id = 1;
      std::string full;
      REQUIRE((version == 1 ? encodeHep1(in, full) : encodeHep2(in, full)).ok());
      const size_t header = full.size() - kSip.size();
      for (size_t n = 0; n <= full.size(); ++n) {
        auto r = decode(full.substr(0, n));
        INFO("v" << version << " " << src << " prefix " << n);
        if (n < header) {
          REQUIRE_FALSE(r.ok());
          CHECK(r.error.code == HepError::Truncated);
        } else {
          REQUIRE(r.ok());
          CHECK(r.packet->payload == std::string_view(kSip).substr(0, n - header));
        }
      }
    }
  }
}

TEST_CASE("HEPv3 decode rejects bad lengths and wrong fixed chunk sizes", "[hep][v3][malformed]") {
  const std::string good = encode3(fullPacket());

  SECTION("total length below 6") {
    std::string s = good;
    putBe16(s, 4, 5);
    auto r = decode(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error.code == HepError::BadLength);
    CHECK(r.error.offset == 4);
  }
  SECTION("total length beyond the datagram") {
    std::string s = good;
    putBe16(s, 4, uint16_t(s.size() + 1));
    auto r = decode(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error.code == HepError::Truncated);
  }
  SECTION("chunk length below 6") {
    for (uint16_t len : {0, 1, 5}) {
      std::string s = good;
      putBe16(s, 6 + 4, len);
      auto r = decode(s);
      REQUIRE_FALSE(r.ok());
      CHECK(r.error.code == HepError::Malformed);
      CHECK(r.error.offset == 6);
    }
  }
  SECTION("chunk running past the total length") {
    std::string s = good;
    putBe16(s, 6 + 4, uint16_t(s.size()));
    auto r = decode(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error.code == HepError::Malformed);
  }
  SECTION("a partial chunk header at the end of the total length") {
    std::string s = good + std::string(3, '\0');
    putBe16(s, 4, uint16_t(s.size()));
    auto r = decode(s);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error.code == HepError::Malformed);
    CHECK(r.error.offset == good.size());
  }
  SECTION("fixed-size chunks with the wrong value size") {
    const std::pair<uint16_t, size_t> fixed[] = {{1, 1}, {2, 1}, {3, 4},  {4, 4},  {5, 16}, {6, 16}, {7, 2},
                                                 {8, 2}, {9, 4}, {10, 4}, {11, 1}, {12, 4}, {18, 2}};
    for (const auto& [type, size] : fixed) {
      for (size_t wrong : {size - 1, size + 1}) {
        auto r = decode(hep3Of({{type, std::string(wrong, '\x01')}}));
        INFO("type " << type << " size " << wrong);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error.code == HepError::Malformed);
        CHECK(r.error.offset == 6);
      }
      REQUIRE(decode(hep3Of({{type, std::string(size, '\x01')}})).ok());
    }
  }
}

TEST_CASE("HEPv3 decode skips unknown and vendor chunks and ignores bytes past the total length",
          "[hep][v3]") {
  auto r = decode(hep3Of({{7, "\x13\xc4"}, {0x55, "whatever"}, {15, "payload"}, {0x1234, ""}}));
  REQUIRE(r.ok());
  CHECK(r.packet->src_port == 5060);
  CHECK(r.packet->payload == "payload");

  // Vendor chunks are skipped even when they reuse a generic type number with another size.
  r = decode(hep3Of({{7, "\x01\x02\x03"}, {15, "vendor payload"}}, 0x0001));
  REQUIRE(r.ok());
  CHECK(r.packet->src_port == 0);
  CHECK(r.packet->payload.empty());

  const std::string good = encode3(fullPacket());
  r = decode(good + "TRAILING GARBAGE");
  REQUIRE(r.ok());
  CHECK(r.consumed == good.size());
  CHECK(r.packet->payload == kSip);
}

TEST_CASE("HEPv3 decode picks the address family chunk's addresses when both kinds are present",
          "[hep][v3]") {
  const std::string v4("\xc0\x00\x02\x01", 4);
  const std::string v6 = std::string("\x20\x01\x0d\xb8", 4) + std::string(11, '\0') + "\x01";
  auto r = decode(hep3Of({{1, "\x0a"}, {3, v4}, {5, v6}}));
  REQUIRE(r.ok());
  CHECK(r.packet->src.toString() == "2001:db8::1");
  r = decode(hep3Of({{1, "\x02"}, {3, v4}, {5, v6}}));
  REQUIRE(r.ok());
  CHECK(r.packet->src.toString() == "192.0.2.1");
  r = decode(hep3Of({{5, v6}}));
  REQUIRE(r.ok());
  CHECK(r.packet->src.toString() == "2001:db8::1");
}

TEST_CASE("HEP decode names the magic and version problems", "[hep][decode]") {
  auto code = [](std::string s) {
    auto r = decode(s);
    REQUIRE_FALSE(r.ok());
    return r.error.code;
  };
  CHECK(code("") == HepError::Truncated);
  CHECK(code("H") == HepError::Truncated);
  CHECK(code("HEP") == HepError::Truncated);
  CHECK(code("HEP4\x00\x06") == HepError::UnsupportedVersion);
  CHECK(code("EEP3\x00\x06") == HepError::BadMagic);
  CHECK(code("GET / HTTP/1.1\r\n") == HepError::BadMagic);
  CHECK(code(std::string("\x03\x10\x02\x11", 4) + std::string(20, '\0')) == HepError::BadMagic);
  // v1/v2 with an unknown family, and with a header cut short whatever its length byte says.
  CHECK(code(std::string("\x02\x10\x1c\x11", 4) + std::string(40, '\0')) == HepError::Malformed);
  CHECK(code(std::string("\x01\x10\x0a\x11", 4) + std::string(30, '\0')) == HepError::Truncated);
  CHECK(code(std::string("\x02\x02\x02\x11", 4) + std::string(20, '\0')) == HepError::Truncated);
  CHECK(toString(HepError::InflateFailed) == "inflate_failed");
  CHECK(toString(HepEncodeError::TooLarge) == "too_large");
}

TEST_CASE("HEP v1/v2 decode by version and family, whatever the header-length byte says (sngrep 1.6)",
          "[hep][decode][v2]") {
  for (const bool v6 : {false, true}) {
    PacketView p = fullPacket();
    if (v6) {
      p.src = *IpAddress::parse("2001:db8::1");
      p.dst = *IpAddress::parse("2001:db8::2");
    }
    p.capture_id = 2002;
    for (const bool v2 : {true, false}) {
      std::string good;
      REQUIRE((v2 ? encodeHep2(p, good) : encodeHep1(p, good)).ok());
      const auto right = decode(good);
      REQUIRE(right.ok());
      CHECK_FALSE(right.wrong_header_length);
      for (const uint8_t length : {0, 1, 2, 7, 28, 255}) {
        INFO("v6 " << v6 << " v2 " << v2 << " hdr_len " << int(length));
        std::string quirky = good;
        quirky[1] = static_cast<char>(length);
        const auto r = decode(quirky);
        REQUIRE(r.ok());
        CHECK(r.wrong_header_length);
        CHECK(r.consumed == quirky.size());
        CHECK(r.packet->hep_version == (v2 ? 2 : 1));
        CHECK(r.packet->src == p.src);
        CHECK(r.packet->dst == p.dst);
        CHECK(r.packet->src_port == p.src_port);
        CHECK(r.packet->dst_port == p.dst_port);
        CHECK(r.packet->payload == p.payload);
        if (v2) {
          CHECK(r.packet->capture_id == 2002u);
          CHECK(r.packet->ts_sec == p.ts_sec);
          CHECK(r.packet->ts_usec == p.ts_usec);
        }
        // Cut anywhere inside the fixed header: still Truncated, never a read past the end.
        for (size_t cut = 0; cut < (v6 ? 40u : 16u) + (v2 ? 12u : 0u); ++cut) {
          const auto t = decode(quirky.substr(0, cut));
          CHECK_FALSE(t.ok());
        }
      }
    }
  }
}

TEST_CASE("HEP decode survives thousands of random and mutated inputs", "[hep][decode][garbage]") {
  std::mt19937 rng(20240611);
  const std::vector<std::string> seeds = {encode3(fullPacket()),
                                          encode3(fullPacket(), {.compress_payload = true}),
                                          readFile(corpusPath("hep/vectors/hep3_spec_example_113.hep")),
                                          readFile(corpusPath("hep/vectors/heplify-server_hep1_200ok.hep"))};
  std::string scratch;
  size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    if (i % 2 == 0) {
      // Pure garbage, half of it with a HEP3 header so the chunk walker is reached.
      s.resize(rng() % 300);
      for (char& c : s) c = char(rng());
      if (i % 4 == 0 && s.size() >= 6) {
        s.replace(0, 4, "HEP3");
        putBe16(s, 4, uint16_t(s.size() - rng() % 3));
      }
    } else {
      s = seeds[rng() % seeds.size()];
      const int flips = 1 + int(rng() % 8);
      for (int f = 0; f < flips; ++f) s[rng() % s.size()] = char(rng());
      if (rng() % 4 == 0) s.resize(rng() % s.size());
    }
    auto r = decodeHep(s, scratch);
    if (!r.ok()) {
      CHECK(r.error.offset <= s.size());
      CHECK_FALSE(r.error.reason.empty());
      continue;
    }
    ++decoded;
    REQUIRE(r.consumed <= s.size());
    // Whatever decodes re-encodes as v3 (when it fits) and decodes to the same fields.
    std::string again;
    if (encodeHep3(*r.packet, again).ok()) {
      std::string scratch2;
      auto r2 = decodeHep(again, scratch2);
      REQUIRE(r2.ok());
      requireSameFields(*r.packet, *r2.packet);
    }
  }
  CHECK(decoded > 100);  // the mutations must also exercise the success path
}

}  // namespace sipvault
