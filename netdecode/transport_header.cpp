#include "netdecode/transport_header.h"

namespace sipvault::netdecode {

DecodeStatus parseUdp(Bytes bytes, UdpDatagram& out) {
  out = UdpDatagram{};
  if (bytes.size() < 8) return DecodeStatus::Truncated;
  size_t len = be16(bytes.data() + 4);
  if (len == 0) len = bytes.size();
  if (len < 8) return DecodeStatus::Malformed;
  if (len > bytes.size()) return DecodeStatus::Truncated;
  out.src_port = be16(bytes.data());
  out.dst_port = be16(bytes.data() + 2);
  out.payload = bytes.subspan(8, len - 8);
  return DecodeStatus::Ok;
}

DecodeStatus parseTcp(Bytes bytes, TcpSegment& out) {
  out = TcpSegment{};
  if (bytes.size() < 20) return DecodeStatus::Truncated;
  const size_t header_len = size_t(bytes[12] >> 4) * 4;
  if (header_len < 20) return DecodeStatus::Malformed;
  if (header_len > bytes.size()) return DecodeStatus::Truncated;
  out.src_port = be16(bytes.data());
  out.dst_port = be16(bytes.data() + 2);
  out.seq = be32(bytes.data() + 4);
  out.flags = bytes[13];
  out.payload = bytes.subspan(header_len);
  return DecodeStatus::Ok;
}

}  // namespace sipvault::netdecode
