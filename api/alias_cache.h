#pragma once
// The api's copy of the aliases (issue 14): one immutable store::AliasTable shared by every
// request, reloaded from api_aliases after each change this process makes and every
// api.alias_refresh_s (so several api processes over one database agree within that period).
// A failed reload keeps the last table and is counted and logged. Thread-safe.
//
// Also the two places aliases meet a request: search filters (alias, src_alias, dst_alias resolved
// to address/prefix/capture-id targets) and response objects (src_alias/dst_alias beside the
// addresses). Pure functions, tested without a database.
#include <Poco/JSON/Object.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/alias_store.h"
#include "api/message_record.h"
#include "api/search_filter.h"
#include "common/log.h"
#include "common/metrics.h"
#include "store/alias_table.h"

namespace sipvault::api {

class AliasCache {
 public:
  AliasCache(AliasStore& store, MetricsRegistry& metrics, Log log);
  ~AliasCache();
  AliasCache(const AliasCache&) = delete;
  AliasCache& operator=(const AliasCache&) = delete;

  // The current table (never null; empty before the first load).
  [[nodiscard]] std::shared_ptr<const store::AliasTable> table() const;
  // Reloads now; false (last table kept) with `error` when the database fails.
  [[nodiscard]] bool refresh(store::DbError& error);
  // Reloads every `period` on a thread until stop().
  void start(std::chrono::milliseconds period);
  void stop();

 private:
  AliasStore& store_;
  Log log_;
  Counter& reloads_;
  Counter& reload_failures_;
  mutable std::mutex mu_;
  std::shared_ptr<const store::AliasTable> table_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool failing_ = false;  // the refresh thread's own
  std::thread thread_;
};

// Resolves every name in `filter.aliases` against `table`; a ParamError names the parameter of
// an unknown alias.
[[nodiscard]] std::optional<ParamError> resolveAliasFilters(SearchFilter& filter, const store::AliasTable& table);

// Adds "src_alias" and "dst_alias" (the name, or null) to a message object.
void addAliasFields(Poco::JSON::Object& object, const MessageRecord& m, const store::AliasTable& table);
// The alias of each "ip:port" in `hosts` (hostText of the messages' addresses), or "" for none.
[[nodiscard]] std::vector<std::string> hostAliases(const std::vector<MessageRecord>& messages,
                                                   const std::vector<std::string>& hosts,
                                                   const store::AliasTable& table);

}  // namespace sipvault::api
