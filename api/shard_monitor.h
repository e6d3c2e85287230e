#pragma once
// A cluster head's view of its shards (docs/cluster.md): which shards exist and which answer, kept
// by a background probe so that searches skip a dead shard at once instead of failing (Spider
// refuses a whole statement, ERROR 1429/12701, when one partition's server is away) or hanging
// until the Spider read timeout on a hung one.
//
// The shards are the head's own: the partitions of its Spider table sip_messages (name, LIST value
// = shard_id), as tools/sipvault-cluster made them, so a shard added or removed there is seen at
// the next probe, with no restart. Each probe reads one row's worth from each shard's partition
// (`PARTITION (name)`) through the head itself, i.e. along the path searches take, on a session
// whose Spider connect/read/write timeouts are `probe_timeout`.
//
// start() probes once, then every `interval` on its own thread until stop(). coverage() is the
// last result; thread-safe. A shard that answers again is used again from the next probe on.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/db_health.h"
#include "api/sql_query.h"
#include "common/metrics.h"
#include "store/db_connection.h"

namespace sipvault::api {

struct ClusterOptions {
  bool enabled = false;  // api.cluster: this api reads a cluster head (Spider tables over shards)
  std::chrono::milliseconds probe_interval{1000};  // api.cluster_probe_interval_ms
  std::chrono::seconds probe_timeout{2};           // api.cluster_probe_timeout_s: a shard slower than this is down
};

struct ShardState {
  std::string name;
  uint16_t shard_id = 0;
  bool up = false;
  uint64_t since_us = 0;    // when it last changed state (first probe: when first seen)
  uint64_t checked_us = 0;  // when it was last probed
  std::string error;        // why it is down (the head's error text), empty when up
};

// What one request may read: the shards answering now, and the names of those left out.
struct ShardCoverage {
  bool cluster = false;                // false: a single node, nothing to skip
  std::vector<uint16_t> live_ids;      // ascending
  std::vector<std::string> missing;    // names, in the head's partition order
  std::vector<uint16_t> missing_ids;   // their shard_ids, ascending

  [[nodiscard]] bool partial() const { return !missing.empty(); }
  // " AND shard_id IN (...)" to append to a capture table's WHERE when a shard is missing
  // (" AND 0 = 1" when none answers), else nothing: a complete cluster runs the plain statement.
  // `alias`: the table's alias in a join ("m" -> " AND m.shard_id IN (...)"); "" = none.
  [[nodiscard]] SqlQuery condition(std::string_view alias = "") const;
  // The condition for a statement whose rows can only be on the shards `holding` (the shard_id of
  // rows read before: a message's headers are on its shard, a call the per-call index named on the
  // shard of that index row): " AND shard_id IN (...)" of the live ones among them, so the head
  // prunes the other partitions and asks one shard instead of all (a point lookup's cost through
  // the head grows with the shards asked, docs/cluster.md). Falls back to condition() on a value
  // no partition has (rows stored before the node became a shard keep 0). Nothing on one node.
  [[nodiscard]] SqlQuery on(std::span<const uint16_t> holding, std::string_view alias = "") const;
};

class ShardMonitor {
 public:
  // `db`: the head. `metrics` must outlive the monitor (per-shard gauges are added as shards appear).
  ShardMonitor(store::DbOptions db, ClusterOptions options, MetricsRegistry& metrics);
  ~ShardMonitor();
  ShardMonitor(const ShardMonitor&) = delete;
  ShardMonitor& operator=(const ShardMonitor&) = delete;

  void start();
  void stop();
  [[nodiscard]] ShardCoverage coverage() const;
  [[nodiscard]] std::vector<ShardState> shards() const;
  // True once a probe has read a shard list from the head (false: head unreachable, no Spider tables).
  [[nodiscard]] bool known() const;

 private:
  void probe();
  bool probeShard(store::DbConnection& db, ShardState& s);
  void publish(std::vector<ShardState> next);

  store::DbOptions db_;
  ClusterOptions options_;
  MetricsRegistry& metrics_;
  std::unique_ptr<store::DbConnection> conn_;  // the probe thread's own session

  mutable std::mutex mu_;
  std::vector<ShardState> shards_;
  bool known_ = false;
  std::map<std::string, Gauge*> up_gauges_;
  Counter& probe_failures_;
  DbHealth checker_;  // runs probe() now and every probe_interval (its "ok" = shard list known)
};

}  // namespace sipvault::api
