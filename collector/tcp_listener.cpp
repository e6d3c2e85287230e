#include "collector/tcp_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/endpoint.h"
#include "proto/hep_stream_framer.h"

namespace sipvault {

struct TcpListener::Connection {
  int fd = -1;
  HepStreamFramer framer;
  std::chrono::steady_clock::time_point last_activity;
  ~Connection() {
    if (fd >= 0) ::close(fd);
  }
};

TcpListener::TcpListener(const std::string& address, int max_connections, std::chrono::seconds idle_timeout,
                         const PacketAdmission& admission, CollectorMetrics& metrics, BatchQueue& queue,
                         uint32_t collector_id, int batch_packets, std::chrono::milliseconds batch_time)
    : max_connections_(max_connections),
      idle_timeout_(idle_timeout),
      metrics_(metrics),
      batch_(queue, metrics, collector_id, batch_packets, batch_time),
      ingest_(admission, metrics, batch_) {
  auto hp = parseHostPort(address);
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!hp || !resolveSockaddr(*hp, SOCK_STREAM, sa, len))
    throw std::runtime_error("TCP listen address '" + address + "' is not HOST:PORT");
  listen_fd_ = ::socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket(): " + std::string(strerror(errno)));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(listen_fd_, 512) != 0) {
    const std::string why = strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("cannot listen on TCP " + address + ": " + why);
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  bound_ = sockaddrToString(reinterpret_cast<sockaddr*>(&bound));
}

TcpListener::~TcpListener() {
  stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void TcpListener::start() { thread_ = std::thread([this] { run(); }); }

void TcpListener::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void TcpListener::acceptAll() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (static_cast<int>(connections_.size()) >= max_connections_) {
      ::close(fd);
      metrics_.tcp_refused.inc();
      continue;
    }
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->last_activity = std::chrono::steady_clock::now();
    connections_.push_back(std::move(c));
    metrics_.tcp_connections.set(static_cast<int64_t>(connections_.size()));
  }
}

bool TcpListener::readFrom(Connection& c) {
  uint8_t buf[65536];
  const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  c.last_activity = std::chrono::steady_clock::now();
  if (!c.framer.feed(std::span<const uint8_t>(buf, size_t(n)))) {
    metrics_.tcp_closed_bad_stream.inc();
    return false;
  }
  const uint64_t received = nowMicros();
  for (;;) {
    HepStreamFramer::Frame f = c.framer.next();
    if (f.status == HepStreamFramer::Status::NeedMore) return true;
    if (f.status == HepStreamFramer::Status::Error) {
      metrics_.decodeError(f.error).inc();
      metrics_.tcp_closed_bad_stream.inc();
      return false;
    }
    metrics_.tcp_frames.inc();
    ingest_.ingest(f.packet, received);
  }
}

void TcpListener::run() {
  std::vector<pollfd> fds;
  while (!stopping_.load(std::memory_order_relaxed)) {
    const auto now = std::chrono::steady_clock::now();
    batch_.flushIfDue(now);
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    for (auto& c : connections_) fds.push_back({c->fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 5) < 0) continue;
    if (fds[0].revents & POLLIN) acceptAll();
    // fds[i + 1] belongs to connections_[i] as they were before acceptAll appended new ones.
    const size_t polled = fds.size() - 1;
    for (size_t i = polled; i-- > 0;) {
      Connection& c = *connections_[i];
      bool keep = true;
      if (fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) keep = readFrom(c);
      else if (now - c.last_activity > idle_timeout_) {
        metrics_.tcp_closed_idle.inc();
        keep = false;
      }
      if (!keep) connections_.erase(connections_.begin() + static_cast<long>(i));
    }
    metrics_.tcp_connections.set(static_cast<int64_t>(connections_.size()));
  }
  batch_.flush();
  connections_.clear();
}

}  // namespace sipvault
