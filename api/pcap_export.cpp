#include "api/pcap_export.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>

namespace sipvault::api {

namespace {

constexpr size_t kEthernetHeader = 14;
constexpr size_t kIpv4Header = 20;
constexpr size_t kIpv6Header = 40;
constexpr size_t kUdpHeader = 8;
constexpr size_t kTcpHeader = 20;
constexpr size_t kMaxTcpSegment = 65000;
constexpr int kSnapLen = 262144;

void put16(std::string& out, size_t at, uint16_t v) {
  out[at] = static_cast<char>(v >> 8);
  out[at + 1] = static_cast<char>(v & 0xff);
}

void put32(std::string& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = static_cast<char>((v >> (24 - 8 * i)) & 0xff);
}

// Internet checksum (RFC 1071) over `data`, continuing from `sum`.
uint32_t checksumAdd(uint32_t sum, std::string_view data) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += (uint8_t(data[i]) << 8) | uint8_t(data[i + 1]);
  if (i < data.size()) sum += uint8_t(data[i]) << 8;
  return sum;
}

uint16_t checksumFinish(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum & 0xffff);
}

// 16 bytes of an IPv6 address from 4 or 16 raw bytes (IPv4-mapped for 4, :: for unknown).
std::string asIpv6(std::string_view ip) {
  if (ip.size() == 16) return std::string(ip);
  std::string out(16, '\0');
  if (ip.size() == 4) {
    out[10] = out[11] = '\xff';
    out.replace(12, 4, ip);
  }
  return out;
}

std::string asIpv4(std::string_view ip) { return ip.size() == 4 ? std::string(ip) : std::string(4, '\0'); }

}  // namespace

std::string buildFrame(const ExportPacket& p, std::string_view payload, uint32_t seq, uint32_t ack, uint16_t ip_id) {
  const bool v6 = p.src_ip.size() == 16 || p.dst_ip.size() == 16;
  const bool tcp = p.ip_proto == 6;
  const size_t ip_header = v6 ? kIpv6Header : kIpv4Header;
  const size_t l4_header = tcp ? kTcpHeader : kUdpHeader;
  const size_t l4_length = l4_header + payload.size();
  std::string f(kEthernetHeader + ip_header + l4_length, '\0');

  // Ethernet: locally administered MACs; the addresses that matter are the IP ones.
  const char macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  f.replace(0, 12, macs, 12);
  put16(f, 12, v6 ? 0x86dd : 0x0800);

  const size_t ip = kEthernetHeader;
  const std::string src = v6 ? asIpv6(p.src_ip) : asIpv4(p.src_ip);
  const std::string dst = v6 ? asIpv6(p.dst_ip) : asIpv4(p.dst_ip);
  const uint8_t proto = tcp ? 6 : 17;
  if (v6) {
    put32(f, ip, 0x60000000u);
    put16(f, ip + 4, static_cast<uint16_t>(l4_length));
    f[ip + 6] = static_cast<char>(proto);
    f[ip + 7] = 64;
    f.replace(ip + 8, 16, src);
    f.replace(ip + 24, 16, dst);
  } else {
    f[ip] = 0x45;
    put16(f, ip + 2, static_cast<uint16_t>(kIpv4Header + l4_length));
    put16(f, ip + 4, ip_id);
    put16(f, ip + 6, 0x4000);  // don't fragment
    f[ip + 8] = 64;
    f[ip + 9] = static_cast<char>(proto);
    f.replace(ip + 12, 4, src);
    f.replace(ip + 16, 4, dst);
    put16(f, ip + 10, checksumFinish(checksumAdd(0, std::string_view(f).substr(ip, kIpv4Header))));
  }

  const size_t l4 = ip + ip_header;
  put16(f, l4, p.src_port);
  put16(f, l4 + 2, p.dst_port);
  if (tcp) {
    put32(f, l4 + 4, seq);
    put32(f, l4 + 8, ack);
    f[l4 + 12] = static_cast<char>((kTcpHeader / 4) << 4);
    f[l4 + 13] = 0x18;  // PSH | ACK
    put16(f, l4 + 14, 65535);
  } else {
    put16(f, l4 + 4, static_cast<uint16_t>(l4_length));
  }
  f.replace(l4 + l4_header, payload.size(), payload);

  // Transport checksum over the pseudo-header (RFC 768 / 793 / 8200 §8.1).
  std::string pseudo = src + dst;
  if (v6) {
    pseudo.append(4, '\0');
    put32(pseudo, 32, static_cast<uint32_t>(l4_length));
    pseudo.append(4, '\0');
    pseudo[39] = static_cast<char>(proto);
  } else {
    pseudo.append(4, '\0');
    pseudo[9] = static_cast<char>(proto);
    put16(pseudo, 10, static_cast<uint16_t>(l4_length));
  }
  uint16_t sum = checksumFinish(checksumAdd(checksumAdd(0, pseudo), std::string_view(f).substr(l4)));
  if (!tcp && sum == 0) sum = 0xffff;  // UDP: 0 means "no checksum"
  put16(f, l4 + (tcp ? 16 : 6), sum);
  return f;
}

uint64_t pcapBytesFor(size_t payload_bytes, uint8_t ip_proto) {
  constexpr uint64_t kRecordHeader = 16;
  constexpr uint64_t kFrameHeaders = kRecordHeader + kEthernetHeader + kIpv6Header + kTcpHeader;
  const uint64_t frames =
      ip_proto == 6 ? std::max<uint64_t>(1, (payload_bytes + kMaxTcpSegment - 1) / kMaxTcpSegment) : 1;
  return payload_bytes + frames * kFrameHeaders;
}

std::unique_ptr<PcapWriter> PcapWriter::open(FILE* stream, std::string& error) {
  std::unique_ptr<PcapWriter> w(new PcapWriter());
  w->dead_ = pcap_open_dead(DLT_EN10MB, kSnapLen);
  if (!w->dead_) {
    error = "pcap_open_dead failed";
    std::fclose(stream);
    return nullptr;
  }
  w->dumper_ = pcap_dump_fopen(w->dead_, stream);  // writes the file header
  if (!w->dumper_) {
    error = std::string("pcap_dump_fopen: ") + pcap_geterr(w->dead_);
    std::fclose(stream);
    return nullptr;
  }
  return w;
}

PcapWriter::~PcapWriter() {
  finish();
  if (dead_) pcap_close(dead_);
}

void PcapWriter::finish() {
  if (dumper_) pcap_dump_close(dumper_);  // flushes and closes the stream
  dumper_ = nullptr;
}

void PcapWriter::dump(const ExportPacket& p, std::string_view payload, uint32_t seq, uint32_t ack) {
  const std::string frame = buildFrame(p, payload, seq, ack, ip_id_++);
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(p.capture_us / 1000000);
  header.ts.tv_usec = static_cast<suseconds_t>(p.capture_us % 1000000);
  header.caplen = static_cast<bpf_u_int32>(frame.size());
  header.len = header.caplen;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, reinterpret_cast<const u_char*>(frame.data()));
  ++frames_;
}

void PcapWriter::write(const ExportPacket& p) {
  if (!dumper_) return;
  if (p.ip_proto != 6) {
    const size_t room = 65535 - kIpv4Header - kUdpHeader;
    std::string_view payload = p.payload;
    if (payload.size() > room) {
      payload = payload.substr(0, room);
      ++truncated_;
    }
    dump(p, payload, 0, 0);
    return;
  }
  uint32_t& seq = next_seq_.try_emplace({std::string(p.src_ip), p.src_port, std::string(p.dst_ip), p.dst_port}, 1u)
                      .first->second;
  auto back = next_seq_.find({std::string(p.dst_ip), p.dst_port, std::string(p.src_ip), p.src_port});
  const uint32_t ack = back == next_seq_.end() ? 1u : back->second;
  std::string_view rest = p.payload;
  do {
    const std::string_view segment = rest.substr(0, kMaxTcpSegment);
    dump(p, segment, seq, ack);
    seq += static_cast<uint32_t>(segment.size());
    rest.remove_prefix(segment.size());
  } while (!rest.empty());
}

std::optional<PcapResult> buildPcap(std::span<const ExportPacket> packets, std::string& error) {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* stream = open_memstream(&buffer, &size);
  if (!stream) {
    error = "open_memstream failed";
    return std::nullopt;
  }
  auto writer = PcapWriter::open(stream, error);
  if (!writer) {
    std::free(buffer);
    return std::nullopt;
  }
  for (const ExportPacket& p : packets) writer->write(p);
  writer->finish();  // closes `stream`, which finalises buffer/size
  PcapResult result;
  result.file.assign(buffer, size);
  result.frames = writer->frames();
  result.truncated = writer->truncated();
  std::free(buffer);
  return result;
}

}  // namespace sipvault::api
