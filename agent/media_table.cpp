#include "agent/media_table.h"

#include <algorithm>

namespace sipvault::agent {

namespace {

bool usable(const IpAddress& ip) {
  if (ip.family != 4 && ip.family != 6) return false;
  const std::string_view raw = ip.raw();
  return std::any_of(raw.begin(), raw.end(), [](char c) { return c != 0; });  // not 0.0.0.0 / ::
}

bool isRtpProfile(std::string_view protocol) {
  // RTP/AVP, RTP/SAVP, RTP/AVPF, UDP/TLS/RTP/SAVPF, ... (not udptl, TCP/MSRP, ...)
  return protocol.find("RTP/") != std::string_view::npos;
}

}  // namespace

size_t MediaTable::EndpointHash::operator()(const Endpoint& e) const noexcept {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over address and port
  for (char c : e.ip.raw()) h = (h ^ uint8_t(c)) * 1099511628211ull;
  h = (h ^ (e.port & 0xff)) * 1099511628211ull;
  h = (h ^ (e.port >> 8)) * 1099511628211ull;
  return size_t(h);
}

MediaTable::MediaTable(const MediaTableOptions& options, MediaCounters& counters, ForgetFn on_forget)
    : options_(options), counters_(counters), on_forget_(std::move(on_forget)) {
  if (options_.max_calls == 0) options_.max_calls = 1;
}

void MediaTable::touch(CallList::iterator call, uint64_t now_us) {
  call->last_us = std::max(call->last_us, now_us);
  if (call != lru_.begin()) lru_.splice(lru_.begin(), lru_, call);
}

size_t MediaTable::learn(std::string_view call_id, const sip::SdpSummary& sdp, uint64_t now_us) {
  if (call_id.empty() || !sdp.present) return 0;
  call_id = call_id.substr(0, kMaxCallIdBytes);

  // What the SDP names, before touching the table: an SDP without usable media learns nothing.
  struct Named {
    Endpoint ep;
    MediaRole role;
    std::string_view codec;
    uint32_t clock_rate;
  };
  Named named[2 * sip::kMaxSdpMedia];
  size_t n = 0;
  for (size_t i = 0; i < sdp.media_count && i < sip::kMaxSdpMedia; ++i) {
    const sip::SdpMedia& m = sdp.media[i];
    if (m.port == 0 || !isRtpProfile(m.protocol)) continue;
    const auto ip = IpAddress::parse(m.connection_address);
    if (!ip || !usable(*ip)) continue;
    const uint32_t clock = m.clock_rate ? m.clock_rate : 8000;
    named[n++] = {{*ip, m.port}, MediaRole::Rtp, m.first_codec, clock};
    if (m.rtcp_mux) continue;
    const uint16_t rtcp_port = m.rtcp_port ? m.rtcp_port : m.port < 65535 ? uint16_t(m.port + 1) : 0;
    if (rtcp_port == 0) continue;
    std::optional<IpAddress> rtcp_ip = ip;
    if (!m.rtcp_address.empty()) rtcp_ip = IpAddress::parse(m.rtcp_address);
    if (rtcp_ip && usable(*rtcp_ip)) named[n++] = {{*rtcp_ip, rtcp_port}, MediaRole::Rtcp, m.first_codec, clock};
  }
  if (n == 0) return 0;

  auto found = by_id_.find(call_id);
  CallList::iterator call;
  if (found != by_id_.end()) {
    call = found->second;
  } else {
    while (by_id_.size() >= options_.max_calls && !lru_.empty()) {
      ++counters_.calls_evicted;
      forget(std::prev(lru_.end()), ForgetReason::Evicted);
    }
    lru_.push_front(Call{std::string(call_id), {}, now_us, 0});
    call = lru_.begin();
    by_id_.emplace(std::string_view(call->id), call);
    ++counters_.calls_learned;
  }
  touch(call, now_us);
  call->end_us = 0;  // new SDP after a CANCEL: the 200 OK won the race, the call goes on
  for (size_t i = 0; i < n; ++i) addEndpoint(call, named[i].ep, named[i].role, named[i].codec, named[i].clock_rate);
  return n;
}

void MediaTable::addEndpoint(CallList::iterator call, const Endpoint& ep, MediaRole role, std::string_view codec,
                             uint32_t clock_rate) {
  auto [it, inserted] = endpoints_.try_emplace(ep);
  Entry& e = it->second;
  const bool ours = !inserted && e.call == call;
  if (inserted || !ours) {
    ++counters_.endpoints_learned;
    // Taken over from another call (a reused port): that call no longer owns it; its list entry
    // is skipped when it goes (forget() checks the owner).
    std::vector<Endpoint>& list = call->endpoints;
    if (list.size() >= kMaxEndpointsPerCall) {
      const Endpoint oldest = list.front();
      list.erase(list.begin());
      ++counters_.endpoints_dropped;
      auto o = endpoints_.find(oldest);
      if (o != endpoints_.end() && o->second.call == call && !(oldest == ep)) endpoints_.erase(o);
    }
    list.push_back(ep);
  }
  e.call = call;
  e.codec.assign(codec.substr(0, 32));
  e.match = MediaMatch{std::string_view(call->id), role, std::string_view(e.codec), clock_rate};
}

void MediaTable::ending(std::string_view call_id, uint64_t now_us) {
  auto found = by_id_.find(call_id.substr(0, kMaxCallIdBytes));
  if (found == by_id_.end()) return;
  Call& c = *found->second;
  if (c.end_us == 0) c.end_us = now_us + options_.bye_linger_us;
}

const MediaMatch* MediaTable::find(const IpAddress& ip, uint16_t port, uint64_t now_us) {
  auto it = endpoints_.find(Endpoint{ip, port});
  if (it == endpoints_.end()) return nullptr;
  touch(it->second.call, now_us);
  return &it->second.match;
}

void MediaTable::forget(CallList::iterator call, ForgetReason why) {
  if (on_forget_) on_forget_(call->id, why);
  for (const Endpoint& ep : call->endpoints) {
    auto it = endpoints_.find(ep);
    if (it != endpoints_.end() && it->second.call == call) endpoints_.erase(it);
  }
  by_id_.erase(std::string_view(call->id));
  lru_.erase(call);
}

void MediaTable::expire(uint64_t now_us) {
  for (auto it = lru_.begin(); it != lru_.end();) {
    const auto next = std::next(it);
    if (it->end_us != 0 && now_us >= it->end_us) {
      ++counters_.calls_forgotten_bye;
      forget(it, ForgetReason::Bye);
    } else if (now_us >= it->last_us + options_.idle_timeout_us) {
      ++counters_.calls_forgotten_timeout;
      forget(it, ForgetReason::Timeout);
    }
    it = next;
  }
}

}  // namespace sipvault::agent
