#include "pcap_payload_reader.h"

#include <pcap/pcap.h>

#include <string_view>

namespace sipvault::test {
namespace {

uint16_t be16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

// Offset of the IP header in the frame and the EtherType of what is there; false if not IP.
bool linkLayer(int dlt, const uint8_t* p, size_t len, size_t& off, uint16_t& ethertype) {
  switch (dlt) {
    case DLT_EN10MB: {
      if (len < 14) return false;
      off = 14;
      ethertype = be16(p + 12);
      while ((ethertype == 0x8100 || ethertype == 0x88a8) && len >= off + 4) {
        ethertype = be16(p + off + 2);
        off += 4;
      }
      return true;
    }
    case DLT_LINUX_SLL:
      if (len < 16) return false;
      off = 16;
      ethertype = be16(p + 14);
      return true;
    case DLT_LINUX_SLL2:
      if (len < 20) return false;
      off = 20;
      ethertype = be16(p);
      return true;
    case DLT_NULL:
      if (len < 4) return false;
      off = 4;
      ethertype = 0;  // decided from the IP version nibble below
      return true;
    case DLT_RAW:
    case 228:  // DLT_IPV4
    case 229:  // DLT_IPV6
      off = 0;
      ethertype = 0;
      return true;
    default:
      return false;
  }
}

}  // namespace

static std::vector<CapturedPayload> readPayloads(const std::string& path, uint16_t port, uint8_t proto,
                                                 std::string& error) {
  std::vector<CapturedPayload> out;
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* pcap = pcap_open_offline(path.c_str(), errbuf);
  if (pcap == nullptr) {
    error = errbuf;
    return out;
  }
  const int dlt = pcap_datalink(pcap);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  uint32_t frame = 0;
  while (pcap_next_ex(pcap, &hdr, &data) == 1) {
    ++frame;
    const uint8_t* p = data;
    const size_t len = hdr->caplen;
    size_t off = 0;
    uint16_t ethertype = 0;
    if (!linkLayer(dlt, p, len, off, ethertype) || off >= len) continue;
    const uint8_t version = p[off] >> 4;
    if (ethertype == 0) ethertype = version == 4 ? 0x0800 : version == 6 ? 0x86dd : 0;
    size_t udp = 0;
    size_t ip_end = len;
    std::string addresses;
    if (ethertype == 0x0800 && version == 4) {
      if (len < off + 20) continue;
      const size_t ihl = size_t(p[off] & 0x0f) * 4;
      const uint16_t frag = be16(p + off + 6);
      if ((frag & 0x3fff) != 0) continue;  // MF set or non-zero offset: a fragment
      if (p[off + 9] != proto || ihl < 20) continue;
      const size_t total = be16(p + off + 2);
      if (off + total < ip_end) ip_end = off + total;
      udp = off + ihl;
      addresses.assign(reinterpret_cast<const char*>(p + off + 12), 8);
    } else if (ethertype == 0x86dd && version == 6) {
      if (len < off + 40) continue;
      uint8_t next = p[off + 6];
      addresses.assign(reinterpret_cast<const char*>(p + off + 8), 32);
      const size_t payload_len = be16(p + off + 4);
      if (off + 40 + payload_len < ip_end) ip_end = off + 40 + payload_len;
      size_t h = off + 40;
      // Hop-by-hop, routing, destination options: skip; fragment header: skip the packet.
      while ((next == 0 || next == 43 || next == 60) && h + 8 <= len) {
        next = p[h];
        h += (size_t(p[h + 1]) + 1) * 8;
      }
      if (next != proto) continue;
      udp = h;
    } else {
      continue;
    }
    size_t l4_header = 8;
    if (proto == 6) {
      if (udp + 20 > ip_end) continue;
      l4_header = size_t(p[udp + 12] >> 4) * 4;
      if (l4_header < 20) continue;
    }
    if (udp + l4_header > ip_end) continue;
    const uint16_t sport = be16(p + udp);
    const uint16_t dport = be16(p + udp + 2);
    size_t payload_len = ip_end - udp - l4_header;
    if (proto == 17) {
      const size_t ulen = be16(p + udp + 4);
      if (ulen < 8 || udp + ulen > ip_end) continue;
      payload_len = ulen - 8;
    }
    if (port != 0 && sport != port && dport != port) continue;
    if (proto == 6 && payload_len == 0) continue;
    CapturedPayload d;
    d.frame = frame;
    d.ip_version = version;
    d.src_port = sport;
    d.dst_port = dport;
    d.flow = addresses;
    d.flow.append(reinterpret_cast<const char*>(p + udp), 4);
    d.payload.assign(reinterpret_cast<const char*>(p + udp + l4_header), payload_len);
    out.push_back(std::move(d));
  }
  pcap_close(pcap);
  return out;
}

std::vector<CapturedPayload> readUdpPayloads(const std::string& path, uint16_t port, std::string& error) {
  return readPayloads(path, port, 17, error);
}

std::vector<CapturedPayload> readTcpPayloads(const std::string& path, uint16_t port, std::string& error) {
  return readPayloads(path, port, 6, error);
}

}  // namespace sipvault::test
