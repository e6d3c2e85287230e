#include "api/alias_cache.h"

#include <unordered_map>

namespace sipvault::api {

using namespace sipvault::store;

AliasCache::AliasCache(AliasStore& store, MetricsRegistry& metrics, Log log)
    : store_(store),
      log_(std::move(log)),
      reloads_(metrics.counter("api_alias_reloads_total", "alias table reloads from the database")),
      reload_failures_(metrics.counter("api_alias_reload_failures_total",
                                       "alias table reloads that failed (the last table stays in use)")),
      table_(std::make_shared<AliasTable>()) {
  metrics.callbackGauge("api_aliases", "aliases (rows) in the api's cache",
                        [this] { return static_cast<double>(table()->all().size()); });
}

AliasCache::~AliasCache() { stop(); }

std::shared_ptr<const AliasTable> AliasCache::table() const {
  std::lock_guard lock(mu_);
  return table_;
}

bool AliasCache::refresh(DbError& error) {
  std::vector<AliasRow> rows;
  if (!store_.list(rows, error)) {
    reload_failures_.inc();
    return false;
  }
  std::vector<Alias> aliases;
  aliases.reserve(rows.size());
  for (AliasRow& r : rows) aliases.push_back(std::move(r.alias));
  auto fresh = std::make_shared<const AliasTable>(std::move(aliases));
  reloads_.inc();
  std::lock_guard lock(mu_);
  table_ = std::move(fresh);
  return true;
}

void AliasCache::start(std::chrono::milliseconds period) {
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this, period] {
    std::unique_lock lock(wake_mu_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      DbError error;
      const bool ok = refresh(error);
      // Logged once per failure streak (counted every time): a database away for an hour is one line.
      if (!ok && !failing_) log_.warn("alias_reload_failed", {{"error", error.describe()}});
      if (ok && failing_) log_.info("alias_reload_recovered");
      failing_ = !ok;
      lock.lock();
    }
  });
}

void AliasCache::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::optional<ParamError> resolveAliasFilters(SearchFilter& filter, const AliasTable& table) {
  for (AliasFilter& a : filter.aliases) {
    a.targets = table.targetsOf(a.name);
    if (a.targets.empty()) return ParamError{std::string(aliasParameterName(a.side)), "no alias named '" + a.name + "'"};
    a.resolved = true;
  }
  return std::nullopt;
}

namespace {

Poco::Dynamic::Var nameOrNull(const std::string* name) {
  if (!name) return Poco::Dynamic::Var();
  return *name;
}

}  // namespace

void addAliasFields(Poco::JSON::Object& o, const MessageRecord& m, const AliasTable& table) {
  o.set("src_alias", nameOrNull(table.nameOf(m.src_ip, m.src_port, m.capture_id)));
  o.set("dst_alias", nameOrNull(table.nameOf(m.dst_ip, m.dst_port, m.capture_id)));
}

std::vector<std::string> hostAliases(const std::vector<MessageRecord>& messages, const std::vector<std::string>& hosts,
                                     const AliasTable& table) {
  std::unordered_map<std::string, std::string> by_host;
  if (!table.empty()) {
    for (const MessageRecord& m : messages) {
      for (int side = 0; side < 2; ++side) {
        const std::string& ip = side ? m.dst_ip : m.src_ip;
        const uint16_t port = side ? m.dst_port : m.src_port;
        std::string h = hostText(ip, port);
        if (by_host.count(h)) continue;
        const std::string* name = table.nameOf(ip, port, m.capture_id);
        by_host.emplace(std::move(h), name ? *name : std::string());
      }
    }
  }
  std::vector<std::string> out;
  out.reserve(hosts.size());
  for (const std::string& h : hosts) {
    auto it = by_host.find(h);
    out.push_back(it == by_host.end() ? std::string() : it->second);
  }
  return out;
}

}  // namespace sipvault::api
