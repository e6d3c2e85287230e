#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "writer/row_queue.h"

using namespace sipvault::writer;

using namespace sipvault;
using namespace sipvault::store;
using namespace std::chrono_literals;

namespace {

RowBatch rows(size_t n) {
  RowBatch b;
  b.messages.resize(n);
  return b;
}

}  // namespace

TEST_CASE("Row queue blocks the producer at capacity until the consumer takes rows", "[writer][queue]") {
  RowQueue q(10);
  bool waited = true;
  REQUIRE(q.push(rows(6), waited));
  CHECK_FALSE(waited);
  REQUIRE(q.push(rows(4), waited));
  CHECK(q.rows() == 10);
  // Catch2 assertions are not thread-safe: the producer only records what happened.
  std::atomic<bool> pushed{false}, accepted{false}, had_to_wait{false}, blocked{false};
  std::thread producer([&] {
    bool w = false;
    accepted = q.push(rows(3), w, [&] { blocked = true; });
    had_to_wait = w;
    pushed = true;
  });
  std::this_thread::sleep_for(100ms);
  CHECK_FALSE(pushed.load());  // full: the producer waits (backpressure)
  CHECK(blocked.load());       // and said so when the wait began
  auto first = q.pop(std::chrono::steady_clock::now() + 1s);
  REQUIRE(first);
  CHECK(first->size() == 6);
  producer.join();
  CHECK(accepted.load());
  CHECK(had_to_wait.load());
  CHECK(q.rows() == 7);
}

TEST_CASE("Row queue admits a batch larger than its capacity when empty", "[writer][queue]") {
  RowQueue q(5);
  bool waited = false;
  REQUIRE(q.push(rows(50), waited));
  CHECK_FALSE(waited);
  CHECK(q.rows() == 50);
}

TEST_CASE("Row queue pop times out when empty and drains after close", "[writer][queue]") {
  RowQueue q(100);
  const auto t = std::chrono::steady_clock::now();
  CHECK_FALSE(q.pop(t + 50ms).has_value());
  CHECK(std::chrono::steady_clock::now() - t >= 50ms);
  bool waited = false;
  REQUIRE(q.push(rows(2), waited));
  q.close();
  CHECK_FALSE(q.push(rows(1), waited));
  auto left = q.pop(std::chrono::steady_clock::now() + 1s);
  REQUIRE(left);
  CHECK(left->size() == 2);
  CHECK_FALSE(q.pop(std::chrono::steady_clock::now() + 1s).has_value());
}

TEST_CASE("Closing the row queue wakes a blocked producer, which gets false", "[writer][queue]") {
  RowQueue q(1);
  bool waited = false;
  REQUIRE(q.push(rows(1), waited));
  std::atomic<bool> accepted{true};
  std::thread producer([&] {
    bool w = false;
    accepted = q.push(rows(1), w);
  });
  std::this_thread::sleep_for(50ms);
  q.close();
  producer.join();
  CHECK_FALSE(accepted.load());
}
