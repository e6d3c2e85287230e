#include "agent/pcap_source.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

#include "agent/agent_options.h"

namespace sipvault::agent {

PcapSource::PcapSource(pcap_t* handle, std::string name, bool live)
    : handle_(handle), name_(std::move(name)), live_(live) {}

PcapSource::~PcapSource() {
  if (handle_) pcap_close(handle_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::unique_ptr<PcapSource> PcapSource::openLive(const std::string& interface, const PcapSourceOptions& o,
                                                 std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_create(interface.c_str(), errbuf);
  if (!h) {
    error = "interface " + interface + ": " + errbuf;
    return nullptr;
  }
  std::unique_ptr<PcapSource> src(new PcapSource(h, interface, true));
  pcap_set_snaplen(h, o.snaplen);
  pcap_set_promisc(h, o.promiscuous ? 1 : 0);
  pcap_set_buffer_size(h, o.buffer_bytes);
  if (o.immediate) pcap_set_immediate_mode(h, 1);
  else pcap_set_timeout(h, o.buffer_timeout_ms);
  const int rc = pcap_activate(h);
  if (rc < 0) {
    error = "interface " + interface + ": " + pcap_statustostr(rc) + (rc == PCAP_ERROR ? std::string(": ") + pcap_geterr(h) : "");
    if (rc == PCAP_ERROR_PERM_DENIED)
      error += " (run as root or grant CAP_NET_RAW and CAP_NET_ADMIN)";
    return nullptr;
  }
  if (!src->setup(o, error)) return nullptr;
  // Nonblocking reads plus our own poll() on the packet socket and an eventfd: the thread wakes
  // for frames, for stop, and at least once per timeout, whatever the TPACKET version does.
  char errbuf2[PCAP_ERRBUF_SIZE] = {};
  src->pcap_fd_ = pcap_get_selectable_fd(h);
  src->wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (src->pcap_fd_ < 0 || src->wake_fd_ < 0 || pcap_setnonblock(h, 1, errbuf2) != 0) {
    error = "interface " + interface + ": cannot poll the capture: " + errbuf2;
    return nullptr;
  }
  return src;
}

std::unique_ptr<PcapSource> PcapSource::openOffline(const std::string& path, const PcapSourceOptions& o,
                                                    std::string& error) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_t* h = pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (!h) {
    error = "cannot read " + path + ": " + errbuf;
    return nullptr;
  }
  std::unique_ptr<PcapSource> src(new PcapSource(h, path, false));
  if (!src->setup(o, error)) return nullptr;
  return src;
}

bool PcapSource::setup(const PcapSourceOptions& o, std::string& error) {
  dlt_ = pcap_datalink(handle_);
  const auto link = netdecode::linkTypeFromDlt(dlt_);
  if (!link) {
    const char* n = pcap_datalink_val_to_name(dlt_);
    error = name_ + ": link type " + std::to_string(dlt_) + (n ? std::string(" (") + n + ")" : "") + " is not supported";
    return false;
  }
  link_ = *link;
  filter_ = captureFilter(o.filter, link_ == netdecode::LinkType::Ethernet, o.media);
  if (filter_.empty()) return true;
  bpf_program prog{};
  if (pcap_compile(handle_, &prog, filter_.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    error = name_ + ": bad filter '" + filter_ + "': " + pcap_geterr(handle_);
    return false;
  }
  const int rc = pcap_setfilter(handle_, &prog);
  pcap_freecode(&prog);
  if (rc != 0) {
    error = name_ + ": cannot set filter: " + pcap_geterr(handle_);
    return false;
  }
  return true;
}

namespace {
struct DispatchContext {
  const PcapSource::FrameFn* fn;
};
void onFrame(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  (*reinterpret_cast<DispatchContext*>(user)->fn)(*h, bytes);
}
}  // namespace

PcapSource::Result PcapSource::dispatchReady(const FrameFn& fn) {
  DispatchContext ctx{&fn};
  const int n = pcap_dispatch(handle_, -1, onFrame, reinterpret_cast<u_char*>(&ctx));
  if (n > 0) return Result::Frames;
  if (n == PCAP_ERROR_BREAK) return Result::Broken;
  if (n < 0) return Result::Error;
  return Result::Timeout;
}

PcapSource::Result PcapSource::waitAndDispatch(int timeout_ms, const FrameFn& fn) {
  pollfd fds[2] = {{pcap_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
  const int r = ::poll(fds, 2, timeout_ms);
  if (fds[1].revents & POLLIN) return Result::Broken;
  if (r < 0 && errno != EINTR) return Result::Error;
  if (fds[0].revents & (POLLERR | POLLNVAL)) return dispatchReady(fn) == Result::Frames ? Result::Frames : Result::Error;
  return dispatchReady(fn);
}

PcapSource::Result PcapSource::next(const pcap_pkthdr*& header, const uint8_t*& bytes) {
  const int rc = pcap_next_ex(handle_, const_cast<pcap_pkthdr**>(&header), &bytes);
  if (rc == 1) return Result::Frames;
  if (rc == 0) return Result::Timeout;
  if (rc == PCAP_ERROR_BREAK) return Result::End;  // offline: no more packets
  return Result::Error;
}

void PcapSource::breakLoop() {
  if (wake_fd_ >= 0) {
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
  }
}

PcapStats PcapSource::stats() {
  pcap_stat s{};
  if (!live_ || pcap_stats(handle_, &s) != 0) return {};
  return PcapStats{s.ps_recv, s.ps_drop, s.ps_ifdrop};
}

std::string PcapSource::lastError() const { return pcap_geterr(handle_); }

}  // namespace sipvault::agent
