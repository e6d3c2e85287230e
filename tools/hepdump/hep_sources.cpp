#include "tools/hepdump/hep_sources.h"

#include <netinet/in.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <vector>

#include "common/endpoint.h"
#include "netdecode/packet_decoder.h"

namespace sipvault::hepdump {

std::string dumpCaptureFile(const std::string& path, const std::string& bpf_filter, HepDumper& dumper) {
  char err[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, decltype(&pcap_close)> pcap(pcap_open_offline(path.c_str(), err), pcap_close);
  if (!pcap) return std::string("cannot read ") + path + ": " + err;
  const auto link = netdecode::linkTypeFromDlt(pcap_datalink(pcap.get()));
  if (!link) return "unsupported link type " + std::to_string(pcap_datalink(pcap.get())) + " in " + path;
  if (!bpf_filter.empty()) {
    bpf_program prog{};
    if (pcap_compile(pcap.get(), &prog, bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
      return "bad filter '" + bpf_filter + "': " + pcap_geterr(pcap.get());
    const int rc = pcap_setfilter(pcap.get(), &prog);
    pcap_freecode(&prog);
    if (rc != 0) return std::string("cannot apply filter: ") + pcap_geterr(pcap.get());
  }
  netdecode::PacketDecoder decoder(netdecode::PacketDecoderOptions{}, dumper, dumper);
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  while (!dumper.done() && pcap_next_ex(pcap.get(), &hdr, &data) == 1) {
    const netdecode::CaptureTime ts{uint32_t(hdr->ts.tv_sec), uint32_t(hdr->ts.tv_usec)};
    (void)decoder.decode(*link, netdecode::Bytes(data, hdr->caplen), ts);
  }
  decoder.flush();
  return {};
}

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string dumpLive(const std::string& address, std::chrono::milliseconds timeout, HepDumper& dumper,
                     const volatile bool& stop) {
  auto hp = parseHostPort(address);
  if (!hp || (hp->scheme != "udp" && hp->scheme != "tcp"))
    return "listen address '" + address + "' must be udp:HOST:PORT or tcp:HOST:PORT";
  const bool udp = hp->scheme == "udp";
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!resolveSockaddr(*hp, udp ? SOCK_DGRAM : SOCK_STREAM, sa, len)) return "cannot resolve " + address;
  Fd listener(::socket(sa.ss_family, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0));
  int one = 1;
  setsockopt(listener.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listener.fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || (!udp && ::listen(listener.fd, 16) != 0))
    return "cannot listen on " + address + ": " + strerror(errno);

  const auto until = timeout.count() > 0 ? std::chrono::steady_clock::now() + timeout
                                         : std::chrono::steady_clock::time_point::max();
  std::vector<uint8_t> buf(65536);
  struct Conn {
    std::unique_ptr<Fd> fd;
    HepStreamFramer framer;
  };
  std::vector<Conn> conns;
  while (!stop && !dumper.done() && std::chrono::steady_clock::now() < until) {
    std::vector<pollfd> fds{{listener.fd, POLLIN, 0}};
    for (auto& c : conns) fds.push_back({c.fd->fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      if (udp) {
        const ssize_t n = ::recv(listener.fd, buf.data(), buf.size(), 0);
        if (n > 0) dumper.dump(std::span(buf.data(), size_t(n)), address);
      } else {
        const int fd = ::accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0) conns.push_back({std::make_unique<Fd>(fd), HepStreamFramer()});
      }
    }
    for (size_t i = fds.size() - 1; i >= 1; --i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Conn& c = conns[i - 1];
      const ssize_t n = ::recv(c.fd->fd, buf.data(), buf.size(), 0);
      bool keep = n > 0 && c.framer.feed(std::span(buf.data(), size_t(n)));
      while (keep) {
        HepStreamFramer::Frame f = c.framer.next();
        if (f.status == HepStreamFramer::Status::NeedMore) break;
        if (f.status == HepStreamFramer::Status::Error) {
          dumper.reportError({f.error, 0, "TCP stream is not HEP3"}, address);
          keep = false;
          break;
        }
        dumper.dump(f.packet, address);
      }
      if (!keep) conns.erase(conns.begin() + long(i - 1));
    }
  }
  return {};
}

}  // namespace sipvault::hepdump
