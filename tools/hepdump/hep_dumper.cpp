#include "tools/hepdump/hep_dumper.h"

#include "tools/hepdump/hep_json.h"

namespace sipvault::hepdump {

using namespace sipvault::sip;

void HepDumper::dump(std::span<const uint8_t> bytes, std::string_view source) {
  if (done()) return;
  HepDecodeResult r = decodeHep(bytes, scratch_);
  if (!r) {
    reportError(r.error, source);
    return;
  }
  ++totals_.packets;
  const PacketView& p = *r.packet;
  if (p.payload_type == kPayloadSip && !p.payload.empty()) {
    const ParseOutcome o = parseSipMessage(p.payload, sip_);
    if (o.ok()) ++totals_.sip;
    else ++totals_.sip_errors;
    out_ << hepPacketJson(p, &sip_, &o) << '\n';
  } else {
    out_ << hepPacketJson(p, nullptr, nullptr) << '\n';
  }
}

void HepDumper::reportError(const HepDecodeError& error, std::string_view source) {
  if (done()) return;
  ++totals_.errors;
  out_ << hepErrorJson(error, source) << '\n';
}

void HepDumper::onPacket(const PacketView& view) {
  const std::string source = view.src.toString() + ":" + std::to_string(view.src_port) + " -> " +
                             view.dst.toString() + ":" + std::to_string(view.dst_port);
  dump(std::span(reinterpret_cast<const uint8_t*>(view.payload.data()), view.payload.size()), source);
}

size_t HepDumper::onStreamData(const netdecode::TcpStreamInfo& info, std::string_view bytes, bool discontinuity) {
  HepStreamFramer& framer = framers_[info.stream_id];
  // After a gap the framer's position means nothing: start over at the next bytes.
  if (discontinuity) framer.reset();
  const std::string source = "tcp stream " + std::to_string(info.stream_id);
  if (framer.failed() ||
      !framer.feed(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size())))
    return bytes.size();  // a stream that is not HEP3 was reported once; ignore the rest
  for (;;) {
    HepStreamFramer::Frame f = framer.next();
    if (f.status == HepStreamFramer::Status::NeedMore) break;
    if (f.status == HepStreamFramer::Status::Error) {
      reportError({f.error, 0, "TCP stream is not HEP3"}, source);
      break;
    }
    dump(f.packet, source);
  }
  return bytes.size();
}

void HepDumper::onStreamClosed(const netdecode::TcpStreamInfo& info) { framers_.erase(info.stream_id); }

}  // namespace sipvault::hepdump
