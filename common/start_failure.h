#pragma once
// How a stage says it cannot start: exit codes and the StartFailure value every service's start()
// returns and StageApp reports. Light on purpose: service headers include it, not StageApp.
#include <string>

namespace sipvault {

// Exit codes (sysexits-style, as Poco uses).
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitUnavailable = 69;  // a dependency (database, port) is not available
inline constexpr int kExitSoftware = 70;
inline constexpr int kExitConfig = 78;

// Why a stage could not start, as every service's start() and StageApp report it: one line naming
// the problem and one naming the fix (logged as event=startup_failed problem=... fix=...).
struct StartFailure {
  enum class Kind {
    Config,       // a bad value or combination in the config or on the command line: exit 78
    Unavailable,  // a dependency is not there (database, port, permission, directory): exit 69
  };
  Kind kind = Kind::Config;
  std::string problem;
  std::string fix;

  [[nodiscard]] int exitCode() const { return kind == Kind::Config ? kExitConfig : kExitUnavailable; }
};

}  // namespace sipvault
