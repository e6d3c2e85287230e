#include "api/partial_answer.h"

#include <algorithm>

namespace sipvault::api {

std::vector<std::string> missingShards(const ShardCoverage& before, const ShardCoverage& after) {
  std::vector<std::string> out = before.missing;
  for (const std::string& name : after.missing)
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  return out;
}

namespace {

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) >= 0x20) out += c;
  }
  return out + '"';
}

}  // namespace

void markCoverage(ApiResponse& response, const std::vector<std::string>& missing) {
  std::string names;
  for (const std::string& n : missing) names += (names.empty() ? "" : ",") + n;
  response.headers.emplace_back("X-Sipvault-Partial", missing.empty() ? "false" : "true");
  if (!missing.empty()) response.headers.emplace_back("X-Sipvault-Missing-Shards", names);
  if (response.status != 200 || response.stream || response.content_type.rfind("application/json", 0) != 0 ||
      response.body.empty() || response.body.front() != '{')
    return;
  std::string fields = "{\"partial\":" + std::string(missing.empty() ? "false" : "true") + ",\"missing_shards\":[";
  for (size_t i = 0; i < missing.size(); ++i) fields += (i ? "," : "") + jsonString(missing[i]);
  fields += "]";
  const size_t next = response.body.find_first_not_of(" \t\r\n", 1);
  const bool empty_object = next != std::string::npos && response.body[next] == '}';
  response.body = fields + (empty_object ? "" : ",") + response.body.substr(1);
}

}  // namespace sipvault::api
