#pragma once
// Reads the writer's sip_qos table (store/sql/012_sip_qos.sql: one row per quality report block)
// for the QoS endpoint and the calls list (issue 15). Like MessageStore: prepared statements only,
// every statement bounded by a capture time range (hourly partitions) and a row limit, ordered
// by (capture_us, id), the live-shard condition of a cluster head appended.
//
// Thread-safe (the pool is); errors are DbError values.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/message_store.h"
#include "api/qos_media.h"
#include "api/search_filter.h"
#include "api/sql_pool.h"

namespace sipvault::api {

// One sip_qos row as the api reads it (NULL columns as nullopt).
struct QosRecord {
  uint64_t id = 0;
  uint64_t capture_us = 0;
  uint64_t call_id_hash = 0;
  std::string call_id;
  uint8_t source = 0;
  uint8_t report_type = 0;
  uint8_t direction = 0;
  std::string src_ip, dst_ip;  // 4 or 16 raw bytes, or empty
  uint16_t src_port = 0, dst_port = 0;
  uint32_t ssrc = 0, reporter_ssrc = 0;
  std::optional<uint64_t> packets;
  std::optional<int64_t> lost;
  std::optional<uint32_t> highest_seq;
  std::optional<double> fraction_lost, jitter_ms, rtt_ms, mos;
  std::string codec;
  uint32_t capture_id = 0;
  std::string node;

  [[nodiscard]] bool correlated() const { return call_id_hash != 0; }
};

// The worst figures of one call's reports (calls list): NULL when no report has the figure.
struct QosWorst {
  std::optional<double> mos;            // lowest mos
  std::optional<double> fraction_lost;  // highest fraction_lost
};

class QosStore {
 public:
  explicit QosStore(SqlPool& pool, const ShardMonitor* shards = nullptr) : pool_(pool), shards_(shards) {}

  // Reports of the given calls (by call_id_hash, then the stored call_id compared) in
  // [from_us, to_us], time-ordered; at most `max_rows`: when more matched, `truncated` is set.
  [[nodiscard]] bool byCalls(uint64_t from_us, uint64_t to_us, std::span<const CallRef> calls, uint64_t max_rows,
                             std::vector<QosRecord>& out, bool& truncated, store::DbError& error);
  // Uncorrelated reports (call_id_hash = 0) sent from one of `sources` in [from_us, to_us]
  // (ix_src), time-ordered; at most `max_rows`, `truncated` as above.
  [[nodiscard]] bool fromAddresses(uint64_t from_us, uint64_t to_us, std::span<const MediaAddress> sources,
                                   uint64_t max_rows, std::vector<QosRecord>& out, bool& truncated,
                                   store::DbError& error);
  // How many uncorrelated reports [from_us, to_us] holds, counting at most `cap` (the empty
  // answer's "uncorrelated_reports" reason says how many).
  [[nodiscard]] bool countUncorrelated(uint64_t from_us, uint64_t to_us, uint64_t cap, uint64_t& count,
                                       store::DbError& error);
  // Lowest mos and highest fraction_lost per call over its reports in [from_us, to_us]; calls
  // without a report are absent from `out`. Chunks of 128 calls, one statement each.
  [[nodiscard]] bool worstByCalls(uint64_t from_us, uint64_t to_us, std::span<const CallRef> calls,
                                  std::map<CallRef, QosWorst>& out, store::DbError& error);

 private:
  bool fetch(const SqlQuery& q, std::vector<QosRecord>& out, store::DbError& error);
  // `q` (a WHERE without the shard condition) + shards, time order, at most `room` rows into `out`.
  bool fetchOrdered(SqlQuery q, uint64_t room, std::vector<QosRecord>& out, bool& truncated, store::DbError& error);
  [[nodiscard]] SqlQuery shardCondition() const;
  SqlPool& pool_;
  const ShardMonitor* shards_;
};

}  // namespace sipvault::api
