#include "api/sip_response.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace sipvault::api {
namespace {

// RFC 3261 section 21 and the IANA "SIP Response Codes" registry.
constexpr std::array<std::pair<uint16_t, std::string_view>, 75> kReasons = {{
    {100, "Trying"},
    {180, "Ringing"},
    {181, "Call Is Being Forwarded"},
    {182, "Queued"},
    {183, "Session Progress"},
    {199, "Early Dialog Terminated"},
    {200, "OK"},
    {202, "Accepted"},
    {204, "No Notification"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Moved Temporarily"},
    {305, "Use Proxy"},
    {380, "Alternative Service"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {410, "Gone"},
    {412, "Conditional Request Failed"},
    {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"},
    {417, "Unknown Resource-Priority"},
    {420, "Bad Extension"},
    {421, "Extension Required"},
    {422, "Session Interval Too Small"},
    {423, "Interval Too Brief"},
    {424, "Bad Location Information"},
    {425, "Bad Alert Message"},
    {428, "Use Identity Header"},
    {429, "Provide Referrer Identity"},
    {430, "Flow Failed"},
    {433, "Anonymity Disallowed"},
    {436, "Bad Identity-Info"},
    {437, "Unsupported Certificate"},
    {438, "Invalid Identity Header"},
    {439, "First Hop Lacks Outbound Support"},
    {440, "Max-Breadth Exceeded"},
    {469, "Bad Info Package"},
    {470, "Consent Needed"},
    {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"},
    {482, "Loop Detected"},
    {483, "Too Many Hops"},
    {484, "Address Incomplete"},
    {485, "Ambiguous"},
    {486, "Busy Here"},
    {487, "Request Terminated"},
    {488, "Not Acceptable Here"},
    {489, "Bad Event"},
    {491, "Request Pending"},
    {493, "Undecipherable"},
    {494, "Security Agreement Required"},
    {500, "Server Internal Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Server Time-out"},
    {505, "Version Not Supported"},
    {513, "Message Too Large"},
    {555, "Push Notification Service Not Supported"},
    {580, "Precondition Failure"},
    {600, "Busy Everywhere"},
    {603, "Decline"},
    {604, "Does Not Exist Anywhere"},
    {606, "Not Acceptable"},
    {607, "Unwanted"},
    {608, "Rejected"},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view standardReason(uint16_t status) {
  auto it = std::lower_bound(kReasons.begin(), kReasons.end(), status,
                             [](const auto& entry, uint16_t code) { return entry.first < code; });
  return it != kReasons.end() && it->first == status ? it->second : std::string_view();
}

std::string_view callState(std::string_view first_method, uint16_t final_status, bool cancelled) {
  if (first_method != "INVITE") return "";
  if (final_status >= 200 && final_status < 300) return "answered";
  if (final_status == 486 || final_status == 600) return "busy";
  if (final_status == 487 || cancelled) return "cancelled";
  if (final_status == 0 || final_status == 408 || final_status == 480) return "no answer";
  return "failed";
}

std::optional<Q850Reason> parseQ850Reason(std::string_view value) {
  // reason-value = protocol *(SEMI reason-params); reason-params = cause / text / extension
  size_t semi = value.find(';');
  if (!iequals(trim(value.substr(0, semi)), "Q.850")) return std::nullopt;
  Q850Reason r;
  bool has_cause = false;
  while (semi != std::string_view::npos) {
    value.remove_prefix(semi + 1);
    // A quoted text may hold ';': find the end of this parameter outside quotes.
    size_t end = 0;
    bool quoted = false;
    for (; end < value.size(); ++end) {
      if (value[end] == '"' && (end == 0 || value[end - 1] != '\\')) quoted = !quoted;
      if (value[end] == ';' && !quoted) break;
    }
    const std::string_view param = value.substr(0, end);
    semi = end < value.size() ? end : std::string_view::npos;
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view name = trim(param.substr(0, eq));
    std::string_view v = trim(param.substr(eq + 1));
    if (iequals(name, "cause")) {
      if (v.empty() || v.size() > 3 ||
          !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
      r.cause = static_cast<uint16_t>(std::stoi(std::string(v)));
      has_cause = true;
    } else if (iequals(name, "text")) {
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      r.text = std::string(v.substr(0, 128));
    }
  }
  if (!has_cause) return std::nullopt;
  return r;
}

}  // namespace sipvault::api
