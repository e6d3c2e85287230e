#pragma once
// Time values as the REST contract writes them. Pure functions, thread-safe.
//
//   parseTimeParam("2026-11-26T14:05:00Z")         RFC 3339: date 'T' time, optional fraction
//   parseTimeParam("2026-11-26T14:05:00.5+01:00")  (any number of digits, µs kept), 'Z' or ±hh:mm
//   parseTimeParam("2026-11-26T14:05+01:00")       ISO 8601 without seconds (zone still required)
//   parseTimeParam("1795000000s")                  epoch with its unit: s, ms or us
//   parseTimeParam("1795000000123ms")
// all return µs since the Unix epoch (UTC), or nullopt when the text is none of these or the time
// lies before 1970 or after 9999. A bare number ("1795000000") is refused: seconds and
// milliseconds both occur in scripts, and a guess puts a time in 1970 or in the year 58000.
//   formatTimeUs(1500) = "1970-01-01T00:00:00.001500Z" (UTC, always 6 fraction digits)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault::api {

[[nodiscard]] std::optional<uint64_t> parseTimeParam(std::string_view text);
[[nodiscard]] std::string formatTimeUs(uint64_t us);
// Current wall-clock time in µs since the epoch.
[[nodiscard]] uint64_t nowUs();

}  // namespace sipvault::api
