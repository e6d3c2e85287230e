#pragma once
// SQL for the search filters (search_filter.h) against the writer's sip_messages table
// (store/sql/001_initial_schema.sql). Pure: builds text and parameters, runs nothing.
//
// Every condition starts with the time range, `capture_us BETWEEN ? AND ?`, so that the server
// reads only the hourly partitions of that range. Exact number and Call-ID matches use the
// indexed 64-bit search keys (store/search_key.h; numbers through the per-call index,
// appendCallKeyMatch) and then compare the stored value, since keys may collide; `*` wildcards become a LIKE on the stored value inside the time range. All values
// are bound parameters (sql_query.h); nothing from the request is pasted into SQL text.
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include "api/search_filter.h"
#include "api/sql_query.h"
#include "store/stored_rows.h"

namespace sipvault::api {

// "storage_class IN (0,1,2)": every storage class (store/sql/008_storage_classes.sql). Every query
// on sip_messages names the classes before its time range: the table is partitioned by
// (storage_class, capture_us), and only with the class list does the server prune to the hourly
// partitions of the range (tests/store/schema_test.cpp, EXPLAIN PARTITIONS).
[[nodiscard]] std::string_view allStorageClasses();

// "storage_class IN (...) AND capture_us BETWEEN ? AND ? AND <filter>..." for `filter` (its limit
// and cursor are not used); the classes are filter.storage_classes, or all of them. `shards` is the
// cluster head's " AND shard_id IN (...)" (empty on a single node or a complete cluster): the caller
// appends it to the outer statement itself, and it is repeated here inside every subquery on another
// capture table (header.<name>=), which a missing shard would otherwise fail.
[[nodiscard]] SqlQuery searchCondition(const SearchFilter& filter, const SqlQuery& shards = {});

// "<column>_hash = ? AND <column> = UNHEX(?)": an exact match on a hashed column. Values longer
// than the column (the writer cut them, see stored_rows.h) compare on the stored prefix.
// Appends " AND method IN (...)" and " AND (status ...)" for the filter's `method` and `status`
// lists (nothing for an empty list): shared by sip_messages and sip_summaries, which store both
// the same way.
void appendMethodStatus(SqlQuery& q, const SearchFilter& f);
void appendHashedMatch(SqlQuery& q, std::string_view column, std::string_view value, size_t width);

// "call_id_hash IN (SELECT call_id_hash FROM sip_call_keys WHERE key_hash = ? AND kind IN (...) AND
// hour_us BETWEEN ? AND ?<shards>)": the calls that carried `key` as one of `kinds` in the hours of
// [from_us, to_us] (store/sql/014, the per-call index). sip_messages has no index on the numbers or
// the correlation id: a condition on one of them goes through here, then the messages of those
// calls through ix_call_id, and the caller still matches the messages' own columns.
void appendCallKeyMatch(SqlQuery& q, std::initializer_list<store::CallKeyKind> kinds, uint64_t key,
                        uint64_t from_us, uint64_t to_us, const SqlQuery& shards);
// "SELECT DISTINCT call_id_hash, shard_id FROM sip_call_keys WHERE ... LIMIT `limit`": the same
// calls read on their own, with the shards whose index named them. A cluster head plans the subquery above badly (it scans sip_messages's time range on
// every shard and probes the calls, since Spider's row estimates are tiny), so the api reads the
// calls first and sends them as a list (appendCallList) when there are not too many.
[[nodiscard]] SqlQuery callKeyQuery(std::initializer_list<store::CallKeyKind> kinds, uint64_t key, uint64_t from_us,
                                    uint64_t to_us, const SqlQuery& shards, uint64_t limit);
// One single-kind lookup in the per-call index; several go out as one statement (a cluster head
// pays per statement): MessageStore::callsWithKeys.
struct CallKeyLookup {
  store::CallKeyKind kind = store::CallKeyKind::FromUser;
  uint64_t key = 0;
  uint64_t from_us = 0;
  uint64_t to_us = 0;
};
// "SELECT DISTINCT kind, key_hash, call_id_hash, shard_id FROM sip_call_keys WHERE (<lookup>) OR
// (<lookup>) ... LIMIT `limit`".
[[nodiscard]] SqlQuery callKeysQuery(std::span<const CallKeyLookup> lookups, const SqlQuery& shards, uint64_t limit);
// "call_id_hash IN (?, ...)", padded to a power of two by repeating the last key (so the prepared
// statements stay few), or "0 = 1" for no calls.
void appendCallList(SqlQuery& q, const std::vector<uint64_t>& calls);

// A LIKE pattern (backslash escapes) matching `value` literally, except that '*' matches any run
// of characters when `star_is_wildcard`; wrapped in '%...%' when `substring`.
[[nodiscard]] std::string likePattern(std::string_view value, bool star_is_wildcard, bool substring);

// " AND (call_id_hash, call_id) IN (SELECT call_id_hash, call_id FROM sip_qos WHERE capture_us
// BETWEEN ? AND ? AND call_id_hash <> 0 AND mos < ?<shards>)": the calls list's mos_below filter
// (issue 15), appended to a sip_messages condition; `shards` is the live-shard condition for sip_qos.
[[nodiscard]] SqlQuery mosBelowCondition(uint64_t from_us, uint64_t to_us, double mos_below, const SqlQuery& shards);

}  // namespace sipvault::api
