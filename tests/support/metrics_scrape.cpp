#include "metrics_scrape.h"

#include "tls_test_support.h"  // runShell

namespace sipvault::test {

std::optional<uint64_t> scrapeMetric(int metrics_port, const std::string& name) {
  std::string out;
  if (runShell("curl -s http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics", out) != 0)
    return std::nullopt;
  const std::string key = "\nsipvault_" + name + " ";
  const size_t at = out.find(key);
  if (at == std::string::npos) return std::nullopt;
  try {
    return std::stoull(out.substr(at + key.size()));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace sipvault::test
