#include <catch2/catch.hpp>

#include "collector/bus_publisher.h"
#include "collector/unacked_window.h"
#include "sipvault.pb.h"

using namespace sipvault::collector;

using namespace sipvault;
using namespace std::chrono_literals;
using Clock = UnackedWindow::Clock;

TEST_CASE("an unacked window forgets acked batches and keeps the byte count exact", "[collector][ack][window]") {
  UnackedWindow w(1000, 100ms, 3);
  const Clock::time_point t0{};
  w.add(1, std::string(300, 'a'), t0);
  w.add(2, std::string(200, 'b'), t0);
  CHECK(w.bytes() == 500);
  CHECK(w.size() == 2);
  CHECK(w.ack(1));
  CHECK_FALSE(w.ack(1));  // a duplicate ack changes nothing
  CHECK_FALSE(w.ack(99));
  CHECK(w.bytes() == 200);
  REQUIRE(w.find(2) != nullptr);
  CHECK(*w.find(2) == std::string(200, 'b'));
  CHECK(w.find(1) == nullptr);
  CHECK(w.ack(2));
  CHECK(w.empty());
  CHECK(w.bytes() == 0);
}

TEST_CASE("an unacked window is full at its byte bound and never refuses into an empty window",
          "[collector][ack][window]") {
  UnackedWindow w(1000, 100ms, 3);
  CHECK_FALSE(w.full());
  w.add(1, std::string(5000, 'x'), Clock::time_point{});  // larger than the bound, still taken
  CHECK(w.full());
  w.ack(1);
  CHECK_FALSE(w.full());
  w.add(2, std::string(999, 'x'), Clock::time_point{});
  CHECK_FALSE(w.full());
  w.add(3, std::string(1, 'x'), Clock::time_point{});
  CHECK(w.full());
}

TEST_CASE("an unacked batch is due for resend after the ack timeout, oldest first, then given up",
          "[collector][ack][window]") {
  UnackedWindow w(1 << 20, 100ms, 2);
  const Clock::time_point t0{};
  w.add(7, "seven", t0);
  w.add(8, "eight", t0 + 50ms);
  CHECK(w.resendDue(t0 + 99ms).empty());
  CHECK(w.resendDue(t0 + 100ms) == std::vector<uint64_t>{7});
  CHECK(w.resendDue(t0 + 150ms) == std::vector<uint64_t>{7, 8});
  CHECK(w.takeExhausted(t0 + 150ms).empty());  // resends left: nothing given up

  // Resend 1 and 2 of batch 7; batch 8 gets acked in between.
  w.markResent(7, t0 + 150ms);
  CHECK(w.ack(8));
  CHECK(w.resendDue(t0 + 200ms).empty());  // the timeout restarts at the resend
  CHECK(w.resendDue(t0 + 250ms) == std::vector<uint64_t>{7});
  w.markResent(7, t0 + 250ms);
  // Out of resends: not due any more, and given up once its last timeout passes.
  CHECK(w.resendDue(t0 + 400ms).empty());
  CHECK(w.takeExhausted(t0 + 349ms).empty());
  CHECK(w.takeExhausted(t0 + 350ms) == std::vector<uint64_t>{7});
  CHECK(w.empty());
  CHECK(w.bytes() == 0);
}

TEST_CASE("with zero resends an unacked batch is given up after one timeout", "[collector][ack][window]") {
  UnackedWindow w(1 << 20, 10ms, 0);
  w.add(1, "x", Clock::time_point{});
  CHECK(w.resendDue(Clock::time_point{} + 1s).empty());
  CHECK(w.takeExhausted(Clock::time_point{} + 10ms) == std::vector<uint64_t>{1});
}

TEST_CASE("stamping a serialized packet batch sets sender id and sequence and keeps the packets",
          "[collector][ack][stamp]") {
  wire::PacketBatch batch;
  batch.set_collector_id(3);
  batch.set_sequence(41);  // the builder's own number: the stamp must win
  batch.add_packets()->set_payload("INVITE sip:bob@example.com SIP/2.0\r\n\r\n");
  batch.add_packets()->set_payload("BYE sip:bob@example.com SIP/2.0\r\n\r\n");
  std::string bytes = batch.SerializeAsString();
  stampBatch(bytes, 0xfeedfacecafebeefULL, 1234567);

  wire::PacketBatch back;
  REQUIRE(back.ParseFromString(bytes));
  CHECK(back.sender_id() == 0xfeedfacecafebeefULL);
  CHECK(back.sequence() == 1234567);
  CHECK(back.collector_id() == 3);
  REQUIRE(back.packets_size() == 2);
  CHECK(back.packets(1).payload() == batch.packets(1).payload());
}

TEST_CASE("sender ids are random and never 0", "[collector][ack]") {
  const uint64_t a = randomSenderId(), b = randomSenderId();
  CHECK(a != 0);
  CHECK(b != 0);
  CHECK(a != b);
}

TEST_CASE("slow acks stretch the resend timeout, quick acks keep the configured one", "[collector][ack][window]") {
  UnackedWindow w(1 << 20, 5s, 3);
  const Clock::time_point t0{};
  CHECK(w.timeout() == 5s);
  // Quick acks (100 ms): the configured timeout stays the floor.
  for (uint64_t i = 1; i <= 20; ++i) {
    w.add(i, "x", t0 + std::chrono::seconds(i));
    CHECK(w.ack(i, t0 + std::chrono::seconds(i) + 100ms));
  }
  CHECK(w.timeout() == 5s);
  // A pipeline that takes 12 s to make batches durable (overload): no batch is resent at 5 s.
  Clock::time_point t = t0 + 100s;
  for (uint64_t i = 21; i <= 60; ++i, t += 1s) {
    w.add(i, "x", t);
    CHECK(w.ack(i, t + 12s));
  }
  CHECK(w.timeout() > 12s);
  w.add(61, "x", t);
  CHECK(w.resendDue(t + 6s).empty());
  CHECK(w.resendDue(t + w.timeout()) == std::vector<uint64_t>{61});
  // The ack of a resent batch says nothing about latency (it may answer either send).
  const auto before = w.timeout();
  w.markResent(61, t + 13s);
  CHECK(w.ack(61, t + 100s));
  CHECK(w.timeout() == before);
}
