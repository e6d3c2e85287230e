#pragma once
// Reading a daemon's Prometheus /metrics the way an operator's scraper does (curl over loopback).
#include <cstdint>
#include <optional>
#include <string>

namespace sipvault::test {

// The value of `name` on http://127.0.0.1:metrics_port/metrics, given without the "sipvault_"
// prefix and with labels as printed ("collector_tls_handshakes_total",
// "agent_dropped_total{reason=\"queue_full\"}"); nullopt when the endpoint or the line is missing.
[[nodiscard]] std::optional<uint64_t> scrapeMetric(int metrics_port, const std::string& name);

}  // namespace sipvault::test
