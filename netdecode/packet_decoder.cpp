#include "netdecode/packet_decoder.h"

#include "netdecode/gre_decap.h"
#include "netdecode/transport_header.h"

namespace sipvault::netdecode {

PacketDecoder::PacketDecoder(const PacketDecoderOptions& options, PacketSink& sink)
    : PacketDecoder(options, sink, nullptr) {}

PacketDecoder::PacketDecoder(const PacketDecoderOptions& options, PacketSink& sink,
                             TcpStreamConsumer& tcp_consumer)
    : PacketDecoder(options, sink, &tcp_consumer) {}

PacketDecoder::PacketDecoder(const PacketDecoderOptions& options, PacketSink& sink,
                             TcpStreamConsumer* tcp_consumer)
    : options_(options),
      sink_(sink),
      splitter_(options.sip, sink, counters_),
      ip_(options.ip, counters_),
      tcp_(options.tcp, tcp_consumer != nullptr ? *tcp_consumer : splitter_, counters_),
      sctp_(options.sctp, sink, counters_) {}

void PacketDecoder::runTimeouts(CaptureTime now) {
  ip_.expire(now);
  tcp_.expire(now);
  if (sctp_.fragmentsHeld() > 0) sctp_.expire(now);
}

void PacketDecoder::expire(CaptureTime now) { runTimeouts(now); }

void PacketDecoder::flush() { tcp_.flush(); }

DecodeStatus PacketDecoder::decode(LinkType link, Bytes frame, CaptureTime ts) {
  ++counters_.frames;
  runTimeouts(ts);
  LinkFrame lf;
  switch (decodeLinkLayer(link, frame, lf)) {
    case DecodeStatus::Ok:
      break;
    case DecodeStatus::Truncated:
      ++counters_.link_truncated;
      return DecodeStatus::Truncated;
    default:
      ++counters_.link_unsupported;
      return DecodeStatus::Unsupported;
  }
  return decodeNetwork(lf.ethertype, lf.payload, Context{ts, lf.vlan, 0});
}

DecodeStatus PacketDecoder::decodeIp(Bytes ip_packet, CaptureTime ts) {
  ++counters_.frames;
  runTimeouts(ts);
  return decodeIpPacket(ip_packet, Context{ts, 0, 0});
}

DecodeStatus PacketDecoder::decodeNetwork(uint16_t ethertype, Bytes payload, const Context& ctx) {
  if (ethertype != kEtherTypeIpv4 && ethertype != kEtherTypeIpv6) {
    ++counters_.non_ip;
    return DecodeStatus::Ignored;
  }
  return decodeIpPacket(payload, ctx);
}

DecodeStatus PacketDecoder::decodeIpPacket(Bytes bytes, const Context& ctx) {
  IpPacket ip;
  switch (parseIp(bytes, ip)) {
    case DecodeStatus::Ok:
      break;
    case DecodeStatus::Truncated:
      ++counters_.ip_truncated;
      return DecodeStatus::Truncated;
    default:
      ++counters_.ip_malformed;
      return DecodeStatus::Malformed;
  }
  if (!ip.fragment) return decodeTransport(ip, ctx);

  IpPacket whole;
  const DecodeStatus s = ip_.add(ip, ctx.ts, whole);
  if (s != DecodeStatus::Ok) return s;
  if (whole.version == 6) {
    // The first fragment may carry more extension headers after the fragment header.
    if (skipIpv6ExtensionHeaders(whole.protocol, whole.payload) != DecodeStatus::Ok ||
        whole.protocol == kIpProtoIpv6Fragment) {
      ++counters_.ip_malformed;
      return DecodeStatus::Malformed;
    }
  }
  return decodeTransport(whole, ctx);
}

DecodeStatus PacketDecoder::decodeTransport(const IpPacket& ip, const Context& ctx) {
  switch (ip.protocol) {
    case kIpProtoUdp:
      return decodeUdp(ip, ctx);
    case kIpProtoTcp:
      return decodeTcp(ip, ctx);
    case kIpProtoSctp:
      return sctp_.decode(metaFor(ip, ctx), ip.payload);
    case kIpProtoIpv4InIp:
    case kIpProtoIpv6InIp:
    case kIpProtoGre: {
      if (ctx.depth >= options_.max_tunnel_depth) {
        ++counters_.tunnel_too_deep;
        return DecodeStatus::Dropped;
      }
      ++counters_.tunnel_packets;
      const Context inner{ctx.ts, ctx.vlan, ctx.depth + 1};
      if (ip.protocol == kIpProtoGre) return decodeGre(ip.payload, inner);
      // The inner header must match what the outer protocol number announced.
      const uint8_t version = ip.protocol == kIpProtoIpv4InIp ? 4 : 6;
      if (ip.payload.empty() || ip.payload[0] >> 4 != version) {
        ++counters_.ip_malformed;
        return DecodeStatus::Malformed;
      }
      return decodeIpPacket(ip.payload, inner);
    }
    default:
      ++counters_.ip_other_protocol;
      return DecodeStatus::Ignored;
  }
}

DecodeStatus PacketDecoder::decodeGre(Bytes gre, const Context& ctx) {
  GreInner inner;
  switch (netdecode::decodeGre(gre, inner)) {
    case DecodeStatus::Ok:
      break;
    case DecodeStatus::Unsupported:
      ++counters_.tunnel_unsupported;
      return DecodeStatus::Unsupported;
    default:
      ++counters_.tunnel_malformed;
      return DecodeStatus::Malformed;
  }
  if (!inner.ethernet) return decodeNetwork(inner.ethertype, inner.payload, ctx);
  LinkFrame lf;
  lf.vlan = ctx.vlan;  // kept unless the mirrored frame has its own tag
  switch (decodeEthernet(inner.payload, lf)) {
    case DecodeStatus::Ok:
      break;
    case DecodeStatus::Truncated:
      ++counters_.tunnel_malformed;
      return DecodeStatus::Truncated;
    default:
      ++counters_.tunnel_unsupported;
      return DecodeStatus::Unsupported;
  }
  return decodeNetwork(lf.ethertype, lf.payload, Context{ctx.ts, lf.vlan, ctx.depth});
}

PacketView PacketDecoder::metaFor(const IpPacket& ip, const Context& ctx) const {
  PacketView view;
  view.src = ip.src;
  view.dst = ip.dst;
  view.ip_proto = ip.protocol;
  view.ts_sec = ctx.ts.sec;
  view.ts_usec = ctx.ts.usec;
  view.vlan = ctx.vlan;
  return view;
}

DecodeStatus PacketDecoder::decodeUdp(const IpPacket& ip, const Context& ctx) {
  UdpDatagram udp;
  switch (parseUdp(ip.payload, udp)) {
    case DecodeStatus::Ok:
      break;
    case DecodeStatus::Truncated:
      ++counters_.udp_truncated;
      return DecodeStatus::Truncated;
    default:
      ++counters_.udp_malformed;
      return DecodeStatus::Malformed;
  }
  PacketView view = metaFor(ip, ctx);
  view.src_port = udp.src_port;
  view.dst_port = udp.dst_port;
  view.payload = asText(udp.payload);
  ++counters_.udp_datagrams;
  sink_.onPacket(view);
  return DecodeStatus::Ok;
}

DecodeStatus PacketDecoder::decodeTcp(const IpPacket& ip, const Context& ctx) {
  TcpSegment seg;
  switch (parseTcp(ip.payload, seg)) {
    case DecodeStatus::Ok:
      break;
    case DecodeStatus::Truncated:
      ++counters_.tcp_truncated;
      return DecodeStatus::Truncated;
    default:
      ++counters_.tcp_malformed;
      return DecodeStatus::Malformed;
  }
  return tcp_.add(metaFor(ip, ctx), seg);
}

}  // namespace sipvault::netdecode
