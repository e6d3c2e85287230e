#include "api/shard_monitor.h"

#include <algorithm>
#include <charconv>

#include "api/time_text.h"

namespace sipvault::api {

using namespace sipvault::store;

namespace {

// " AND <alias.>shard_id IN (ids)", " AND 0 = 1" for none. Literal ids, not parameters: a handful
// of statement texts, and the head prunes the LIST partitions of the others before it connects
// to anything.
SqlQuery shardsIn(const std::vector<uint16_t>& ids, std::string_view alias) {
  SqlQuery q;
  if (ids.empty()) return q.text(" AND 0 = 1");
  q.text(" AND ");
  if (!alias.empty()) q.text(alias).text(".");
  q.text("shard_id IN (");
  for (size_t i = 0; i < ids.size(); ++i) q.text(i ? ", " : "").text(std::to_string(ids[i]));
  return q.text(")");
}

}  // namespace

SqlQuery ShardCoverage::condition(std::string_view alias) const {
  if (!cluster || missing.empty()) return SqlQuery();
  return shardsIn(live_ids, alias);
}

SqlQuery ShardCoverage::on(std::span<const uint16_t> holding, std::string_view alias) const {
  if (!cluster) return SqlQuery();
  auto known = [](const std::vector<uint16_t>& ids, uint16_t id) { return std::binary_search(ids.begin(), ids.end(), id); };
  std::vector<uint16_t> asked;
  for (uint16_t id : holding) {
    if (known(live_ids, id)) asked.push_back(id);
    else if (!known(missing_ids, id)) return condition(alias);
  }
  std::sort(asked.begin(), asked.end());
  asked.erase(std::unique(asked.begin(), asked.end()), asked.end());
  if (missing.empty() && asked == live_ids) return SqlQuery();
  return shardsIn(asked, alias);  // none left: every holder is down (the answer says partial)
}

ShardMonitor::ShardMonitor(DbOptions db, ClusterOptions options, MetricsRegistry& metrics)
    : db_(std::move(db)),
      options_(options),
      metrics_(metrics),
      probe_failures_(metrics.counter("api_cluster_probe_failures_total",
                                      "shard probes that failed or timed out (cluster head)")),
      checker_(
          [this] {
            probe();
            return known();
          },
          options.probe_interval) {
  // The probe session gives up on the head itself as fast as on a shard.
  db_.connect_timeout = std::max(std::chrono::seconds(1), options_.probe_timeout);
  db_.io_timeout = options_.probe_timeout + std::chrono::seconds(5);
}

ShardMonitor::~ShardMonitor() { stop(); }

bool ShardMonitor::probeShard(DbConnection& db, ShardState& s) {
  // One indexed point read: Spider connects to the shard and runs it there (LIMIT 0 would not).
  DbError error;
  DbRows rows;
  const bool ok =
      db.query("SELECT 1 FROM sip_messages PARTITION (`" + s.name + "`) WHERE capture_us = 0 LIMIT 1", rows, error);
  s.error = ok ? "" : error.describe();
  return ok;
}

void ShardMonitor::probe() {
  DbError error;
  if (!conn_) {
    conn_ = DbConnection::open(db_, error);
    const std::string t = std::to_string(options_.probe_timeout.count());
    if (conn_ && !conn_->execute("SET SESSION spider_connect_timeout = " + t + ", spider_net_read_timeout = " + t +
                                     ", spider_net_write_timeout = " + t,
                                 error))
      conn_.reset();
  }
  DbRows rows;
  if (!conn_ ||
      !conn_->query("SELECT PARTITION_NAME, PARTITION_DESCRIPTION FROM information_schema.PARTITIONS"
                    " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'sip_messages'"
                    " AND PARTITION_METHOD = 'LIST' ORDER BY PARTITION_ORDINAL_POSITION",
                    rows, error)) {
    // The head itself is away: every shard is unreachable through it.
    if (conn_ && error.connectionLost()) conn_.reset();
    probe_failures_.inc();
    std::vector<ShardState> next = shards();
    for (ShardState& s : next) {
      s.up = false;
      s.error = error.describe();
    }
    publish(std::move(next));
    return;
  }
  std::vector<ShardState> next;
  const std::vector<ShardState> before = shards();
  for (const DbRow& row : rows) {
    if (row.size() != 2 || !row[0] || !row[1]) continue;
    ShardState s;
    s.name = *row[0];
    unsigned id = 0;
    std::from_chars(row[1]->data(), row[1]->data() + row[1]->size(), id);
    s.shard_id = static_cast<uint16_t>(id);
    s.up = probeShard(*conn_, s);
    if (!s.up) probe_failures_.inc();
    s.checked_us = nowUs();
    auto old = std::find_if(before.begin(), before.end(), [&](const ShardState& o) { return o.name == s.name; });
    s.since_us = old != before.end() && old->up == s.up ? old->since_us : s.checked_us;
    next.push_back(std::move(s));
  }
  {
    std::lock_guard lock(mu_);
    known_ = !next.empty();
  }
  publish(std::move(next));
}

void ShardMonitor::publish(std::vector<ShardState> next) {
  std::lock_guard lock(mu_);
  for (auto& [name, gauge] : up_gauges_) gauge->set(-1);  // removed from the head since start
  for (const ShardState& s : next) {
    auto it = up_gauges_.find(s.name);
    if (it == up_gauges_.end())
      it = up_gauges_
               .emplace(s.name, &metrics_.gauge("api_cluster_shard_up",
                                                "1 = the shard answers the head, 0 = down (partial answers), "
                                                "-1 = no longer in the head's cluster",
                                                "shard=\"" + s.name + "\""))
               .first;
    it->second->set(s.up ? 1 : 0);
  }
  shards_ = std::move(next);
}

void ShardMonitor::start() { checker_.start(); }

void ShardMonitor::stop() { checker_.stop(); }

ShardCoverage ShardMonitor::coverage() const {
  ShardCoverage c;
  c.cluster = true;
  std::lock_guard lock(mu_);
  for (const ShardState& s : shards_) {
    if (s.up) {
      c.live_ids.push_back(s.shard_id);
    } else {
      c.missing.push_back(s.name);
      c.missing_ids.push_back(s.shard_id);
    }
  }
  std::sort(c.live_ids.begin(), c.live_ids.end());
  std::sort(c.missing_ids.begin(), c.missing_ids.end());
  return c;
}

std::vector<ShardState> ShardMonitor::shards() const {
  std::lock_guard lock(mu_);
  return shards_;
}

bool ShardMonitor::known() const {
  std::lock_guard lock(mu_);
  return known_;
}

}  // namespace sipvault::api
