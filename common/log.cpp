#include "common/log.h"

namespace sipvault {
namespace {

bool needsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  return false;
}

void appendValue(std::string& out, std::string_view v) {
  if (!needsQuotes(v)) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) out += '?';  // keep log lines single-line text
        else out += c;
    }
  }
  out += '"';
}

}  // namespace

std::string formatLogfmt(std::string_view event, LogFields fields) {
  std::string out = "event=";
  appendValue(out, event);
  for (const LogField& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    appendValue(out, f.value);
  }
  return out;
}

void Log::write(Poco::Message::Priority p, std::string_view event, LogFields f) const {
  if (!logger_->is(p)) return;
  logger_->log(Poco::Message(logger_->name(), formatLogfmt(event, f), p));
}

bool RateLimiter::allow(uint64_t& suppressed) {
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::steady_clock::now().time_since_epoch())
                          .count();
  int64_t next = next_ns_.load(std::memory_order_relaxed);
  if (now >= next &&
      next_ns_.compare_exchange_strong(next, now + std::chrono::nanoseconds(interval_).count())) {
    suppressed = suppressed_.exchange(0);
    return true;
  }
  suppressed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

}  // namespace sipvault
