#pragma once
// Reading one cell of a database row (store/db_connection.h DbRow: numbers as decimal text, bytes
// exact, NULL as nullopt) into a typed field. Pure; false on NULL, a non-number or an overflow,
// never a throw. Shared by the readers of sip_messages (message_record.cpp) and sip_rejects
// (reject_handler.cpp).
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace sipvault::api {

template <typename T>
[[nodiscard]] bool readNumber(const std::optional<std::string>& cell, T& out) {
  if (!cell) return false;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), v);
  if (ec != std::errc() || ptr != cell->data() + cell->size() || v > std::numeric_limits<T>::max())
    return false;
  out = static_cast<T>(v);
  return true;
}

[[nodiscard]] inline bool readText(const std::optional<std::string>& cell, std::string& out) {
  if (!cell) return false;
  out = *cell;
  return true;
}

}  // namespace sipvault::api
