#include "collector/tcp_listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/endpoint.h"
#include "common/tls_context.h"
#include "proto/hep_stream_framer.h"

namespace sipvault::collector {

namespace {

// TLS records read from one connection per loop turn before the others get theirs.
constexpr int kTlsReadsPerTurn = 16;

// The source address of a peer, without the port: what tcp_max_per_source counts.
std::string sourceOf(const sockaddr_storage& peer) {
  if (peer.ss_family == AF_INET)
    return std::string(reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in&>(peer).sin_addr),
                       4);
  if (peer.ss_family == AF_INET6)
    return std::string(reinterpret_cast<const char*>(&reinterpret_cast<const sockaddr_in6&>(peer).sin6_addr),
                       16);
  return {};
}

}  // namespace

struct TcpListener::Connection {
  int fd = -1;
  std::string peer;    // "IP:PORT", for logs
  std::string source;  // the peer's address bytes (per-source count)
  HepStreamFramer framer;
  std::chrono::steady_clock::time_point last_activity;
  bool got_hep = false;  // delivered a valid HEP packet
  std::chrono::steady_clock::time_point first_packet_deadline;
  // TLS only.
  std::unique_ptr<TlsSession> tls;
  bool handshaking = false;
  std::chrono::steady_clock::time_point handshake_deadline;
  bool buffered = false;    // the read budget ran out with records left: serve without waiting
  bool want_write = false;  // the session needs the socket writable to read on

  [[nodiscard]] short events() const {
    if (tls && handshaking) return tls->pollEvents();
    return short(POLLIN | (want_write ? POLLOUT : 0));
  }
  ~Connection() {
    tls.reset();  // before the socket it writes to goes
    if (fd >= 0) ::close(fd);
  }
};

TcpListener::TcpListener(const std::string& address, TcpLimits limits, const IngestContext& context,
                         std::optional<TlsListenerOptions> tls)
    : limits_(limits),
      metrics_(context.metrics),
      counters_(tls ? StreamCounters{&metrics_.tls_frames, &metrics_.tls_refused, &metrics_.tls_closed_idle,
                                     &metrics_.tls_closed_bad_stream, &metrics_.tls_refused_per_source,
                                     &metrics_.tls_closed_no_hep, &metrics_.tls_connections}
                    : StreamCounters{&metrics_.tcp_frames, &metrics_.tcp_refused, &metrics_.tcp_closed_idle,
                                     &metrics_.tcp_closed_bad_stream, &metrics_.tcp_refused_per_source,
                                     &metrics_.tcp_closed_no_hep, &metrics_.tcp_connections}),
      tls_(std::move(tls)),
      batch_(context.newBatch()),
      ingest_(context, batch_) {
  const char* what = tls_ ? "TLS" : "TCP";
  if (tls_ && !tls_->context) throw std::runtime_error("TLS listener " + address + " has no certificate");
  auto hp = parseHostPort(address);
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!hp || !resolveSockaddr(*hp, SOCK_STREAM, sa, len))
    throw std::runtime_error(std::string(what) + " listen address '" + address + "' is not HOST:PORT");
  listen_fd_ = ::socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket(): " + std::string(strerror(errno)));
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(listen_fd_, 512) != 0) {
    const std::string why = strerror(errno);
    ::close(listen_fd_);
    listen_fd_ = -1;
    throw std::runtime_error("cannot listen on " + std::string(what) + " " + address + ": " + why);
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

void TcpListener::updateGauge() {
  const auto n = static_cast<int64_t>(connections_.size());
  counters_.connections->add(n - gauge_reported_);
  gauge_reported_ = n;
}

void TcpListener::close(size_t index) {
  const auto it = per_source_.find(connections_[index]->source);
  if (it != per_source_.end() && --it->second <= 0) per_source_.erase(it);
  connections_.erase(connections_.begin() + static_cast<long>(index));
}

void TcpListener::acceptAll(std::chrono::steady_clock::time_point now) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int fd =
        ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (static_cast<int>(connections_.size()) >= limits_.max_connections) {
      ::close(fd);
      counters_.refused->inc();
      continue;
    }
    std::string source = sourceOf(peer);
    int& from_source = per_source_[source];
    if (from_source >= limits_.max_per_source) {
      ::close(fd);
      counters_.refused_per_source->inc();
      continue;
    }
    ++from_source;
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->source = std::move(source);
    c->last_activity = now;
    c->first_packet_deadline = now + limits_.first_packet_timeout;
    if (tls_) {
      c->peer = sockaddrToString(reinterpret_cast<sockaddr*>(&peer));
      c->tls = TlsSession::accept(*tls_->context, fd);
      if (!c->tls) {
        handshakeFailed(*c, metrics_.tls_failed_protocol, "protocol", "cannot create a TLS session (out of memory)");
        connections_.push_back(std::move(c));
        close(connections_.size() - 1);
        continue;
      }
      c->handshaking = true;
      c->handshake_deadline = now + tls_->handshake_timeout;
    }
    connections_.push_back(std::move(c));
  }
}

bool TcpListener::deliver(Connection& c, std::span<const uint8_t> bytes) {
  if (!c.framer.feed(bytes)) {
    counters_.closed_bad_stream->inc();
    return false;
  }
  const uint64_t received = nowMicros();
  for (;;) {
    HepStreamFramer::Frame f = c.framer.next();
    if (f.status == HepStreamFramer::Status::NeedMore) return true;
    if (f.status == HepStreamFramer::Status::Error) {
      metrics_.decodeError(f.error).inc();
      counters_.closed_bad_stream->inc();
      return false;
    }
    counters_.frames->inc();
    if (ingest_.ingest(f.packet, received)) c.got_hep = true;
  }
}

bool TcpListener::readPlain(Connection& c, std::chrono::steady_clock::time_point now) {
  uint8_t buf[65536];
  const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  c.last_activity = now;
  return deliver(c, std::span<const uint8_t>(buf, size_t(n)));
}

bool TcpListener::readTls(Connection& c, std::chrono::steady_clock::time_point now) {
  uint8_t buf[65536];
  c.buffered = false;
  for (int turn = 0; turn < kTlsReadsPerTurn; ++turn) {
    size_t got = 0;
    switch (c.tls->read(buf, got)) {
      case TlsIo::Done:
        c.last_activity = now;
        if (!deliver(c, std::span<const uint8_t>(buf, got))) return false;
        continue;
      case TlsIo::WantRead:
        c.want_write = false;
        return true;
      case TlsIo::WantWrite:
        c.want_write = true;
        return true;
      case TlsIo::Closed:
        return false;
      case TlsIo::Failed: {
        metrics_.tls_closed_error.inc();
        uint64_t suppressed = 0;
        if (tls_log_.allow(suppressed))
          tls_->log.warn("tls_connection_error", {{"listen", bound_},
                                                  {"peer", c.peer},
                                                  {"error", c.tls->failure()},
                                                  {"suppressed", suppressed}});
        return false;
      }
    }
  }
  c.buffered = c.tls->hasBufferedInput();
  return true;
}

void TcpListener::handshakeFailed(const Connection& c, Counter& counter, const char* reason, const std::string& error) {
  counter.inc();
  uint64_t suppressed = 0;
  if (tls_log_.allow(suppressed))
    tls_->log.warn("tls_handshake_failed", {{"listen", bound_},
                                            {"peer", c.peer},
                                            {"reason", reason},
                                            {"error", error},
                                            {"suppressed", suppressed}});
}

bool TcpListener::service(Connection& c, std::chrono::steady_clock::time_point now) {
  if (!c.tls) return readPlain(c, now);
  if (c.handshaking) {
    switch (c.tls->handshake()) {
      case TlsIo::Done:
        c.handshaking = false;
        c.last_activity = now;
        c.first_packet_deadline = now + limits_.first_packet_timeout;
        metrics_.tls_handshakes.inc();
        tls_->log.debug("tls_connected", {{"listen", bound_}, {"peer", c.peer}, {"tls", c.tls->describe()}});
        break;  // the client's first records may already be in: read them now
      case TlsIo::WantRead:
      case TlsIo::WantWrite:
        return true;
      case TlsIo::Closed:
        handshakeFailed(c, metrics_.tls_failed_protocol, "protocol", "connection closed during the handshake");
        return false;
      case TlsIo::Failed:
        if (c.tls->failureKind() == TlsFailure::Certificate)
          handshakeFailed(c, metrics_.tls_failed_certificate, "certificate", c.tls->failure());
        else
          handshakeFailed(c, metrics_.tls_failed_protocol, "protocol", c.tls->failure());
        return false;
    }
  }
  return readTls(c, now);
}

void TcpListener::run() {
  if (tls_) {
    // OpenSSL writes with write(2): a client gone mid-handshake must give EPIPE, not kill the
    // process. Blocked in this thread only; the signal stays pending here, harmlessly.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  }
  std::vector<pollfd> fds;
  while (!stopping_.load(std::memory_order_relaxed)) {
    auto now = std::chrono::steady_clock::now();
    batch_.flushIfDue(now);
    fds.clear();
    fds.push_back({listen_fd_, POLLIN, 0});
    bool buffered = false;
    for (auto& c : connections_) {
      fds.push_back({c->fd, c->events(), 0});
      buffered = buffered || c->buffered;
    }
    if (::poll(fds.data(), fds.size(), buffered ? 0 : 5) < 0) continue;
    now = std::chrono::steady_clock::now();
    // fds[i + 1] belongs to connections_[i] as they were before acceptAll appends new ones.
    const size_t polled = fds.size() - 1;
    if (fds[0].revents & POLLIN) acceptAll(now);
    for (size_t i = polled; i-- > 0;) {
      Connection& c = *connections_[i];
      bool keep = true;
      // The deadline holds even for a client that trickles bytes to keep the handshake going.
      if (c.handshaking && now > c.handshake_deadline) {
        handshakeFailed(c, metrics_.tls_failed_timeout, "timeout", "no complete handshake in time");
        keep = false;
      } else if ((fds[i + 1].revents & (POLLIN | POLLOUT | POLLHUP | POLLERR)) || c.buffered) {
        keep = service(c, now);
      } else if (now - c.last_activity > limits_.idle_timeout) {
        counters_.closed_idle->inc();
        keep = false;
      }
      // Bytes that never form a valid HEP packet do not keep a slot (checked even while it sends).
      if (keep && !c.got_hep && !c.handshaking && now > c.first_packet_deadline) {
        counters_.closed_no_hep->inc();
        keep = false;
      }
      if (!keep) close(i);
    }
    updateGauge();
  }
  batch_.flush();
  connections_.clear();
  per_source_.clear();
  updateGauge();
}

}  // namespace sipvault::collector
