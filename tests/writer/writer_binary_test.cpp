// Runs the real sipvault-writer binary.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "common/bus.h"
#include "tests/support/test_database.h"
#include "tests/writer/writer_corpus.h"
#include "tests/writer/writer_test_util.h"

extern char** environ;

using namespace sipvault;
using namespace std::chrono_literals;

namespace {

const std::string kWriter = std::string(SIPVAULT_BINARY_DIR) + "/writer/sipvault-writer";

class Process {
 public:
  Process(const std::vector<std::string>& args, const std::filesystem::path& log) : log_(log) {
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kWriter.c_str()));
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    const int rc = posix_spawn(&pid_, kWriter.c_str(), &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot start " + kWriter);
  }
  ~Process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  // Exit code, or -1 when it did not exit within `timeout`.
  int wait(std::chrono::milliseconds timeout) {
    int status = 0;
    const bool done = test::waitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, timeout);
    if (!done) return -1;
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  void signal(int sig) { kill(pid_, sig); }
  std::string output() const { return test::readFile(log_); }

 private:
  pid_t pid_ = -1;
  std::filesystem::path log_;
};

std::filesystem::path logPath(const std::string& name) {
  const auto dir = std::filesystem::path(SIPVAULT_BINARY_DIR) / "test-logs";
  std::filesystem::create_directories(dir);
  return dir / (name + "-" + std::to_string(getpid()) + ".log");
}

// Value of an unlabelled metric from /metrics, or -1.
double scrape(int port, const std::string& metric) {
  try {
    Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(port));
    session.setTimeout(Poco::Timespan(2, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/metrics");
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = session.receiveResponse(resp);
    std::string line;
    while (std::getline(body, line))
      if (line.rfind(metric + " ", 0) == 0) return std::stod(line.substr(metric.size() + 1));
  } catch (const std::exception&) {
  }
  return -1;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

}  // namespace

TEST_CASE("sipvault-writer with the database down at start exits non-zero with one clear line",
          "[writer][binary][startup]") {
  const int port = test::freeTcpPort();  // nothing listens there
  Process p({"--db-host", "127.0.0.1", "--db-port", std::to_string(port), "--listen", "bind:tcp://127.0.0.1:*"},
            logPath("writer-db-down"));
  const int code = p.wait(30s);
  const std::string out = p.output();
  INFO(out);
  CHECK(code == 69);  // kExitUnavailable
  const auto l = lines(out);
  REQUIRE(l.size() == 1);
  CHECK(l[0].find("startup_failed") != std::string::npos);
  CHECK(l[0].find("cannot connect to database sipvault@127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(l[0].find("fix=") != std::string::npos);
}

TEST_CASE("sipvault-writer on SIGTERM stops pulling, writes everything it received, and exits 0",
          "[writer][binary][shutdown][db]") {
  test::TestDatabase db("binary_drain");
  const int metrics_port = test::freeTcpPort();
  const int bus_port = test::freeTcpPort();
  // Neither size nor time would flush during the test: only the drain writes the rows.
  Process p({"--db-socket", db.options().socket, "--db-name", db.name(), "--listen",
             "bind:tcp://127.0.0.1:" + std::to_string(bus_port), "--metrics-listen",
             "127.0.0.1:" + std::to_string(metrics_port), "--batch-rows", "1000000", "--flush-ms", "600000",
             "--dedup-window-ms", "0"},  // the corpus is cycled: its messages repeat within microseconds
            logPath("writer-drain"));
  zmq::context_t ctx(1);
  BusSocket push(ctx, BusSocket::Kind::Push, {{false, "tcp://127.0.0.1:" + std::to_string(bus_port)}}, 100);
  const auto files = test::rfc4475Valid();
  const uint64_t now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  size_t sent = 0;
  for (int b = 0; b < 20; ++b) {
    std::vector<wire::SipRecord> batch;
    for (int i = 0; i < 100; ++i, ++sent) batch.push_back(test::sipRecordFor(files[sent % files.size()].bytes, now + sent));
    REQUIRE(push.send(test::serializeBatch(batch, b + 1), 30s) == SendResult::Sent);
  }
  REQUIRE(test::waitFor([&] { return scrape(metrics_port, "sipvault_writer_bus_records_total") == sent; }, 30s));
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == 0);  // all still pending
  p.signal(SIGTERM);
  const int code = p.wait(60s);
  INFO(p.output());
  CHECK(code == 0);
  CHECK(db.count("SELECT COUNT(*) FROM sip_messages") == sent);
}
