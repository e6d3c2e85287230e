#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "writer/call_key_index.h"

using namespace sipvault::store;
using namespace sipvault::writer;

namespace {

constexpr uint64_t kHour = kCallKeyHourUs;
constexpr uint64_t kH14 = 1795701600ull * 1000000ull;  // 2026-11-26 14:00 UTC

SipMessageRow message(uint64_t capture_us, uint64_t call, uint64_t from, uint64_t to, uint64_t ruri,
                      uint64_t correlation = 0) {
  SipMessageRow m;
  m.packet.capture_us = capture_us;
  m.call_id_hash = call;
  m.from_user_hash = from;
  m.to_user_hash = to;
  m.ruri_user_hash = ruri;
  m.correlation_hash = correlation;
  return m;
}

std::vector<CallKeyRow> collected(const CallKeyIndex& index, const std::vector<SipMessageRow>& messages) {
  std::vector<CallKeyRow> out{{9, CallKeyKind::Correlation, 9, 9}};  // cleared by collect
  index.collect(messages, out);
  CHECK(std::is_sorted(out.begin(), out.end()));
  CHECK(std::adjacent_find(out.begin(), out.end()) == out.end());
  return out;
}

}  // namespace

TEST_CASE("Call keys: one row per call, hour and value, empty values left out", "[writer][callkeys]") {
  CallKeyIndex index;
  // A call of five messages: the request has an R-URI user, responses none (0); a second call
  // shares the A-number; a third message of call 1 comes after the hour turned.
  const std::vector<SipMessageRow> batch = {
      message(kH14 + 10, 1, 100, 200, 201, 7), message(kH14 + 20, 1, 100, 200, 0, 7),
      message(kH14 + 30, 1, 100, 200, 0, 7),   message(kH14 + 40, 2, 100, 300, 300),
      message(kH14 + kHour + 5, 1, 100, 200, 201, 7)};
  const std::vector<CallKeyRow> keys = collected(index, batch);
  const std::vector<CallKeyRow> want = {
      {7, CallKeyKind::Correlation, kH14, 1},        {7, CallKeyKind::Correlation, kH14 + kHour, 1},
      {100, CallKeyKind::FromUser, kH14, 1},         {100, CallKeyKind::FromUser, kH14, 2},
      {100, CallKeyKind::FromUser, kH14 + kHour, 1}, {200, CallKeyKind::ToUser, kH14, 1},
      {200, CallKeyKind::ToUser, kH14 + kHour, 1},   {201, CallKeyKind::RuriUser, kH14, 1},
      {201, CallKeyKind::RuriUser, kH14 + kHour, 1}, {300, CallKeyKind::ToUser, kH14, 2},
      {300, CallKeyKind::RuriUser, kH14, 2}};
  CHECK(keys == want);
  // 5 messages, 11 keys here; a real call repeats them over more messages (bench: ~0.5 per message).
}

TEST_CASE("Call keys a committed batch held are not collected again, uncommitted ones are", "[writer][callkeys]") {
  CallKeyIndex index;
  const std::vector<SipMessageRow> first = {message(kH14 + 1, 1, 100, 200, 201)};
  const std::vector<CallKeyRow> keys = collected(index, first);
  REQUIRE(keys.size() == 3);
  // Not remembered until committed: a retried batch collects the same keys.
  CHECK(collected(index, first) == keys);
  index.remember(keys);
  for (const CallKeyRow& k : keys) CHECK(index.remembered(k));
  CHECK(collected(index, first).empty());
  // The same values in another hour or for another call are new keys.
  CHECK(collected(index, {message(kH14 + kHour, 1, 100, 200, 201)}).size() == 3);
  CHECK(collected(index, {message(kH14 + 2, 2, 100, 200, 201)}).size() == 3);
  // The kind is part of the key: the From user's value as a To user is new.
  const std::vector<CallKeyRow> swapped = collected(index, {message(kH14 + 3, 1, 200, 100, 0)});
  CHECK(swapped.size() == 2);
}

TEST_CASE("Call keys: the memory is bounded, keeps the newest generation and forgets the oldest",
          "[writer][callkeys]") {
  CallKeyIndex index;
  const size_t generation = CallKeyIndex::kSlots / 2;
  auto key = [](uint64_t i) { return CallKeyRow{i + 1, CallKeyKind::FromUser, kH14, i * 31 + 7}; };
  std::vector<CallKeyRow> keys;
  for (uint64_t i = 0; i < generation; ++i) keys.push_back(key(i));
  index.remember(keys);  // the first generation, full
  for (uint64_t i = 0; i < generation; i += 997) CHECK(index.remembered(key(i)));
  // One more key starts a new generation: the first is still remembered (the previous one).
  index.remember(std::vector<CallKeyRow>{key(generation)});
  CHECK(index.remembered(key(0)));
  CHECK(index.remembered(key(generation)));
  // A second full generation pushes the first out; what is forgotten is collected (written) again.
  keys.clear();
  for (uint64_t i = generation + 1; i < 2 * generation + 1; ++i) keys.push_back(key(i));
  index.remember(keys);
  CHECK_FALSE(index.remembered(key(0)));
  CHECK(index.remembered(key(generation)));
  CHECK(index.remembered(key(2 * generation)));
  SipMessageRow m = message(kH14, key(0).call_id_hash, key(0).key_hash, 0, 0);
  CHECK(collected(index, {m}).size() == 1);
}
