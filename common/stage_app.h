#pragma once
// The shared shell of every sipvault daemon: --help, --config FILE (Poco Util layered config;
// command-line options override the file), structured logging, a Prometheus /metrics endpoint,
// and waiting for SIGTERM/SIGINT. A stage subclasses StageApp, lists its options (each bound to
// a config key), reads its Options struct from config() in runStage(), and returns an exit code.
//
// Options common to all stages:
//   -h --help                 this help
//   -c --config FILE          .ini / .properties / .xml / .json config file (keys as in deploy/config/)
//      --log-level LEVEL      log.level: trace, debug, information, notice, warning, error (default information)
//      --syslog               log.syslog=true: log to syslog instead of stdout
//      --metrics-listen ADDR  metrics.listen: HOST:PORT for /metrics and /healthz ("" = off)
#include <Poco/Util/ServerApplication.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"

namespace Poco::Net {
class HTTPServer;
}

namespace sipvault {

struct StageOption {
  std::string name;        // long name, e.g. "listen"
  std::string short_name;  // e.g. "l", or ""
  std::string key;         // config key it sets, e.g. "collector.listen"
  std::string arg_name;    // e.g. "ADDR"; empty for a flag (sets the key to "true")
  std::string help;
  bool repeatable = false;
};

// Exit codes (sysexits-style, as Poco uses).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitUnavailable = 69;  // a dependency (database, port) is not available
inline constexpr int kExitSoftware = 70;
inline constexpr int kExitConfig = 78;

class StageApp : public Poco::Util::ServerApplication {
 public:
  StageApp(std::string stage, std::string summary, std::vector<StageOption> options);
  ~StageApp() override;

 protected:
  // The stage's work: read options from config(), start, waitForShutdown(), drain, return an exit code.
  virtual int runStage(const std::vector<std::string>& args) = 0;
  // Extra lines printed after the option list by --help (examples, config keys).
  virtual std::string helpFooter() const { return {}; }

  // Blocks until SIGTERM or SIGINT.
  void waitForShutdown() { waitForTerminationRequest(); }
  [[nodiscard]] MetricsRegistry& metrics() { return metrics_; }
  [[nodiscard]] const Log& log() const { return log_; }
  [[nodiscard]] const std::string& stageName() const { return stage_; }

  // Reports a start-up problem: one clear line naming the problem and the fix, then an exit code.
  int fail(int exit_code, std::string_view problem, std::string_view fix);

 private:
  void initialize(Poco::Util::Application& self) override;
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;
  void setupLogging();
  bool startMetricsServer();

  std::string stage_;
  std::string summary_;
  std::vector<StageOption> stage_options_;
  bool help_requested_ = false;
  std::set<std::string> repeated_keys_;  // repeatable options already seen on the command line
  MetricsRegistry metrics_;
  Log log_;
  std::unique_ptr<Poco::Net::HTTPServer> metrics_server_;
};

}  // namespace sipvault

// Defines main() for a StageApp subclass.
#define SIPVAULT_STAGE_MAIN(AppClass) \
  int main(int argc, char** argv) {   \
    AppClass app;                     \
    return app.run(argc, argv);       \
  }
