#include "api/time_text.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace sipvault::api {

namespace {

bool digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

constexpr uint64_t kMaxTimeUs = 253402300799999999ull;  // 9999-12-31T23:59:59.999999Z

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

std::optional<uint64_t> parseRfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM[:SS[.frac]](Z|±HH:MM): RFC 3339, or ISO 8601 without seconds.
  int year, month, day, hour, minute, second = 0;
  if (!digits(s, 0, 4, year) || s.size() < 17 || s[4] != '-' || !digits(s, 5, 2, month) || s[7] != '-' ||
      !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, hour) ||
      s[13] != ':' || !digits(s, 14, 2, minute))
    return std::nullopt;
  const bool has_seconds = s[16] == ':';
  if (has_seconds && !digits(s, 17, 2, second)) return std::nullopt;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 ||
      day > kDays[month - 1] + (month == 2 && leap(year) ? 1 : 0) || hour > 23 || minute > 59 || second > 60)
    return std::nullopt;
  size_t pos = has_seconds ? 19 : 16;
  uint64_t micros = 0;
  if (has_seconds && pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t n = 0;
    uint64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) micros += static_cast<uint64_t>(s[pos] - '0') * scale, scale /= 10;
      ++pos, ++n;
    }
    if (n == 0 || n > 12) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;
  int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, om) ||
        oh > 23 || om > 59)
      return std::nullopt;
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const int64_t secs = daysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
                       hour * 3600 + minute * 60 + std::min(second, 59) - offset_s;
  if (secs < 0) return std::nullopt;
  return static_cast<uint64_t>(secs) * 1000000u + micros;
}

}  // namespace

std::optional<uint64_t> parseTimeParam(std::string_view text) {
  if (text.empty()) return std::nullopt;
  size_t n = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9') ++n;
  if (n == text.size()) return std::nullopt;  // a bare number: seconds? ms? refused, not guessed
  const bool letters_follow = std::all_of(text.begin() + static_cast<std::ptrdiff_t>(n), text.end(),
                                          [](char c) { return c >= 'a' && c <= 'z'; });
  if (n > 0 && letters_follow) {
    if (n > 18) return std::nullopt;
    // Epoch with its unit: 1796529849s, 1796529849398ms, 1796529849398123us. 18 digits cannot
    // overflow; the 9999 limit below keeps the product in range.
    const std::string_view unit = text.substr(n);
    uint64_t per = 0;
    if (unit == "s")
      per = 1000000;
    else if (unit == "ms")
      per = 1000;
    else if (unit == "us")
      per = 1;
    else
      return std::nullopt;
    uint64_t v = 0;
    for (char c : text.substr(0, n)) v = v * 10 + static_cast<uint64_t>(c - '0');
    if (v > kMaxTimeUs / per) return std::nullopt;
    return v * per;
  }
  auto us = parseRfc3339(text);
  if (!us || *us > kMaxTimeUs) return std::nullopt;
  return us;
}

std::string formatTimeUs(uint64_t us) {
  const time_t secs = static_cast<time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<unsigned>(us % 1000000));
  return buf;
}

uint64_t nowUs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

}  // namespace sipvault::api
