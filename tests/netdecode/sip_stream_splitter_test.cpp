// SipStreamSplitter: the adapter between TCP reassembly and the parser's SipStreamFramer (whose
// own framing rules are tested in tests/parser). Stream bytes are RFC 4475 messages.
#include "netdecode/sip_stream_splitter.h"

#include <catch2/catch.hpp>

#include "pcap_frames.h"

namespace sipvault::netdecode {
namespace {

std::string dat(const std::string& name) { return test::readCorpusFile("rfc4475/" + name + ".dat"); }

TcpStreamInfo stream(uint64_t id, uint16_t src_port) {
  TcpStreamInfo info;
  info.stream_id = id;
  info.meta.src = *IpAddress::parse("192.0.2.1");
  info.meta.dst = *IpAddress::parse("192.0.2.2");
  info.meta.src_port = src_port;
  info.meta.dst_port = 5060;
  info.meta.ip_proto = kIpProtoTcp;
  info.meta.vlan = 7;
  return info;
}

struct Harness {
  explicit Harness(SipStreamSplitterOptions options = {}) : splitter(options, sink, counters) {}
  size_t feed(const TcpStreamInfo& info, std::string_view bytes, bool discontinuity = false) {
    return splitter.onStreamData(info, bytes, discontinuity);
  }
  test::CollectingSink sink;
  DecodeCounters counters;
  SipStreamSplitter splitter;
};

}  // namespace

TEST_CASE("SIP messages are framed across calls and several per call", "[netdecode][sip-framing]") {
  Harness h;
  const std::string a = dat("valid/esc01");
  const std::string b = dat("valid/unreason");
  const std::string c = dat("valid/mpart01");  // binary body: only Content-Length can end it
  const std::string stream_bytes = a + "\r\n\r\n" + b + c;
  const TcpStreamInfo info = stream(1, 40000);
  const size_t cut = a.size() + 4 + b.size() + 100;
  CHECK(h.feed(info, std::string_view(stream_bytes).substr(0, cut)) == cut);
  REQUIRE(h.sink.packets.size() == 2);
  CHECK(h.splitter.bufferedBytes() >= 100);  // capacity: the buffer the 100 bytes sit in
  CHECK(h.splitter.bufferedBytes() <= cut);
  (void)h.feed(info, std::string_view(stream_bytes).substr(cut));
  REQUIRE(h.sink.packets.size() == 3);
  CHECK(h.sink.packets[0].payload == a);
  CHECK(h.sink.packets[1].payload == b);
  CHECK(h.sink.packets[2].payload == c);
  CHECK(h.sink.packets[2].src_port == 40000);
  CHECK(h.sink.packets[2].vlan == 7);
  CHECK(h.sink.packets[2].ip_proto == kIpProtoTcp);
  CHECK(h.counters.sip_stream_messages == 3);
  CHECK(h.splitter.bufferedBytes() <= 4096);  // an emptied framer keeps a few KiB of room, charged
}

TEST_CASE("Each TCP stream direction is framed on its own", "[netdecode][sip-framing]") {
  Harness h;
  const std::string a = dat("valid/longreq");
  const std::string b = dat("valid/wsinv");
  (void)h.feed(stream(1, 1111), std::string_view(a).substr(0, 1000));
  (void)h.feed(stream(2, 2222), std::string_view(b).substr(0, 100));
  (void)h.feed(stream(1, 1111), std::string_view(a).substr(1000));
  (void)h.feed(stream(2, 2222), std::string_view(b).substr(100));
  REQUIRE(h.sink.packets.size() == 2);
  CHECK(h.sink.packets[0].payload == a);
  CHECK(h.sink.packets[0].src_port == 1111);
  CHECK(h.sink.packets[1].payload == b);
  CHECK(h.sink.packets[1].src_port == 2222);
  CHECK(h.splitter.streams() == 2);
  h.splitter.onStreamClosed(stream(1, 1111));
  h.splitter.onStreamClosed(stream(2, 2222));
  CHECK(h.splitter.streams() == 0);
}

TEST_CASE("A discontinuity drops the partial SIP message before it", "[netdecode][sip-framing]") {
  Harness h;
  const std::string cut_off = dat("valid/longreq");
  const std::string next = dat("valid/esc01");
  const TcpStreamInfo info = stream(1, 40000);
  (void)h.feed(info, std::string_view(cut_off).substr(0, 2000));
  // The rest of longreq was lost; the stream resumes with the next message.
  (void)h.feed(info, next, true);
  REQUIRE(h.sink.packets.size() == 1);
  CHECK(h.sink.packets[0].payload == next);
}

TEST_CASE("Bytes that are not SIP are skipped and counted", "[netdecode][sip-framing]") {
  Harness h;
  const std::string msg = dat("valid/esc01");
  const std::string junk = "tail of an earlier body\r\nv=0\r\n";
  (void)h.feed(stream(1, 40000), junk + msg, true);
  REQUIRE(h.sink.packets.size() == 1);
  CHECK(h.sink.packets[0].payload == msg);
  CHECK(h.counters.sip_stream_skipped_bytes == junk.size());
}

TEST_CASE("Partial SIP messages of all streams stay within max_buffered_bytes", "[netdecode][sip-framing]") {
  SipStreamSplitterOptions options;
  options.max_buffered_bytes = 3000;
  Harness h(options);
  const std::string a = dat("valid/longreq");  // 3515 bytes
  (void)h.feed(stream(1, 1), std::string_view(a).substr(0, 2000));
  CHECK(h.counters.sip_stream_buffer_overflow == 0);
  (void)h.feed(stream(2, 2), std::string_view(a).substr(0, 2000));
  CHECK(h.counters.sip_stream_buffer_overflow == 1);
  CHECK(h.splitter.bufferedBytes() == 2000);
  // Stream 1 still completes; stream 2 lost its start and skips the rest.
  (void)h.feed(stream(1, 1), std::string_view(a).substr(2000));
  (void)h.feed(stream(2, 2), std::string_view(a).substr(2000));
  REQUIRE(h.sink.packets.size() == 1);
  CHECK(h.sink.packets[0].src_port == 1);
  CHECK(h.sink.packets[0].payload == a);
}

}  // namespace sipvault::netdecode
