#pragma once
// How a cluster head's answers say which shards they leave out (docs/cluster.md, API_CONTRACT.md
// "Cluster"). Every answer read from the capture tables of a head carries
//   headers  X-Sipvault-Partial: true|false, X-Sipvault-Missing-Shards: name,name (when partial)
//   JSON     "partial": true|false, "missing_shards": ["name", ...] first in the top-level object
// (streamed exports have only the headers: they are sent before the body). A single node's
// answers are unchanged. Pure.
#include <string>
#include <vector>

#include "api/api_exchange.h"
#include "api/shard_monitor.h"

namespace sipvault::api {

// The shards missing at either end of a request (its statements read the state in between): in
// the order of `before`, then those only `after` has.
[[nodiscard]] std::vector<std::string> missingShards(const ShardCoverage& before, const ShardCoverage& after);

// Adds the headers and, to a 200 JSON object body, the two fields.
void markCoverage(ApiResponse& response, const std::vector<std::string>& missing);

}  // namespace sipvault::api
