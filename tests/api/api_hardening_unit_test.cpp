// Issue 18 (hardening), the api's pure parts: the login limiter (atomic check-and-record,
// per-user backoff, the global cap on password checks), trusted proxies for X-Forwarded-For,
// the background database check behind /health, the connection guard (per-source cap, request
// deadline) and the admin password file.
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/api_service.h"
#include "api/base64.h"
#include "api/connection_guard.h"
#include "api/db_health.h"
#include "api/login_limiter.h"
#include "api/search_filter.h"
#include "api/trusted_proxies.h"

using namespace sipvault::api;
using namespace std::chrono_literals;

namespace {

LoginLimits limits(size_t max_failures, size_t max_concurrent = 100, size_t user_free = 1000) {
  LoginLimits l;
  l.max_failures = max_failures;
  l.window = 60s;
  l.max_concurrent = max_concurrent;
  l.user_free_failures = user_free;
  l.user_backoff_max = 60s;
  return l;
}

bool go(LoginLimiter& l, const char* user, const char* client, LoginLimiter::Clock::time_point t) {
  return l.admit(user, client, t).verdict == LoginLimiter::Verdict::Go;
}

}  // namespace

TEST_CASE("the login limiter blocks a user+address after N failures within the window",
          "[api][auth][limiter]") {
  LoginLimiter limiter(limits(3));
  const auto t0 = LoginLimiter::Clock::now();
  for (int i = 0; i < 3; ++i) {
    REQUIRE(go(limiter, "u", "1.2.3.4", t0 + std::chrono::seconds(i)));
    limiter.finish("u", "1.2.3.4", false);
  }
  const auto refused = limiter.admit("u", "1.2.3.4", t0 + 3s);
  CHECK(refused.verdict == LoginLimiter::Verdict::Limited);
  CHECK(refused.retry_after.count() == 57);
  CHECK(go(limiter, "u", "5.6.7.8", t0));
  limiter.finish("u", "5.6.7.8", true);
  CHECK(go(limiter, "v", "1.2.3.4", t0));
  limiter.finish("v", "1.2.3.4", true);
  CHECK(go(limiter, "u", "1.2.3.4", t0 + 61s));  // the oldest left the window
  limiter.finish("u", "1.2.3.4", true);          // a success clears the key
  for (int i = 0; i < 2; ++i) {
    CHECK(go(limiter, "u", "1.2.3.4", t0 + 62s));
    limiter.finish("u", "1.2.3.4", false);
  }
}

TEST_CASE("login admission is check-and-record: parallel attempts cannot all pass one check",
          "[api][auth][limiter]") {
  // Before issue 18 the check and the failure record were two steps: 50 attempts started together
  // all passed the check, then all failed. Now each admitted attempt counts at once.
  LoginLimiter limiter(limits(10));
  const auto t0 = LoginLimiter::Clock::now();
  std::atomic<int> admitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i)
    threads.emplace_back([&] {
      if (go(limiter, "victim", "10.0.0.1", t0)) ++admitted;
    });
  for (auto& t : threads) t.join();
  CHECK(admitted == 10);
  for (int i = 0; i < 10; ++i) limiter.finish("victim", "10.0.0.1", false);
  CHECK(limiter.admit("victim", "10.0.0.1", t0).verdict == LoginLimiter::Verdict::Limited);
}

TEST_CASE("a withdrawn attempt (the directory was down) is not a failure, and earlier failures stay",
          "[api][auth][limiter]") {
  LoginLimiter limiter(limits(3));
  const auto t0 = LoginLimiter::Clock::now();
  for (int i = 0; i < 20; ++i) {  // far more than the limit, each withdrawn
    REQUIRE(go(limiter, "bob", "10.0.0.2", t0));
    limiter.withdraw("bob", "10.0.0.2");
  }
  CHECK(limiter.running() == 0);
  auto fail = [&] {
    REQUIRE(go(limiter, "bob", "10.0.0.2", t0));
    limiter.finish("bob", "10.0.0.2", false);
  };
  fail();
  fail();
  REQUIRE(go(limiter, "bob", "10.0.0.2", t0));
  limiter.withdraw("bob", "10.0.0.2");  // takes back only itself, unlike a success
  fail();
  CHECK(limiter.admit("bob", "10.0.0.2", t0).verdict == LoginLimiter::Verdict::Limited);
}

TEST_CASE("a user who keeps failing backs off exponentially, whatever address the guesses come from",
          "[api][auth][limiter]") {
  LoginLimiter limiter(limits(1000, 100, 3));
  const auto t0 = LoginLimiter::Clock::now();
  // Three free failures, each from another address.
  for (int i = 0; i < 3; ++i) {
    const std::string client = "192.0.2." + std::to_string(i);
    REQUIRE(go(limiter, "alice", client.c_str(), t0));
    limiter.finish("alice", client.c_str(), false);
  }
  auto a = limiter.admit("alice", "198.51.100.1", t0);
  CHECK(a.verdict == LoginLimiter::Verdict::Limited);
  CHECK(a.retry_after == 1s);
  CHECK(go(limiter, "bob", "198.51.100.1", t0));  // other users are not affected
  limiter.finish("bob", "198.51.100.1", false);
  REQUIRE(go(limiter, "alice", "198.51.100.2", t0 + 1s));  // 4th failure: next wait 2 s
  limiter.finish("alice", "198.51.100.2", false);
  CHECK(limiter.admit("alice", "198.51.100.3", t0 + 2s).retry_after == 1s);
  REQUIRE(go(limiter, "alice", "198.51.100.3", t0 + 3s));  // 5th: 4 s
  limiter.finish("alice", "198.51.100.3", false);
  CHECK(limiter.admit("alice", "198.51.100.4", t0 + 3s).retry_after == 4s);
  for (int i = 0; i < 20; ++i) {  // capped at user_backoff_max
    const auto t = t0 + std::chrono::seconds(10 + i * 100);
    REQUIRE(go(limiter, "alice", "198.51.100.5", t));
    limiter.finish("alice", "198.51.100.5", false);
  }
  CHECK(limiter.admit("alice", "198.51.100.6", t0 + 1910s + 1s).retry_after == 59s);
  REQUIRE(go(limiter, "alice", "198.51.100.6", t0 + 1910s + 60s));
  limiter.finish("alice", "198.51.100.6", true);  // success clears the backoff
  CHECK(go(limiter, "alice", "198.51.100.6", t0 + 1910s + 60s));
}

TEST_CASE("at most max_concurrent password checks run at once - the next is Busy, not queued",
          "[api][auth][limiter]") {
  LoginLimiter limiter(limits(1000, 2));
  const auto t0 = LoginLimiter::Clock::now();
  REQUIRE(go(limiter, "a", "1.1.1.1", t0));
  REQUIRE(go(limiter, "b", "2.2.2.2", t0));
  CHECK(limiter.running() == 2);
  const auto busy = limiter.admit("c", "3.3.3.3", t0);
  CHECK(busy.verdict == LoginLimiter::Verdict::Busy);
  CHECK(busy.retry_after == 1s);
  limiter.finish("a", "1.1.1.1", false);
  CHECK(go(limiter, "c", "3.3.3.3", t0));
}

TEST_CASE("the limiter's memory is bounded by max_keys", "[api][auth][limiter]") {
  LoginLimits l = limits(1);
  l.max_keys = 2;
  LoginLimiter small(l);
  const auto t0 = LoginLimiter::Clock::now();
  for (const char* user : {"a", "b", "c"}) {  // "c" evicts the oldest key
    REQUIRE(go(small, user, "x", t0));
    small.finish(user, "x", false);
  }
  CHECK(go(small, "a", "x", t0 + 3s));
  CHECK(small.admit("c", "x", t0 + 3s).verdict == LoginLimiter::Verdict::Limited);
}

TEST_CASE("X-Forwarded-For counts only from a trusted proxy, read from the right", "[api][proxy]") {
  std::string bad;
  auto none = TrustedProxies::parse("", bad);
  REQUIRE(none);
  CHECK(none->clientOf("203.0.113.9", "192.0.2.1") == "203.0.113.9");  // default: never believed

  auto p = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7 ::1,2001:db8::/32", bad);
  REQUIRE(p);
  CHECK(p->contains("10.200.3.4"));
  CHECK_FALSE(p->contains("11.0.0.1"));
  CHECK(p->contains("192.0.2.7"));
  CHECK_FALSE(p->contains("192.0.2.8"));
  CHECK(p->contains("2001:db8:1::5"));
  CHECK_FALSE(p->contains("2001:db9::5"));
  // Untrusted peer: its header is ignored.
  CHECK(p->clientOf("203.0.113.9", "198.51.100.1") == "203.0.113.9");
  // Trusted peer: the right-most untrusted hop; what the client wrote further left is ignored.
  CHECK(p->clientOf("10.0.0.1", "1.1.1.1, 198.51.100.1") == "198.51.100.1");
  CHECK(p->clientOf("10.0.0.1", "1.1.1.1, 198.51.100.1, 10.9.9.9") == "198.51.100.1");
  CHECK(p->clientOf("::1", "[2001:db9::1]") == "2001:db9::1");
  // A malformed hop stops the walk at the last trusted address.
  CHECK(p->clientOf("10.0.0.1", "198.51.100.1, garbage") == "10.0.0.1");
  CHECK(p->clientOf("10.0.0.1", "") == "10.0.0.1");

  CHECK_FALSE(TrustedProxies::parse("10.0.0.0/33", bad));
  CHECK(bad == "10.0.0.0/33");
  CHECK_FALSE(TrustedProxies::parse("example.com", bad));
  CHECK_FALSE(TrustedProxies::parse("10.0.0.0/", bad));
}

TEST_CASE("/health's database state comes from a background check, not a query per request",
          "[api][health]") {
  std::atomic<int> probes{0};
  std::atomic<bool> up{true};
  DbHealth health(
      [&] {
        ++probes;
        return up.load();
      },
      50ms);
  CHECK(health.state().checked_us == 0);
  health.start();
  CHECK(health.state().ok);
  CHECK(health.state().checked_us > 0);
  const int before = probes;
  for (int i = 0; i < 1000; ++i) (void)health.state();
  CHECK(probes - before <= 1);  // a check may have come due meanwhile, not 1000
  up = false;
  for (int i = 0; i < 100 && health.state().ok; ++i) std::this_thread::sleep_for(10ms);
  CHECK_FALSE(health.state().ok);
  health.stop();
  const int stopped = probes;
  std::this_thread::sleep_for(150ms);
  CHECK(probes == stopped);
}

TEST_CASE("the connection guard caps connections per source address", "[api][limits]") {
  ConnectionGuard guard(2, 10s);
  CHECK(guard.open("192.0.2.1"));
  CHECK(guard.open("192.0.2.1"));
  CHECK_FALSE(guard.open("192.0.2.1"));
  CHECK(guard.open("192.0.2.2"));
  guard.close("192.0.2.1");
  CHECK(guard.open("192.0.2.1"));
}

TEST_CASE("the connection guard shuts a socket down when its request outlives the deadline",
          "[api][limits]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  int renewed_fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, renewed_fds) == 0);
  ConnectionGuard guard(10, 300ms);
  guard.start();
  const auto started = std::chrono::steady_clock::now();
  const uint64_t id = guard.watch(fds[0]);
  const uint64_t renewed = guard.watch(renewed_fds[0]);
  // A stalled client: the server side blocks in read until the watchdog shuts it down.
  std::thread renewer([&] {
    for (int i = 0; i < 6; ++i) {
      std::this_thread::sleep_for(100ms);
      guard.renew(renewed);
    }
  });
  char c;
  const ssize_t n = ::read(fds[0], &c, 1);
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(n == 0);
  CHECK(waited >= 250ms);
  CHECK(waited < 2s);
  CHECK(guard.expired() == 1);
  renewer.join();
  // Kept alive by renew() for 600 ms, twice the deadline.
  CHECK(guard.expired() == 1);
  guard.unwatch(id);
  guard.unwatch(renewed);
  guard.stop();
  for (int fd : {fds[0], fds[1], renewed_fds[0], renewed_fds[1]}) ::close(fd);
}

TEST_CASE("the admin password file is created 0600 and exclusively, never over an existing file",
          "[api][auth][admin]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(SIPVAULT_BINARY_DIR) / "tests/api" / ("secret-" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string file = (dir / "sub" / "admin-password").string();
  const mode_t old_mask = ::umask(0);  // a permissive umask must not widen the file
  std::string error;
  CHECK(writeSecretFile(file, "s3cret\n", error));
  ::umask(old_mask);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(ss.str() == "s3cret\n");
  // An existing file (perhaps made world-readable, or a link placed by someone else) is refused.
  CHECK_FALSE(writeSecretFile(file, "other\n", error));
  CHECK(error == "the file already exists");
  const std::string link = (dir / "link").string();
  fs::create_symlink(dir / "elsewhere", link);
  CHECK_FALSE(writeSecretFile(link, "x\n", error));
  CHECK_FALSE(fs::exists(dir / "elsewhere"));
  fs::remove_all(dir);
}

TEST_CASE("the calls cursor carries the whole sort key (first time, Call-ID, Call-ID hash)",
          "[api][calls][cursor]") {
  // Two long Call-IDs may share their stored 255 bytes and their first microsecond: only the
  // hash tells them apart, so the cursor must carry it or a page boundary between them skips one.
  auto c = decodeCallCursor(encodeCallCursor({7, "a:b@c", 12345}));
  REQUIRE(c);
  CHECK(c->first_us == 7u);
  CHECK(c->call_id == "a:b@c");
  CHECK(c->call_id_hash == 12345u);
  // A cursor handed out before the tiebreak still works: after every call with that stored text.
  auto old = decodeCallCursor(base64UrlEncode("c1:7:a:b@c"));
  REQUIRE(old);
  CHECK(old->call_id == "a:b@c");
  CHECK(old->call_id_hash == UINT64_MAX);
  CHECK_FALSE(decodeCallCursor(base64UrlEncode("c2:7:x")));
  CHECK_FALSE(decodeCallCursor(base64UrlEncode("c2:7:-1:x")));
}

TEST_CASE("stopping the server shuts stalled connections down at once instead of waiting for their deadline",
          "[api][limits]") {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) == 0);
  ConnectionGuard guard(10, 3600s);
  guard.start();
  const uint64_t id = guard.watch(fds[0]);
  std::thread stopper([&] {
    std::this_thread::sleep_for(100ms);
    guard.shutdownAll();
  });
  const auto started = std::chrono::steady_clock::now();
  char c;
  CHECK(::read(fds[0], &c, 1) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  CHECK(guard.expired() == 0);  // not a deadline expiry
  stopper.join();
  guard.unwatch(id);
  guard.stop();
  ::close(fds[0]);
  ::close(fds[1]);
}
