#pragma once
// The search filters of the REST contract (api/API_CONTRACT.md, "Search filters"), parsed and
// validated from query parameters. Pure: no I/O; thread-safe.
//
// Every parameter is checked before any SQL exists: an unknown name, a repeated single-value
// parameter, or a bad value yields a ParamError naming the parameter (HTTP 400). An empty value
// (`from_user=`) counts as not given, so that forms can send every field.
//
//   from, to        RFC 3339 / ISO 8601 or epoch with a unit (time_text.h); default: the `default_range`
//   before `to` (to = now);
//                   only `from` given: up to now. from > to is an error (named "from").
//   call_id         Call-ID; `*` matches any run of characters (also a literal '*')
//   call_ref        one call exactly, as the api names it (`call_ref` of a message or call):
//                   also for Call-IDs that are not UTF-8 or longer than the stored column
//   from_user       A-number; `*` matches any run of characters (`4930*`, `*123`, `49*0`)
//   to_user         B-number: To user or Request-URI user; `*` as above
//   from_tag, to_tag  exact
//   method          comma list (and/or repeated) of SIP method tokens; upper-cased
//   status          comma list (and/or repeated) of codes 100..699 or classes 1xx..6xx
//   user_agent      substring of User-Agent (or Server), ASCII case-insensitive
//   src_ip, dst_ip, ip   IPv4 or IPv6 literal; `ip` matches either side
//   port, src_port, dst_port   0..65535; `port` matches either side
//   transport       udp | tcp | sctp
//   capture_id      HEP capture id, 0..4294967295
//   header.<name>   a custom header value the parser extracted (parser.headers.*; stored in
//                   sip_headers); <name> is the rule's name, any case; `*` as for numbers. At
//                   most kMaxHeaderFilters, each name once; all must match (AND)
//   alias, src_alias, dst_alias   an alias name (store/alias_table.h; `alias` matches either side);
//                   parsed here as names, resolved to targets by the handler (alias_cache.h)
//   limit           1..max_limit (default_limit when absent)
//   cursor          opaque; kept as text here, decoded by the endpoint (see decode*Cursor)
// Text values may not contain control characters (NUL, CR, LF, ...) and are at most
// kMaxTextValue bytes; call_id up to kMaxCallIdValue (SIP sets no limit and a capture keeps the
// whole Call-ID, so a long one can still be looked up; the 8 KiB request target bounds it too).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/query_params.h"
#include "store/alias_table.h"

namespace sipvault::api {

inline constexpr size_t kMaxTextValue = 1024;
inline constexpr size_t kMaxCallIdValue = 4096;
inline constexpr size_t kMaxHeaderFilters = 4;
inline constexpr std::string_view kHeaderParamPrefix = "header.";

// One call as stored: the writer's search key of the FULL Call-ID (store/search_key.h) and the
// call_id column, which keeps only the first 255 bytes (store/stored_rows.h kCallIdWidth).
// Together they name a call exactly, also when its Call-ID is longer than the column (only the
// key still knows the whole value), when long Call-IDs share their first 255 bytes, and when the
// bytes are not UTF-8 (JSON text cannot carry them; clients pass the opaque call_ref instead).
struct CallRef {
  uint64_t hash = 0;
  std::string stored;

  // From a whole Call-ID (a request parameter, a path segment, a correlation id).
  [[nodiscard]] static CallRef of(std::string_view call_id);
  auto operator<=>(const CallRef&) const = default;
};
// Opaque base64url text for clients ("call_ref" in JSON, the call_ref parameter).
[[nodiscard]] std::string encodeCallRef(const CallRef& ref);
[[nodiscard]] std::optional<CallRef> decodeCallRef(std::string_view text);

struct ParamError {
  std::string parameter;
  std::string message;
};

// What the per-call index (sip_call_keys) named for one key: the calls (call_id_hash; nullopt when
// not read or more than MessageStore's kMaxResolvedCalls: a statement's own subquery finds them,
// search_sql.h appendCallKeyMatch), and the shard_id of those index rows, ascending: the messages
// with the key are on these shards (a cluster head asks only them, ShardCoverage::on).
struct KeyedCalls {
  std::optional<std::vector<uint64_t>> calls;
  std::vector<uint16_t> shards;
};

// A text match on a number column: exact, or a LIKE pattern when the value holds `*`.
struct NumberMatch {
  std::string value;      // as given (without any decoding of `*`)
  bool wildcard = false;  // value contains '*'
  // The calls that carried the number in the range, read before the search
  // (MessageStore::resolveNumbers).
  KeyedCalls index;
};

// header.<name>=value: `name` lower-cased (letters, digits, '-', '_'; at most 64 bytes).
struct HeaderMatch {
  std::string name;
  NumberMatch value;
};

struct StatusRange {
  uint16_t lo = 0;
  uint16_t hi = 0;  // inclusive
};

// alias= / src_alias= / dst_alias=: the name as given, and its targets once resolved. A filter
// that was never resolved (or resolved to nothing) matches no message (search_sql.h).
struct AliasFilter {
  enum class Side { Either, Src, Dst };
  Side side = Side::Either;
  std::string name;
  std::vector<store::AliasTarget> targets;
  bool resolved = false;
};
[[nodiscard]] std::string_view aliasParameterName(AliasFilter::Side side);

struct SearchFilter {
  uint64_t from_us = 0;
  uint64_t to_us = 0;  // inclusive
  std::optional<std::string> call_id;
  std::optional<CallRef> call_ref;
  std::optional<NumberMatch> from_user;
  std::optional<NumberMatch> to_user;
  std::optional<std::string> from_tag;
  std::optional<std::string> to_tag;
  std::vector<std::string> methods;     // empty = any
  std::vector<StatusRange> statuses;    // empty = any
  std::optional<std::string> user_agent;
  std::optional<std::string> src_ip;    // 4 or 16 raw bytes, as stored
  std::optional<std::string> dst_ip;
  std::optional<std::string> ip;
  std::optional<uint16_t> port;
  std::optional<uint16_t> src_port;
  std::optional<uint16_t> dst_port;
  std::optional<uint8_t> ip_proto;      // from `transport`
  std::optional<uint32_t> capture_id;
  std::vector<HeaderMatch> headers;     // empty = any
  std::vector<AliasFilter> aliases;     // AND-ed
  std::vector<uint8_t> storage_classes;  // `class`: proto/storage_class.h ids; empty = every class
  uint32_t limit = 100;
  std::string cursor;                   // "" = first page
  // Calls only (`mos_below`, issue 15; parsed by the calls handler): calls with a quality report
  // (sip_qos, by Call-ID) whose mos is below this, in the range (+ kQosMarginUs after it).
  std::optional<double> mos_below;
};

struct FilterDefaults {
  uint64_t range_us = 3600ull * 1000000;  // default time window
  uint32_t limit = 100;
  uint32_t max_limit = 10000;
};

// Parses `params`. Names in `extra` are accepted and left to the caller (e.g. `step` for stats).
// nullopt on success (`out` filled), else the first problem found.
[[nodiscard]] std::optional<ParamError> parseSearchFilter(const QueryParams& params, uint64_t now_us,
                                                          const FilterDefaults& defaults,
                                                          std::span<const std::string_view> extra,
                                                          SearchFilter& out);

// A `status`-style list (codes 100..699, classes 1xx..6xx, comma-separated) given as `name`.
[[nodiscard]] std::optional<ParamError> parseStatusList(std::string_view name, std::string_view value,
                                                        std::vector<StatusRange>& out);

// Parses only `from`/`to` (for endpoints that take a time range and nothing else).
[[nodiscard]] std::optional<ParamError> parseTimeRange(const QueryParams& params, uint64_t now_us,
                                                       uint64_t default_range_us, uint64_t& from_us,
                                                       uint64_t& to_us);

// The time quality reports are looked for around a call's messages (issue 15): RTCP and
// end-of-stream statistics arrive after the BYE, early media before the final answer.
inline constexpr uint64_t kQosMarginUs = 60ull * 1000000;

// A `mos_below` value: 1..5 with at most 2 decimals ("3", "3.5", "2.75"); nullopt otherwise.
[[nodiscard]] std::optional<double> parseMosBelow(std::string_view text);

// Keyset cursors: opaque base64url text to clients.
struct MessageCursor {
  uint64_t capture_us = 0;
  uint64_t id = 0;
};
// Calls are ordered by (first_us, call_id, call_id_hash): two calls may start in the same
// microsecond, and two Call-IDs longer than the stored 255 bytes may share their stored text;
// the hash tells those apart, so a page boundary between them neither skips nor repeats one.
struct CallCursor {
  uint64_t first_us = 0;
  std::string call_id;
  uint64_t call_id_hash = UINT64_MAX;  // a "c1:" cursor (before the tiebreak): after every such call
};
[[nodiscard]] std::string encodeMessageCursor(const MessageCursor& c);
[[nodiscard]] std::optional<MessageCursor> decodeMessageCursor(std::string_view text);
[[nodiscard]] std::string encodeCallCursor(const CallCursor& c);
[[nodiscard]] std::optional<CallCursor> decodeCallCursor(std::string_view text);

// "<capture_us>-<id>": the public id of a stored message.
[[nodiscard]] std::string messageId(uint64_t capture_us, uint64_t id);
[[nodiscard]] std::optional<MessageCursor> parseMessageId(std::string_view text);

}  // namespace sipvault::api
