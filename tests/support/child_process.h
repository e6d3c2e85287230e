#pragma once
// Test support: run a real sipvault binary as a child process and stop it by PID.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace sipvault::test {

class ChildProcess {
 public:
  // Starts `argv[0]` with `argv`; stdout+stderr go to `log_path`. Throws on spawn failure.
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] bool running();
  // Sends SIGTERM and waits; returns the exit status (128+signal if killed), -1 on timeout.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for exit without signalling; -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  [[nodiscard]] std::string log() const;  // everything the child printed so far
  // Waits until the log contains `text`; false on timeout or exit.
  bool waitForLog(const std::string& text, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_path_;
};

// A TCP/UDP port that was free a moment ago on 127.0.0.1.
// Test ports: random in [kFreePortFirst, kFreePortLast], below the ephemeral range, free when asked.
inline constexpr int kFreePortFirst = 15000;
inline constexpr int kFreePortLast = 21999;
[[nodiscard]] int freePort();
// Path of a built binary (SIPVAULT_BINARY_DIR/<subdir>/<name>).
[[nodiscard]] std::string binaryPath(const std::string& subdir, const std::string& name);

}  // namespace sipvault::test
