// The parser worker's delivery duties: origins for acks, and a stop that ends under load.
#include <catch2/catch.hpp>

#include <thread>

#include "parser/parser_worker.h"
#include "proto/packet.h"

using namespace sipvault::parser;

using namespace sipvault;
using namespace std::chrono_literals;

namespace {

const char* kOptions =
    "OPTIONS sip:ping@192.0.2.20 SIP/2.0\r\n"
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKw1\r\n"
    "From: <sip:mon@192.0.2.10>;tag=w1\r\nTo: <sip:ping@192.0.2.20>\r\n"
    "Call-ID: worker-1@test\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

wire::PacketBatch batchOf(int packets, uint64_t sender_id, uint64_t sequence) {
  wire::PacketBatch b;
  b.set_sender_id(sender_id);
  b.set_sequence(sequence);
  for (int i = 0; i < packets; ++i) {
    wire::CapturedPacket* p = b.add_packets();
    p->set_payload_type(kPayloadSip);
    p->set_payload(kOptions);
  }
  return b;
}

// inproc sockets: collector PUSH -> worker PULL, worker PUSH -> writer PULL.
struct Rig {
  zmq::context_t ctx{1};
  BusSocket collector{ctx, BusSocket::Kind::Push, {{true, "inproc://collector"}}, 100};
  BusSocket input{ctx, BusSocket::Kind::Pull, {{false, "inproc://collector"}}, 100};
  BusSocket writer{ctx, BusSocket::Kind::Pull, {{true, "inproc://writer"}}, 100000};
  BusSocket output{ctx, BusSocket::Kind::Push, {{false, "inproc://writer"}}, 100000};
  MetricsRegistry registry;
  ParserMetrics metrics{registry};
  ParserOptions options;
  ParserWorker worker{input, output, options, metrics};
};

}  // namespace

TEST_CASE("a SipBatch carries the origin of the PacketBatch it was built from", "[parser][worker][ack]") {
  Rig rig;
  wire::PacketBatch in = batchOf(3, 0xabcdef, 42);
  wire::SipBatch out;
  REQUIRE(rig.worker.convert(in, out));
  CHECK(out.records_size() == 3);
  REQUIRE(out.origins_size() == 1);
  CHECK(out.origins(0).sender_id() == 0xabcdef);
  CHECK(out.origins(0).sequence() == 42);
}

TEST_CASE("a PacketBatch without records still yields a SipBatch to ack, unless its sender wants no acks",
          "[parser][worker][ack]") {
  Rig rig;
  rig.options.keep_non_sip = false;  // an RTCP-only batch then yields no record
  wire::PacketBatch rtcp = batchOf(0, 9, 5);
  wire::CapturedPacket* p = rtcp.add_packets();
  p->set_payload_type(kPayloadRtcp);
  p->set_payload("{}");

  wire::SipBatch out;
  REQUIRE(rig.worker.convert(rtcp, out));
  CHECK(out.records_size() == 0);
  REQUIRE(out.origins_size() == 1);
  CHECK(out.origins(0).sequence() == 5);

  rtcp = batchOf(0, 0, 5);
  rtcp.add_packets()->set_payload_type(kPayloadRtcp);
  CHECK_FALSE(rig.worker.convert(rtcp, out));  // nothing to store, nobody to ack: skipped as before
  wire::PacketBatch quiet = batchOf(1, 0, 6);
  REQUIRE(rig.worker.convert(quiet, out));
  CHECK(out.origins_size() == 0);  // sender 0: no origin
}

TEST_CASE("a stopping worker ends under continuous load and pushes what it took", "[parser][worker][drain]") {
  Rig rig;
  std::atomic<bool> stop{false}, feeding{true};
  uint64_t fed = 0;
  // The collector never pauses: the old "drain until quiet" would never end.
  std::thread feeder([&] {
    const std::string bytes = batchOf(4, 77, 1).SerializeAsString();
    while (feeding.load())
      if (rig.collector.send(bytes, 1ms) == SendResult::Sent) ++fed;
  });
  uint64_t undelivered = 99;
  std::thread loop([&] { undelivered = rig.worker.run(stop, 2s, 100); });
  std::this_thread::sleep_for(300ms);
  const auto stop_at = std::chrono::steady_clock::now();
  stop = true;
  loop.join();
  const auto took = std::chrono::steady_clock::now() - stop_at;
  feeding = false;
  feeder.join();

  CHECK(took < 1500ms);
  CHECK(undelivered == 0);
  uint64_t pushed = 0, with_origin = 0;
  zmq::message_t m;
  while (rig.writer.receive(m, 50ms)) {
    wire::SipBatch sb;
    if (sb.ParseFromArray(m.data(), static_cast<int>(m.size())) && sb.origins_size() == 1) ++with_origin;
    ++pushed;
  }
  CHECK(with_origin == pushed);
  CHECK(pushed == rig.metrics.batches_out.value());
  CHECK(pushed > 0);
  INFO("fed " << fed << " batches, pushed " << pushed);
  CHECK(pushed < fed);  // the rest stayed with ZeroMQ: the collector resends it when unacked
}
