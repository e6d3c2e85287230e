#pragma once
// Stored messages back into a pcap file that Wireshark and tshark read as SIP: each message
// becomes one Ethernet frame with a synthetic IPv4 or IPv6 header and a UDP header or a TCP
// segment, carrying the original addresses, ports and capture time. Written with libpcap's
// dumper (pcap_open_dead + pcap_dump_fopen on an in-memory stream), link type DLT_EN10MB.
//
//   Ethernet  dst 02:00:00:00:00:02  src 02:00:00:00:00:01  type 0x0800 / 0x86dd
//   IPv4      20 bytes, no options, DF, TTL 64, header checksum set
//   IPv6      40 bytes, hop limit 64 (used when either address is IPv6; an IPv4 peer then appears
//             IPv4-mapped, ::ffff:a.b.c.d)
//   UDP       8 bytes, length and checksum set        (ip_proto 17, and anything not TCP)
//   TCP       20 bytes, PSH|ACK, window 65535; per direction the sequence number starts at 1 and
//             grows by each payload, the ack is the other direction's next sequence number
// Unknown addresses (empty) are written as 0.0.0.0. A UDP payload that does not fit one IP
// packet (over 65507 bytes) is cut and counted in `truncated`; TCP payloads are split into
// several segments instead.
//
// Pure apart from libpcap's in-memory writer; thread-safe (no shared state).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sipvault::api {

struct ExportPacket {
  uint64_t capture_us = 0;
  std::string_view src_ip;  // 4 or 16 raw bytes, or empty
  std::string_view dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t ip_proto = 17;
  std::string_view payload;
};

struct PcapResult {
  std::string file;       // the complete pcap file
  size_t frames = 0;      // frames written (a large TCP payload takes several)
  size_t truncated = 0;   // UDP payloads cut to fit
};

// The pcap file header, and at most how many bytes one payload adds to the file (record headers,
// Ethernet, IPv6 and TCP headers per segment): what a byte budget counts before building.
inline constexpr uint64_t kPcapFileHeaderBytes = 24;
[[nodiscard]] uint64_t pcapBytesFor(size_t payload_bytes, uint8_t ip_proto);

// nullopt with `error` set only when libpcap cannot open its writer.
[[nodiscard]] std::optional<PcapResult> buildPcap(std::span<const ExportPacket> packets, std::string& error);

// One frame (Ethernet + IP + UDP/TCP + payload), for tests and for buildPcap. `seq`/`ack` are
// used for TCP only.
[[nodiscard]] std::string buildFrame(const ExportPacket& packet, std::string_view payload, uint32_t seq, uint32_t ack,
                                     uint16_t ip_id);

}  // namespace sipvault::api
