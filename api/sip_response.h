#pragma once
// What a SIP response means to a support engineer. Pure functions; thread-safe.
//
//   standardReason(486) = "Busy Here"        the code's phrase in RFC 3261 / the IANA SIP
//   standardReason(299) = ""                  response-code registry; "" for unknown codes
//   callState(...)      = "busy"              an INVITE call's outcome from its final response:
//       answered   2xx
//       busy       486 Busy Here, 600 Busy Everywhere
//       cancelled  487 Request Terminated, or a CANCEL without a 2xx
//       no answer  408 Request Timeout, 480 Temporarily Unavailable, or no final response
//       failed     any other 3xx-6xx
//     and "" for calls whose first request is not an INVITE (REGISTER, OPTIONS...).
//   parseQ850Reason("Q.850;cause=17;text=\"User busy\"") = {17, "User busy"}  (RFC 3326 Reason
//     header value, protocol Q.850; nullopt for another protocol or without a cause)
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sipvault::api {

[[nodiscard]] std::string_view standardReason(uint16_t status);

[[nodiscard]] std::string_view callState(std::string_view first_method, uint16_t final_status,
                                         bool cancelled);

struct Q850Reason {
  uint16_t cause = 0;
  std::string text;  // "" when the header has none
  auto operator<=>(const Q850Reason&) const = default;
};
[[nodiscard]] std::optional<Q850Reason> parseQ850Reason(std::string_view header_value);

}  // namespace sipvault::api
