#pragma once
// PacketView <-> wire::CapturedPacket (the Protobuf message the collector sends to parsers).
//
// toWire copies every byte it needs, so the message owns its data. fromWire returns views into
// the message: the PacketView is valid only while the message lives and is not modified.
// Fields the wire does not carry (auth key, keep-alive, payload_compressed) are not converted.
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/packet.h"
#include "sipvault.pb.h"

namespace sipvault {

// Fills `out` (overwriting the converted fields; collector_id is left alone). node_name is a
// proto3 `string`, which Protobuf rejects when it is not UTF-8, so invalid sequences from the
// untrusted HEP chunk are replaced with U+FFFD; the bytes fields are copied as they are.
void toWire(const PacketView& packet, wire::Origin origin, uint64_t received_us, wire::CapturedPacket* out);

// hep_version comes from the origin (HEP1..3 -> 1..3, else 0); each address's family from its
// byte length (4 or 16; anything else gives an unknown address). Out-of-range numbers (a port
// above 65535) are clamped rather than trusted.
[[nodiscard]] PacketView fromWire(const wire::CapturedPacket& message);

// Copy of `text` with every invalid UTF-8 sequence replaced by U+FFFD (exposed for tests and
// for other stages that put untrusted bytes into proto3 string fields).
[[nodiscard]] std::string toValidUtf8(std::string_view text);

}  // namespace sipvault
