#include "collector/ipip_listener.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "netdecode/packet_decoder.h"

namespace sipvault::collector {
namespace {

// Hands decoded inner packets to the ingest path.
class IngestSink : public netdecode::PacketSink {
 public:
  explicit IngestSink(HepIngest& ingest) : ingest_(ingest) {}
  void onPacket(const PacketView& view) override { ingest_.ingestDecoded(view, nowMicros()); }

 private:
  HepIngest& ingest_;
};

int openRaw(int protocol, const std::string& bind_address) {
  const int fd = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    if (errno == EPERM || errno == EACCES)
      throw IpIpPermissionError("IP-in-IP needs a raw socket (CAP_NET_RAW), and this process may not open one");
    throw std::runtime_error("raw socket for IP protocol " + std::to_string(protocol) + ": " + strerror(errno));
  }
  int rcvbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (!bind_address.empty()) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    if (inet_pton(AF_INET, bind_address.c_str(), &sa.sin_addr) != 1 ||
        ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      ::close(fd);
      throw std::runtime_error("collector.ipip_bind '" + bind_address + "' is not a local IPv4 address");
    }
  }
  return fd;
}

}  // namespace

IpIpListener::IpIpListener(const std::string& bind_address, const IngestContext& context)
    : metrics_(context.metrics),
      admission_(context.admission),
      batch_(context.newBatch()),
      ingest_(context, batch_) {
  fd_ = openRaw(IPPROTO_IPIP, bind_address);    // IPv4 inside IPv4
  try {
    fd6_ = openRaw(IPPROTO_IPV6, bind_address);  // IPv6 inside IPv4 (protocol 41)
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

IpIpListener::~IpIpListener() {
  stop();
  if (fd_ >= 0) ::close(fd_);
  if (fd6_ >= 0) ::close(fd6_);
}

void IpIpListener::start() { thread_ = std::thread([this] { run(); }); }

void IpIpListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void IpIpListener::run() {
  IngestSink sink(ingest_);
  netdecode::PacketDecoder decoder(netdecode::PacketDecoderOptions{}, sink);
  std::vector<uint8_t> buf(65536);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {fd6_, POLLIN, 0}};
  while (!stopping_.load(std::memory_order_relaxed)) {
    batch_.flushIfDue(std::chrono::steady_clock::now());
    if (::poll(fds, 2, 5) <= 0) continue;
    for (const pollfd& p : fds) {
      if (!(p.revents & POLLIN)) continue;
      sockaddr_in from{};
      socklen_t from_len = sizeof from;
      const ssize_t n = ::recvfrom(p.fd, buf.data(), buf.size(), MSG_DONTWAIT,
                                   reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n <= 0) continue;
      metrics_.ipip_packets.inc();
      if (!admission_.allowsOuterSource(ntohl(from.sin_addr.s_addr))) {
        metrics_.ipip_source_rejected.inc();
        continue;
      }
      // Mirrors carry no capture time of their own: the arrival time is the best there is.
      const uint64_t now = nowMicros();
      const netdecode::CaptureTime ts{uint32_t(now / 1000000), uint32_t(now % 1000000)};
      const auto status = decoder.decodeIp(netdecode::Bytes(buf.data(), size_t(n)), ts);
      if (status != netdecode::DecodeStatus::Ok && status != netdecode::DecodeStatus::Pending)
        metrics_.ipip_not_decoded.inc();
    }
  }
  decoder.flush();
  batch_.flush();
}

}  // namespace sipvault::collector
