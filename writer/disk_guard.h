#pragma once
// The disk guard: keeps MariaDB from ever filling its disk. Watches the free space of the
// filesystem holding the server's datadir (writer.disk_guard.datadir, or the server's @@datadir
// when it runs on this host) and of the spool's; while the datadir's is below the threshold it
// drops whole hourly partitions, lowest-priority storage class first and oldest hour first, one at
// a time, measuring again after each (InnoDB file-per-table gives a dropped partition's space back
// to the filesystem at once). What it drops was acked: that loss is the deliberate trade for never
// failing every insert on a full disk; each drop is returned for the caller to log and count.
//
// Runs on the maintenance thread's connection (WriterService), under the same server lock as
// partition maintenance, so two writers never drop at once. dropOrder() and bytesShort() are pure.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proto/storage_class.h"
#include "store/db_connection.h"
#include "writer/partition_maintainer.h"

namespace sipvault::writer {

struct DiskGuardOptions {
  // Free space to keep on the datadir's filesystem: the larger of the two; both 0 = guard off.
  // writer.disk_guard.min_free_percent (10), writer.disk_guard.min_free_mb (0)
  double min_free_percent = 10;
  uint64_t min_free_bytes = 0;
  // Where the server keeps its data; "" = ask the server (SELECT @@datadir), which is only right
  // when it runs on this host. writer.disk_guard.datadir
  std::string datadir;
  // How often free space is measured. writer.disk_guard.interval_s (10)
  std::chrono::seconds interval{10};
  // Which class goes first: lower priority is dropped first. writer.class.<name>.priority
  // (calls 30, registrations 10, other 20); sip_qos has the calls class's; sip_rejects, hep_other and
  // sip_headers: writer.disk_guard.other_tables_priority (0: dropped first). sip_summaries and
  // sip_minute_stats (a few rows a minute) are never dropped.
  std::array<int, kStorageClassCount> class_priority{30, 10, 20};
  int other_tables_priority = 0;
  // At most this many partitions per round, so one round cannot empty the database on a bad
  // measurement. writer.disk_guard.max_drops_per_round (24)
  int max_drops_per_round = 24;

  [[nodiscard]] bool enabled() const { return min_free_percent > 0 || min_free_bytes > 0; }
};

struct FsSpace {
  uint64_t size_bytes = 0;
  uint64_t free_bytes = 0;  // available to an unprivileged writer (statvfs f_bavail)
  uint64_t device = 0;
};

// statvfs/stat of `path`; nullopt when it cannot be read.
[[nodiscard]] std::optional<FsSpace> measureFs(const std::string& path);

// Bytes missing to the threshold (0 = enough free space).
[[nodiscard]] uint64_t bytesShort(const FsSpace& fs, const DiskGuardOptions& options);

struct DropCandidate {
  std::string table;
  std::string partition;
  uint64_t less_than = 0;  // upper bound (µs)
  int priority = 0;
};

// The hourly partitions that may go, in the order they go: lowest priority first, then oldest.
// Only hours that have ended (less_than <= now_us): the current hour is still being written.
[[nodiscard]] std::vector<DropCandidate> dropOrder(std::vector<DropCandidate> candidates, uint64_t now_us);

struct DiskGuardOutcome {
  std::optional<FsSpace> datadir;  // nullopt: not measured (path unknown or unreadable)
  std::optional<FsSpace> spool;
  uint64_t short_bytes = 0;        // before dropping
  std::vector<DropCandidate> dropped;
  bool nothing_left = false;       // short of space with no complete hour left to drop
  bool skipped = false;            // another writer held the lock
};

class DiskGuard {
 public:
  DiskGuard(DiskGuardOptions options, PartitionOptions partitions, std::string spool_dir)
      : options_(std::move(options)), partitions_(std::move(partitions)), spool_dir_(std::move(spool_dir)) {}

  // One round at now_us. False with `error` on a database error (outcome says what was done).
  [[nodiscard]] bool runOnce(store::DbConnection& db, uint64_t now_us, DiskGuardOutcome& outcome,
                             store::DbError& error);

  [[nodiscard]] const DiskGuardOptions& options() const { return options_; }
  [[nodiscard]] const std::string& datadir() const { return options_.datadir; }

 private:
  bool candidates(store::DbConnection& db, std::vector<DropCandidate>& out, store::DbError& error);

  DiskGuardOptions options_;
  PartitionOptions partitions_;
  std::string spool_dir_;
};

}  // namespace sipvault::writer
