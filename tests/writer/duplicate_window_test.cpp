#include <catch2/catch.hpp>

#include <deque>
#include <random>

#include "tests/writer/writer_corpus.h"
#include "writer/duplicate_window.h"

using namespace sipvault::writer;

using namespace sipvault;

namespace {

const std::string kSrc("\xc0\x00\x02\x0a", 4);  // 192.0.2.10
const std::string kDst("\xc0\x00\x02\x14", 4);  // 192.0.2.20

uint64_t keyOf(const std::string& payload, uint32_t src_port = 5060) {
  return packetContentKey(kSrc, src_port, kDst, 5080, 17, payload);
}

constexpr uint64_t kMs = 1000;  // capture times are in µs
constexpr uint64_t kT0 = 1700000000000000ull;

}  // namespace

TEST_CASE("Duplicate window drops a second copy captured within the window", "[writer][dedup]") {
  DuplicateWindow w({});
  const auto files = test::rfc4475Valid();
  for (const auto& f : files) CHECK_FALSE(w.isDuplicate(keyOf(f.bytes), kT0, 0));
  for (const auto& f : files) CHECK(w.isDuplicate(keyOf(f.bytes), kT0, 5));            // resent batch: same time
  for (const auto& f : files) CHECK(w.isDuplicate(keyOf(f.bytes), kT0 + 3 * kMs, 10));  // a second agent, 3 ms later
  for (const auto& f : files) CHECK(w.isDuplicate(keyOf(f.bytes), kT0 - 250 * kMs, 10));  // the window's edge
  CHECK(w.size() == files.size());  // duplicates are not remembered again
}

TEST_CASE("Duplicate window keeps SIP retransmissions, which are at least T1 apart", "[writer][dedup]") {
  DuplicateWindow w({});
  const std::string invite = test::rfc4475Valid().at(0).bytes;
  // Timer A: T1, 2*T1, 4*T1 ... after the first send; every copy is byte-identical.
  uint64_t t = kT0;
  for (uint64_t interval : {0u, 500u, 1000u, 2000u, 4000u}) {
    t += interval * kMs;
    CHECK_FALSE(w.isDuplicate(keyOf(invite), t, static_cast<int64_t>((t - kT0) / kMs)));
  }
  CHECK_FALSE(w.isDuplicate(keyOf(invite), kT0 + 7500 * kMs + 251 * kMs, 8000));  // just outside the window
  CHECK(w.isDuplicate(keyOf(invite), kT0 + 500 * kMs + 100 * kMs, 8000));         // near the 2nd copy
}

TEST_CASE("Duplicate window tells packets apart by addresses and payload", "[writer][dedup]") {
  DuplicateWindow w({});
  const auto files = test::rfc4475Valid();
  CHECK_FALSE(w.isDuplicate(keyOf(files[0].bytes), kT0, 0));
  CHECK_FALSE(w.isDuplicate(keyOf(files[0].bytes, 5061), kT0, 0));  // another source port
  CHECK_FALSE(w.isDuplicate(packetContentKey(kDst, 5060, kSrc, 5080, 17, files[0].bytes), kT0, 0));  // reversed
  CHECK_FALSE(w.isDuplicate(packetContentKey(kSrc, 5060, kDst, 5080, 6, files[0].bytes), kT0, 0));   // TCP
  std::string one_bit = files[0].bytes;
  one_bit.back() ^= 1;
  CHECK_FALSE(w.isDuplicate(keyOf(one_bit), kT0, 0));
  const std::string v6(16, '\x20');
  CHECK(packetContentKey(v6.substr(0, 4), 1, kDst, 2, 17, "x") != packetContentKey(v6, 1, kDst, 2, 17, "x"));
}

TEST_CASE("Duplicate window forgets packets memory_ms after they arrived", "[writer][dedup]") {
  DuplicateWindow w({250000, 30000, 1000000});
  const std::string msg = test::rfc4475Valid().at(1).bytes;
  CHECK_FALSE(w.isDuplicate(keyOf(msg), kT0, 1000));
  CHECK(w.isDuplicate(keyOf(msg), kT0, 1000 + 30000));      // a third collector resend, 15 s later: caught
  CHECK_FALSE(w.isDuplicate(keyOf(msg), kT0, 1000 + 30001));  // forgotten: stored again (and remembered)
  CHECK(w.size() == 1);
}

TEST_CASE("Duplicate window at its entry limit forgets the oldest first and counts it", "[writer][dedup]") {
  DuplicateWindow w({250000, 30000, 1000});
  for (uint64_t i = 0; i < 1500; ++i) CHECK_FALSE(w.isDuplicate(keyOf("m" + std::to_string(i)), kT0, 0));
  CHECK(w.size() == 1000);
  CHECK(w.evictions() == 500);
  for (uint64_t i = 500; i < 1500; ++i) CHECK(w.isDuplicate(keyOf("m" + std::to_string(i)), kT0, 1));
  CHECK_FALSE(w.isDuplicate(keyOf("m0"), kT0, 1));  // evicted
}

TEST_CASE("Duplicate window off drops and remembers nothing", "[writer][dedup]") {
  DuplicateWindow w({0, 30000, 1000});
  CHECK_FALSE(w.enabled());
  CHECK_FALSE(w.isDuplicate(1, kT0, 0));
  CHECK_FALSE(w.isDuplicate(1, kT0, 0));
  CHECK(w.size() == 0);
}

TEST_CASE("Duplicate window agrees with a brute-force model under churn", "[writer][dedup]") {
  // Few distinct keys (long probe runs of equal keys), random capture times, arrival moving on,
  // a small limit (wrap-around, eviction, deletion from the middle of probe runs).
  const DuplicateWindowOptions o{250000, 2000, 1500};
  DuplicateWindow w(o);
  struct Seen {
    uint64_t key, capture_us;
    int64_t arrival_ms;
  };
  std::deque<Seen> model;
  uint64_t evicted = 0;
  std::mt19937_64 rng(4475);
  int64_t now = 0;
  size_t duplicates = 0;
  for (int i = 0; i < 100000; ++i) {
    now += static_cast<int64_t>(rng() % 3);
    const uint64_t key = i % 7 == 0 ? rng() : 0x1234 + rng() % 300;
    const uint64_t capture = kT0 + (rng() % 20000) * kMs / 4;
    while (!model.empty() && now - model.front().arrival_ms > o.memory_ms) model.pop_front();
    bool expected = false;
    for (const Seen& s : model)
      if (s.key == key && (s.capture_us > capture ? s.capture_us - capture : capture - s.capture_us) <= o.window_us)
        expected = true;
    if (!expected) {
      if (model.size() == o.max_entries) {
        model.pop_front();
        ++evicted;
      }
      model.push_back({key, capture, now});
    }
    duplicates += expected;
    const bool got = w.isDuplicate(key, capture, now);
    if (got != expected) {
      INFO("step " << i);
      REQUIRE(got == expected);
    }
  }
  CHECK(w.size() == model.size());
  CHECK(w.evictions() == evicted);
  CHECK(evicted > 0);
  CHECK(duplicates > 1000);
}
