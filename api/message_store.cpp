#include "api/message_store.h"

#include <algorithm>
#include <charconv>
#include <iterator>
#include <map>
#include <set>

#include "api/search_sql.h"
#include "store/raw_codec.h"
#include "store/search_key.h"
#include "store/stored_rows.h"

namespace sipvault::api {

using namespace sipvault::store;
namespace {

// Call-ID lists are sent in chunks, padded to a power of two so that a handful of statement
// texts cover every list length (prepared statements are cached by text).
constexpr size_t kMaxInList = 128;

bool toNumber(const std::optional<std::string>& cell, uint64_t& out) {
  if (!cell) return false;
  auto [ptr, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), out);
  return ec == std::errc() && ptr == cell->data() + cell->size();
}

DbError badRow() { return DbError{0, "", "unexpected row shape from the database"}; }

// What one index lookup named: its distinct calls and their shards, or unknown calls when there
// were more than kMaxResolvedCalls (or when `complete` is false: the statement hit its LIMIT).
KeyedCalls keyedFrom(const std::set<uint64_t>& calls, const std::set<uint16_t>& shards, bool complete) {
  KeyedCalls out;
  if (!complete || calls.size() > kMaxResolvedCalls) return out;
  out.calls.emplace(calls.begin(), calls.end());
  out.shards.assign(shards.begin(), shards.end());
  return out;
}

std::string_view columnsFor(bool with_raw) {
  return with_raw ? kSipMessageReadColumnsWithRaw : kSipMessageReadColumns;
}

// The stored form of a value: the writer cuts long values to the column width.
bool storedEquals(const std::string& stored, const std::string& value, size_t width) {
  return stored == std::string_view(value).substr(0, width);
}

}  // namespace

bool MessageStore::queryCalls(const SqlQuery& q, std::vector<CallRef>& out, DbError& error) {
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    CallRef ref;
    if (row.size() != 2 || !row[0] || !toNumber(row[1], ref.hash)) {
      error = badRow();
      return false;
    }
    ref.stored = *row[0];
    out.push_back(std::move(ref));
  }
  return true;
}

SqlQuery MessageStore::shardCondition(std::string_view alias) const {
  return shards_ ? shards_->coverage().condition(alias) : SqlQuery();
}

SqlQuery MessageStore::shardsHolding(std::span<const uint16_t> holding, std::string_view alias) const {
  return shards_ ? shards_->coverage().on(holding, alias) : SqlQuery();
}

SqlQuery MessageStore::searchShards(const SearchFilter& f) const {
  const bool from = f.from_user && f.from_user->index.calls, to = f.to_user && f.to_user->index.calls;
  if (!from && !to) return shardCondition();
  if (from != to) return shardsHolding(from ? f.from_user->index.shards : f.to_user->index.shards);
  // A message with both numbers is on a shard whose index has both.
  const std::vector<uint16_t>& a = f.from_user->index.shards;
  const std::vector<uint16_t>& b = f.to_user->index.shards;
  std::vector<uint16_t> both;
  std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
  return shardsHolding(both);
}

bool MessageStore::callsWithKey(std::initializer_list<CallKeyKind> kinds, uint64_t key, uint64_t from_us,
                                uint64_t to_us, KeyedCalls& out, DbError& error) {
  out = KeyedCalls{};
  DbRows rows;
  if (!pool_.query(callKeyQuery(kinds, key, from_us, to_us, shardCondition(), kMaxResolvedCalls + 1), rows, error))
    return false;
  std::set<uint64_t> calls;
  std::set<uint16_t> shards;
  for (const DbRow& row : rows) {
    uint64_t hash = 0, shard = 0;
    if (row.size() != 2 || !toNumber(row[0], hash) || !toNumber(row[1], shard)) {
      error = badRow();
      return false;
    }
    calls.insert(hash);
    shards.insert(static_cast<uint16_t>(shard));
  }
  out = keyedFrom(calls, shards, rows.size() <= kMaxResolvedCalls);
  return true;
}

bool MessageStore::callsWithKeys(std::span<const CallKeyLookup> lookups, std::vector<KeyedCalls>& out,
                                 DbError& error) {
  out.assign(lookups.size(), KeyedCalls{});
  if (lookups.empty()) return true;
  const uint64_t limit = lookups.size() * (kMaxResolvedCalls + 1);
  DbRows rows;
  if (!pool_.query(callKeysQuery(lookups, shardCondition(), limit), rows, error)) return false;
  std::vector<std::set<uint64_t>> calls(lookups.size());
  std::vector<std::set<uint16_t>> shards(lookups.size());
  for (const DbRow& row : rows) {
    uint64_t kind = 0, key = 0, hash = 0, shard = 0;
    if (row.size() != 4 || !toNumber(row[0], kind) || !toNumber(row[1], key) || !toNumber(row[2], hash) ||
        !toNumber(row[3], shard)) {
      error = badRow();
      return false;
    }
    for (size_t i = 0; i < lookups.size(); ++i) {
      if (static_cast<uint64_t>(lookups[i].kind) != kind || lookups[i].key != key) continue;
      calls[i].insert(hash);
      shards[i].insert(static_cast<uint16_t>(shard));
    }
  }
  // At the limit one lookup's rows may have crowded out another's: none is known for sure.
  for (size_t i = 0; i < lookups.size(); ++i) out[i] = keyedFrom(calls[i], shards[i], rows.size() < limit);
  return true;
}

const KeyedCalls* MessageStore::keyedCalls(const KeyedCalls* known, const CallKeyLookup& lookup, KeyedCalls& storage,
                                           DbError& error) {
  if (known) return known;
  std::vector<KeyedCalls> one;
  if (!callsWithKeys(std::span(&lookup, 1), one, error)) return nullptr;
  storage = std::move(one.front());
  return &storage;
}

CallKeyLookup MessageStore::referencingLookup(uint64_t from_us, uint64_t to_us, const CallRef& call) {
  return {CallKeyKind::Correlation, call.hash, from_us, to_us};
}

CallKeyLookup MessageStore::sameNumbersLookup(uint64_t from_us, uint64_t to_us, const std::string& from_user) {
  return {CallKeyKind::FromUser, searchKey(from_user), from_us, to_us};
}

bool MessageStore::resolveNumbers(SearchFilter& f, DbError& error) {
  if (f.from_user && !f.from_user->wildcard &&
      !callsWithKey({CallKeyKind::FromUser}, searchKey(f.from_user->value), f.from_us, f.to_us, f.from_user->index,
                    error))
    return false;
  if (f.to_user && !f.to_user->wildcard &&
      !callsWithKey({CallKeyKind::ToUser, CallKeyKind::RuriUser}, searchKey(f.to_user->value), f.from_us, f.to_us,
                    f.to_user->index, error))
    return false;
  return true;
}

bool MessageStore::fetch(const SqlQuery& q, bool with_raw, std::vector<MessageRecord>& out, DbError& error) {
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  out.reserve(out.size() + rows.size());
  for (const DbRow& row : rows) {
    auto m = MessageRecord::fromRow(row, with_raw);
    if (!m) {
      error = badRow();
      return false;
    }
    out.push_back(std::move(*m));
  }
  return true;
}

bool MessageStore::search(const SearchFilter& filter, const std::optional<MessageCursor>& after, uint64_t limit,
                          bool with_raw, std::vector<MessageRecord>& out, DbError& error) {
  SearchFilter f = filter;
  SqlQuery q;
  q.text("SELECT ").text(columnsFor(with_raw)).text(" FROM sip_messages WHERE ");
  if (after) {
    if (after->capture_us > f.to_us) return true;  // the cursor is past the range: nothing left
    // Raising the lower time bound keeps partition pruning; rows at the cursor's own time follow
    // by id.
    f.from_us = std::max(f.from_us, after->capture_us);
  }
  if (!resolveNumbers(f, error)) return false;
  q.append(searchCondition(f, shardCondition())).append(searchShards(f));
  if (after) q.text(" AND (capture_us > ").number(after->capture_us).text(" OR id > ").number(after->id).text(")");
  q.text(" ORDER BY capture_us, id LIMIT ").number(std::min(limit, kMaxRowsPerStatement));
  return fetch(q, with_raw, out, error);
}

bool MessageStore::byId(const MessageCursor& key, std::optional<MessageRecord>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT ")
      .text(kSipMessageReadColumnsWithRaw)
      .text(" FROM sip_messages WHERE ").text(allStorageClasses()).text(" AND capture_us = ")
      .number(key.capture_us);
  q.text(" AND id = ").number(key.id).append(shardCondition());
  std::vector<MessageRecord> found;
  if (!fetch(q, true, found, error)) return false;
  if (!found.empty()) out = std::move(found.front());
  return true;
}

bool MessageStore::byIds(std::span<const MessageCursor> keys, std::vector<MessageRecord>& out,
                         DbError& error) {
  for (size_t start = 0; start < keys.size(); start += kMaxInList) {
    const auto chunk = keys.subspan(start, std::min(kMaxInList, keys.size() - start));
    uint64_t lo = UINT64_MAX, hi = 0;
    for (const MessageCursor& k : chunk) lo = std::min(lo, k.capture_us), hi = std::max(hi, k.capture_us);
    SqlQuery q;
    q.text("SELECT ")
        .text(kSipMessageReadColumnsWithRaw)
        .text(" FROM sip_messages WHERE ").text(allStorageClasses()).text(" AND capture_us BETWEEN ")
        .number(lo);
    q.text(" AND ").number(hi).text(" AND (capture_us, id) IN (");
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (i) q.text(", ");
      q.text("(").number(chunk[i].capture_us).text(", ").number(chunk[i].id).text(")");
    }
    q.text(")").append(shardCondition()).text(" LIMIT ").number(chunk.size());
    if (!fetch(q, true, out, error)) return false;
  }
  return true;
}

bool MessageStore::byCalls(uint64_t from_us, uint64_t to_us, std::span<const CallRef> calls, bool with_raw,
                           std::vector<MessageRecord>& out, DbError& error, uint64_t max_rows,
                           bool* truncated) {
  std::vector<MessageRecord> found;
  bool cut = false;
  for (size_t start = 0; start < calls.size(); start += kMaxInList) {
    const uint64_t left = max_rows > found.size() ? max_rows - found.size() : 0;
    const uint64_t room = std::min(left, kMaxRowsPerStatement);
    if (room == 0) {  // calls left unread: reported as cut, though they might have had no rows
      cut = true;
      break;
    }
    const size_t n = std::min(kMaxInList, calls.size() - start);
    size_t padded = 1;
    while (padded < n) padded *= 2;
    SqlQuery q;
    q.text("SELECT ").text(columnsFor(with_raw)).text(" FROM sip_messages WHERE ").text(allStorageClasses()).text(" AND capture_us BETWEEN ").number(from_us);
    q.text(" AND ").number(to_us).text(" AND call_id_hash IN (");
    for (size_t i = 0; i < padded; ++i) {
      if (i) q.text(", ");
      q.number(calls[start + std::min(i, n - 1)].hash);
    }
    // One row more than there is room for tells a cut from an exact fit.
    q.text(")").append(shardCondition()).text(" ORDER BY capture_us, id LIMIT ").number(room + 1);
    std::vector<MessageRecord> chunk;
    if (!fetch(q, with_raw, chunk, error)) return false;
    if (chunk.size() > room) {
      cut = true;
      chunk.resize(room);
    }
    for (MessageRecord& m : chunk) {
      // The key only narrows the search: keep the messages whose stored Call-ID is one of ours.
      const bool ours = std::any_of(calls.begin() + start, calls.begin() + start + n,
                                    [&](const CallRef& c) { return belongsTo(m, c); });
      if (ours) found.push_back(std::move(m));
    }
  }
  if (calls.size() > kMaxInList) {
    std::stable_sort(found.begin(), found.end(), [](const MessageRecord& a, const MessageRecord& b) {
      return a.capture_us != b.capture_us ? a.capture_us < b.capture_us : a.id < b.id;
    });
  }
  if (truncated && cut) *truncated = true;
  out.insert(out.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
  return true;
}

bool MessageStore::callPage(const SearchFilter& unresolved, const std::optional<CallCursor>& after, uint64_t limit,
                            std::vector<CallKey>& out, DbError& error) {
  SearchFilter filter = unresolved;
  if (!resolveNumbers(filter, error)) return false;
  // A call is listed at its first message in the range (what its summary shows as first_time),
  // not at its first matching one: with status=4xx the 486 comes seconds after the INVITE, and
  // paging by it would put the calls out of order against their first times. Filters on what
  // every message of a call shares (time, call) need no second pass.
  SearchFilter whole_call;
  whole_call.from_us = filter.from_us;
  whole_call.to_us = filter.to_us;
  whole_call.call_id = filter.call_id;
  whole_call.call_ref = filter.call_ref;
  SqlQuery matching = searchCondition(filter, shardCondition());
  const SqlQuery shards = shardCondition();
  // mos_below (issue 15): a report of the call in the range (and the margin after it, where the
  // end-of-call reports land) below the value; a call condition, so the second pass below lists
  // the whole call.
  if (filter.mos_below)
    matching.append(mosBelowCondition(filter.from_us, filter.to_us + kQosMarginUs, *filter.mos_below, shards));
  SqlQuery q;
  q.text("SELECT call_id, call_id_hash, MIN(capture_us) AS first_us FROM sip_messages WHERE ");
  if (matching.sql == searchCondition(whole_call, shardCondition()).sql) {
    q.append(matching).append(shards);
  } else {
    q.append(searchCondition(whole_call, shardCondition())).append(shards);
    // The calls a number's index entries name bound the outer read too (ix_call_id), else the
    // server reads the whole range's messages and probes the subquery with each.
    for (const std::optional<NumberMatch>* number : {&filter.from_user, &filter.to_user}) {
      if (*number && (*number)->index.calls) {
        q.text(" AND ");
        appendCallList(q, *(*number)->index.calls);
      }
    }
    q.text(" AND (call_id_hash, call_id) IN (SELECT call_id_hash, call_id FROM sip_messages WHERE ");
    q.append(matching).append(shards).text(")");
  }
  q.text(" GROUP BY call_id, call_id_hash");
  if (after) {
    // Keyset on the whole ORDER BY key, so equal first times and equal stored Call-IDs page exactly.
    q.text(" HAVING first_us > ").number(after->first_us).text(" OR (first_us = ").number(after->first_us);
    q.text(" AND (call_id > ").bytes(after->call_id).text(" OR (call_id = ").bytes(after->call_id);
    q.text(" AND call_id_hash > ").number(after->call_id_hash).text(")))");
  }
  q.text(" ORDER BY first_us, call_id, call_id_hash LIMIT ").number(std::min(limit, kMaxRowsPerStatement));
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    CallKey key;
    if (row.size() != 3 || !row[0] || !toNumber(row[1], key.call.hash) || !toNumber(row[2], key.first_us)) {
      error = badRow();
      return false;
    }
    key.call.stored = *row[0];
    out.push_back(std::move(key));
  }
  return true;
}

bool MessageStore::referencing(uint64_t from_us, uint64_t to_us, const CallRef& call, const KeyedCalls* known,
                               std::vector<MessageRecord>& out, DbError& error) {
  // The writer keys correlation_hash on the full correlation id (or X-CID), like call_id_hash on
  // the full Call-ID: equal keys for a link to this call, whatever the columns cut.
  KeyedCalls read;
  known = keyedCalls(known, referencingLookup(from_us, to_us, call), read, error);
  if (!known) return false;
  const std::optional<std::vector<uint64_t>>& calls = known->calls;
  const std::vector<uint16_t>& holding = known->shards;
  if (calls && calls->empty()) return true;  // most calls: nothing points at them
  SqlQuery q;
  q.text("SELECT ")
      .text(kSipMessageReadColumns)
      .text(" FROM sip_messages WHERE ").text(allStorageClasses()).text(" AND capture_us BETWEEN ")
      .number(from_us);
  q.text(" AND ").number(to_us).text(" AND ");
  if (calls) appendCallList(q, *calls);
  else appendCallKeyMatch(q, {CallKeyKind::Correlation}, call.hash, from_us, to_us, shardCondition());
  q.text(" AND correlation_hash = ").number(call.hash).append(calls ? shardsHolding(holding) : shardCondition());
  q.text(" ORDER BY capture_us, id LIMIT ").number(kMaxRowsPerStatement);
  std::vector<MessageRecord> found;
  if (!fetch(q, false, found, error)) return false;
  for (MessageRecord& m : found)
    if (storedEquals(m.correlation_id, call.stored, kLongWidth) || storedEquals(m.x_cid, call.stored, kLongWidth))
      out.push_back(std::move(m));
  return true;
}

bool MessageStore::readHeaders(std::span<const MessageRecord* const> messages, bool links_only,
                               const std::function<void(uint64_t, uint64_t, uint8_t, std::string&&, std::string&&)>& row,
                               DbError& error) {
  std::vector<const MessageRecord*> asked;
  for (const MessageRecord* m : messages)
    if (!(m->flags & kNoHeaderRows)) asked.push_back(m);
  std::sort(asked.begin(), asked.end(), [](const MessageRecord* a, const MessageRecord* b) {
    return a->capture_us != b->capture_us ? a->capture_us < b->capture_us : a->id < b->id;
  });
  for (size_t start = 0; start < asked.size(); start += kMaxInList) {
    const size_t n = std::min(kMaxInList, asked.size() - start);
    SqlQuery q;
    q.text("SELECT capture_us, message_id, kind, name, value FROM sip_headers WHERE capture_us BETWEEN ")
        .number(asked[start]->capture_us)
        .text(" AND ")
        .number(asked[start + n - 1]->capture_us)
        .text(" AND (capture_us, message_id) IN (");
    std::vector<uint16_t> holding;  // a message's headers are stored beside it, on its shard
    for (size_t i = 0; i < n; ++i) {
      const MessageRecord& m = *asked[start + i];
      q.text(i ? ", (" : "(").number(m.capture_us).text(", ").number(m.id).text(")");
      holding.push_back(m.shard_id);
    }
    q.text(")");
    if (links_only) q.text(" AND kind = ").number(kHeaderKindLink);
    q.append(shardsHolding(holding)).text(" ORDER BY capture_us, message_id, seq LIMIT ").number(n * 256);
    DbRows rows;
    if (!pool_.query(q, rows, error)) return false;
    for (DbRow& r : rows) {
      uint64_t us = 0, id = 0, kind = 0;
      if (r.size() != 5 || !toNumber(r[0], us) || !toNumber(r[1], id) || !toNumber(r[2], kind) || !r[3] || !r[4]) {
        error = badRow();
        return false;
      }
      row(us, id, static_cast<uint8_t>(kind), std::move(*r[3]), std::move(*r[4]));
    }
  }
  return true;
}

bool MessageStore::attachHeaders(std::vector<MessageRecord>& messages, DbError& error) {
  std::map<std::pair<uint64_t, uint64_t>, MessageRecord*> by_key;
  std::vector<const MessageRecord*> all;
  for (MessageRecord& m : messages) {
    m.extracted.emplace();
    by_key[{m.capture_us, m.id}] = &m;
    all.push_back(&m);
  }
  return readHeaders(all, false, [&](uint64_t us, uint64_t id, uint8_t kind, std::string&& name, std::string&& value) {
    auto it = by_key.find({us, id});
    if (it != by_key.end()) it->second->extracted->push_back({kind, std::move(name), std::move(value)});
  }, error);
}

bool MessageStore::linkValues(const std::vector<MessageRecord>& messages, uint64_t limit, std::vector<LinkValue>& out,
                              DbError& error) {
  std::vector<const MessageRecord*> all;
  for (const MessageRecord& m : messages) all.push_back(&m);
  std::set<LinkValue> values;
  if (!readHeaders(all, true, [&](uint64_t, uint64_t, uint8_t, std::string&& name, std::string&& value) {
        if (values.size() < limit) values.insert({std::move(name), std::move(value)});
      }, error))
    return false;
  out.assign(values.begin(), values.end());
  return true;
}

bool MessageStore::linkedCalls(uint64_t from_us, uint64_t to_us, const LinkValue& link, const CallRef& exclude,
                               uint64_t limit, std::vector<CallRef>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT DISTINCT m.call_id, m.call_id_hash FROM sip_headers h JOIN sip_messages m")
      .text(" ON m.capture_us = h.capture_us AND m.id = h.message_id WHERE h.capture_us BETWEEN ")
      .number(from_us)
      .text(" AND ")
      .number(to_us);
  q.text(" AND m.capture_us BETWEEN ").number(from_us).text(" AND ").number(to_us);
  q.text(" AND h.value_hash = ").number(searchKey(link.value)).text(" AND h.name_hash = ").number(searchKey(link.rule));
  q.text(" AND h.kind = ").number(kHeaderKindLink).text(" AND h.name = ").bytes(link.rule);
  q.text(" AND h.value = ").bytes(link.value).append(shardCondition("m")).append(shardCondition("h"));
  q.text(" AND NOT (m.call_id_hash = ").number(exclude.hash).text(" AND m.call_id = ").bytes(exclude.stored);
  q.text(") LIMIT ").number(limit);
  return queryCalls(q, out, error);
}

bool MessageStore::sameNumbers(uint64_t from_us, uint64_t to_us, const std::string& from_user,
                               const std::string& to_user, const CallRef& exclude, uint64_t limit,
                               const KeyedCalls* known, std::vector<CallRef>& out, DbError& error) {
  KeyedCalls read;
  known = keyedCalls(known, sameNumbersLookup(from_us, to_us, from_user), read, error);
  if (!known) return false;
  const std::optional<std::vector<uint64_t>>& calls = known->calls;
  const std::vector<uint16_t>& holding = known->shards;
  // Most calls: no other call had that A-number (the call itself is the only one).
  if (calls && std::all_of(calls->begin(), calls->end(), [&](uint64_t h) { return h == exclude.hash; })) return true;
  SqlQuery q;
  q.text("SELECT DISTINCT call_id, call_id_hash FROM sip_messages WHERE ").text(allStorageClasses()).text(" AND capture_us BETWEEN ").number(from_us);
  q.text(" AND ").number(to_us).text(" AND status = 0 AND ");
  if (calls) appendCallList(q, *calls);
  else appendCallKeyMatch(q, {CallKeyKind::FromUser}, searchKey(from_user), from_us, to_us, shardCondition());
  q.text(" AND ");
  appendHashedMatch(q, "from_user", from_user, kUserWidth);
  q.text(" AND ((");
  appendHashedMatch(q, "to_user", to_user, kUserWidth);
  q.text(") OR (");
  appendHashedMatch(q, "ruri_user", to_user, kUserWidth);
  q.text(")) AND NOT (call_id_hash = ").number(exclude.hash).text(" AND call_id = ").bytes(exclude.stored);
  q.text(")").append(calls ? shardsHolding(holding) : shardCondition()).text(" LIMIT ").number(limit);
  return queryCalls(q, out, error);
}

bool MessageStore::topMethods(const SearchFilter& unresolved, uint64_t limit,
                              std::vector<std::pair<std::string, uint64_t>>& out, DbError& error) {
  SearchFilter filter = unresolved;
  if (!resolveNumbers(filter, error)) return false;
  SqlQuery q;
  q.text("SELECT method, COUNT(*) AS n FROM sip_messages WHERE ").append(searchCondition(filter, shardCondition()));
  q.append(shardCondition());
  q.text(" AND status = 0 GROUP BY method ORDER BY n DESC, method LIMIT ").number(limit);
  return countedValues(q, out, error);
}

namespace {

// What a stats row's method column is: requests under their method when it is one of `methods`,
// else kOtherMethod; `request` and `method` are SQL expressions.
void appendKeptMethod(SqlQuery& q, std::string_view request, std::string_view method,
                      std::span<const std::string> methods) {
  q.text("IF(NOT (").text(request).text("), '', ");
  if (methods.empty()) {
    q.text("'").text(kOtherMethod).text("'");
  } else {
    q.text("IF(").text(method).text(" IN (");
    for (size_t i = 0; i < methods.size(); ++i) q.text(i ? ", " : "").bytes(methods[i]);
    q.text("), ").text(method).text(", '").text(kOtherMethod).text("')");
  }
  q.text(")");
}

}  // namespace

bool MessageStore::statsBuckets(const SearchFilter& unresolved, uint64_t step_us,
                                std::span<const std::string> methods, uint64_t max_rows,
                                std::vector<StatsBucketRow>& out, DbError& error) {
  SearchFilter filter = unresolved;
  if (!resolveNumbers(filter, error)) return false;
  SqlQuery q;
  q.text("SELECT (capture_us - ").number(filter.from_us).text(") DIV ").number(step_us);
  // Responses group under '' (their class is what counts), requests under their method or "other".
  q.text(" AS bucket, ");
  appendKeptMethod(q, "status = 0", "method", methods);
  q.text(" AS m, IF(status = 0, 0, status DIV 100) AS cls, COUNT(*) FROM sip_messages WHERE ");
  q.append(searchCondition(filter, shardCondition())).append(shardCondition());
  q.text(" GROUP BY bucket, m, cls LIMIT ").number(std::min(max_rows, kMaxRowsPerStatement));
  return bucketRows(q, out, error);
}

namespace {

// Where the writers' counts are: per minute (store/sql/013) or per hour (015).
struct CountsTable {
  std::string_view table, time;
};
CountsTable countsTable(bool hourly) {
  return hourly ? CountsTable{"sip_hour_stats", "hour_us"} : CountsTable{"sip_minute_stats", "minute_us"};
}

}  // namespace

bool MessageStore::minuteBuckets(uint64_t from_us, uint64_t to_us, uint64_t step_us, bool hourly,
                                 std::span<const std::string> methods, uint64_t max_rows,
                                 std::vector<StatsBucketRow>& out, DbError& error) {
  const CountsTable t = countsTable(hourly);
  SqlQuery q;
  q.text("SELECT (").text(t.time).text(" - ").number(from_us).text(") DIV ").number(step_us).text(" AS bucket, ");
  appendKeptMethod(q, "kind = 0", "name", methods);
  // A class row's name is its digit(s): status DIV 100, as the scan computes it.
  q.text(" AS m, IF(kind = 0, 0, CAST(name AS UNSIGNED)) AS cls, SUM(count) FROM ").text(t.table).text(" WHERE ");
  q.text(t.time).text(" BETWEEN ").number(from_us).text(" AND ").number(to_us).text(" AND kind IN (0, 1)");
  q.append(shardCondition());
  q.text(" GROUP BY bucket, m, cls LIMIT ").number(std::min(max_rows, kMaxRowsPerStatement));
  return bucketRows(q, out, error);
}

bool MessageStore::minuteCounts(uint64_t from_us, uint64_t to_us, uint64_t step_us, bool hourly, uint64_t limit,
                                std::vector<MinuteCountRow>& out, DbError& error) {
  const CountsTable t = countsTable(hourly);
  SqlQuery q;
  q.text("SELECT kind, name, IF(kind = 2, 0, (").text(t.time).text(" - ").number(from_us).text(") DIV ");
  q.number(step_us).text(") AS bucket, SUM(count) FROM ").text(t.table).text(" WHERE ").text(t.time);
  q.text(" BETWEEN ").number(from_us).text(" AND ").number(to_us).text(" AND kind IN (0, 1, 2)");
  q.append(shardCondition());
  q.text(" GROUP BY kind, name, bucket LIMIT ").number(limit + 1);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  out.reserve(rows.size());
  for (const DbRow& row : rows) {
    MinuteCountRow r;
    uint64_t kind = 0;
    if (row.size() != 4 || !toNumber(row[0], kind) || kind > 2 || !row[1] || !toNumber(row[2], r.bucket) ||
        !toNumber(row[3], r.count)) {
      error = badRow();
      return false;
    }
    r.kind = static_cast<MinuteStatKind>(kind);
    r.name = *row[1];
    out.push_back(std::move(r));
  }
  return true;
}

bool MessageStore::topMinuteNames(uint64_t from_us, uint64_t to_us, bool hourly, MinuteStatKind kind,
                                  uint64_t limit, std::vector<std::pair<std::string, uint64_t>>& out,
                                  DbError& error) {
  const CountsTable t = countsTable(hourly);
  SqlQuery q;
  q.text("SELECT name, SUM(count) AS n FROM ").text(t.table).text(" WHERE ").text(t.time).text(" BETWEEN ");
  q.number(from_us).text(" AND ").number(to_us).text(" AND kind = ").number(static_cast<uint8_t>(kind));
  q.append(shardCondition()).text(" GROUP BY name ORDER BY n DESC, name LIMIT ").number(limit);
  return countedValues(q, out, error);
}

bool MessageStore::bucketRows(const SqlQuery& q, std::vector<StatsBucketRow>& out, DbError& error) {
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    StatsBucketRow r;
    uint64_t cls = 0;
    if (row.size() != 4 || !toNumber(row[0], r.bucket) || !row[1] || !toNumber(row[2], cls) ||
        !toNumber(row[3], r.count)) {
      error = badRow();
      return false;
    }
    r.method = *row[1];
    r.status_class = static_cast<uint16_t>(cls);
    out.push_back(std::move(r));
  }
  return true;
}

bool MessageStore::topUserAgents(const SearchFilter& unresolved, uint64_t limit,
                                 std::vector<std::pair<std::string, uint64_t>>& out, DbError& error) {
  SearchFilter filter = unresolved;
  if (!resolveNumbers(filter, error)) return false;
  SqlQuery q;
  q.text("SELECT user_agent, COUNT(*) AS n FROM sip_messages WHERE ").append(searchCondition(filter, shardCondition()));
  q.append(shardCondition());
  q.text(" AND user_agent <> '' GROUP BY user_agent ORDER BY n DESC, user_agent LIMIT ").number(limit);
  return countedValues(q, out, error);
}

bool MessageStore::countedValues(const SqlQuery& q, std::vector<std::pair<std::string, uint64_t>>& out,
                                 DbError& error) {
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    uint64_t n = 0;
    if (row.size() != 2 || !row[0] || !toNumber(row[1], n)) {
      error = badRow();
      return false;
    }
    out.emplace_back(*row[0], n);
  }
  return true;
}

}  // namespace sipvault::api
