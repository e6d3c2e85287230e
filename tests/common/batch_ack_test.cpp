#include <catch2/catch.hpp>

#include <thread>

#include "common/batch_ack.h"

using namespace sipvault;
using namespace std::chrono_literals;

TEST_CASE("a batch ack round-trips sender and sequences in big-endian order", "[common][ack][codec]") {
  const std::vector<uint64_t> seqs{1, 2, 0xfffffffffffffffeULL, 7};
  const std::string bytes = encodeBatchAck(0x0102030405060708ULL, seqs);
  REQUIRE(bytes.size() == 8 * 5);
  CHECK(static_cast<unsigned char>(bytes[0]) == 0x01);  // big-endian: the topic prefix is stable
  CHECK(static_cast<unsigned char>(bytes[7]) == 0x08);
  auto ack = decodeBatchAck(bytes);
  REQUIRE(ack);
  CHECK(ack->sender_id == 0x0102030405060708ULL);
  CHECK(ack->sequences == seqs);
}

TEST_CASE("a batch ack decoder rejects short, ragged and sender-0 messages", "[common][ack][codec]") {
  const uint64_t one = 1;
  const std::string good = encodeBatchAck(42, std::span<const uint64_t>(&one, 1));
  CHECK_FALSE(decodeBatchAck(""));
  CHECK_FALSE(decodeBatchAck(good.substr(0, 8)));   // sender only, no sequence
  CHECK_FALSE(decodeBatchAck(good.substr(0, 15)));  // truncated sequence
  CHECK_FALSE(decodeBatchAck(good + "x"));          // trailing garbage
  CHECK_FALSE(decodeBatchAck(encodeBatchAck(0, std::span<const uint64_t>(&one, 1))));
  CHECK_FALSE(decodeBatchAck(encodeBatchAck(42, {})));
  CHECK(decodeBatchAck(good));
}

TEST_CASE("a collector's ack subscriber sees only its own sender's acks over loopback TCP",
          "[common][ack][bus]") {
  zmq::context_t ctx(1);
  // Topology as deployed: each collector binds, a writer's PUB connects to every collector.
  AckSubscriber mine(ctx, {{true, "tcp://127.0.0.1:*"}}, 111);
  AckSubscriber other(ctx, {{true, "tcp://127.0.0.1:*"}}, 222);
  REQUIRE(mine.boundAddresses().size() == 1);
  AckPublisher pub(ctx, {{false, mine.boundAddresses()[0]}, {false, other.boundAddresses()[0]}});

  const std::vector<BatchRef> refs{{111, 5}, {222, 9}, {0, 3}, {111, 6}};
  std::vector<uint64_t> got;
  // PUB/SUB slow joiner: acks published before the subscription reached the publisher are lost;
  // that is what collector resends are for. Publish until the first one arrives.
  for (int attempt = 0; attempt < 100 && got.empty(); ++attempt) {
    pub.publish(refs);
    mine.receive(got, 20ms);
  }
  REQUIRE_FALSE(got.empty());
  REQUIRE(got.size() >= 2);
  CHECK(got[0] == 5);
  CHECK(got[1] == 6);
  for (uint64_t seq : got) CHECK((seq == 5 || seq == 6));
  CHECK(mine.malformed() == 0);
  std::vector<uint64_t> theirs;
  for (int attempt = 0; attempt < 100 && theirs.empty(); ++attempt) {
    pub.publish(refs);
    other.receive(theirs, 20ms);
  }
  REQUIRE_FALSE(theirs.empty());
  for (uint64_t seq : theirs) CHECK(seq == 9);
  CHECK(other.malformed() == 0);
}

TEST_CASE("an ack subscriber skips and counts a malformed message with its topic", "[common][ack][bus]") {
  zmq::context_t ctx(1);
  AckSubscriber sub(ctx, {{true, "tcp://127.0.0.1:*"}}, 7);
  zmq::socket_t raw(ctx, zmq::socket_type::pub);
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(sub.boundAddresses()[0]);
  const uint64_t seq = 1;
  const std::string bad = encodeBatchAck(7, std::span<const uint64_t>(&seq, 1)) + "xyz";
  std::vector<uint64_t> got;
  for (int attempt = 0; attempt < 100 && sub.malformed() == 0; ++attempt) {
    raw.send(zmq::const_buffer(bad.data(), bad.size()), zmq::send_flags::dontwait);
    sub.receive(got, 20ms);
  }
  CHECK(sub.malformed() > 0);
  CHECK(got.empty());
}
