#pragma once
// A parameterised SQL statement under construction: the text with `?` placeholders and the values
// bound to them, in order. Values never enter the SQL text; SqlSession binds them to a prepared
// statement.
//
// Byte strings (Call-IDs, numbers, IP addresses: the writer stores them in VARBINARY columns) are
// bound as hex text and unwrapped by the server with UNHEX(?), so arbitrary bytes (invalid UTF-8,
// NUL, raw IPv4 octets) reach the server unchanged by any character-set conversion.
//
// Pure value type; not thread-safe (build one per request).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sipvault::api {

// uint64_t -> setUInt64; std::string -> setString (plain ASCII: hex text, role names...).
using SqlParam = std::variant<uint64_t, std::string>;

struct SqlQuery {
  std::string sql;
  std::vector<SqlParam> params;

  SqlQuery& text(std::string_view fragment) {
    sql += fragment;
    return *this;
  }
  // Appends "?" bound to a number.
  SqlQuery& number(uint64_t value) {
    sql += '?';
    params.emplace_back(value);
    return *this;
  }
  // Appends "UNHEX(?)" bound to `bytes` (any bytes).
  SqlQuery& bytes(std::string_view value) {
    sql += "UNHEX(?)";
    params.emplace_back(toHex(value));
    return *this;
  }
  // Appends "?" bound to an ASCII string (the caller validated it).
  SqlQuery& ascii(std::string_view value) {
    sql += '?';
    params.emplace_back(std::string(value));
    return *this;
  }
  // Appends another query's text and parameters.
  SqlQuery& append(const SqlQuery& other) {
    sql += other.sql;
    params.insert(params.end(), other.params.begin(), other.params.end());
    return *this;
  }

  [[nodiscard]] static std::string toHex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
    return out;
  }
};

}  // namespace sipvault::api
