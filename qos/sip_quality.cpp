// Quality reports carried in SIP: X-RTP-Stat / P-RTP-Stat header values and RFC 6035 vq-rtcpxr
// bodies. Hand-written scanners over string_views: every read is within the view, numbers go
// through std::from_chars, and a value that is not a number (QS=-, MOSCQ=n/a) is skipped.
#include "qos/sip_quality.h"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>

#include "qos/emodel.h"

namespace sipvault::qos {
namespace {

constexpr size_t kMaxHeaderBytes = 4096;
constexpr size_t kMaxBodyBytes = 64 * 1024;
constexpr size_t kMaxCallIdBytes = 255;  // sip_qos.call_id

constexpr std::string_view kWhiteSpace = " \t\r\n";

std::string_view trim(std::string_view s) {
  const size_t first = s.find_first_not_of(kWhiteSpace);
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(kWhiteSpace) - first + 1);
}

char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return asciiLower(x) == asciiLower(y); });
}

// A finite decimal number filling the whole view.
std::optional<double> toNumber(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double d = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
  return d;
}

// A count: a whole, non-negative number below 2^53.
std::optional<uint64_t> toCount(std::string_view s) {
  const auto d = toNumber(s);
  if (!d || *d < 0 || *d > 9.0e15 || std::floor(*d) != *d) return std::nullopt;
  return static_cast<uint64_t>(*d);
}

// The n-th comma-separated part of a value ("PL=3,1": 0 -> "3", 1 -> "1"); "" when absent.
std::string_view part(std::string_view v, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const size_t c = v.find(',');
    if (c == std::string_view::npos) return {};
    v.remove_prefix(c + 1);
  }
  return trim(v.substr(0, v.find(',')));
}

// The address a report names for a media endpoint, in canonical text: "" when it is not an
// address (embedded NUL bytes included) or is the unspecified one (baresip reports its local side
// as 0.0.0.0 when bound to any), so that the carrying packet's address is used instead.
std::string mediaIp(std::string_view ip) {
  if (ip.empty() || ip.size() > 45 || ip.find('\0') != std::string_view::npos) return {};
  unsigned char buf[16] = {};
  const std::string s(ip);
  const int family = inet_pton(AF_INET, s.c_str(), buf) == 1 ? AF_INET
                     : inet_pton(AF_INET6, s.c_str(), buf) == 1 ? AF_INET6
                                                                 : 0;
  if (family == 0) return {};
  const size_t len = family == AF_INET ? 4 : 16;
  if (std::all_of(buf, buf + len, [](unsigned char b) { return b == 0; })) return {};
  char text[INET6_ADDRSTRLEN] = {};
  return inet_ntop(family, buf, text, sizeof text) ? std::string(text) : std::string();
}

struct Endpoint {
  std::string ip;
  uint16_t port = 0;
  uint32_t ssrc = 0;
};

// "192.0.2.1:5000", "[2001:db8::1]:5000" or a bare address.
Endpoint hostPort(std::string_view s) {
  Endpoint e;
  s = trim(s);
  std::string_view host = s, port;
  if (!s.empty() && s.front() == '[') {
    const size_t close = s.find(']');
    if (close == std::string_view::npos) return e;
    host = s.substr(1, close - 1);
    if (close + 1 < s.size() && s[close + 1] == ':') port = s.substr(close + 2);
  } else if (std::count(s.begin(), s.end(), ':') == 1) {
    const size_t colon = s.find(':');
    host = s.substr(0, colon);
    port = s.substr(colon + 1);
  }
  e.ip = mediaIp(host);
  if (const auto p = toCount(port); p && *p <= 65535) e.port = uint16_t(*p);
  return e;
}

// What one side said about one stream, before it becomes a QosReport.
struct Figures {
  std::optional<uint64_t> packets;
  std::optional<int64_t> lost;
  std::optional<double> loss_ratio;  // 0..1
  std::optional<double> jitter_ms, rtt_ms, one_way_ms;
  std::optional<double> mos_cq, mos, mos_lq;  // MOS scale
  std::optional<double> r_cq, r_lq;           // R scale
  std::string codec;
  bool any() const {
    return packets || lost || loss_ratio || jitter_ms || rtt_ms || mos_cq || mos || mos_lq || r_cq || r_lq;
  }
};

std::optional<double> inRange(std::optional<double> v, double lo, double hi) {
  return v && *v >= lo && *v <= hi ? v : std::nullopt;
}

// The report's own MOS (conversational first), else its R factor through G.107 Annex B, else an
// E-model estimate from its loss and delay.
std::optional<double> chooseMos(const Figures& f) {
  for (const auto& m : {f.mos_cq, f.mos, f.mos_lq}) {
    if (inRange(m, 1, 5)) return m;
  }
  for (const auto& r : {f.r_cq, f.r_lq}) {
    if (inRange(r, 0, 120)) return mosFromR(*r);
  }
  if (!f.loss_ratio) return std::nullopt;
  const double delay = f.one_way_ms ? *f.one_way_ms : (f.rtt_ms ? *f.rtt_ms / 2 : 0.0);
  return estimateMos({.loss = *f.loss_ratio, .one_way_delay_ms = delay, .codec = f.codec});
}

QosReport toReport(const Figures& f, ReportSource source, Direction dir) {
  QosReport r;
  r.source = source;
  r.direction = dir;
  r.packets = f.packets;
  r.lost = f.lost;
  r.fraction_lost = f.loss_ratio;
  r.jitter_ms = f.jitter_ms;
  r.rtt_ms = f.rtt_ms;
  r.mos = dir == Direction::Received ? chooseMos(f) : std::nullopt;
  r.codec = f.codec.substr(0, 32);
  return r;
}

// ---- X-RTP-Stat / P-RTP-Stat ----------------------------------------------------------------

// Keys this decoder knows: a value without any of them is not a quality header.
bool knownStatKey(std::string_view k) {
  for (std::string_view known : {"PS", "OS", "PR", "OR", "PL", "JI", "LA", "DU", "EN", "DE", "MOS", "MOSLQ",
                                 "MOSCQ", "RLQ", "RCQ", "IP", "EX", "CS", "CD", "PD", "ER", "ES", "Jitter",
                                 "PacketLossPct", "RTT"}) {
    if (iequals(k, known)) return true;
  }
  return false;
}

// The clock rate of a codec named "PCMU/8000"; 8000 when it names none.
double clockRateOf(std::string_view codec) {
  const size_t slash = codec.find('/');
  if (slash == std::string_view::npos) return 8000;
  const auto r = toCount(codec.substr(slash + 1));
  return r && *r >= 1000 && *r <= 192000 ? double(*r) : 8000;
}

}  // namespace

QosDecodeStatus decodeRtpStatHeader(std::string_view value, std::vector<QosReport>& out) {
  value = trim(value);
  if (value.empty() || value.size() > kMaxHeaderBytes) return QosDecodeStatus::BadFormat;
  // Cisco's P-RTP-Stat separates with ',' (and has no pairs); the AVM/Linksys/baresip form with
  // ';' and pairs "PL=rx,tx".
  const char sep = value.find(';') != std::string_view::npos ? ';' : ',';
  Figures rx, tx;
  Endpoint local, remote;
  bool known = false, baresip = false, have_ps = false;
  std::optional<double> jitter_rx, jitter_tx;
  std::string_view rest = value;
  while (!rest.empty()) {
    const size_t end = std::min(rest.find(sep), rest.size());
    const std::string_view item = trim(rest.substr(0, end));
    rest.remove_prefix(std::min(end + 1, rest.size()));
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view k = trim(item.substr(0, eq)), v = trim(item.substr(eq + 1));
    if (!knownStatKey(k)) continue;
    known = true;
    if (iequals(k, "PR")) {
      rx.packets = toCount(v);
    } else if (iequals(k, "PS")) {
      tx.packets = toCount(v);
      have_ps = true;
    } else if (iequals(k, "PL")) {
      if (const auto n = toNumber(part(v, 0)); n && std::abs(*n) < 9.0e15) rx.lost = int64_t(*n);
      if (const auto n = toNumber(part(v, 1)); n && std::abs(*n) < 9.0e15) tx.lost = int64_t(*n);
    } else if (iequals(k, "JI") || iequals(k, "Jitter")) {
      jitter_rx = inRange(toNumber(part(v, 0)), 0, 1e7);
      jitter_tx = inRange(toNumber(part(v, 1)), 0, 1e7);
    } else if (iequals(k, "LA")) {
      rx.rtt_ms = inRange(toNumber(v), 1, 10'000);  // round trip in ms; 0 = not measured
    } else if (iequals(k, "DE")) {
      rx.codec = std::string(v.substr(0, 32));
    } else if (iequals(k, "EN")) {
      tx.codec = std::string(v.substr(0, 32));
    } else if (iequals(k, "MOS")) {
      rx.mos = toNumber(v);
    } else if (iequals(k, "MOSCQ")) {
      rx.mos_cq = toNumber(v);
    } else if (iequals(k, "MOSLQ")) {
      rx.mos_lq = toNumber(v);
    } else if (iequals(k, "RCQ")) {
      rx.r_cq = toNumber(v);
    } else if (iequals(k, "RLQ")) {
      rx.r_lq = toNumber(v);
    } else if (iequals(k, "PacketLossPct")) {
      if (const auto pct = inRange(toNumber(v), 0, 100)) rx.loss_ratio = *pct / 100;
    } else if (iequals(k, "IP")) {
      local = hostPort(part(v, 0));
      remote = hostPort(part(v, 1));
    } else if (iequals(k, "EX")) {
      baresip = iequals(v, "BareSip");
    }
  }
  if (!known) return QosDecodeStatus::BadFormat;
  // JI is in ms (Cisco, AVM); baresip writes RTP timestamp units (its rtpstat.c).
  const double rx_scale = baresip ? 1000.0 / clockRateOf(rx.codec) : 1.0;
  const double tx_scale = baresip ? 1000.0 / clockRateOf(tx.codec) : 1.0;
  if (jitter_rx) rx.jitter_ms = *jitter_rx * rx_scale;
  if (jitter_tx) tx.jitter_ms = *jitter_tx * tx_scale;
  // The header is written at the end of the call: its counters cover the call, the report's
  // interval, so PL / (PR + PL) is that interval's loss.
  if (!rx.loss_ratio && rx.packets && rx.lost && *rx.lost >= 0 && *rx.packets + uint64_t(*rx.lost) > 0)
    rx.loss_ratio = double(*rx.lost) / double(*rx.packets + uint64_t(*rx.lost));

  const size_t before = out.size();
  if (rx.any()) {
    QosReport r = toReport(rx, ReportSource::RtpStatHeader, Direction::Received);
    r.media_src_ip = local.ip;  // the reporter's side first, as for vq-rtcpxr
    r.media_src_port = local.port;
    r.media_dst_ip = remote.ip;
    r.media_dst_port = remote.port;
    out.push_back(std::move(r));
  }
  if (have_ps && tx.packets) {
    QosReport s = toReport(tx, ReportSource::RtpStatHeader, Direction::Sent);
    s.media_src_ip = local.ip;
    s.media_src_port = local.port;
    s.media_dst_ip = remote.ip;
    s.media_dst_port = remote.port;
    out.push_back(std::move(s));
  }
  return out.size() > before ? QosDecodeStatus::Ok : QosDecodeStatus::Empty;
}

// ---- RFC 6035 application/vq-rtcpxr ---------------------------------------------------------

namespace {

// Calls `fn(key, value)` for each KEY=VALUE of a metrics line ("NLR=5.0 JDR=2.0",
// FMTP="annexb=no" quoted).
template <typename Fn>
void forEachParam(std::string_view line, Fn fn) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    const size_t start = i;
    bool quoted = false;
    while (i < line.size() && (quoted || (line[i] != ' ' && line[i] != '\t'))) {
      if (line[i] == '"') quoted = !quoted;
      ++i;
    }
    const std::string_view tok = line.substr(start, i - start);
    const size_t eq = tok.find('=');
    if (eq != std::string_view::npos) fn(tok.substr(0, eq), tok.substr(eq + 1));
  }
}

// SSRC=0x1a2b3c4d is RFC 6035's ABNF (Yealink writes it so); the RFC's own example drops the
// "0x" ("1a3b5c7d"); linphone writes it in decimal, signed or unsigned ("%d", "%u"). So: "0x" or
// a hex letter -> hex; digits alone (with an optional '-') -> decimal, modulo 2^32; else 0.
uint32_t vqSsrc(std::string_view v) {
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
    base = 16;
  } else if (v.find_first_of("abcdefABCDEF") != std::string_view::npos) {
    base = 16;
  }
  if (base == 10 && !v.empty() && v.front() == '-') {
    int32_t s = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s);
    return ec == std::errc() && ptr == v.data() + v.size() ? static_cast<uint32_t>(s) : 0;
  }
  uint32_t s = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), s, base);
  return ec == std::errc() && ptr == v.data() + v.size() ? s : 0;
}

Endpoint addrLine(std::string_view value) {
  Endpoint e;
  forEachParam(value, [&](std::string_view k, std::string_view v) {
    if (iequals(k, "IP")) {
      e.ip = mediaIp(v);
    } else if (iequals(k, "PORT")) {
      if (const auto p = toCount(v); p && *p <= 65535) e.port = uint16_t(*p);
    } else if (iequals(k, "SSRC")) {
      e.ssrc = vqSsrc(v);
    }
  });
  return e;
}

void metricsLine(std::string_view name, std::string_view value, Figures& f) {
  forEachParam(value, [&](std::string_view k, std::string_view v) {
    if (iequals(name, "SessionDesc") && iequals(k, "PD")) {
      f.codec = std::string(trim(v).substr(0, 32));
    } else if (iequals(name, "PacketLoss") && iequals(k, "NLR")) {
      if (const auto pct = inRange(toNumber(v), 0, 100)) f.loss_ratio = *pct / 100;
    } else if (iequals(name, "Delay")) {
      if (iequals(k, "RTD")) f.rtt_ms = inRange(toNumber(v), 1, 10'000);
      if (iequals(k, "IAJ")) f.jitter_ms = inRange(toNumber(v), 0, 1e7);
      if (iequals(k, "OWD") || (iequals(k, "SOWD") && !f.one_way_ms)) f.one_way_ms = inRange(toNumber(v), 0, 10'000);
    } else if (iequals(name, "QualityEst")) {
      if (iequals(k, "MOSCQ")) f.mos_cq = toNumber(v);
      if (iequals(k, "MOSLQ")) f.mos_lq = toNumber(v);
      if (iequals(k, "RCQ")) f.r_cq = toNumber(v);
      if (iequals(k, "RLQ")) f.r_lq = toNumber(v);
    }
  });
}

}  // namespace

QosDecodeStatus decodeVqRtcpXr(std::string_view body, std::vector<QosReport>& out) {
  if (body.empty() || body.size() > kMaxBodyBytes) return QosDecodeStatus::BadFormat;
  enum class Section { Session, Local, Remote } section = Section::Session;
  Figures local_figures, remote_figures;
  bool have_local = false, have_remote = false, first = true;
  Endpoint local, remote;
  std::string call_id;

  // Logical lines: a line that starts with white space continues the one before (folding).
  std::string line;
  auto handle = [&](std::string_view logical) -> bool {
    logical = trim(logical);
    if (logical.empty()) return true;
    const size_t colon = logical.find(':');
    const std::string_view name = trim(logical.substr(0, colon));
    const std::string_view value = colon == std::string_view::npos ? std::string_view{} : trim(logical.substr(colon + 1));
    if (first) {
      first = false;
      return iequals(name, "VQSessionReport") || iequals(name, "VQIntervalReport") || iequals(name, "VQAlertReport");
    }
    if (colon == std::string_view::npos) return true;  // not a "Name: value" line: skipped
    if (iequals(name, "LocalMetrics")) {
      section = Section::Local;
      have_local = true;
    } else if (iequals(name, "RemoteMetrics")) {
      section = Section::Remote;
      have_remote = true;
    } else if (iequals(name, "CallID")) {
      if (value.size() <= kMaxCallIdBytes) call_id = std::string(value);
    } else if (iequals(name, "LocalAddr")) {
      local = addrLine(value);
    } else if (iequals(name, "RemoteAddr")) {
      remote = addrLine(value);
    } else if (iequals(name, "DialogID")) {
      section = Section::Session;
    } else if (section != Section::Session) {
      metricsLine(name, value, section == Section::Local ? local_figures : remote_figures);
    }
    return true;
  };
  size_t pos = 0;
  while (pos <= body.size()) {
    const size_t nl = std::min(body.find('\n', pos), body.size());
    std::string_view raw = body.substr(pos, nl - pos);
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    pos = nl + 1;
    if (!raw.empty() && (raw.front() == ' ' || raw.front() == '\t') && !line.empty()) {
      line += ' ';
      line += trim(raw);
      continue;
    }
    if (!handle(line)) return QosDecodeStatus::BadFormat;
    line.assign(raw);
  }
  if (!handle(line) || first) return QosDecodeStatus::BadFormat;

  const size_t before = out.size();
  // LocalMetrics: the reporter's view of the stream it receives from the remote side.
  auto emit = [&](const Figures& f, const Endpoint& reporter, const Endpoint& peer) {
    QosReport r = toReport(f, ReportSource::VqRtcpXr, Direction::Received);
    r.ssrc = peer.ssrc;
    r.reporter_ssrc = reporter.ssrc;
    r.call_id = call_id;
    r.media_src_ip = reporter.ip;
    r.media_src_port = reporter.port;
    r.media_dst_ip = peer.ip;
    r.media_dst_port = peer.port;
    out.push_back(std::move(r));
  };
  if (have_local && local_figures.any()) emit(local_figures, local, remote);
  if (have_remote && remote_figures.any()) emit(remote_figures, remote, local);
  return out.size() > before ? QosDecodeStatus::Ok : QosDecodeStatus::Empty;
}

}  // namespace sipvault::qos
