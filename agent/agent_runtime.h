#pragma once
// AgentRuntime: the whole agent wired together, minus the process shell (main.cpp). Opens the
// captures, then gives up privileges, then starts the sender and one CaptureWorker per
// capture; stop() shuts them down in order so that nothing captured is left behind.
//
// Threads: call everything from one (the main) thread; the workers and the sender run on their
// own. Failure: start() returns a StartError with one line naming the problem and the fix.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/agent_metrics.h"
#include "agent/agent_options.h"
#include "agent/capture_worker.h"
#include "agent/hep_output.h"
#include "common/log.h"
#include "common/metrics.h"

namespace sipvault::agent {

struct StartError {
  int exit_code = 1;
  std::string problem;
  std::string fix;
};

class AgentRuntime {
 public:
  AgentRuntime(const AgentOptions& options, MetricsRegistry& registry, Log log);
  ~AgentRuntime();

  [[nodiscard]] std::optional<StartError> start();
  // Every capture has ended (a replay reached the end of its file, or a capture failed).
  [[nodiscard]] bool finished() const;
  [[nodiscard]] bool failed() const;
  // Stops the captures (flushing their decoders), then drains the output for up to the
  // drain timeout.
  void stop();

  // The counters as one logfmt line (`event=<event> frames=... sent=... dropped_...`).
  void logStats(std::string_view event) const;
  [[nodiscard]] const AgentMetrics& metrics() const { return metrics_; }

 private:
  AgentOptions options_;
  AgentMetrics metrics_;
  Log log_;
  std::unique_ptr<HepOutput> output_;
  std::vector<std::unique_ptr<CaptureWorker>> workers_;
  bool stopped_ = false;
};

}  // namespace sipvault::agent
