#include "agent_test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "proto/hep_codec.h"
#include "proto/hep_stream_framer.h"
#include "tests/support/test_files.h"

namespace sipvault::agent_test {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// HepReceiver

HepReceiver::HepReceiver(Kind kind, int port) : kind_(kind), port_(port) { start(); }

HepReceiver::~HepReceiver() { stop(); }

void HepReceiver::start() {
  // CLOEXEC: the agent is spawned from this process and must not inherit the listener.
  fd_ = ::socket(AF_INET, (kind_ == Kind::Udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);
  REQUIRE(fd_ >= 0);
  const int one = 1, big = 16 << 20;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Replays send as fast as they can: a big buffer keeps the kernel from dropping datagrams.
  if (::setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) != 0)
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port_));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int bound = ::bind(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  INFO("bind 127.0.0.1:" << port_ << ": " << std::strerror(errno));
  REQUIRE(bound == 0);
  socklen_t len = sizeof sa;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  port_ = ntohs(sa.sin_port);
  if (kind_ == Kind::Tcp) REQUIRE(::listen(fd_, 16) == 0);
  running_ = true;
  thread_ = std::thread([this] { run(); });
}

void HepReceiver::stop() {
  if (!running_) return;
  running_ = false;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
  fd_ = -1;
}

void HepReceiver::onPacket(std::string_view bytes, size_t connection) {
  std::string scratch;
  HepDecodeResult r = decodeHep(bytes, scratch);
  if (!r) {
    ++decode_errors_;
    return;
  }
  const PacketView& p = *r.packet;
  ReceivedHep h;
  h.version = p.hep_version;
  h.src = p.src.toString();
  h.dst = p.dst.toString();
  h.family = p.src.family;
  h.src_port = p.src_port;
  h.dst_port = p.dst_port;
  h.ip_proto = p.ip_proto;
  h.ts_sec = p.ts_sec;
  h.ts_usec = p.ts_usec;
  h.capture_id = p.capture_id;
  h.has_auth_key = p.has_auth_key;
  h.auth_key = std::string(p.auth_key);
  h.node_name = std::string(p.node_name);
  h.vlan = p.vlan;
  h.compressed = p.payload_compressed;
  h.payload_type = p.payload_type;
  h.correlation_id = std::string(p.correlation_id);
  h.payload = std::string(p.payload);
  h.connection = connection;
  std::lock_guard lock(mu_);
  packets_.push_back(std::move(h));
}

void HepReceiver::run() {
  std::vector<char> buf(70000);
  struct Conn {
    int fd;
    size_t id;
    HepStreamFramer framer;
  };
  std::vector<std::unique_ptr<Conn>> conns;
  while (running_) {
    std::vector<pollfd> fds{{fd_, POLLIN, 0}};
    for (auto& c : conns) fds.push_back({c->fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      if (kind_ == Kind::Udp) {
        for (;;) {
          const ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
          if (n < 0) break;
          onPacket(std::string_view(buf.data(), size_t(n)), 0);
        }
      } else {
        const int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) conns.push_back(std::make_unique<Conn>(Conn{c, connections_++, HepStreamFramer()}));
      }
    }
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Conn& c = *conns[i - 1];
      const ssize_t n = ::recv(c.fd, buf.data(), buf.size(), 0);
      if (n <= 0) {
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      // No Catch2 assertions on this thread: a framing failure shows as a decode error.
      if (!c.framer.feed(std::span(reinterpret_cast<const uint8_t*>(buf.data()), size_t(n)))) {
        ++decode_errors_;
        ::close(c.fd);
        c.fd = -1;
        continue;
      }
      for (;;) {
        auto f = c.framer.next();
        if (f.status == HepStreamFramer::Status::Error) ++decode_errors_;
        if (f.status != HepStreamFramer::Status::Packet) break;
        onPacket(std::string_view(reinterpret_cast<const char*>(f.packet.data()), f.packet.size()), c.id);
      }
    }
    std::erase_if(conns, [](const auto& c) { return c->fd < 0; });
  }
  // Going away like a collector that is stopped: every connection closes.
  for (auto& c : conns) ::close(c->fd);
}

std::vector<ReceivedHep> HepReceiver::packets() const {
  std::lock_guard lock(mu_);
  return packets_;
}

size_t HepReceiver::count() const {
  std::lock_guard lock(mu_);
  return packets_.size();
}

bool HepReceiver::waitFor(size_t n, std::chrono::milliseconds timeout, std::chrono::milliseconds settle) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (count() < n && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(10ms);
  std::this_thread::sleep_for(settle);
  return count() >= n;
}

// ---------------------------------------------------------------------------------------------
// Truth

namespace {

uint16_t rd16(const uint8_t* p) { return uint16_t(p[0] << 8 | p[1]); }

std::string addr(int family, const uint8_t* p) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, p, buf, sizeof buf);
  return buf;
}

}  // namespace

std::vector<TruthMessage> readTruth(const std::string& path) {
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  INFO(path << ": " << err);
  REQUIRE(p != nullptr);
  const int dlt = pcap_datalink(p);
  std::vector<TruthMessage> out;
  pcap_pkthdr* h;
  const u_char* d;
  while (pcap_next_ex(p, &h, &d) == 1) {
    const uint8_t* b = d;
    size_t n = h->caplen;
    uint16_t type = 0, vlan = 0;
    size_t off = 0;
    if (dlt == DLT_EN10MB) {
      if (n < 14) continue;
      type = rd16(b + 12);
      off = 14;
      while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) && n >= off + 4) {
        vlan = rd16(b + off) & 0x0fff;
        type = rd16(b + off + 2);
        off += 4;
      }
    } else if (dlt == DLT_LINUX_SLL) {
      if (n < 16) continue;
      type = rd16(b + 14);
      off = 16;
    } else if (dlt == DLT_LINUX_SLL2) {
      if (n < 20) continue;
      type = rd16(b);
      off = 20;
    } else if (dlt == DLT_NULL) {
      if (n < 4) continue;
      const uint32_t fam = uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
      type = fam == 2 ? 0x0800 : 0x86dd;
      off = 4;
    } else if (dlt == DLT_RAW || dlt == 12 || dlt == 14 || dlt == 101) {
      if (n < 1) continue;
      type = (b[0] >> 4) == 4 ? 0x0800 : 0x86dd;
    } else {
      FAIL("unexpected link type " << dlt);
    }
    TruthMessage m;
    m.vlan = vlan;
    m.ts_sec = uint32_t(h->ts.tv_sec);
    m.ts_usec = uint32_t(h->ts.tv_usec);
    const uint8_t* ip = b + off;
    size_t iplen = n - off, l4off = 0, l4end = 0;
    if (type == 0x0800 && iplen >= 20 && (ip[0] >> 4) == 4) {
      if ((rd16(ip + 6) & 0x3fff) != 0) continue;  // fragments: not this reader's job
      l4off = size_t(ip[0] & 0x0f) * 4;
      l4end = std::min<size_t>(iplen, rd16(ip + 2));
      m.ip_proto = ip[9];
      m.src = addr(AF_INET, ip + 12);
      m.dst = addr(AF_INET, ip + 16);
    } else if (type == 0x86dd && iplen >= 40 && (ip[0] >> 4) == 6) {
      l4off = 40;
      l4end = std::min<size_t>(iplen, 40 + rd16(ip + 4));
      m.ip_proto = ip[6];
      m.src = addr(AF_INET6, ip + 8);
      m.dst = addr(AF_INET6, ip + 24);
    } else {
      continue;
    }
    if (l4end < l4off + 8) continue;
    const uint8_t* l4 = ip + l4off;
    m.src_port = rd16(l4);
    m.dst_port = rd16(l4 + 2);
    size_t data = 0;
    if (m.ip_proto == 17)
      data = 8;
    else if (m.ip_proto == 6 && l4end >= l4off + 20)
      data = size_t(l4[12] >> 4) * 4;
    else
      continue;
    if (l4off + data >= l4end) continue;
    m.payload.assign(reinterpret_cast<const char*>(l4 + data), l4end - l4off - data);
    out.push_back(std::move(m));
  }
  pcap_close(p);
  return out;
}

bool isSipStartLine(const std::string& payload) {
  const size_t eol = payload.find("\r\n");
  if (eol == std::string::npos) return false;
  const std::string line = payload.substr(0, eol);
  if (line.rfind("SIP/2.0 ", 0) == 0)
    return line.size() >= 12 && isdigit(uint8_t(line[8])) && isdigit(uint8_t(line[9])) &&
           isdigit(uint8_t(line[10]));
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp1 == 0 || sp2 <= sp1 + 1) return false;
  for (size_t i = 0; i < sp1; ++i)
    if (!isupper(uint8_t(line[i]))) return false;
  return line.substr(sp2 + 1) == "SIP/2.0";
}

std::vector<TruthMessage> sipOnly(const std::vector<TruthMessage>& all) {
  std::vector<TruthMessage> out;
  for (const auto& m : all)
    if (isSipStartLine(m.payload)) out.push_back(m);
  return out;
}

std::string corpus(const std::string& relative) { return std::string(SIPVAULT_CORPUS_DIR) + "/" + relative; }

std::vector<std::string> sippSent(const std::string& log) {
  std::vector<std::string> out;
  const std::string marker = "message sent (";
  for (size_t at = log.find(marker); at != std::string::npos; at = log.find(marker, at + 1)) {
    const size_t n = std::stoul(log.substr(at + marker.size()));
    const size_t body = log.find("):\n\n", at);
    REQUIRE(body != std::string::npos);
    REQUIRE(body + 4 + n <= log.size());
    out.push_back(log.substr(body + 4, n));
  }
  return out;
}

std::string readFile(const std::string& path) { return test::readFile(path); }

std::string tempPath(const std::string& name) {
  return std::string(SIPVAULT_BINARY_DIR) + "/tests/agent/" + name;
}

// ---------------------------------------------------------------------------------------------
// Frames

namespace {

uint16_t checksum(const uint8_t* p, size_t n, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < n; i += 2) sum += uint32_t(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += uint32_t(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

void put16(uint8_t* p, uint16_t v) {
  p[0] = uint8_t(v >> 8);
  p[1] = uint8_t(v);
}

}  // namespace

std::vector<uint8_t> ipv4Udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                             std::string_view payload, uint16_t ip_id, uint16_t frag_offset8,
                             bool more_fragments, std::string_view raw_l4) {
  std::vector<uint8_t> l4;
  if (raw_l4.empty()) {
    l4.resize(8 + payload.size());
    put16(&l4[0], sport);
    put16(&l4[2], dport);
    put16(&l4[4], uint16_t(l4.size()));
    std::memcpy(l4.data() + 8, payload.data(), payload.size());
  } else {
    l4.assign(raw_l4.begin(), raw_l4.end());
  }
  std::vector<uint8_t> ip(20 + l4.size());
  ip[0] = 0x45;
  put16(&ip[2], uint16_t(ip.size()));
  put16(&ip[4], ip_id);
  put16(&ip[6], uint16_t((more_fragments ? 0x2000 : 0) | frag_offset8));
  ip[8] = 64;
  ip[9] = 17;
  REQUIRE(inet_pton(AF_INET, src.c_str(), &ip[12]) == 1);
  REQUIRE(inet_pton(AF_INET, dst.c_str(), &ip[16]) == 1);
  put16(&ip[10], checksum(ip.data(), 20));
  std::memcpy(ip.data() + 20, l4.data(), l4.size());
  if (raw_l4.empty()) {
    // UDP checksum over the pseudo header.
    uint32_t sum = 0;
    for (int i = 12; i < 20; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
    sum += 17 + uint32_t(l4.size());
    put16(&ip[26], checksum(ip.data() + 20, l4.size(), sum));
  }
  return ip;
}

namespace {
// An IPv6 header (no extension headers) for `l4_len` bytes of protocol `proto`, the L4 bytes zero,
// and the pseudo-header sum for the L4 checksum.
std::vector<uint8_t> ipv6Header(const std::string& src, const std::string& dst, uint8_t proto, size_t l4_len,
                                uint32_t& pseudo_sum) {
  std::vector<uint8_t> ip(40 + l4_len);
  ip[0] = 0x60;
  put16(&ip[4], uint16_t(l4_len));
  ip[6] = proto;
  ip[7] = 64;
  REQUIRE(inet_pton(AF_INET6, src.c_str(), &ip[8]) == 1);
  REQUIRE(inet_pton(AF_INET6, dst.c_str(), &ip[24]) == 1);
  pseudo_sum = proto + uint32_t(l4_len);
  for (int i = 8; i < 40; i += 2) pseudo_sum += uint32_t(ip[i] << 8 | ip[i + 1]);
  return ip;
}
}  // namespace

std::vector<uint8_t> ipv6Tcp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                             uint32_t seq, uint8_t flags, std::string_view payload) {
  uint32_t sum = 0;
  std::vector<uint8_t> ip = ipv6Header(src, dst, 6, 20 + payload.size(), sum);
  uint8_t* t = &ip[40];
  put16(t, sport);
  put16(t + 2, dport);
  t[4] = uint8_t(seq >> 24);
  t[5] = uint8_t(seq >> 16);
  t[6] = uint8_t(seq >> 8);
  t[7] = uint8_t(seq);
  t[12] = 5 << 4;
  t[13] = flags;
  put16(t + 14, 65535);
  std::memcpy(t + 20, payload.data(), payload.size());
  put16(t + 16, checksum(t, 20 + payload.size(), sum));
  return ip;
}

std::vector<uint8_t> ipv6Udp(const std::string& src, const std::string& dst, uint16_t sport, uint16_t dport,
                             std::string_view payload) {
  uint32_t sum = 0;
  std::vector<uint8_t> ip = ipv6Header(src, dst, 17, 8 + payload.size(), sum);
  uint8_t* u = &ip[40];
  put16(u, sport);
  put16(u + 2, dport);
  put16(u + 4, uint16_t(8 + payload.size()));
  std::memcpy(u + 8, payload.data(), payload.size());
  const uint16_t c = checksum(u, 8 + payload.size(), sum);
  put16(u + 6, c == 0 ? 0xffff : c);
  return ip;
}

std::vector<uint8_t> ethernet(const std::vector<uint8_t>& ip, uint16_t ethertype) {
  std::vector<uint8_t> f(14 + ip.size());
  const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  std::memcpy(f.data(), macs, 12);
  put16(&f[12], ethertype);
  std::memcpy(f.data() + 14, ip.data(), ip.size());
  return f;
}

void writePcap(const std::string& path, int dlt, const std::vector<PcapFrame>& frames) {
  pcap_t* dead = pcap_open_dead(dlt, 65535);
  pcap_dumper_t* out = pcap_dump_open(dead, path.c_str());
  INFO(path << ": " << pcap_geterr(dead));
  REQUIRE(out != nullptr);
  for (const PcapFrame& f : frames) {
    pcap_pkthdr h{};
    h.ts.tv_sec = f.ts_sec;
    h.ts.tv_usec = f.ts_usec;
    h.caplen = h.len = uint32_t(f.bytes.size());
    pcap_dump(reinterpret_cast<u_char*>(out), &h, f.bytes.data());
  }
  pcap_dump_close(out);
  pcap_close(dead);
}

// ---------------------------------------------------------------------------------------------
// The agent

std::string agentPath() { return test::binaryPath("agent", "sipvault-agent"); }

namespace {
bool namesMediaOption(const std::vector<std::string>& args) {
  for (const std::string& a : args)
    if (a.rfind("--rtcp", 0) == 0 || a.rfind("--rtp-", 0) == 0 || a.rfind("--media-", 0) == 0) return true;
  return false;
}
}  // namespace

std::unique_ptr<test::ChildProcess> startAgent(const std::vector<std::string>& args,
                                               const std::string& log_name) {
  std::vector<std::string> argv{agentPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (!namesMediaOption(args)) argv.insert(argv.end(), {"--rtcp", "off"});
  return std::make_unique<test::ChildProcess>(argv, tempPath(log_name));
}

AgentRun runAgent(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  static int runs = 0;
  auto child =
      startAgent(args, "agent-run-" + std::to_string(::getpid()) + "-" + std::to_string(runs++) + ".log");
  AgentRun r;
  r.exit_code = child->wait(timeout);
  if (r.exit_code == -1) r.exit_code = child->stop();
  r.log = child->log();
  return r;
}

Replay replay(const std::string& file, std::vector<std::string> extra, size_t expected, HepReceiver::Kind kind) {
  HepReceiver rx(kind);
  std::vector<std::string> args{"-r", file, "-H",
                                std::string(kind == HepReceiver::Kind::Udp ? "udp" : "tcp") +
                                    ":127.0.0.1:" + std::to_string(rx.port())};
  args.insert(args.end(), extra.begin(), extra.end());
  Replay r;
  r.run = runAgent(args);
  INFO(r.run.log);
  CHECK(r.run.exit_code == 0);
  rx.waitFor(expected, std::chrono::seconds(5));
  CHECK(rx.decodeErrors() == 0);
  r.packets = rx.packets();
  return r;
}

uint64_t logValue(const std::string& log, const std::string& event, const std::string& key) {
  const size_t line_at = log.rfind("event=" + event + " ");
  if (line_at == std::string::npos) return UINT64_MAX;
  const size_t eol = log.find('\n', line_at);
  const std::string line = log.substr(line_at, eol == std::string::npos ? std::string::npos : eol - line_at);
  const size_t k = line.find(" " + key + "=");
  if (k == std::string::npos) return UINT64_MAX;
  return std::stoull(line.substr(k + key.size() + 2));
}

}  // namespace sipvault::agent_test
