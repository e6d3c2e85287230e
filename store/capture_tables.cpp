#include "store/capture_tables.h"

#include <cctype>

namespace sipvault::store {
namespace {

bool wordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

bool namesCaptureTable(std::string_view statement) {
  size_t i = 0;
  while (i < statement.size()) {
    if (!wordChar(statement[i])) {
      ++i;
      continue;
    }
    const size_t start = i;
    while (i < statement.size() && wordChar(statement[i])) ++i;
    const std::string_view word = statement.substr(start, i - start);
    for (std::string_view table : kCaptureTables)
      if (equalsIgnoreCase(word, table)) return true;
  }
  return false;
}

}  // namespace sipvault::store
