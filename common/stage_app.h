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
#include <Poco/Exception.h>
#include <Poco/Util/ServerApplication.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "common/start_failure.h"

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
  int fail(const StartFailure& failure) { return fail(failure.exitCode(), failure.problem, failure.fix); }

  // The one way a stage reads its Options: Options::fromConfig(config()). A bad value (any
  // exception fromConfig throws: a number that is not one, out of range, a missing companion key)
  // is reported as a config failure and nullopt returned; runStage then returns kExitConfig.
  template <class Options>
  [[nodiscard]] std::optional<Options> readOptions() {
    try {
      return Options::fromConfig(config());
    } catch (const Poco::Exception& e) {
      fail(kExitConfig, e.displayText(), kFixConfigValue);
    } catch (const std::exception& e) {
      fail(kExitConfig, e.what(), kFixConfigValue);
    }
    return std::nullopt;
  }
  static constexpr std::string_view kFixConfigValue =
      "fix the value in the config file or on the command line";

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
