#include "writer/disk_guard.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cmath>

namespace sipvault::writer {

using namespace sipvault::store;

std::optional<FsSpace> measureFs(const std::string& path) {
  struct statvfs vfs {};
  struct stat st {};
  if (path.empty() || statvfs(path.c_str(), &vfs) != 0 || stat(path.c_str(), &st) != 0) return std::nullopt;
  return FsSpace{static_cast<uint64_t>(vfs.f_blocks) * vfs.f_frsize, static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize,
                 static_cast<uint64_t>(st.st_dev)};
}

uint64_t bytesShort(const FsSpace& fs, const DiskGuardOptions& o) {
  const auto by_percent = static_cast<uint64_t>(std::ceil(static_cast<double>(fs.size_bytes) * o.min_free_percent / 100));
  const uint64_t want = std::max(by_percent, o.min_free_bytes);
  return fs.free_bytes >= want ? 0 : want - fs.free_bytes;
}

std::vector<DropCandidate> dropOrder(std::vector<DropCandidate> c, uint64_t now_us) {
  std::erase_if(c, [&](const DropCandidate& d) { return d.less_than > now_us; });
  std::stable_sort(c.begin(), c.end(), [](const DropCandidate& a, const DropCandidate& b) {
    return a.priority != b.priority ? a.priority < b.priority : a.less_than < b.less_than;
  });
  return c;
}

bool DiskGuard::candidates(DbConnection& db, std::vector<DropCandidate>& out, DbError& error) {
  out.clear();
  PartitionOptions p = partitions_;
  p.summary_table.clear();       // a few bytes a minute: never worth losing
  p.minute_stats_table.clear();  // the same: at most (methods + 6 + agents bound) rows a minute
  p.hour_stats_table.clear();    // and their sums per hour
  p.call_keys_table.clear();     // ~1/12 of the messages' bytes, and without them the calls of
                                 // an hour still stored could not be found by number
  const std::vector<PartitionSeries> all = partitionSeries(p);
  for (size_t i = 0; i < all.size(); ++i) {
    const PartitionSeries& s = all[i];
    std::vector<PartitionInfo> parts;
    if (!PartitionMaintainer::listSeries(db, s, parts, error)) return false;
    const bool is_class = !p.class_table.empty() && i < kStorageClassCount;
    // sip_qos goes with the calls it describes: the calls class's priority.
    const bool is_qos = !p.qos_table.empty() && s.table == p.qos_table;
    const int priority = is_class ? options_.class_priority[i]
                         : is_qos ? options_.class_priority[static_cast<size_t>(StorageClass::Calls)]
                                  : options_.other_tables_priority;
    for (const PartitionInfo& part : parts)
      if (isHourPartitionName(part.name, s.layout.hour_prefix) && part.less_than)
        out.push_back({s.table, part.name, *part.less_than, priority});
  }
  return true;
}

bool DiskGuard::runOnce(DbConnection& db, uint64_t now_us, DiskGuardOutcome& outcome, DbError& error) {
  outcome = DiskGuardOutcome{};
  if (options_.datadir.empty()) {
    auto dir = db.queryValue("SELECT @@datadir", error);
    if (!dir) return false;
    options_.datadir = *dir;
  }
  outcome.datadir = measureFs(options_.datadir);
  if (!spool_dir_.empty()) outcome.spool = measureFs(spool_dir_);
  if (!outcome.datadir || !options_.enabled()) return true;
  outcome.short_bytes = bytesShort(*outcome.datadir, options_);
  if (outcome.short_bytes == 0) return true;

  auto got = db.queryValue("SELECT GET_LOCK(CONCAT('sipvault.partitions.', DATABASE()), 0)", error);
  if (!got) return false;
  if (*got != "1") {
    outcome.skipped = true;
    return true;
  }
  bool ok = true;
  std::vector<DropCandidate> order;
  if (!candidates(db, order, error)) ok = false;
  order = dropOrder(std::move(order), now_us);
  size_t next = 0;
  while (ok && static_cast<int>(outcome.dropped.size()) < options_.max_drops_per_round) {
    if (next == order.size()) {
      outcome.nothing_left = true;
      break;
    }
    const DropCandidate& victim = order[next++];
    if (!db.execute("ALTER TABLE " + victim.table + " DROP PARTITION " + victim.partition, error)) {
      error.message = victim.table + " " + victim.partition + ": " + error.message;
      ok = false;
      break;
    }
    outcome.dropped.push_back(victim);
    auto now = measureFs(options_.datadir);
    if (!now || bytesShort(*now, options_) == 0) {
      if (now) outcome.datadir = now;
      break;
    }
    outcome.datadir = now;
  }
  DbError ignored;
  (void)db.queryValue("SELECT RELEASE_LOCK(CONCAT('sipvault.partitions.', DATABASE()))", ignored);
  return ok;
}

}  // namespace sipvault::writer
