#pragma once
// The writer's outage spool on disk: a bounded FIFO of opaque records (encoded RowBatches, see
// row_batch_codec.h) that survives a crash or restart. Pure file code: no database, no threads.
//
// Directory layout (writer.spool_dir):
//   LOCK                         flock()ed while open: one writer per spool directory
//   spool-<seq, 16 hex>.seg      segment files, appended in seq order; the last one takes appends
//   cursor                       where reading resumes (segment seq, offset); replaced by rename()
//
//   segment:  +----------------+---------+--------+--------+-----
//             | "SVSPOOL2" (8) | key (8) | record | record | ...
//             +----------------+---------+--------+--------+-----
//   record:   +------------+--------------+-------------+-------------------+
//             | "SVR1" (4) | length u32LE | crc32 u32LE | payload (length)  |
//             +------------+--------------+-------------+-------------------+
//             crc32 = zlib/IEEE CRC-32 over the segment's key, the 4 length bytes and the payload
//   key:      8 random bytes drawn when the segment is created. Payloads are captured traffic, so a
//             sender can place "SVR1" + length + a valid unkeyed CRC inside a packet; without the
//             key, such bytes pass the check when reading resyncs after damage only by a 2^-32
//             chance. (A CRC, not a MAC: it does not stand against someone who can read the spool.)
//   legacy:   a segment starting "SVSPOOL1" (no key; records' CRC without key) from an older
//             writer is still read and replayed; new appends always go to a new keyed segment.
//   cursor:   +----------------+-----------------+--------------+-------------------------------+
//             | "SVCURS01" (8) | segment seq u64 | offset u64   | crc32 u32 over the first 24   |
//             +----------------+-----------------+--------------+-------------------------------+
//
// Appends go to the end of the last segment; a new segment starts when the record would push the
// last one past segment_bytes. Reading starts at the cursor; a segment is deleted once read past,
// and when the last record is popped every segment is deleted (an empty spool uses no disk).
//
// Durability: with fsync_interval 0 (default) append() returns only after fdatasync(), so an
// appended record survives power loss. With fsync_interval N ms, append() syncs at most every N ms
// (and sync() syncs what is pending; the old segment is synced before a new one starts): a process crash
// loses nothing (the page cache has it), a power loss may lose the last N ms of appends. The cursor is
// renamed into place without fsync: after a power loss reading may restart a little earlier (records replayed
// twice, never lost).
//
// Damage: open() reads every segment from the cursor on. Records are found by magic, length and
// CRC; bytes that do not form a valid record are skipped up to the next valid record. Garbage at
// the end of the last segment (a torn append: crash mid-write) is cut off at once and counted;
// damage elsewhere is counted (corruptRecords/corruptBytes) when reading reaches it. A segment
// with a bad header is counted and deleted. Nothing here throws, asserts or crashes on bad bytes.
//
// Bound: the segment files together never exceed max_bytes; append() then answers Full and the
// caller keeps the data (backpressure). Not thread-safe: one thread owns a RowSpool.
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sipvault::writer {

struct RowSpoolOptions {
  std::filesystem::path dir;                      // writer.spool_dir
  uint64_t max_bytes = 1024ull << 20;             // writer.spool_max_mb: all segment files together
  uint64_t segment_bytes = 16ull << 20;           // a segment is closed once the next record would pass this
  std::chrono::milliseconds fsync_interval{0};    // writer.spool_fsync_ms; 0 = fdatasync every append
};

// What open() found on disk (for the start-up log).
struct SpoolRecovery {
  uint64_t segments = 0;
  uint64_t records = 0;            // valid records waiting to be replayed
  uint64_t bytes = 0;              // segment bytes on disk after recovery
  uint64_t torn_tail_bytes = 0;    // garbage cut off the end of the last segment
  uint64_t bad_segments = 0;       // segments deleted for a bad header
  bool cursor_reset = false;       // the cursor file was unreadable: reading starts at the oldest segment
};

class RowSpool {
 public:
  // Creates `dir` if needed, locks it, and recovers what an earlier process left. nullptr with
  // `error` naming the problem when the directory cannot be used (permissions, locked by another
  // process, I/O error).
  [[nodiscard]] static std::unique_ptr<RowSpool> open(const RowSpoolOptions& options, std::string& error);
  ~RowSpool();
  RowSpool(const RowSpool&) = delete;
  RowSpool& operator=(const RowSpool&) = delete;

  enum class AppendResult { Appended, Full, IoError };
  // Adds one record at the end. Appended: on disk per the fsync policy. Full: it would pass
  // max_bytes (nothing written). IoError: nothing kept (a partial write is cut off), `error` set.
  [[nodiscard]] AppendResult append(std::string_view payload, std::string& error);

  enum class ReadResult { Record, Empty, IoError };
  // The oldest record not yet popped, into `payload` (replaced). Corrupt bytes on the way are
  // skipped and counted. Calling front() again without pop() returns the same record.
  [[nodiscard]] ReadResult front(std::string& payload, std::string& error);
  // Forgets the record front() returned last and persists the read position. False (with
  // `error`) when the cursor could not be written; the record is forgotten in memory anyway.
  bool pop(std::string& error);

  // fdatasync()s appends not yet synced (fsync_interval > 0). False with `error` on failure.
  bool sync(std::string& error);
  // sync() when the last one is older than fsync_interval.
  bool syncIfDue(std::string& error);

  [[nodiscard]] bool empty() const { return records_ == 0; }
  [[nodiscard]] uint64_t records() const { return records_; }
  [[nodiscard]] uint64_t bytes() const { return bytes_; }  // segment files on disk
  [[nodiscard]] uint64_t corruptRecords() const { return corrupt_records_; }
  [[nodiscard]] uint64_t corruptBytes() const { return corrupt_bytes_; }
  // fdatasync() calls that made appended records durable (for tests of the fsync policy).
  [[nodiscard]] uint64_t dataSyncs() const { return data_syncs_; }
  [[nodiscard]] const SpoolRecovery& recovery() const { return recovery_; }
  [[nodiscard]] const RowSpoolOptions& options() const { return options_; }

 private:
  struct Segment {
    uint64_t seq = 0;
    uint64_t size = 0;          // bytes in the file, header included
    uint64_t header_bytes = 0;  // 16, or 8 in a legacy (unkeyed) segment
    std::string key;            // seeds the records' CRC; "" in a legacy segment
  };

  explicit RowSpool(RowSpoolOptions options);
  bool recover(std::string& error);
  bool startSegment(std::string& error);
  void dropFrontSegment();
  void removeAllSegments();
  bool writeCursor(uint64_t seq, uint64_t offset, std::string& error);
  [[nodiscard]] std::filesystem::path segmentPath(uint64_t seq) const;

  RowSpoolOptions options_;
  int lock_fd_ = -1;
  std::deque<Segment> segments_;
  uint64_t next_seq_ = 1;      // seq of the next segment to create
  int append_fd_ = -1;         // open on segments_.back() once appended to
  int read_fd_ = -1;           // open on segments_.front() while reading it
  uint64_t read_offset_ = 0;   // in segments_.front()
  uint64_t front_size_ = 0;    // size of the record front() returned, 0 when none
  uint64_t records_ = 0;
  uint64_t bytes_ = 0;
  uint64_t corrupt_records_ = 0;
  uint64_t corrupt_bytes_ = 0;
  uint64_t data_syncs_ = 0;
  bool dirty_ = false;  // appended since the last fdatasync
  std::chrono::steady_clock::time_point last_sync_{};
  SpoolRecovery recovery_;
};

}  // namespace sipvault::writer
