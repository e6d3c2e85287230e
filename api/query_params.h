#pragma once
// URL query strings and path segments, decoded. Pure functions, thread-safe.
//
//   "a=1&b=x%20y&b=z+w&flag"  ->  [("a","1"), ("b","x y"), ("b","z w"), ("flag","")]
// '+' means a space in a query (HTML form encoding) but not in a path segment. A malformed
// escape (`%G1`, a lone `%`) makes the whole string invalid: the caller answers 400.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sipvault::api {

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// nullopt when an escape is malformed; `bad_name` then gets the (raw) name of the offending pair.
[[nodiscard]] std::optional<QueryParams> parseQueryString(std::string_view query, std::string& bad_name);
// Percent-decodes; nullopt on a malformed escape.
[[nodiscard]] std::optional<std::string> percentDecode(std::string_view text, bool plus_is_space);
// Percent-encodes everything except unreserved characters (RFC 3986).
[[nodiscard]] std::string percentEncode(std::string_view text);

}  // namespace sipvault::api
