// sipvault-loadgen: realistic SIP call flows for benchmarks and demos.
//   --hep udp:HOST:PORT --rate PPS --duration S   send HEP3 (sendmmsg, paced every ms)
//   --rtcp-interval S [--rtcp-hold S]             and, on top of that SIP rate, RTCP as HEP 5 (below)
//   --write-pcap FILE --calls N                   write plain SIP/UDP calls to a pcap (libpcap dumper)
// Prints one JSON summary line on stdout.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <unistd.h>

#include <Poco/Util/Application.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <thread>
#include <vector>

#include "bench/loadgen/call_generator.h"
#include "common/endpoint.h"
#include "proto/hep_codec.h"

namespace {

using namespace sipvault;
using Clock = std::chrono::steady_clock;

uint64_t nowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

PacketView viewFor(const bench::CallGenerator& gen, uint64_t call, const bench::GeneratedMessage& m, uint64_t t_us) {
  PacketView p;
  const IpAddress caller = gen.callerAddress(call), proxy = bench::CallGenerator::proxyAddress();
  p.src = m.from_caller ? caller : proxy;
  p.dst = m.from_caller ? proxy : caller;
  p.src_port = 5060;
  p.dst_port = 5060;
  p.ip_proto = kIpProtoUdp;
  p.ts_sec = uint32_t(t_us / 1000000);
  p.ts_usec = uint32_t(t_us % 1000000);
  p.capture_id = 100;
  p.payload = m.sip;
  return p;
}

void put32(std::string& out, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.append(b, 4);
}

// RTCP for the calls in progress (QoS insert cost, bench/README.md): every call whose INVITE was
// sent less than `hold_s` ago has two media streams (caller -> proxy and back, on the ports its SDP
// named), and each sends one RTCP sender report with one report block about the other stream every
// `interval_s`, as HEP 5 from its RTCP port (RTP port + 1) with the Call-ID as correlation id. The
// reports of all streams are spread evenly over time (a credit of streams / interval per second).
// Calls "in progress" ramp up over the first `hold_s` of a run.
class RtcpLoad {
 public:
  RtcpLoad(const bench::CallGenerator& gen, double interval_s, double hold_s)
      : gen_(gen), interval_s_(interval_s), hold_s_(hold_s) {}

  void callStarted(uint64_t call, double at_s) { calls_.push_back({call, at_s}); }

  // The HEP packets due by `now_s` (at most `max`), appended to `out`.
  void due(double now_s, uint64_t t_us, size_t max, std::vector<std::string>& out) {
    while (!calls_.empty() && calls_.front().start_s < now_s - hold_s_) calls_.pop_front();
    credit_ += double(2 * calls_.size()) * (now_s - last_s_) / interval_s_;
    last_s_ = now_s;
    while (credit_ >= 1 && out.size() < max && !calls_.empty()) {
      credit_ -= 1;
      if (cursor_ >= 2 * calls_.size()) cursor_ = 0;
      const Active& c = calls_[cursor_ / 2];
      out.push_back(packet(c, cursor_ % 2 == 0, now_s, t_us));
      ++cursor_;
      ++sent_;
    }
    if (credit_ > 2.0 * double(calls_.size())) credit_ = 0;  // a stall: do not burst to catch up
  }
  [[nodiscard]] uint64_t sent() const { return sent_; }

 private:
  struct Active {
    uint64_t call;
    double start_s;
  };

  std::string packet(const Active& c, bool from_caller, double now_s, uint64_t t_us) const {
    const bench::CallGenerator::MediaPorts ports = gen_.mediaPorts(c.call);
    const IpAddress caller = gen_.callerAddress(c.call), proxy = bench::CallGenerator::proxyAddress();
    const uint32_t ssrc_caller = uint32_t(c.call * 2 + 1), ssrc_proxy = uint32_t(c.call * 2 + 2);
    const uint32_t me = from_caller ? ssrc_caller : ssrc_proxy, peer = from_caller ? ssrc_proxy : ssrc_caller;
    const auto age_ms = uint32_t(std::max(0.0, now_s - c.start_s) * 1000);
    const uint32_t packets = age_ms / 20;  // 50 packets/s
    std::string rtcp;
    rtcp += char(0x81);  // V=2, one report block
    rtcp += char(200);   // SR
    rtcp += char(0);
    rtcp += char(12);    // (4 + 24 + 24) / 4 - 1
    put32(rtcp, me);
    put32(rtcp, uint32_t(t_us / 1000000 + 2208988800ull));  // NTP seconds
    put32(rtcp, uint32_t((t_us % 1000000) * 4294ull));       // ~NTP fraction
    put32(rtcp, packets * 160);                              // RTP timestamp at 8 kHz
    put32(rtcp, packets);
    put32(rtcp, packets * 160);  // octets
    put32(rtcp, peer);
    const uint32_t lost = packets / 200;  // 0.5 %
    put32(rtcp, uint32_t(1) << 24 | (lost & 0xffffff));  // fraction 1/256, cumulative lost
    put32(rtcp, 1000 + packets);                          // extended highest sequence
    put32(rtcp, 24 + c.call % 40);                        // jitter, timestamp units
    put32(rtcp, 0);                                       // LSR: none
    put32(rtcp, 0);                                       // DLSR
    PacketView p;
    p.src = from_caller ? caller : proxy;
    p.dst = from_caller ? proxy : caller;
    p.src_port = uint16_t((from_caller ? ports.caller : ports.proxy) + 1);
    p.dst_port = uint16_t((from_caller ? ports.proxy : ports.caller) + 1);
    p.ip_proto = kIpProtoUdp;
    p.ts_sec = uint32_t(t_us / 1000000);
    p.ts_usec = uint32_t(t_us % 1000000);
    p.payload_type = kPayloadRtcp;  // HEP 5: RTCP, raw here
    p.capture_id = 100;
    const std::string call_id = bench::CallGenerator::callId(gen_.seed(), c.call);
    p.correlation_id = call_id;
    p.payload = rtcp;
    std::string out;
    (void)encodeHep3(p, out);
    return out;
  }
  const bench::CallGenerator& gen_;
  double interval_s_, hold_s_;
  std::deque<Active> calls_;
  double credit_ = 0, last_s_ = 0;
  size_t cursor_ = 0;
  uint64_t sent_ = 0;
};

// Writes Ethernet/IPv4/UDP frames around each SIP message.
int writePcap(const std::string& path, uint64_t calls, uint64_t start_us) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  pcap_dumper_t* out = pcap_dump_open(dead, path.c_str());
  if (!out) {
    std::cerr << "cannot write " << path << ": " << pcap_geterr(dead) << '\n';
    return 1;
  }
  bench::CallGenerator gen(7);
  uint64_t packets = 0;
  std::vector<uint8_t> frame;
  for (uint64_t c = 0; c < calls; ++c) {
    const uint64_t call_start = start_us + c * 250000;  // a new call every 250 ms
    for (const auto& m : gen.call(c)) {
      const PacketView p = viewFor(gen, c, m, call_start + m.offset_us);
      const size_t udp_len = 8 + m.sip.size(), ip_len = 20 + udp_len;
      frame.assign(14 + ip_len, 0);
      uint8_t* e = frame.data();
      const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
      std::memcpy(e, macs, 12);
      e[12] = 0x08;
      uint8_t* ip = e + 14;
      ip[0] = 0x45;
      ip[2] = uint8_t(ip_len >> 8);
      ip[3] = uint8_t(ip_len);
      ip[6] = 0x40;  // DF
      ip[8] = 64;
      ip[9] = kIpProtoUdp;
      std::memcpy(ip + 12, p.src.bytes.data(), 4);
      std::memcpy(ip + 16, p.dst.bytes.data(), 4);
      uint32_t sum = 0;
      for (int i = 0; i < 20; i += 2) sum += uint32_t(ip[i] << 8 | ip[i + 1]);
      while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
      ip[10] = uint8_t(~sum >> 8);
      ip[11] = uint8_t(~sum);
      uint8_t* udp = ip + 20;
      udp[0] = uint8_t(p.src_port >> 8);
      udp[1] = uint8_t(p.src_port);
      udp[2] = uint8_t(p.dst_port >> 8);
      udp[3] = uint8_t(p.dst_port);
      udp[4] = uint8_t(udp_len >> 8);
      udp[5] = uint8_t(udp_len);
      std::memcpy(udp + 8, m.sip.data(), m.sip.size());
      pcap_pkthdr hdr{};
      hdr.ts.tv_sec = p.ts_sec;
      hdr.ts.tv_usec = p.ts_usec;
      hdr.caplen = hdr.len = uint32_t(frame.size());
      pcap_dump(reinterpret_cast<u_char*>(out), &hdr, frame.data());
      ++packets;
    }
  }
  pcap_dump_close(out);
  pcap_close(dead);
  std::cout << "{\"pcap\":\"" << path << "\",\"calls\":" << calls << ",\"packets\":" << packets << "}\n";
  return 0;
}

// Sends HEP3 at `rate` packets/s for `duration_s`; calls are generated ahead into a ring.
// `rtcp_interval_s` > 0: RTCP for the calls in progress on top of `rate` (RtcpLoad).
int sendHep(const std::string& target, uint64_t rate, double duration_s, uint64_t first_call, bool carrier_headers,
            double rtcp_interval_s, double rtcp_hold_s) {
  auto hp = parseHostPort(target);
  sockaddr_storage sa{};
  socklen_t len = 0;
  if (!hp || hp->scheme != "udp" || !resolveSockaddr(*hp, SOCK_DGRAM, sa, len)) {
    std::cerr << "--hep wants udp:HOST:PORT\n";
    return 1;
  }
  const int fd = ::socket(sa.ss_family, SOCK_DGRAM, 0);
  int sndbuf = 8 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0) {
    std::cerr << "connect: " << strerror(errno) << '\n';
    return 1;
  }
  bench::CallGenerator gen(first_call + 1, carrier_headers);
  const uint64_t total = uint64_t(double(rate) * duration_s);
  // Pre-generate the SIP of enough calls; HEP is encoded per packet (timestamp = send time).
  std::vector<std::vector<bench::GeneratedMessage>> calls;
  uint64_t sent = 0, send_errors = 0, call = 0;
  size_t msg = 0;
  std::vector<bench::GeneratedMessage> current = gen.call(first_call);
  const auto start = Clock::now();
  RtcpLoad rtcp(gen, rtcp_interval_s, rtcp_hold_s);
  if (rtcp_interval_s > 0) rtcp.callStarted(first_call, 0);
  constexpr int kBurstMax = 64;
  std::vector<std::string> bufs(kBurstMax);
  std::vector<iovec> iov(kBurstMax);
  std::vector<mmsghdr> msgs(kBurstMax);
  std::vector<std::string> rtcp_due;
  while (sent < total) {
    // Packets due by now at the target rate, sent in bursts of up to 64 per sendmmsg.
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const uint64_t due = std::min<uint64_t>(total, uint64_t(elapsed * double(rate)) + 1);
    const uint64_t t = nowUs();
    rtcp_due.clear();
    if (rtcp_interval_s > 0) rtcp.due(elapsed, t, kBurstMax, rtcp_due);
    if (due <= sent && rtcp_due.empty()) {
      std::this_thread::sleep_for(std::chrono::microseconds(500));
      continue;
    }
    const int sip_burst = int(std::min<uint64_t>(due > sent ? due - sent : 0, kBurstMax - rtcp_due.size()));
    const int burst = sip_burst + int(rtcp_due.size());
    for (int i = 0; i < sip_burst; ++i) {
      if (msg == current.size()) {
        current = gen.call(first_call + ++call);
        msg = 0;
        if (rtcp_interval_s > 0) rtcp.callStarted(first_call + call, elapsed);
      }
      bufs[i].clear();
      (void)encodeHep3(viewFor(gen, first_call + call, current[msg++], t), bufs[i]);
    }
    for (size_t i = 0; i < rtcp_due.size(); ++i) bufs[size_t(sip_burst) + i].swap(rtcp_due[i]);
    for (int i = 0; i < burst; ++i) {
      iov[i] = {bufs[i].data(), bufs[i].size()};
      msgs[i] = {};
      msgs[i].msg_hdr.msg_iov = &iov[i];
      msgs[i].msg_hdr.msg_iovlen = 1;
    }
    int done = 0;
    while (done < burst) {
      const int n = ::sendmmsg(fd, msgs.data() + done, unsigned(burst - done), 0);
      if (n <= 0) {
        ++send_errors;
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        continue;
      }
      done += n;
    }
    sent += uint64_t(sip_burst);
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(fd);
  std::cout << "{\"sent\":" << sent << ",\"calls\":" << call + (msg > 0 ? 1 : 0) << ",\"seconds\":" << secs
            << ",\"rate\":" << uint64_t(double(sent) / secs) << ",\"rtcp_sent\":" << rtcp.sent()
            << ",\"send_retries\":" << send_errors << "}\n";
  return 0;
}

class LoadGenApp : public Poco::Util::Application {
 protected:
  void defineOptions(Poco::Util::OptionSet& o) override {
    using Poco::Util::Option;
    Application::defineOptions(o);
    o.addOption(Option("help", "h", "print this help"));
    o.addOption(Option("hep", "", "send HEP3 to udp:HOST:PORT").argument("ADDR").binding("hep"));
    o.addOption(Option("rate", "", "packets per second (default 10000)").argument("PPS").binding("rate"));
    o.addOption(Option("duration", "", "seconds to send (default 10)").argument("S").binding("duration"));
    o.addOption(Option("first-call", "", "index of the first call (unique Call-IDs across runs)")
                    .argument("N").binding("first_call"));
    o.addOption(Option("carrier-headers", "", "INVITEs with P-Asserted-Identity and P-Charging-Vector, BYEs with Reason")
                    .binding("carrier_headers"));
    o.addOption(Option("rtcp-interval", "",
                       "also send, on top of --rate, one RTCP SR (HEP 5, correlation id = Call-ID) per media "
                       "stream every S seconds, 2 streams per call in progress (default off)")
                    .argument("S").binding("rtcp_interval"));
    o.addOption(Option("rtcp-hold", "", "seconds a call stays in progress for --rtcp-interval (default 60)")
                    .argument("S").binding("rtcp_hold"));
    o.addOption(Option("write-pcap", "", "write calls as SIP/UDP to a pcap").argument("FILE").binding("pcap"));
    o.addOption(Option("calls", "", "calls to write (default 100)").argument("N").binding("calls"));
  }
  void handleOption(const std::string& name, const std::string& value) override {
    Application::handleOption(name, value);
    if (name == "help") {
      help_ = true;
      stopOptionsProcessing();
    }
  }
  int main(const std::vector<std::string>&) override {
    if (help_ || (!config().has("hep") && !config().has("pcap"))) {
      Poco::Util::HelpFormatter h(options());
      h.setCommand("sipvault-loadgen");
      h.setUsage("--hep udp:HOST:PORT [--rate PPS] [--duration S] | --write-pcap FILE [--calls N]");
      h.setHeader("Realistic SIP call flows (INVITE/100/180/200/ACK/BYE/200 with SDP) as HEP3 load or a pcap.");
      h.setUnixStyle(true);
      h.format(std::cout);
      return help_ ? EXIT_OK : EXIT_USAGE;
    }
    if (config().has("pcap"))
      return writePcap(config().getString("pcap"), config().getUInt64("calls", 100), nowUs() - 60000000);
    return sendHep(config().getString("hep"), config().getUInt64("rate", 10000), config().getDouble("duration", 10),
                   config().getUInt64("first_call", nowUs() % 1000000000 * 1000), config().has("carrier_headers"),
                   config().getDouble("rtcp_interval", 0), config().getDouble("rtcp_hold", 60));
  }

 private:
  bool help_ = false;
};

}  // namespace

POCO_APP_MAIN(LoadGenApp)
