#pragma once
// Reads the writer's sip_messages table for the REST endpoints (on a cluster head: the Spider table
// over every shard, each statement limited to the shards answering now, see shard_monitor.h). Every statement is prepared,
// bounded by a capture time range (so only that range's hourly partitions are read) and by a row
// limit, and ordered by (capture_us, id). Works whether the primary key is (id, capture_us) or
// (capture_us, id).
//
// Thread-safe (the pool is); errors are DbError values.
#include <cstdint>
#include <functional>
#include <map>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/message_record.h"
#include "api/search_filter.h"
#include "api/search_sql.h"
#include "api/shard_monitor.h"
#include "api/sql_pool.h"
#include "store/stored_rows.h"

namespace sipvault::api {

// The most rows any one statement returns, whatever the request asked.
inline constexpr uint64_t kMaxRowsPerStatement = 100000;
// Calls of one number or correlation id read from the per-call index and sent as a list; above
// it the statement's own subquery finds them (fine on one node, slow on a cluster head).
inline constexpr uint64_t kMaxResolvedCalls = 1024;

// Whether a stored message belongs to `call`.
[[nodiscard]] inline bool belongsTo(const MessageRecord& m, const CallRef& call) {
  return m.call_id_hash == call.hash && m.call_id == call.stored;
}

struct CallKey {
  CallRef call;
  uint64_t first_us = 0;  // first message in the range
};

// Stats: the method name requests outside the top methods are counted under (and User-Agents a
// writer did not admit, sip_minute_stats). Not a SIP token, so no captured method can take it.
inline constexpr std::string_view kOtherMethod = store::kMinuteStatOther;

// Counts per interval (stats endpoint).
struct StatsBucketRow {
  uint64_t bucket = 0;  // (capture_us - from) / step
  std::string method;
  uint16_t status_class = 0;  // 0 = request, 1..6 = 1xx..6xx
  uint64_t count = 0;
};

// One row of the whole stats answer read in one statement (MessageStore::minuteCounts): a
// method's or a status class's count in one interval, or a User-Agent's over the whole range.
struct MinuteCountRow {
  store::MinuteStatKind kind = store::MinuteStatKind::Method;
  std::string name;
  uint64_t bucket = 0;  // (minute_us - from) / step; 0 for User-Agents
  uint64_t count = 0;
};

// One correlation link value (sip_headers kind 1): which rule, which value.
struct LinkValue {
  std::string rule;
  std::string value;
  auto operator<=>(const LinkValue&) const = default;
};

class MessageStore {
 public:
  // `shards`: a cluster head's monitor (must outlive the store), nullptr for a single node.
  explicit MessageStore(SqlPool& pool, const ShardMonitor* shards = nullptr) : pool_(pool), shards_(shards) {}

  // What every statement on a capture table appends to its WHERE: the live shards on a head
  // with a shard down (ShardCoverage::condition), else nothing. Also for sip_rejects' readers.
  [[nodiscard]] SqlQuery shardCondition(std::string_view alias = "") const;

  // Messages matching `filter`, after `after` when given, in time order; at most `limit` rows
  // (callers ask for one more than they show to learn whether a next page exists).
  [[nodiscard]] bool search(const SearchFilter& filter, const std::optional<MessageCursor>& after,
                            uint64_t limit, bool with_raw, std::vector<MessageRecord>& out,
                            store::DbError& error);
  // One message by its public id; `out` stays empty when there is none.
  [[nodiscard]] bool byId(const MessageCursor& key, std::optional<MessageRecord>& out, store::DbError& error);
  // The messages with these public ids, raw included (appended in no particular order; ids with
  // no message are skipped). Sent in chunks of kMaxInList.
  [[nodiscard]] bool byIds(std::span<const MessageCursor> keys, std::vector<MessageRecord>& out,
                           store::DbError& error);
  // Every message of the given calls inside [from_us, to_us], time-ordered; at most `max_rows`
  // (and kMaxRowsPerStatement per statement): when more matched, `*truncated` (if given) is set
  // and the rest is left out, so callers can say their answer is incomplete instead of wrong.
  [[nodiscard]] bool byCalls(uint64_t from_us, uint64_t to_us, std::span<const CallRef> calls, bool with_raw,
                             std::vector<MessageRecord>& out, store::DbError& error,
                             uint64_t max_rows = kMaxRowsPerStatement, bool* truncated = nullptr);
  // Distinct Call-IDs with a message matching `filter`, ordered by their first message in the
  // filter's time range (matching or not: the summary's first_time), after `after`; at most `limit`.
  [[nodiscard]] bool callPage(const SearchFilter& filter, const std::optional<CallCursor>& after,
                              uint64_t limit, std::vector<CallKey>& out, store::DbError& error);
  // Messages in [from_us, to_us] whose correlation id or X-CID is the Call-ID of `call` (the
  // correlation_hash index): they belong to legs that point at that call.
  // `known`: what referencingLookup() found, read beforehand with other lookups; nullptr: read here.
  [[nodiscard]] bool referencing(uint64_t from_us, uint64_t to_us, const CallRef& call, const KeyedCalls* known,
                                 std::vector<MessageRecord>& out, store::DbError& error);
  // Calls other than `exclude` with a request from `from_user` to `to_user` (To or R-URI user)
  // in [from_us, to_us]; at most `limit`. `known`: what sameNumbersLookup() found, or nullptr.
  [[nodiscard]] bool sameNumbers(uint64_t from_us, uint64_t to_us, const std::string& from_user,
                                 const std::string& to_user, const CallRef& exclude, uint64_t limit,
                                 const KeyedCalls* known, std::vector<CallRef>& out, store::DbError& error);
  // The index lookups the two above start with.
  [[nodiscard]] static CallKeyLookup referencingLookup(uint64_t from_us, uint64_t to_us, const CallRef& call);
  [[nodiscard]] static CallKeyLookup sameNumbersLookup(uint64_t from_us, uint64_t to_us, const std::string& from_user);
  // Several index lookups in one statement (a cluster head pays a fan-out per statement); `out[i]`
  // answers `lookups[i]`.
  [[nodiscard]] bool callsWithKeys(std::span<const CallKeyLookup> lookups, std::vector<KeyedCalls>& out,
                                   store::DbError& error);
  // Reads the sip_headers values of `messages` into their `extracted` (in seq order; an empty list
  // for a message without any). Chunks of kMaxInList keys, each bounded by its time range; messages
  // the writer marked as having none (kNoHeaderRows) are not asked for.
  [[nodiscard]] bool attachHeaders(std::vector<MessageRecord>& messages, store::DbError& error);
  // The distinct correlation link values (sip_headers kind 1) of `messages` (one call's, as read);
  // at most `limit`.
  [[nodiscard]] bool linkValues(const std::vector<MessageRecord>& messages, uint64_t limit,
                                std::vector<LinkValue>& out, store::DbError& error);
  // Calls other than `exclude` with a message in [from_us, to_us] that carries `link` (ix_value);
  // at most `limit`.
  [[nodiscard]] bool linkedCalls(uint64_t from_us, uint64_t to_us, const LinkValue& link, const CallRef& exclude,
                                 uint64_t limit, std::vector<CallRef>& out, store::DbError& error);
  // The `limit` request methods with the most messages for `filter`, most first (ties by name).
  [[nodiscard]] bool topMethods(const SearchFilter& filter, uint64_t limit,
                                std::vector<std::pair<std::string, uint64_t>>& out, store::DbError& error);
  // Counts by interval, method and status class for `filter`, at most `max_rows` rows. Requests
  // whose method is not in `methods` count under kOtherMethod, so the rows are bounded by
  // intervals x (methods + 1 + 6) whatever methods were captured.
  [[nodiscard]] bool statsBuckets(const SearchFilter& filter, uint64_t step_us,
                                  std::span<const std::string> methods, uint64_t max_rows,
                                  std::vector<StatsBucketRow>& out, store::DbError& error);
  // The `limit` most frequent non-empty User-Agents for `filter`.
  [[nodiscard]] bool topUserAgents(const SearchFilter& filter, uint64_t limit,
                                   std::vector<std::pair<std::string, uint64_t>>& out, store::DbError& error);

  // The same three answers from the writers' per-minute counts (sip_minute_stats, store/sql/013)
  // of the minutes starting in [from_us, to_us], for a request without any filter: the minute
  // `to_us` falls in counts whole; `from_us` should be a minute start (the handler snaps it).
  // Reads (minutes x names) rows, never sip_messages. kind: Method or UserAgent. `hourly`: the
  // per-hour counts (sip_hour_stats, store/sql/015) instead, `from_us` an hour start, the step
  // whole hours and the hour `to_us` falls in counted whole: 60 times fewer rows.
  [[nodiscard]] bool topMinuteNames(uint64_t from_us, uint64_t to_us, bool hourly, store::MinuteStatKind kind,
                                    uint64_t limit,
                                    std::vector<std::pair<std::string, uint64_t>>& out, store::DbError& error);
  [[nodiscard]] bool minuteBuckets(uint64_t from_us, uint64_t to_us, uint64_t step_us, bool hourly,
                                   std::span<const std::string> methods, uint64_t max_rows,
                                   std::vector<StatsBucketRow>& out, store::DbError& error);
  // All of it in one statement: every method and class per interval, every User-Agent over the
  // range. At most `limit` + 1 rows: more than `limit` says there are too many names (a flood of
  // invented methods), and the caller asks the three statements above, which bound them. A
  // cluster head sends this one statement to each shard instead of three.
  [[nodiscard]] bool minuteCounts(uint64_t from_us, uint64_t to_us, uint64_t step_us, bool hourly, uint64_t limit,
                                  std::vector<MinuteCountRow>& out, store::DbError& error);

 private:
  // The calls that carried `key` as one of `kinds` in [from_us, to_us] (sip_call_keys, the
  // per-call index), or nullopt when more than kMaxResolvedCalls did: the statement then finds them
  // with its own subquery. Read first, on their own, because a cluster head plans that subquery
  // badly (search_sql.h callKeyQuery); on one node it costs a round trip.
  bool callsWithKey(std::initializer_list<store::CallKeyKind> kinds, uint64_t key, uint64_t from_us, uint64_t to_us,
                    KeyedCalls& out, store::DbError& error);
  // `known` when the caller read it already, else what `lookup` finds, read now into `storage`;
  // nullptr with `error` set on a database error.
  const KeyedCalls* keyedCalls(const KeyedCalls* known, const CallKeyLookup& lookup, KeyedCalls& storage,
                               store::DbError& error);
  // The condition for a statement on rows known to be on `holding` (ShardCoverage::on).
  [[nodiscard]] SqlQuery shardsHolding(std::span<const uint16_t> holding, std::string_view alias = "") const;
  // Where a search's messages can be: the shards of its numbers' index rows, when read.
  [[nodiscard]] SqlQuery searchShards(const SearchFilter& resolved) const;
  // Fills the `calls` of the filter's exact From / To numbers (callsWithKey).
  bool resolveNumbers(SearchFilter& filter, store::DbError& error);
  bool fetch(const SqlQuery& q, bool with_raw, std::vector<MessageRecord>& out, store::DbError& error);
  // Calls `row(capture_us, message_id, kind, name, value)` for each sip_headers row of `messages`
  // (kind 1 only when `links_only`), in (capture_us, message_id, seq) order per chunk, asking only
  // the shards that hold them; messages with kNoHeaderRows are skipped.
  bool readHeaders(std::span<const MessageRecord* const> messages, bool links_only,
                   const std::function<void(uint64_t, uint64_t, uint8_t, std::string&&, std::string&&)>& row,
                   store::DbError& error);
  // Rows of (call_id, call_id_hash).
  bool queryCalls(const SqlQuery& q, std::vector<CallRef>& out, store::DbError& error);
  // Rows of (bucket, method, class, count).
  bool bucketRows(const SqlQuery& q, std::vector<StatsBucketRow>& out, store::DbError& error);
  // Rows of (value, count).
  bool countedValues(const SqlQuery& q, std::vector<std::pair<std::string, uint64_t>>& out,
                     store::DbError& error);
  SqlPool& pool_;
  const ShardMonitor* shards_;
};

}  // namespace sipvault::api
