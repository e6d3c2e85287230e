#include "writer/call_key_index.h"

#include <algorithm>

namespace sipvault::writer {

using namespace sipvault::store;
namespace {

// splitmix64's finalizer: spreads the key's bits over the table.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

CallKeyIndex::CallKeyIndex() {
  current_.slots.assign(kSlots, 0);
  previous_.slots.assign(kSlots, 0);
}

uint64_t CallKeyIndex::fingerprint(const CallKeyRow& key) {
  uint64_t h = mix(key.key_hash ^ (static_cast<uint64_t>(key.kind) << 56));
  h = mix(h ^ key.hour_us);
  h = mix(h ^ key.call_id_hash);
  return h == 0 ? 1 : h;
}

bool CallKeyIndex::Generation::contains(uint64_t fingerprint) const {
  for (size_t i = fingerprint & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    if (slots[i] == fingerprint) return true;
    if (slots[i] == 0) return false;
  }
}

void CallKeyIndex::Generation::insert(uint64_t fingerprint) {
  for (size_t i = fingerprint & (kSlots - 1);; i = (i + 1) & (kSlots - 1)) {
    if (slots[i] == fingerprint) return;
    if (slots[i] == 0) {
      slots[i] = fingerprint;
      ++used;
      return;
    }
  }
}

bool CallKeyIndex::remembered(const CallKeyRow& key) const {
  const uint64_t f = fingerprint(key);
  return current_.contains(f) || previous_.contains(f);
}

void CallKeyIndex::collect(std::span<const SipMessageRow> messages, std::vector<CallKeyRow>& out) const {
  out.clear();
  for (const SipMessageRow& m : messages) {
    const uint64_t hour = m.packet.capture_us - m.packet.capture_us % kCallKeyHourUs;
    auto add = [&](uint64_t key_hash, CallKeyKind kind) {
      if (key_hash == 0) return;  // an empty value: nothing to search for
      CallKeyRow row{key_hash, kind, hour, m.call_id_hash};
      if (!remembered(row)) out.push_back(row);
    };
    add(m.from_user_hash, CallKeyKind::FromUser);
    add(m.to_user_hash, CallKeyKind::ToUser);
    add(m.ruri_user_hash, CallKeyKind::RuriUser);
    add(m.correlation_hash, CallKeyKind::Correlation);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

void CallKeyIndex::remember(std::span<const CallKeyRow> keys) {
  for (const CallKeyRow& key : keys) {
    if (current_.used >= kSlots / 2) {
      std::swap(previous_, current_);
      std::fill(current_.slots.begin(), current_.slots.end(), 0);
      current_.used = 0;
    }
    current_.insert(fingerprint(key));
  }
}

}  // namespace sipvault::writer
