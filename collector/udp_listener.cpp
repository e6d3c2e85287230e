#include "collector/udp_listener.h"

#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "common/endpoint.h"

namespace sipvault::collector {

namespace {

constexpr int kBatch = 64;          // datagrams per recvmmsg
constexpr size_t kMaxDatagram = 65536;
// How often the socket's drop count is read while the listener runs.
constexpr std::chrono::milliseconds kDropPoll{250};

}  // namespace

struct UdpListener::Worker {
  int fd = -1;
  std::thread thread;
  std::unique_ptr<BatchBuilder> batch;
  std::unique_ptr<HepIngest> ingest;
  uint32_t last_kernel_drops = 0;
  std::chrono::steady_clock::time_point next_drop_poll{};
  ~Worker() {
    if (fd >= 0) ::close(fd);
  }
};

UdpListener::UdpListener(const std::string& address, int sockets, int rcvbuf, const IngestContext& context)
    : context_(context), metrics_(context.metrics) {
  auto hp = parseHostPort(address);
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!hp || !resolveSockaddr(*hp, SOCK_DGRAM, sa, len))
    throw std::runtime_error("UDP listen address '" + address + "' is not HOST:PORT");
  for (int i = 0; i < sockets; ++i) {
    auto w = std::make_unique<Worker>();
    w->fd = ::socket(sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (w->fd < 0) throw std::runtime_error("socket(): " + std::string(strerror(errno)));
    int one = 1;
    setsockopt(w->fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    setsockopt(w->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    // FORCE lifts the rmem_max cap when we have CAP_NET_ADMIN; otherwise the plain call caps it.
    if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
      setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    // With port 0 the first socket picks the port and the others share it.
    if (i > 0 && hp->port == 0) {
      socklen_t l = sizeof sa;
      getsockname(workers_.front()->fd, reinterpret_cast<sockaddr*>(&sa), &l);
    }
    if (::bind(w->fd, reinterpret_cast<sockaddr*>(&sa), len) != 0)
      throw std::runtime_error("cannot bind UDP " + address + ": " + strerror(errno));
    w->batch = std::make_unique<BatchBuilder>(context.newBatch());
    w->ingest = std::make_unique<HepIngest>(context, *w->batch);
    workers_.push_back(std::move(w));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof bound;
  getsockname(workers_.front()->fd, reinterpret_cast<sockaddr*>(&bound), &blen);
  bound_ = sockaddrToString(reinterpret_cast<sockaddr*>(&bound));
}

UdpListener::~UdpListener() { stop(); }

void UdpListener::start() {
  for (auto& w : workers_) w->thread = std::thread([this, &w = *w] { run(w); });
}

void UdpListener::stop() {
  stopping_ = true;
  for (auto& w : workers_)
    if (w->thread.joinable()) w->thread.join();
}

// The kernel's running count of datagrams it dropped on this socket (sk_drops), as a delta into
// the counter. SO_RXQ_OVFL reports the same count, but only on the next datagram queued, so drops
// after the last queued datagram (the end of an overload) would stay unreported; SO_MEMINFO reads it
// directly.
void UdpListener::countKernelDrops(Worker& w, uint32_t drops) {
  if (drops > w.last_kernel_drops) {
    metrics_.kernel_udp_drops.inc(drops - w.last_kernel_drops);
    w.last_kernel_drops = drops;
  }
}

void UdpListener::pollKernelDrops(Worker& w) {
  std::array<uint32_t, SK_MEMINFO_VARS> meminfo{};
  socklen_t len = sizeof meminfo;
  if (::getsockopt(w.fd, SOL_SOCKET, SO_MEMINFO, meminfo.data(), &len) == 0 && len > SK_MEMINFO_DROPS * sizeof(uint32_t))
    countKernelDrops(w, meminfo[SK_MEMINFO_DROPS]);
}

void UdpListener::run(Worker& w) {
  // One contiguous buffer for kBatch datagrams; allocated once per thread.
  std::vector<uint8_t> buffers(kBatch * kMaxDatagram);
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iovs{};
  std::array<std::array<char, CMSG_SPACE(sizeof(uint32_t))>, kBatch> controls{};
  // Reads up to kBatch datagrams without waiting; returns how many.
  auto readBurst = [&]() -> int {
    for (int i = 0; i < kBatch; ++i) {
      iovs[i] = {buffers.data() + size_t(i) * kMaxDatagram, kMaxDatagram};
      msgs[i].msg_hdr = {};
      msgs[i].msg_hdr.msg_iov = &iovs[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
      msgs[i].msg_hdr.msg_control = controls[i].data();
      msgs[i].msg_hdr.msg_controllen = controls[i].size();
    }
    const int n = ::recvmmsg(w.fd, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return 0;
    const uint64_t received = nowMicros();
    for (int i = 0; i < n; ++i) {
      metrics_.udp_datagrams.inc();
      w.ingest->ingest(std::span(buffers.data() + size_t(i) * kMaxDatagram, msgs[i].msg_len), received);
    }
    // SO_RXQ_OVFL: the kernel's running count of datagrams dropped on this socket.
    mmsghdr& last = msgs[n - 1];
    for (cmsghdr* c = CMSG_FIRSTHDR(&last.msg_hdr); c; c = CMSG_NXTHDR(&last.msg_hdr, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t drops = 0;
        std::memcpy(&drops, CMSG_DATA(c), sizeof drops);
        countKernelDrops(w, drops);
      }
    }
    return n;
  };
  pollfd pfd{w.fd, POLLIN, 0};
  while (!stopping_.load(std::memory_order_relaxed)) {
    const auto now = std::chrono::steady_clock::now();
    w.batch->flushIfDue(now);
    if (now >= w.next_drop_poll) {
      pollKernelDrops(w);
      w.next_drop_poll = now + kDropPoll;
    }
    if (::poll(&pfd, 1, 5) <= 0) continue;
    (void)readBurst();
  }
  // Stopping: what the kernel already queued for us is read and forwarded, and nothing is lost
  // uncounted. A drop-all socket filter makes the kernel refuse new datagrams from here on,
  // counting them (Udp InErrors, SO_RXQ_OVFL); then the queue is read empty and the socket closed,
  // so later datagrams count as NoPorts. Closing with datagrams still queued would lose them silently.
  sock_filter drop_all{BPF_RET | BPF_K, 0, 0, 0};
  sock_fprog refuse{1, &drop_all};
  setsockopt(w.fd, SOL_SOCKET, SO_ATTACH_FILTER, &refuse, sizeof refuse);
  while (readBurst() > 0) {
  }
  pollKernelDrops(w);
  ::close(w.fd);
  w.fd = -1;
  w.batch->flush();
}

}  // namespace sipvault::collector
