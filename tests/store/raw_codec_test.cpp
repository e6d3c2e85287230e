#include "store/raw_codec.h"

#include <catch2/catch.hpp>
#include <filesystem>

#include "tests/support/test_files.h"

using namespace sipvault;
using namespace sipvault::store;

TEST_CASE("Raw codec round-trips every RFC 4475 message byte for byte, with both codecs",
          "[store][raw_codec]") {
  const RawCodec codec = GENERATE(RawCodec::Lz4, RawCodec::Deflate);
  RawEncoder enc(codec);
  std::string stored;
  size_t compressed = 0;
  for (const auto& dir : {"valid", "invalid", "extra"}) {
    for (const auto& e : std::filesystem::directory_iterator(test::corpusDir() / "rfc4475" / dir)) {
      const std::string raw = test::readFile(e.path());
      INFO(e.path().filename().string());
      const uint16_t flags = enc.encode(raw, stored);
      auto back = decodeRaw(stored, static_cast<uint32_t>(raw.size()), flags);
      REQUIRE(back.has_value());
      CHECK(*back == raw);
      CHECK((flags & (codec == RawCodec::Lz4 ? kRawDeflated : kRawLz4)) == 0);
      if (flags != 0) {
        CHECK(stored.size() < raw.size());
        ++compressed;
      }
    }
  }
  CHECK(compressed > 10);
}

TEST_CASE("Raw codec LZ4 is the default and writes the length prefix", "[store][raw_codec]") {
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/longreq.dat");
  RawEncoder enc;
  std::string stored;
  REQUIRE(enc.encode(raw, stored) == kRawLz4);
  const uint32_t prefix = uint8_t(stored[0]) | uint8_t(stored[1]) << 8 | uint8_t(stored[2]) << 16 |
                          uint32_t(uint8_t(stored[3])) << 24;
  CHECK(prefix == raw.size());
  const auto n = static_cast<uint32_t>(raw.size());
  CHECK(decodeRaw(stored, n, kRawLz4) == raw);
  CHECK_FALSE(decodeRaw(stored, n + 1, kRawLz4).has_value());                           // prefix mismatch
  CHECK_FALSE(decodeRaw(stored.substr(0, stored.size() - 3), n, kRawLz4).has_value());  // truncated block
  CHECK_FALSE(decodeRaw(stored, n, kRawLz4 | kRawDeflated).has_value());                // contradictory flags
  CHECK_FALSE(decodeRaw(stored, n, kRawDeflated).has_value());                          // wrong codec
  std::string lying = stored;  // a prefix that claims more than the block holds
  lying[0] = static_cast<char>(uint8_t(lying[0]) + 1);
  CHECK_FALSE(decodeRaw(lying, n + 1, kRawLz4).has_value());
}

TEST_CASE("Raw codec deflates a typical SIP message and writes the COMPRESS() length prefix",
          "[store][raw_codec]") {
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/longreq.dat");
  RawEncoder enc(RawCodec::Deflate);
  std::string stored;
  REQUIRE(enc.encode(raw, stored) == kRawDeflated);
  REQUIRE(stored.size() > 4);
  const uint32_t prefix = uint8_t(stored[0]) | uint8_t(stored[1]) << 8 | uint8_t(stored[2]) << 16 |
                          uint32_t(uint8_t(stored[3])) << 24;
  CHECK(prefix == raw.size());
  CHECK(stored.size() < raw.size() / 2);
}

TEST_CASE("Raw codec keeps short messages verbatim", "[store][raw_codec]") {
  RawEncoder enc;
  std::string stored;
  const std::string raw = "SIP/2.0 100 Trying\r\n\r\n";
  CHECK(enc.encode(raw, stored) == 0);
  CHECK(stored == raw);
  CHECK(decodeRaw(stored, static_cast<uint32_t>(raw.size()), 0) == raw);
  CHECK(enc.encode("", stored) == 0);
  CHECK(decodeRaw(stored, 0, 0) == std::string());
}

TEST_CASE("Raw codec refuses corrupt or mismatching stored values", "[store][raw_codec]") {
  const std::string raw = test::readFile(test::corpusDir() / "rfc4475/valid/mpart01.dat");
  RawEncoder enc(RawCodec::Deflate);
  std::string stored;
  REQUIRE(enc.encode(raw, stored) == kRawDeflated);
  const auto n = static_cast<uint32_t>(raw.size());
  CHECK_FALSE(decodeRaw(stored, n + 1, kRawDeflated).has_value());           // prefix mismatch
  CHECK_FALSE(decodeRaw(stored.substr(0, 3), n, kRawDeflated).has_value());  // no room for the prefix
  CHECK_FALSE(
      decodeRaw(stored.substr(0, stored.size() / 2), n, kRawDeflated).has_value());  // truncated stream
  std::string flipped = stored;
  flipped[flipped.size() / 2] ^= 0x55;
  CHECK_FALSE(decodeRaw(flipped, n, kRawDeflated).has_value());
  CHECK_FALSE(decodeRaw(raw, n + 1, 0).has_value());  // verbatim with a wrong length
}
