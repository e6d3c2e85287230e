#pragma once
// Storage classes: which slice of sip_messages a message is kept in, each with its own hourly
// partitions and retention (store/sql/008_storage_classes.sql, writer/README.md). The number is
// part of the wire (SipRecord.storage_class) and of the table (sip_messages.storage_class), so the
// ids never change; a new class takes the next id. Class 0 is the default: a record from a parser
// that knows no policy, and every row stored before classes existed, is a call.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sipvault {

enum class StorageClass : uint8_t {
  Calls = 0,          // dialog-forming traffic and everything no rule sends elsewhere
  Registrations = 1,  // REGISTER and its responses
  Other = 2,          // SUBSCRIBE/NOTIFY/PUBLISH/MESSAGE and whatever an operator sends here
};

inline constexpr size_t kStorageClassCount = 3;
inline constexpr std::array<std::string_view, kStorageClassCount> kStorageClassNames{"calls", "registrations",
                                                                                     "other"};

[[nodiscard]] constexpr std::string_view storageClassName(StorageClass c) {
  return kStorageClassNames[static_cast<size_t>(c)];
}

// "calls" / "registrations" / "other" (exact, lower case); nullopt for anything else.
[[nodiscard]] constexpr std::optional<StorageClass> parseStorageClass(std::string_view name) {
  for (size_t i = 0; i < kStorageClassCount; ++i)
    if (kStorageClassNames[i] == name) return static_cast<StorageClass>(i);
  return std::nullopt;
}

// A wire or column value; anything out of range is stored as a call (never lost).
[[nodiscard]] constexpr StorageClass storageClassFromNumber(uint64_t n) {
  return n < kStorageClassCount ? static_cast<StorageClass>(n) : StorageClass::Calls;
}

}  // namespace sipvault
