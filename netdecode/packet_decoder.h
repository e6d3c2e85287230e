#pragma once
// PacketDecoder: captured frames in, PacketViews out. The one entry point of the pure packet
// decoding library (sipvault_netdecode) used by the agent (live capture), sipvault-hepdump
// (pcaps with HEP inside UDP/TCP) and the collector (IP-in-IP mirror traffic on a raw socket).
//
//   frame --link layer--> IPv4/IPv6 --fragments--> IpReassembler
//                            |  proto 4/41 (IP-in-IP), 47 (GRE, ERSPAN): back to IP/Ethernet
//                            +--> UDP  ----------------------------------> PacketSink
//                            +--> TCP  --> TcpReassembler --> TcpStreamConsumer (SIP splitter
//                            |                                by default) --> PacketSink
//                            +--> SCTP --> SctpDecoder (DATA chunks, B/E reassembly) --> PacketSink
//
// Emitted PacketViews carry src/dst, ports, ip_proto (17, 6 or 132), ts_sec/ts_usec from the
// frame's capture time, the innermost VLAN id, and the payload (UDP payload, framed TCP message,
// SCTP user message). Every other field keeps its default (hep_version 0, payload_type SIP,
// capture_id 0). Nothing is filtered: every UDP payload is emitted, SIP or not.
//
// Lifetime: a view is valid only during PacketSink::onPacket; it points into the frame or into a
// reassembly buffer that the next decode call reuses.
// Time: the decoder has no clock; reassembly and idle timeouts run on the timestamps passed in.
// Threads: not thread-safe; use one decoder per capture thread. The sink and a custom TCP
// consumer are called synchronously from decode()/expire()/flush() and must not call back in.
// Failure: malformed input never throws or asserts; it yields a DecodeStatus and a counter.
#include <cstddef>
#include <cstdint>

#include "netdecode/byte_reader.h"
#include "netdecode/capture_time.h"
#include "netdecode/decode_counters.h"
#include "netdecode/decode_status.h"
#include "netdecode/ip_header.h"
#include "netdecode/ip_reassembler.h"
#include "netdecode/link_layer.h"
#include "netdecode/packet_sink.h"
#include "netdecode/sctp_decoder.h"
#include "netdecode/sip_stream_splitter.h"
#include "netdecode/tcp_reassembler.h"
#include "netdecode/tcp_stream_consumer.h"

namespace sipvault::netdecode {

struct PacketDecoderOptions {
  IpReassemblerOptions ip;
  TcpReassemblerOptions tcp;
  SctpDecoderOptions sctp;
  SipStreamSplitterOptions sip;  // framing of SIP over TCP (default consumer only)
  size_t max_tunnel_depth = 3;   // nested IP-in-IP / GRE / ERSPAN levels decoded
};

class PacketDecoder {
 public:
  // TCP streams are framed into SIP messages by a SipStreamSplitter writing to `sink`.
  PacketDecoder(const PacketDecoderOptions& options, PacketSink& sink);
  // TCP streams go to `tcp_consumer` instead (e.g. a HEP framer); UDP and SCTP still go to
  // `sink`. Both must outlive the decoder.
  PacketDecoder(const PacketDecoderOptions& options, PacketSink& sink, TcpStreamConsumer& tcp_consumer);
  PacketDecoder(const PacketDecoder&) = delete;
  PacketDecoder& operator=(const PacketDecoder&) = delete;

  // Decodes one captured frame of the given link type.
  DecodeStatus decode(LinkType link, Bytes frame, CaptureTime ts);
  // Decodes one packet that starts at its (outer) IPv4 or IPv6 header, e.g. from a raw socket.
  DecodeStatus decodeIp(Bytes ip_packet, CaptureTime ts);

  // Runs the timeouts against `now` without a frame (e.g. once a second on a quiet link).
  void expire(CaptureTime now);
  // End of input: delivers TCP data held behind holes and closes every stream.
  void flush();

  [[nodiscard]] const DecodeCounters& counters() const { return counters_; }
  [[nodiscard]] const IpReassembler& ipReassembler() const { return ip_; }
  [[nodiscard]] const TcpReassembler& tcpReassembler() const { return tcp_; }
  [[nodiscard]] const SctpDecoder& sctpDecoder() const { return sctp_; }

 private:
  struct Context {
    CaptureTime ts;
    uint16_t vlan = 0;
    size_t depth = 0;  // tunnels entered so far
  };

  PacketDecoder(const PacketDecoderOptions& options, PacketSink& sink, TcpStreamConsumer* tcp_consumer);
  DecodeStatus decodeNetwork(uint16_t ethertype, Bytes payload, const Context& ctx);
  DecodeStatus decodeIpPacket(Bytes bytes, const Context& ctx);
  DecodeStatus decodeTransport(const IpPacket& ip, const Context& ctx);
  DecodeStatus decodeGre(Bytes gre, const Context& ctx);
  DecodeStatus decodeUdp(const IpPacket& ip, const Context& ctx);
  DecodeStatus decodeTcp(const IpPacket& ip, const Context& ctx);
  PacketView metaFor(const IpPacket& ip, const Context& ctx) const;
  void runTimeouts(CaptureTime now);

  PacketDecoderOptions options_;
  DecodeCounters counters_;
  PacketSink& sink_;
  SipStreamSplitter splitter_;
  IpReassembler ip_;
  TcpReassembler tcp_;
  SctpDecoder sctp_;
};

}  // namespace sipvault::netdecode
