#pragma once
// Base64 (RFC 4648) for cursors, tokens and raw_base64. Pure functions, thread-safe.
#include <optional>
#include <string>
#include <string_view>

namespace sipvault::api {

// Standard alphabet with '=' padding (§4).
[[nodiscard]] std::string base64Encode(std::string_view bytes);
// URL-safe alphabet without padding (§5).
[[nodiscard]] std::string base64UrlEncode(std::string_view bytes);
// Decodes §5 text without padding; nullopt on any other character or an impossible length.
[[nodiscard]] std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace sipvault::api
