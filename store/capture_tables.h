#pragma once
// The capture tables: the tables the writers fill on every capture node (store/sql/001), as
// opposed to the api's own tables (002, 003, 005). On a cluster head (docs/cluster.md) these names
// are Spider tables made by tools/sipvault-cluster from a shard's definition, so the head's
// migrations leave every statement that names one of them alone (MigrationScope::kHead).
// A new capture table is added here and in tools/sipvault-cluster (CAPTURE_TABLES).
#include <array>
#include <string_view>

namespace sipvault::store {

// sip_summaries (008), sip_headers (009), sip_qos (012), sip_minute_stats (013), sip_call_keys
// (014) and sip_hour_stats (015) are capture tables too: the writers fill them on every node.
inline constexpr std::array<std::string_view, 9> kCaptureTables = {
    "sip_messages", "sip_rejects", "hep_other",     "sip_summaries", "sip_headers",
    "sip_qos",      "sip_minute_stats", "sip_call_keys", "sip_hour_stats"};

// True when `statement` names a capture table as a whole word (case-insensitive; `sip_messages2`
// or `old_sip_messages` do not count). Pure.
[[nodiscard]] bool namesCaptureTable(std::string_view statement);

}  // namespace sipvault::store
