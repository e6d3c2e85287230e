// libFuzzer target for the SIP library: parseSipMessage on the whole input (every field read
// byte by byte so ASan sees any view that points outside live memory), the SDP summary on the
// raw bytes, and SipStreamFramer on the input cut into segments whose size comes from the input.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "sip/sdp_parser.h"
#include "sip/sip_parser.h"
#include "sip/sip_stream_framer.h"

using namespace sipvault::sip;

using namespace sipvault;

namespace {

volatile uint32_t sink = 0;  // keeps the reads from being optimised away

void touch(std::string_view v) {
  for (char c : v) sink = sink * 31 + uint8_t(c);
}

void touchUri(const SipUri& u) {
  touch(u.text);
  touch(u.scheme);
  touch(u.user);
  touch(u.user_raw);
  touch(u.host);
  sink = sink + u.port + u.has_headers;
}

void touchNameAddr(const SipNameAddr& n) {
  touch(n.display_name);
  touchUri(n.uri);
  touch(n.tag);
}

void touchSdp(const SdpSummary& s) {
  touch(s.connection_address);
  if (s.media_count > kMaxSdpMedia || s.codec_count > kMaxSdpCodecs) __builtin_trap();
  for (size_t i = 0; i < s.media_count; ++i) {
    touch(s.media[i].type);
    touch(s.media[i].protocol);
    touch(s.media[i].connection_address);
    sink = sink + s.media[i].port;
  }
  for (size_t i = 0; i < s.codec_count; ++i) touch(s.codecs[i]);
}

void touchMessage(const SipMessage& m, const ParseOutcome& r) {
  touch(r.reason);
  touch(parseErrorName(r.error));
  touch(m.start_line);
  touch(m.method);
  touchUri(m.request_uri);
  touch(m.reason_phrase);
  touch(m.version);
  touch(m.call_id);
  touchNameAddr(m.from);
  touchNameAddr(m.to);
  touch(m.cseq_method);
  for (size_t i = 0; i < m.via_count && i < kMaxVias; ++i) {
    touch(m.vias[i].transport);
    touch(m.vias[i].host);
    touch(m.vias[i].branch);
    touch(m.vias[i].received);
  }
  touch(m.contact);
  touchUri(m.contact_uri);
  touch(m.agent());
  touch(m.pai_user);
  touch(m.reason);
  touch(m.content_type);
  touch(m.x_cid);
  touch(m.headers);
  touch(m.body);
  touchSdp(m.sdp);
  if (r.ok() && m.call_id.empty()) __builtin_trap();  // contract: a stored message has a Call-ID
  if (m.body.size() > m.raw.size()) __builtin_trap();
  // The public header reader over the parsed header section.
  SipHeaderReader reader(m.headers);
  SipHeaderField f;
  for (auto st = reader.next(f);
       st == SipHeaderReader::Status::Field || st == SipHeaderReader::Status::BadLine; st = reader.next(f)) {
    touch(canonicalHeaderName(f.name));
    touch(f.value);
  }
}

struct Framed {
  std::vector<std::string_view> messages;  // views into the input (same bytes as the framer's)
  size_t skipped = 0;
  size_t keep_alive = 0;
};

Framed frame(std::string_view in, size_t segment) {
  constexpr size_t kMax = 4096;
  Framed out;
  SipStreamFramer framer(kMax);
  size_t consumed = 0;  // stream offset of the framer's first buffered byte
  for (size_t at = 0; at < in.size(); at += segment) {
    const std::string_view part = in.substr(at, segment);
    framer.append(part);
    for (SipFrame f = framer.next(); f.kind != SipFrame::Kind::NeedMore; f = framer.next()) {
      if (f.bytes.empty()) __builtin_trap();  // every unit consumes bytes: no endless loop
      if (in.substr(consumed, f.bytes.size()) != f.bytes) __builtin_trap();  // bytes in stream order
      if (f.kind == SipFrame::Kind::Message) out.messages.push_back(in.substr(consumed, f.bytes.size()));
      if (f.kind == SipFrame::Kind::Skipped) out.skipped += f.bytes.size();
      if (f.kind == SipFrame::Kind::KeepAlive) out.keep_alive += f.bytes.size();
      consumed += f.bytes.size();
    }
    if (framer.buffered() > kMax + part.size()) __builtin_trap();
  }
  if (consumed + framer.buffered() != in.size()) __builtin_trap();  // no byte lost or invented
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);

  static SipMessage msg;  // reused across inputs, as the parser daemon does
  const ParseOutcome r = parseSipMessage(in, msg);
  touchMessage(msg, r);

  SdpSummary sdp;
  parseSdp(in, sdp);
  touchSdp(sdp);
  touch(findMultipartSdp(in, "multipart/mixed;boundary=b"));

  // Stream framing, once in one piece and once in segments whose size comes from the first byte:
  // the same messages and the same byte counts either way; every framed message is parsed.
  const size_t segment = size == 0 ? 1 : size_t(data[0] % 97) + 1;
  const Framed whole = frame(in, size == 0 ? 1 : size);
  const Framed cut = frame(in, segment);
  if (whole.messages != cut.messages || whole.skipped != cut.skipped || whole.keep_alive != cut.keep_alive)
    __builtin_trap();
  SipMessage framed;
  for (std::string_view m : whole.messages) touchMessage(framed, parseSipMessage(m, framed));
  return 0;
}
