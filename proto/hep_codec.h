#pragma once
// HEP (Homer Encapsulation Protocol) v1, v2 and v3: decode into a PacketView, encode from one.
//
// Pure: no I/O, no logging, no globals, no exceptions. Every read of the input is bounds-checked
// and failures come back as values. Thread-safe as long as callers do not share the scratch /
// output strings.
//
// ---------------------------------------------------------------------------------------------
// HEP v1 (16 bytes for IPv4, 40 for IPv6, then the payload to the end of the datagram)
//
//    0       1       2       3       4       5       6       7
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |version|hdr_len|family | proto |  src port (BE)|  dst port (BE)|
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   | src ip (4 or 16 bytes, network order) | dst ip (4 or 16 bytes) |
//   +---------------------------------------------------------------+
//   | payload ...                                                   |
//
//   version 1; family 2 = AF_INET (IPv4), 10 = Linux AF_INET6 (IPv6); proto = IANA number.
//   hdr_len = 8 + both addresses = 16 (IPv4) or 40 (IPv6): it never counts the v2 time block.
//   Decoding is liberal about hdr_len: version and family fix the layout, and real senders write
//   other values (sngrep 1.6 sends v2 with hdr_len 2). Such a packet decodes, with
//   HepDecodeResult::wrong_header_length set so that the receiver can count the quirk.
//
// HEP v2 = the v1 header with version 2, then a 12-byte time block, then the payload:
//
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   |   tv_sec (u32, LITTLE-endian) |  tv_usec (u32, LITTLE-endian) |
//   +-------+-------+-------+-------+-------+-------+-------+-------+
//   | capture id u16 LE | pad (2)   |  payload ...
//   +-------+-------+-------+-------+
//
//   The time block is the sender's `struct hep_timehdr` copied in host byte order. Kamailio's
//   siptrace (the main v2 sender) runs on little-endian hosts and converts with to_le(); the
//   capture corpus/hep/kamailio/hep2-kamailio-udp.pcap confirms LE fields and hdr_len 16. We
//   read and write v2 exactly that way, so Kamailio's own sipcapture reads what we send.
//
// ---------------------------------------------------------------------------------------------
// HEP v3 (all integers big-endian)
//
//    0       1       2       3       4       5
//   +-------+-------+-------+-------+-------+-------+
//   |  'H'  |  'E'  |  'P'  |  '3'  | total length  |   total length counts the whole packet,
//   +-------+-------+-------+-------+-------+-------+   these 6 bytes included
//   | vendor id     | chunk type    | chunk length  |   chunk length counts its 6-byte header
//   +-------+-------+-------+-------+-------+-------+
//   | value (chunk length - 6 bytes) ...            |   ... repeated until total length
//
//   Generic chunks (vendor 0) this codec understands; value sizes are exact, anything else is
//   Malformed:
//     1 ip family u8 (2|10)    2 ip proto u8       3/4 IPv4 src/dst (4)   5/6 IPv6 src/dst (16)
//     7/8 src/dst port u16     9 ts sec u32        10 ts usec u32         11 payload type u8
//     12 capture id u32        13 keep-alive (any) 14 auth key (bytes, may be empty)
//     15 payload (bytes)       16 compressed payload (zlib, gzip or raw deflate)
//     17 correlation id        18 VLAN u16         19 node / group name
//   Unknown types and vendor != 0 chunks are skipped.
// ---------------------------------------------------------------------------------------------
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "proto/packet.h"

namespace sipvault {

enum class HepError : uint8_t {
  Truncated,           // the input ends before the packet does
  BadMagic,            // not HEP at all: neither "HEP3" nor a v1/v2 version byte
  UnsupportedVersion,  // "HEP" + another digit, or v1/v2 where only v3 is possible (TCP)
  BadLength,           // a header length field that cannot be right (v3 total < 6)
  Malformed,           // a chunk or field that breaks the format
  InflateFailed,       // compressed payload that does not inflate
  InflateTooLarge,     // compressed payload that would inflate past the caller's bound
};
[[nodiscard]] std::string_view toString(HepError error);

struct HepDecodeError {
  HepError code = HepError::Malformed;
  size_t offset = 0;        // byte offset in the input where the problem was found
  std::string_view reason;  // static text, e.g. "chunk runs past total length"
};

struct HepDecodeResult {
  std::optional<PacketView> packet;  // set on success
  HepDecodeError error;              // meaningful only when !packet
  size_t consumed = 0;               // bytes that formed the packet (v3: total length)
  bool wrong_header_length = false;  // v1/v2: hdr_len did not match the family (decoded anyway)

  [[nodiscard]] bool ok() const { return packet.has_value(); }
  explicit operator bool() const { return ok(); }
};

// The largest inflated payload the codec ever produces (and encodes); callers pass a lower bound
// to decodeHep (the collector's collector.max_inflated_kb, 64 KiB by default): larger ones are
// refused as InflateTooLarge, so one hostile ~1000:1 datagram cannot cost megabytes.
inline constexpr size_t kMaxInflatedPayload = 1u << 20;
inline constexpr size_t kHep3HeaderSize = 6;  // "HEP3" + total length
inline constexpr size_t kHep3MaxPacket = 65535;

// Decodes one HEP v1, v2 or v3 packet from `bytes` (one UDP datagram, or one frame from
// HepStreamFramer). For v3, bytes after the total length are ignored; v1/v2 have no length, so
// their payload runs to the end of `bytes`.
//
// The returned views borrow from `bytes`, except an inflated payload (chunk 16), which lives in
// `inflate_scratch` (overwritten on each call that inflates). Both must outlive the PacketView.
// Uncompressed packets never allocate. A compressed payload inflating past `max_inflated` bytes
// (clamped to kMaxInflatedPayload) is refused with InflateTooLarge; the scratch never grows past it.
[[nodiscard]] HepDecodeResult decodeHep(std::span<const uint8_t> bytes, std::string& inflate_scratch,
                                        size_t max_inflated = kMaxInflatedPayload);
[[nodiscard]] inline HepDecodeResult decodeHep(std::string_view bytes, std::string& inflate_scratch,
                                               size_t max_inflated = kMaxInflatedPayload) {
  return decodeHep(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()), inflate_scratch,
                   max_inflated);
}

enum class HepEncodeError : uint8_t {
  UnsupportedFamily,       // v1/v2: src and dst must both be IPv4 or both IPv6
  UnsupportedPayloadType,  // v1/v2 carry only SIP (receivers assume it)
  CaptureIdTooLarge,       // v2: the capture id field is 16 bits
  TooLarge,                // v3: a value or the packet exceeds the 16-bit length fields
  DeflateFailed,           // v3 compressed payload: zlib failed
};
[[nodiscard]] std::string_view toString(HepEncodeError error);

struct HepEncodeResult {
  size_t bytes = 0;                     // bytes appended to `out` (0 on error)
  std::optional<HepEncodeError> error;  // on error `out` is left as it was

  [[nodiscard]] bool ok() const { return !error.has_value(); }
  explicit operator bool() const { return ok(); }
};

struct HepEncodeOptions {
  bool compress_payload = false;  // v3: send the payload zlib-deflated in chunk 16
};

// Appends one HEP v3 packet to `out`. Chunk order: 1, 2, 3/4 (or 5/6), 7, 8, 9, 10, 11, 12,
// 13 if keep_alive, 14 if has_auth_key, 17 if correlation id non-empty, 18 if vlan != 0,
// 19 if node name non-empty, then 15 (or 16). Address chunks follow each address's own family;
// family 0 (unknown) emits no family or address chunk.
[[nodiscard]] HepEncodeResult encodeHep3(const PacketView& packet, std::string& out,
                                         const HepEncodeOptions& options = {});
// Appends a HEP v2 / v1 packet (layouts above). Fields v1/v2 cannot carry (auth key,
// correlation id, VLAN, node name, keep-alive; v1 also time and capture id) are dropped;
// values they would carry wrongly are refused (see HepEncodeError).
[[nodiscard]] HepEncodeResult encodeHep2(const PacketView& packet, std::string& out);
[[nodiscard]] HepEncodeResult encodeHep1(const PacketView& packet, std::string& out);

}  // namespace sipvault
