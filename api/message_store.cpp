#include "api/message_store.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>

#include "api/search_sql.h"
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

bool MessageStore::callsWithKey(std::initializer_list<CallKeyKind> kinds, uint64_t key, uint64_t from_us,
                                uint64_t to_us, std::optional<std::vector<uint64_t>>& out, DbError& error) {
  out.reset();
  DbRows rows;
  if (!pool_.query(callKeyQuery(kinds, key, from_us, to_us, shardCondition(), kMaxResolvedCalls + 1), rows, error))
    return false;
  if (rows.size() > kMaxResolvedCalls) return true;
  std::vector<uint64_t> calls;
  calls.reserve(rows.size());
  for (const DbRow& row : rows) {
    uint64_t hash = 0;
    if (row.size() != 1 || !toNumber(row[0], hash)) {
      error = badRow();
      return false;
    }
    calls.push_back(hash);
  }
  out = std::move(calls);
  return true;
}

bool MessageStore::resolveNumbers(SearchFilter& f, DbError& error) {
  if (f.from_user && !f.from_user->wildcard &&
      !callsWithKey({CallKeyKind::FromUser}, searchKey(f.from_user->value), f.from_us, f.to_us, f.from_user->calls,
                    error))
    return false;
  if (f.to_user && !f.to_user->wildcard &&
      !callsWithKey({CallKeyKind::ToUser, CallKeyKind::RuriUser}, searchKey(f.to_user->value), f.from_us, f.to_us,
                    f.to_user->calls, error))
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
  q.append(searchCondition(f, shardCondition())).append(shardCondition());
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
      if (*number && (*number)->calls) {
        q.text(" AND ");
        appendCallList(q, *(*number)->calls);
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

bool MessageStore::referencing(uint64_t from_us, uint64_t to_us, const CallRef& call,
                               std::vector<MessageRecord>& out, DbError& error) {
  // The writer keys correlation_hash on the full correlation id (or X-CID), like call_id_hash on
  // the full Call-ID: equal keys for a link to this call, whatever the columns cut.
  std::optional<std::vector<uint64_t>> calls;
  if (!callsWithKey({CallKeyKind::Correlation}, call.hash, from_us, to_us, calls, error)) return false;
  if (calls && calls->empty()) return true;  // most calls: nothing points at them
  SqlQuery q;
  q.text("SELECT ")
      .text(kSipMessageReadColumns)
      .text(" FROM sip_messages WHERE ").text(allStorageClasses()).text(" AND capture_us BETWEEN ")
      .number(from_us);
  q.text(" AND ").number(to_us).text(" AND ");
  if (calls) appendCallList(q, *calls);
  else appendCallKeyMatch(q, {CallKeyKind::Correlation}, call.hash, from_us, to_us, shardCondition());
  q.text(" AND correlation_hash = ").number(call.hash).append(shardCondition());
  q.text(" ORDER BY capture_us, id LIMIT ").number(kMaxRowsPerStatement);
  std::vector<MessageRecord> found;
  if (!fetch(q, false, found, error)) return false;
  for (MessageRecord& m : found)
    if (storedEquals(m.correlation_id, call.stored, kLongWidth) || storedEquals(m.x_cid, call.stored, kLongWidth))
      out.push_back(std::move(m));
  return true;
}

bool MessageStore::attachHeaders(std::vector<MessageRecord>& messages, DbError& error) {
  std::map<std::pair<uint64_t, uint64_t>, MessageRecord*> by_key;
  for (MessageRecord& m : messages) {
    m.extracted.emplace();
    by_key[{m.capture_us, m.id}] = &m;
  }
  std::vector<std::pair<uint64_t, uint64_t>> keys;
  for (const auto& [key, m] : by_key) keys.push_back(key);
  for (size_t start = 0; start < keys.size(); start += kMaxInList) {
    const size_t n = std::min(kMaxInList, keys.size() - start);
    SqlQuery q;
    q.text("SELECT capture_us, message_id, kind, name, value FROM sip_headers WHERE capture_us BETWEEN ")
        .number(keys[start].first)
        .text(" AND ")
        .number(keys[start + n - 1].first)
        .text(" AND (capture_us, message_id) IN (");
    for (size_t i = 0; i < n; ++i) {
      if (i) q.text(", ");
      q.text("(").number(keys[start + i].first).text(", ").number(keys[start + i].second).text(")");
    }
    q.text(")").append(shardCondition()).text(" ORDER BY capture_us, message_id, seq LIMIT ").number(n * 256);
    DbRows rows;
    if (!pool_.query(q, rows, error)) return false;
    for (const DbRow& row : rows) {
      uint64_t us = 0, id = 0, kind = 0;
      if (row.size() != 5 || !toNumber(row[0], us) || !toNumber(row[1], id) || !toNumber(row[2], kind) || !row[3] ||
          !row[4]) {
        error = badRow();
        return false;
      }
      auto it = by_key.find({us, id});
      if (it != by_key.end()) it->second->extracted->push_back({static_cast<uint8_t>(kind), *row[3], *row[4]});
    }
  }
  return true;
}

bool MessageStore::linkValues(uint64_t from_us, uint64_t to_us, const CallRef& call, uint64_t limit,
                              std::vector<LinkValue>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT DISTINCT h.name, h.value FROM sip_messages m JOIN sip_headers h ON h.capture_us = m.capture_us")
      .text(" AND h.message_id = m.id WHERE m.capture_us BETWEEN ")
      .number(from_us)
      .text(" AND ")
      .number(to_us);
  q.text(" AND h.capture_us BETWEEN ").number(from_us).text(" AND ").number(to_us);
  q.text(" AND m.call_id_hash = ").number(call.hash).text(" AND m.call_id = ").bytes(call.stored);
  q.text(" AND h.kind = ").number(kHeaderKindLink).append(shardCondition("m")).append(shardCondition("h"));
  q.text(" LIMIT ").number(limit);
  DbRows rows;
  if (!pool_.query(q, rows, error)) return false;
  for (const DbRow& row : rows) {
    if (row.size() != 2 || !row[0] || !row[1]) {
      error = badRow();
      return false;
    }
    out.push_back({*row[0], *row[1]});
  }
  std::sort(out.begin(), out.end());
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
                               std::vector<CallRef>& out, DbError& error) {
  std::optional<std::vector<uint64_t>> calls;
  if (!callsWithKey({CallKeyKind::FromUser}, searchKey(from_user), from_us, to_us, calls, error)) return false;
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
  q.text(")").append(shardCondition()).text(" LIMIT ").number(limit);
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

bool MessageStore::minuteBuckets(uint64_t from_us, uint64_t to_us, uint64_t step_us,
                                 std::span<const std::string> methods, uint64_t max_rows,
                                 std::vector<StatsBucketRow>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT (minute_us - ").number(from_us).text(") DIV ").number(step_us).text(" AS bucket, ");
  appendKeptMethod(q, "kind = 0", "name", methods);
  // A class row's name is its digit(s): status DIV 100, as the scan computes it.
  q.text(" AS m, IF(kind = 0, 0, CAST(name AS UNSIGNED)) AS cls, SUM(count) FROM sip_minute_stats WHERE minute_us");
  q.text(" BETWEEN ").number(from_us).text(" AND ").number(to_us).text(" AND kind IN (0, 1)").append(shardCondition());
  q.text(" GROUP BY bucket, m, cls LIMIT ").number(std::min(max_rows, kMaxRowsPerStatement));
  return bucketRows(q, out, error);
}

bool MessageStore::topMinuteNames(uint64_t from_us, uint64_t to_us, MinuteStatKind kind, uint64_t limit,
                                  std::vector<std::pair<std::string, uint64_t>>& out, DbError& error) {
  SqlQuery q;
  q.text("SELECT name, SUM(count) AS n FROM sip_minute_stats WHERE minute_us BETWEEN ").number(from_us);
  q.text(" AND ").number(to_us).text(" AND kind = ").number(static_cast<uint8_t>(kind)).append(shardCondition());
  q.text(" GROUP BY name ORDER BY n DESC, name LIMIT ").number(limit);
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
