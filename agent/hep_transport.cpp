#include "agent/hep_transport.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace sipvault::agent {
namespace {

constexpr size_t kMaxDatagramsPerCall = 64;

std::string errnoText(int err) { return std::strerror(err); }

std::chrono::milliseconds nextBackoff(std::chrono::milliseconds current, const TransportOptions& o) {
  if (current.count() == 0) return o.reconnect_min;
  return std::min(current * 2, o.reconnect_max);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// UDP

UdpTransport::UdpTransport(const HostPort& server, const TransportOptions& options, AgentMetrics& metrics, Log log)
    : name_("udp:" + server.toString()), options_(options), metrics_(metrics), log_(log) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (!resolveSockaddr(server, SOCK_DGRAM, addr, len))
    throw std::runtime_error("HEP server " + server.toString() + " does not resolve");
  fd_ = ::socket(addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("UDP socket: " + errnoText(errno));
  // Connected, so that ICMP errors come back to us and sendmmsg needs no address per datagram.
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    const int err = errno;
    ::close(fd_);
    throw std::runtime_error("UDP connect to " + server.toString() + ": " + errnoText(err));
  }
  const int sndbuf = 1 << 20;
  (void)::setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
}

UdpTransport::~UdpTransport() {
  if (fd_ >= 0) ::close(fd_);
}

void UdpTransport::refused(SteadyTime now) {
  backoff_ = nextBackoff(backoff_, options_);
  unhealthy_until_ = now + backoff_;
}

void UdpTransport::send(const HepBatch& batch, size_t first, SteadyTime now) {
  iovec iov[kMaxDatagramsPerCall];
  mmsghdr msgs[kMaxDatagramsPerCall];
  size_t i = first;
  bool retried = false;
  while (i < batch.size()) {
    const size_t n = std::min(kMaxDatagramsPerCall, batch.size() - i);
    for (size_t k = 0; k < n; ++k) {
      const std::string_view p = batch.packet(i + k);
      iov[k].iov_base = const_cast<char*>(p.data());
      iov[k].iov_len = p.size();
      msgs[k] = mmsghdr{};
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    const int r = ::sendmmsg(fd_, msgs, static_cast<unsigned>(n), 0);
    if (r > 0) {
      for (int k = 0; k < r; ++k) metrics_.sent_bytes.inc(msgs[k].msg_len);
      metrics_.sent.inc(static_cast<uint64_t>(r));
      i += static_cast<size_t>(r);
      retried = false;
      if (backoff_.count() && now >= unhealthy_until_) backoff_ = {};
      continue;
    }
    const int err = r < 0 ? errno : EIO;
    if (err == EINTR) continue;
    // A pending ICMP error is reported once, by the next send, which did not go out: try that
    // datagram once more before counting it as lost.
    if (err == ECONNREFUSED) refused(now);
    if ((err == ECONNREFUSED || err == ENOBUFS || err == EAGAIN) && !retried) {
      retried = true;
      continue;
    }
    metrics_.drop(DropReason::SendError, 1);
    uint64_t suppressed = 0;
    if (error_log_.allow(suppressed))
      log_.warn("hep_send_failed", {{"server", name_}, {"error", errnoText(err)}, {"suppressed", suppressed}});
    ++i;
    retried = false;
  }
}

// ---------------------------------------------------------------------------------------------
// TCP

TcpTransport::TcpTransport(const HostPort& server, const TransportOptions& options, AgentMetrics& metrics, Log log)
    : name_("tcp:" + server.toString()), options_(options), metrics_(metrics), log_(log) {
  if (!resolveSockaddr(server, SOCK_STREAM, addr_, addr_len_))
    throw std::runtime_error("HEP server " + server.toString() + " does not resolve");
}

TcpTransport::~TcpTransport() {
  if (fd_ >= 0) ::close(fd_);
  metrics_.queued_bytes.add(-gauge_bytes_);
}

void TcpTransport::updateGauge() {
  const auto now = static_cast<int64_t>(pendingBytes());
  metrics_.queued_bytes.add(now - gauge_bytes_);
  gauge_bytes_ = now;
}

void TcpTransport::send(const HepBatch& batch, size_t first, SteadyTime now) {
  size_t begin = first == 0 ? 0 : batch.ends[first - 1];
  size_t partial = 0;  // bytes of packet `first` already in the kernel
  if (state_ == State::Connected && pendingBytes() == 0) {
    // Nothing queued: write straight from the batch, queue only what the kernel did not take.
    const ssize_t n = ::send(fd_, batch.bytes.data() + begin, batch.bytes.size() - begin, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) lost(now, "send: " + errnoText(errno));
    const size_t written = n > 0 ? size_t(n) : 0;
    metrics_.sent_bytes.inc(written);
    while (first < batch.size() && batch.ends[first] <= begin + written) {
      ++first;
      metrics_.sent.inc();
    }
    if (first == batch.size()) return;
    partial = begin + written - (first == 0 ? 0 : batch.ends[first - 1]);
    begin = first == 0 ? 0 : batch.ends[first - 1];
  }
  // Keeps the start of a half-written front packet: it may have to go again whole.
  const size_t front = head_ - front_written_;
  if (front > 0 && front >= buf_.size() / 2) {
    buf_.erase(0, front);
    head_ -= front;
  }
  size_t full = 0;
  for (size_t i = first; i < batch.size(); ++i) {
    const std::string_view p = batch.packet(i);
    // A packet partly written already must follow whole, or the stream would be corrupt.
    if (!(i == first && partial > 0) && pendingBytes() + p.size() > options_.tcp_queue_bytes) {
      ++full;
      continue;
    }
    buf_.append(p);
    lens_.push_back(static_cast<uint32_t>(p.size()));
  }
  if (partial > 0) {
    head_ += partial;
    front_written_ = partial;
  }
  if (full) {
    metrics_.drop(DropReason::TcpQueueFull, full);
    uint64_t suppressed = 0;
    if (full_log_.allow(suppressed))
      log_.warn("tcp_queue_full", {{"server", name_},
                                   {"queued_bytes", pendingBytes()},
                                   {"dropped", full},
                                   {"suppressed", suppressed}});
  }
  if (state_ == State::Connected) writeQueue(now);
  updateGauge();
}

std::chrono::milliseconds TcpTransport::serviceIn(SteadyTime now) const {
  using std::chrono::milliseconds;
  if (busy()) return milliseconds(5);
  if (state_ == State::Idle)
    return std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(next_attempt_ - now) + milliseconds(1));
  return milliseconds(1000);
}

void TcpTransport::startConnect(SteadyTime now) {
  fd_ = ::socket(addr_.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    lost(now, "socket: " + errnoText(errno));
    return;
  }
  const int one = 1;
  (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), addr_len_) == 0) {
    finishConnect(now);
    return;
  }
  if (errno != EINPROGRESS) {
    metrics_.tcp_connect_failures.inc();
    lost(now, "connect: " + errnoText(errno));
    return;
  }
  state_ = State::Connecting;
  connect_deadline_ = now + options_.connect_timeout;
}

void TcpTransport::finishConnect(SteadyTime now) {
  state_ = State::Connected;
  backoff_ = {};
  metrics_.tcp_connects.inc();
  // A packet cut in half by the last connection goes again whole.
  head_ -= front_written_;
  front_written_ = 0;
  log_.info("hep_connected", {{"server", name_}, {"queued_packets", lens_.size()}});
  writeQueue(now);
}

void TcpTransport::lost(SteadyTime now, const std::string& why) {
  const bool was_connected = state_ == State::Connected;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  state_ = State::Idle;
  backoff_ = nextBackoff(backoff_, options_);
  next_attempt_ = now + backoff_;
  if (was_connected) metrics_.tcp_disconnects.inc();
  uint64_t suppressed = 0;
  if (was_connected || error_log_.allow(suppressed))
    log_.warn(was_connected ? "hep_disconnected" : "hep_connect_failed",
              {{"server", name_},
               {"error", why},
               {"retry_ms", backoff_.count()},
               {"queued_packets", lens_.size()},
               {"suppressed", suppressed}});
}

void TcpTransport::writeQueue(SteadyTime now) {
  while (state_ == State::Connected && pendingBytes() > 0) {
    const ssize_t n = ::send(fd_, buf_.data() + head_, pendingBytes(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      lost(now, "send: " + errnoText(errno));
      break;
    }
    head_ += size_t(n);
    countWritten(size_t(n));
  }
  if (pendingBytes() == 0) {
    buf_.clear();
    head_ = 0;
  }
  updateGauge();
}

void TcpTransport::countWritten(size_t bytes) {
  metrics_.sent_bytes.inc(bytes);
  // Count packets as sent once their last byte is in the kernel.
  size_t left = front_written_ + bytes;
  while (!lens_.empty() && left >= lens_.front()) {
    left -= lens_.front();
    lens_.pop_front();
    metrics_.sent.inc();
  }
  front_written_ = left;
}

void TcpTransport::service(SteadyTime now) {
  if (state_ == State::Idle) {
    if (now >= next_attempt_) startConnect(now);
    return;
  }
  pollfd p{fd_, short(state_ == State::Connecting ? POLLOUT : POLLIN | (pendingBytes() ? POLLOUT : 0)), 0};
  const int r = ::poll(&p, 1, 0);
  if (state_ == State::Connecting) {
    if (r > 0) {
      int err = 0;
      socklen_t len = sizeof err;
      (void)::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) {
        finishConnect(now);
      } else {
        metrics_.tcp_connect_failures.inc();
        lost(now, "connect: " + errnoText(err));
      }
    } else if (now >= connect_deadline_) {
      metrics_.tcp_connect_failures.inc();
      lost(now, "connect: timed out");
    }
    return;
  }
  if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
    // Collectors never talk back: readable means closed (EOF or error). Discard anything else.
    char scratch[512];
    const ssize_t n = ::recv(fd_, scratch, sizeof scratch, MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      lost(now, n == 0 ? "closed by peer" : errnoText(errno));
      updateGauge();
      return;
    }
  }
  if (pendingBytes() > 0) writeQueue(now);
}

size_t TcpTransport::discardPending() {
  const size_t n = lens_.size();
  buf_.clear();
  head_ = 0;
  lens_.clear();
  front_written_ = 0;
  updateGauge();
  return n;
}

std::unique_ptr<HepTransport> makeTransport(const HostPort& server, const TransportOptions& options,
                                            AgentMetrics& metrics, Log log) {
  if (server.scheme == "tcp") return std::make_unique<TcpTransport>(server, options, metrics, log);
  return std::make_unique<UdpTransport>(server, options, metrics, log);
}

}  // namespace sipvault::agent
