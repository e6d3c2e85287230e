#pragma once
// Structured logs: one logfmt line per event, `level=info event=listening addr=0.0.0.0:9060`,
// written through Poco::Logger (console or syslog channel, chosen by StageApp from config).
//
// Thread-safe (Poco channels are). Values are quoted when they hold spaces, quotes or '='.
#include <Poco/Logger.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sipvault {

struct LogField {
  std::string_view key;
  std::string value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename N, typename = std::enable_if_t<std::is_arithmetic_v<N>>>
  LogField(std::string_view k, N v) : key(k), value(std::to_string(v)) {}
};

using LogFields = std::initializer_list<LogField>;

// Formats `event=<event> k=v ...` (without level/time, which the channel's formatter adds).
[[nodiscard]] std::string formatLogfmt(std::string_view event, LogFields fields);

class Log {
 public:
  explicit Log(Poco::Logger& logger) : logger_(&logger) {}
  static Log get(const std::string& name) { return Log(Poco::Logger::get(name)); }

  void debug(std::string_view event, LogFields f = {}) const { write(Poco::Message::PRIO_DEBUG, event, f); }
  void info(std::string_view event, LogFields f = {}) const { write(Poco::Message::PRIO_INFORMATION, event, f); }
  void warn(std::string_view event, LogFields f = {}) const { write(Poco::Message::PRIO_WARNING, event, f); }
  void error(std::string_view event, LogFields f = {}) const { write(Poco::Message::PRIO_ERROR, event, f); }

 private:
  void write(Poco::Message::Priority p, std::string_view event, LogFields f) const;
  Poco::Logger* logger_;
};

// Lets one log line through per interval; counts what it suppressed so the next line says so.
// For degraded modes on the data path (drops, reconnects) that could otherwise flood the log.
class RateLimiter {
 public:
  explicit RateLimiter(std::chrono::milliseconds interval) : interval_(interval) {}
  // True when a line may be written now; `suppressed` gets how many were held back since the last.
  [[nodiscard]] bool allow(uint64_t& suppressed);

 private:
  std::chrono::milliseconds interval_;
  std::atomic<int64_t> next_ns_{0};
  std::atomic<uint64_t> suppressed_{0};
};

}  // namespace sipvault
