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
    : name_((server.scheme == "tls" ? "tls:" : "tcp:") + server.toString()),
      server_name_(server.host),
      options_(options),
      metrics_(metrics),
      log_(log) {
  if (server.scheme == "tls") {
    tls_ctx_ = options.tls;
    if (!tls_ctx_) throw std::runtime_error("HEP server " + name_ + " needs the TLS settings (agent.tls_*)");
  }
  if (!resolveSockaddr(server, SOCK_STREAM, addr_, addr_len_))
    throw std::runtime_error("HEP server " + server.toString() + " does not resolve");
}

TcpTransport::~TcpTransport() {
  tls_.reset();
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
    // Nothing queued: write straight from the batch, queue only what the connection did not take.
    // (TLS: bytes it refused with "would block" are offered again from the queue, as it requires.)
    size_t written = 0;
    while (begin + written < batch.bytes.size()) {
      const ssize_t n = writeSome(batch.bytes.data() + begin + written, batch.bytes.size() - begin - written, now);
      if (n <= 0) break;
      written += size_t(n);
    }
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
  if (!tls_ctx_) {
    connected(now);
    return;
  }
  tls_ = TlsSession::connect(*tls_ctx_, fd_, server_name_);
  if (!tls_) {
    tlsFailed(now, "cannot set up a TLS session for " + server_name_, false);
    return;
  }
  state_ = State::Handshaking;
  connect_deadline_ = now + options_.connect_timeout;
  stepHandshake(now);
}

void TcpTransport::stepHandshake(SteadyTime now) {
  switch (tls_->handshake()) {
    case TlsIo::Done:
      // Under TLS 1.3 a collector's refusal of our missing certificate would only come after we
      // had written the first packets, which it would discard.
      if (tls_->clientCertificateMissing())
        tlsFailed(now, "the collector asks for a client certificate and none is set (agent.tls_cert, agent.tls_key)",
                  true);
      else
        connected(now);
      return;
    case TlsIo::WantRead:
    case TlsIo::WantWrite:
      if (now < connect_deadline_) return;
      // A collector that sends no session ticket never confirms our certificate; it had the
      // whole connect timeout to refuse it.
      if (tls_->awaitingVerdict()) connected(now);
      else tlsFailed(now, "handshake timed out", false);
      return;
    case TlsIo::Closed:
      tlsFailed(now, "closed by the collector during the handshake", false);
      return;
    case TlsIo::Failed:
      tlsFailed(now, tls_->failure(), tls_->failureKind() == TlsFailure::Certificate);
      return;
  }
}

void TcpTransport::tlsFailed(SteadyTime now, const std::string& why, bool certificate) {
  const bool handshaking = state_ != State::Connected;
  // A certificate refused once connected (a collector that sends no TLS 1.3 ticket, see
  // TlsSession::handshake) is a failed handshake all the same.
  if (handshaking || certificate) {
    metrics_.tls_handshake_failures.inc();
    metrics_.tcp_connect_failures.inc();
    if (!handshaking) backoff_ = backoff_before_connect_;  // keep backing off, as for any failed connect
    state_ = State::Handshaking;  // logged (rate-limited) as a failed connect, not a disconnect
  }
  lost(now, "tls: " + why);
}

void TcpTransport::tlsLost(SteadyTime now, bool closed) {
  if (closed) lost(now, "closed by peer");
  else tlsFailed(now, tls_->failure(), tls_->failureKind() == TlsFailure::Certificate);
}

void TcpTransport::connected(SteadyTime now) {
  state_ = State::Connected;
  backoff_before_connect_ = backoff_;
  backoff_ = {};
  metrics_.tcp_connects.inc();
  // A packet cut in half by the last connection goes again whole.
  head_ -= front_written_;
  front_written_ = 0;
  if (tls_)
    log_.info("hep_connected", {{"server", name_}, {"queued_packets", lens_.size()}, {"tls", tls_->describe()}});
  else
    log_.info("hep_connected", {{"server", name_}, {"queued_packets", lens_.size()}});
  writeQueue(now);
}

void TcpTransport::lost(SteadyTime now, const std::string& why) {
  const bool was_connected = state_ == State::Connected;
  tls_.reset();
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
    const ssize_t n = writeSome(buf_.data() + head_, pendingBytes(), now);
    if (n <= 0) break;
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
  if (state_ == State::Handshaking) {
    // Stepping costs one non-blocking call; no poll needed to know it would block.
    stepHandshake(now);
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
  if (tls_) {
    if ((r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) || tls_->hasBufferedInput()) readTls(now);
    if (state_ != State::Connected) {
      updateGauge();
      return;
    }
  } else if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
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

ssize_t TcpTransport::writeSome(const char* data, size_t size, SteadyTime now) {
  if (tls_) {
    size_t written = 0;
    switch (tls_->write({reinterpret_cast<const uint8_t*>(data), size}, written)) {
      case TlsIo::Done:
        return ssize_t(written);
      case TlsIo::WantRead:
      case TlsIo::WantWrite:
        return 0;
      case TlsIo::Closed:
        tlsLost(now, true);
        return -1;
      case TlsIo::Failed:
        tlsLost(now, false);
        return -1;
    }
  }
  for (;;) {
    const ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    lost(now, "send: " + errnoText(errno));
    return -1;
  }
}

void TcpTransport::readTls(SteadyTime now) {
  uint8_t scratch[4096];
  for (int i = 0; i < 16 && tls_; ++i) {
    size_t got = 0;
    switch (tls_->read(scratch, got)) {
      case TlsIo::Done:
        continue;  // a collector has nothing to say: ignore it
      case TlsIo::WantRead:
      case TlsIo::WantWrite:
        return;
      case TlsIo::Closed:
        tlsLost(now, true);
        return;
      case TlsIo::Failed:
        tlsLost(now, false);
        return;
    }
  }
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
  if (server.scheme == "tcp" || server.scheme == "tls") return std::make_unique<TcpTransport>(server, options, metrics, log);
  return std::make_unique<UdpTransport>(server, options, metrics, log);
}

}  // namespace sipvault::agent
