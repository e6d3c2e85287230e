#pragma once
// The outage spool as a RowSink decorator around the DbSink (writer.spool_dir set).
//
//   spool empty:     write to the database. RetryLater for less than spool_after -> RetryLater
//                    (the BatchWriter backs off and retries, as without a spool); for longer ->
//                    append the batch to the spool and answer Written (durable: it gets acked).
//   spool not empty: first replay the spool, oldest first, for up to replay_slice; if that empties
//                    it, write the batch to the database as above, else append it behind the rest
//                    (order preserved). While the database stays away it is only probed, with
//                    backoff (probe_initial doubling to probe_max), not tried for every batch.
//   idle():          replay for up to replay_slice (and sync the spool per its fsync policy);
//                    true while more can be replayed now (the database answers and the spool is not empty).
// A writer started with a non-empty spool therefore replays it before anything newer.
//
// Spool full or failing (disk): the batch is not taken, write() answers RetryLater, and the
// BatchWriter's retry loop holds it: the queue fills and backpressure reaches upstream, as
// without a spool. Nothing is dropped silently: a spooled batch the database refuses as data
// rejected_attempts times is dropped, logged and counted (rows_dropped{reason="db_rejected"}),
// and spool records that do not decode are counted as corrupt.
// A crash between a replayed batch's COMMIT and the cursor update replays that batch again after
// restart (at-least-once; rows can then be stored twice).
//
// Not thread-safe: used by the DB thread only (like the DbSink it wraps).
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "common/log.h"
#include "writer/row_sink.h"
#include "writer/row_spool.h"
#include "writer/writer_metrics.h"

namespace sipvault::writer {

struct SpoolPolicy {
  std::chrono::milliseconds spool_after{2000};    // writer.spool_after_ms
  std::chrono::milliseconds replay_slice{250};    // longest replay stretch before new batches are taken
  std::chrono::milliseconds probe_initial{100};   // writer.retry_initial_ms
  std::chrono::milliseconds probe_max{5000};      // writer.retry_max_ms
  int rejected_attempts = 3;
};

class SpoolingSink : public RowSink {
 public:
  // `inner` must outlive this sink.
  SpoolingSink(RowSink& inner, std::unique_ptr<RowSpool> spool, SpoolPolicy policy, SpoolMetrics& metrics,
               InsertMetrics& insert, Log log);
  ~SpoolingSink() override;

  [[nodiscard]] SinkResult write(store::RowBatch& batch, std::string& error) override;
  bool idle() override;

  [[nodiscard]] const RowSpool& spool() const { return *spool_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Replays until the spool is empty, the database fails, or `until`.
  void replay(Clock::time_point until);
  [[nodiscard]] SinkResult append(const store::RowBatch& batch, std::string& error);
  void probeLater(const std::string& error);
  void updateMetrics();

  RowSink& inner_;
  std::unique_ptr<RowSpool> spool_;
  const SpoolPolicy policy_;
  SpoolMetrics& metrics_;
  InsertMetrics& insert_;  // rows_dropped_rejected: a replayed batch the database refuses
  Log log_;
  std::optional<Clock::time_point> outage_since_;  // first RetryLater of the current outage
  Clock::time_point next_probe_{};                 // no database attempt for the spool before this
  std::chrono::milliseconds probe_backoff_;
  int rejected_ = 0;                               // refusals of the spool's oldest record so far
  uint64_t replayed_since_spooling_ = 0;
  std::string encoded_;                            // reused buffers: no allocation per batch once warm
  std::string record_;
  store::RowBatch replay_batch_;
  uint64_t corrupt_records_seen_ = 0;
  uint64_t corrupt_bytes_seen_ = 0;
  RateLimiter log_limit_{std::chrono::seconds(5)};
};

}  // namespace sipvault::writer
