#include "api/qos_report_view.h"

#include <Poco/JSON/Array.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "api/api_exchange.h"
#include "api/message_record.h"
#include "api/time_text.h"

namespace sipvault::api {
namespace {

using Var = Poco::Dynamic::Var;

Var nullable(const std::optional<double>& v) { return v ? Var(*v) : Var(); }

// Worst figures over points (one stream, a leg, the call).
struct Worst {
  std::optional<double> mos, loss, jitter, rtt;
  uint64_t reports = 0;

  void add(const QosRecord& r, const std::optional<double>& interval) {
    ++reports;
    auto lower = [](std::optional<double>& w, const std::optional<double>& v) {
      if (v && (!w || *v < *w)) w = v;
    };
    auto higher = [](std::optional<double>& w, const std::optional<double>& v) {
      if (v && (!w || *v > *w)) w = v;
    };
    lower(mos, r.mos);
    higher(loss, interval ? interval : r.fraction_lost);
    higher(jitter, r.jitter_ms);
    higher(rtt, r.rtt_ms);
  }
  void add(const Worst& o) {
    reports += o.reports;
    if (o.mos && (!mos || *o.mos < *mos)) mos = o.mos;
    if (o.loss && (!loss || *o.loss > *loss)) loss = o.loss;
    if (o.jitter && (!jitter || *o.jitter > *jitter)) jitter = o.jitter;
    if (o.rtt && (!rtt || *o.rtt > *rtt)) rtt = o.rtt;
  }
  [[nodiscard]] Poco::JSON::Object::Ptr json() const {
    Poco::JSON::Object::Ptr o = jsonObject();
    o->set("worst_mos", nullable(mos));
    o->set("worst_interval_loss", nullable(loss));
    o->set("max_jitter_ms", nullable(jitter));
    o->set("max_rtt_ms", nullable(rtt));
    o->set("report_count", reports);
    return o;
  }
};

using StreamKey = std::tuple<std::string, uint16_t, uint32_t, uint32_t, uint8_t, uint8_t>;

std::string mediaText(const MediaAddress& a) { return hostText(a.ip, a.port); }

std::string reasonSentence(QosEmptyReason reason, const QosCallView& v) {
  switch (reason) {
    case QosEmptyReason::NoMediaLearned:
      return "No SDP was captured for this call, so its media addresses are unknown: reports sent without "
             "the call's id cannot be matched to it, and none arrived with its Call-ID.";
    case QosEmptyReason::NoReportsForMedia:
      return "No RTCP or quality report was seen for this call's media addresses or with its Call-ID: the "
             "endpoints may send none, or no capture point sees their media.";
    case QosEmptyReason::UncorrelatedReports:
      return std::to_string(v.uncorrelated_count) + (v.uncorrelated_count == 1 ? " report" : " reports") +
             " without a call id arrived while this call was up, but none came from a media address its SDP "
             "named.";
    case QosEmptyReason::None:
      break;
  }
  return {};
}

std::string_view reasonCode(QosEmptyReason reason) {
  switch (reason) {
    case QosEmptyReason::NoMediaLearned: return "no_media_learned";
    case QosEmptyReason::NoReportsForMedia: return "no_reports_for_media";
    case QosEmptyReason::UncorrelatedReports: return "uncorrelated_reports";
    case QosEmptyReason::None: break;
  }
  return "";
}

}  // namespace

std::optional<double> intervalLoss(const QosRecord* prev, const QosRecord& cur) {
  if (!cur.lost) return std::nullopt;
  if (!prev) {
    // The first report: its counters cover the stream since it began.
    if (!cur.packets || cur.direction != 0) return std::nullopt;
    const double expected = static_cast<double>(*cur.packets) + static_cast<double>(std::max<int64_t>(*cur.lost, 0));
    if (expected <= 0) return std::nullopt;
    return std::clamp(static_cast<double>(*cur.lost) / expected, 0.0, 1.0);
  }
  if (!prev->lost || !prev->highest_seq || !cur.highest_seq || *cur.highest_seq <= *prev->highest_seq)
    return std::nullopt;
  const double expected = static_cast<double>(*cur.highest_seq - *prev->highest_seq);
  const double lost = static_cast<double>(*cur.lost - *prev->lost);
  return std::clamp(lost / expected, 0.0, 1.0);  // fewer lost than before (duplicates): 0
}

QosEmptyReason emptyReason(const QosCallView& v) {
  if (!v.reports.empty()) return QosEmptyReason::None;
  const bool learned = std::any_of(v.legs.begin(), v.legs.end(), [](const QosLegView& l) { return !l.media.empty(); });
  if (!learned) return QosEmptyReason::NoMediaLearned;
  return v.uncorrelated_count > 0 ? QosEmptyReason::UncorrelatedReports : QosEmptyReason::NoReportsForMedia;
}

std::string_view qosSourceName(uint8_t source) {
  switch (source) {
    case 1: return "rtcp";
    case 2: return "rtcp_json";
    case 3: return "rtp_stat_header";
    case 4: return "vq_rtcpxr";
    case 5: return "agent_rtp";
    default: return "unknown";
  }
}

Poco::JSON::Object::Ptr qosCallJson(const QosCallView& v) {
  Poco::JSON::Object::Ptr o = jsonObject();
  o->set("call_id", jsonText(v.call_id));
  o->set("window_from", formatTimeUs(v.window_from_us));
  o->set("window_to", formatTimeUs(v.window_to_us));
  Worst call_worst;
  Poco::JSON::Array::Ptr legs = new Poco::JSON::Array;
  for (size_t li = 0; li < v.legs.size(); ++li) {
    const QosLegView& leg = v.legs[li];
    // Streams in order of their first report.
    std::map<StreamKey, size_t> stream_of;
    std::vector<std::vector<const QosRecord*>> streams;
    for (size_t i = 0; i < v.reports.size(); ++i) {
      if (v.report_leg[i] != li) continue;
      const QosRecord& r = v.reports[i];
      const StreamKey key{r.src_ip, r.src_port, r.reporter_ssrc, r.ssrc, r.direction, r.source};
      auto [it, fresh] = stream_of.emplace(key, streams.size());
      if (fresh) streams.emplace_back();
      streams[it->second].push_back(&r);
    }
    Worst leg_worst;
    Poco::JSON::Array::Ptr stream_list = new Poco::JSON::Array;
    for (const auto& reports : streams) {
      const QosRecord& first = *reports.front();
      Poco::JSON::Object::Ptr s = jsonObject();
      s->set("reporter", first.src_ip.empty() ? Var() : Var(hostText(first.src_ip, first.src_port)));
      s->set("peer", first.dst_ip.empty() ? Var() : Var(hostText(first.dst_ip, first.dst_port)));
      s->set("reporter_ssrc", first.reporter_ssrc);
      s->set("ssrc", first.ssrc);
      s->set("direction", first.direction == 1 ? "sent" : "received");
      s->set("source", std::string(qosSourceName(first.source)));
      s->set("correlated", first.correlated());
      std::string codec, node;
      for (const QosRecord* r : reports) {
        if (codec.empty()) codec = r->codec;
        if (node.empty()) node = r->node;
      }
      s->set("codec", jsonText(codec));
      s->set("node", jsonText(node));
      Worst stream_worst;
      Poco::JSON::Array::Ptr points = new Poco::JSON::Array;
      const QosRecord* prev = nullptr;
      for (const QosRecord* r : reports) {
        const std::optional<double> loss = intervalLoss(prev, *r);
        prev = r;
        stream_worst.add(*r, loss);
        Poco::JSON::Object::Ptr p = jsonObject();
        p->set("time", formatTimeUs(r->capture_us));
        p->set("time_us", r->capture_us);
        p->set("report_type", static_cast<unsigned>(r->report_type));
        p->set("fraction_lost", nullable(r->fraction_lost));
        p->set("interval_loss", nullable(loss));
        p->set("jitter_ms", nullable(r->jitter_ms));
        p->set("rtt_ms", nullable(r->rtt_ms));
        p->set("mos", nullable(r->mos));
        p->set("packets", r->packets ? Var(*r->packets) : Var());
        p->set("lost", r->lost ? Var(*r->lost) : Var());
        p->set("highest_seq", r->highest_seq ? Var(*r->highest_seq) : Var());
        points->add(p);
      }
      s->set("summary", stream_worst.json());
      s->set("points", points);
      stream_list->add(s);
      leg_worst.add(stream_worst);
    }
    call_worst.add(leg_worst);
    Poco::JSON::Object::Ptr l = jsonObject();
    l->set("call_id", jsonText(leg.leg.call_id));
    l->set("call_ref", encodeCallRef(leg.leg.ref));
    l->set("relation", leg.leg.relation);
    Poco::JSON::Array::Ptr media = new Poco::JSON::Array;
    for (const MediaAddress& a : leg.media) {
      Poco::JSON::Object::Ptr m = jsonObject();
      m->set("address", mediaText(a));
      m->set("rtcp", a.rtcp);
      media->add(m);
    }
    l->set("media", media);
    l->set("summary", leg_worst.json());
    l->set("streams", stream_list);
    legs->add(l);
  }
  o->set("summary", call_worst.json());
  o->set("legs", legs);
  o->set("truncated", v.truncated);
  const QosEmptyReason reason = emptyReason(v);
  if (reason == QosEmptyReason::None) {
    o->set("reason", Var());
  } else {
    Poco::JSON::Object::Ptr why = jsonObject();
    why->set("code", std::string(reasonCode(reason)));
    why->set("message", reasonSentence(reason, v));
    why->set("uncorrelated_count", v.uncorrelated_count);
    o->set("reason", why);
  }
  return o;
}

}  // namespace sipvault::api
