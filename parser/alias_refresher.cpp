#include "parser/alias_refresher.h"

#include "store/alias_reader.h"

namespace sipvault::parser {

using namespace sipvault::store;

AliasRefresher::AliasRefresher(DbOptions db, std::chrono::milliseconds period, MetricsRegistry& metrics, Log log)
    : db_(std::move(db)),
      period_(period),
      log_(std::move(log)),
      reloads_(metrics.counter("sip_kpi_alias_reloads_total", "alias table reads from the database")),
      failures_(metrics.counter("sip_kpi_alias_reload_failures_total",
                                "alias table reads that failed (the last table stays in use)")),
      skipped_(metrics.counter("sip_kpi_alias_rows_skipped_total", "alias rows that did not parse")),
      table_(std::make_shared<AliasTable>()) {
  metrics.callbackGauge("sip_kpi_aliases", "aliases (rows) the KPI labels come from",
                        [this] { return static_cast<double>(current()->all().size()); });
}

AliasRefresher::~AliasRefresher() { stop(); }

std::shared_ptr<const AliasTable> AliasRefresher::current() const {
  std::lock_guard lock(mu_);
  return table_;
}

bool AliasRefresher::refreshOnce() {
  DbError error;
  std::vector<Alias> aliases;
  size_t skipped = 0;
  if (!conn_) conn_ = DbConnection::open(db_, error);
  const bool ok = conn_ && readAliases(*conn_, aliases, skipped, error);
  if (!ok) {
    failures_.inc();
    conn_.reset();  // a fresh session next time
    if (!failing_) log_.warn("alias_read_failed", {{"db", db_.describe()}, {"error", error.describe()}});
    failing_ = true;
    return false;
  }
  if (failing_) log_.info("alias_read_recovered", {{"aliases", aliases.size()}});
  failing_ = false;
  reloads_.inc();
  skipped_.inc(skipped);
  auto fresh = std::make_shared<const AliasTable>(std::move(aliases));
  std::lock_guard lock(mu_);
  table_ = std::move(fresh);
  return true;
}

void AliasRefresher::start() {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] {
    std::unique_lock lock(wake_mu_);
    do {
      lock.unlock();
      refreshOnce();
      lock.lock();
    } while (!wake_.wait_for(lock, period_, [this] { return stopping_; }));
  });
}

void AliasRefresher::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sipvault::parser
