#include <catch2/catch.hpp>

#include "common/bounded_queue.h"
#include "common/bus.h"
#include "common/endpoint.h"
#include "common/log.h"
#include "common/metrics.h"

using namespace sipvault;

TEST_CASE("HOST:PORT strings parse with schemes and bracketed IPv6", "[common][endpoint]") {
  auto a = parseHostPort("udp:127.0.0.1:9060");
  REQUIRE(a);
  CHECK(a->scheme == "udp");
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 9060);
  auto b = parseHostPort("[::1]:5060");
  REQUIRE(b);
  CHECK(b->host == "::1");
  CHECK(b->toString() == "[::1]:5060");
  CHECK_FALSE(parseHostPort("::1:5060"));
  CHECK_FALSE(parseHostPort("host:99999"));
  CHECK_FALSE(parseHostPort("host:"));
  CHECK_FALSE(parseHostPort(":80"));
  CHECK_FALSE(parseHostPort("noport"));
}

TEST_CASE("bus endpoint lists need bind: or connect: on every item", "[common][bus]") {
  std::string err;
  auto eps = parseBusEndpoints("bind:tcp://127.0.0.1:5560, connect:tcp://10.0.0.1:5570", err);
  REQUIRE(eps);
  REQUIRE(eps->size() == 2);
  CHECK((*eps)[0].bind);
  CHECK((*eps)[1].address == "tcp://10.0.0.1:5570");
  CHECK_FALSE(parseBusEndpoints("tcp://127.0.0.1:1", err));
  CHECK(err.find("bind:") != std::string::npos);
  CHECK_FALSE(parseBusEndpoints("", err));
}

TEST_CASE("a PUSH and a PULL bus socket carry messages in order", "[common][bus]") {
  zmq::context_t ctx(1);
  BusSocket pull(ctx, BusSocket::Kind::Pull, {{true, "inproc://t"}}, 10);
  BusSocket push(ctx, BusSocket::Kind::Push, {{false, "inproc://t"}}, 10);
  for (int i = 0; i < 5; ++i)
    REQUIRE(push.send("m" + std::to_string(i), std::chrono::milliseconds(1000)) == SendResult::Sent);
  for (int i = 0; i < 5; ++i) {
    zmq::message_t m;
    REQUIRE(pull.receive(m, std::chrono::milliseconds(1000)));
    CHECK(m.to_string() == "m" + std::to_string(i));
  }
  zmq::message_t none;
  CHECK_FALSE(pull.receive(none, std::chrono::milliseconds(10)));
}

TEST_CASE("a PUSH socket with no peer reports WouldBlock instead of queueing forever", "[common][bus]") {
  zmq::context_t ctx(1);
  BusSocket push(ctx, BusSocket::Kind::Push, {{false, "tcp://127.0.0.1:1"}}, 2, std::chrono::milliseconds(0));
  CHECK(push.send("x", std::chrono::milliseconds(20)) == SendResult::WouldBlock);
}

TEST_CASE("metrics render in Prometheus text with one HELP per family", "[common][metrics]") {
  MetricsRegistry r;
  r.counter("drops_total", "drops", R"(reason="a")").inc(3);
  r.counter("drops_total", "drops", R"(reason="b")").inc();
  r.gauge("depth", "queue depth").set(-2);
  r.callbackGauge("answer", "computed", [] { return 42.5; });
  const std::string text = r.render();
  CHECK(text.find("sipvault_drops_total{reason=\"a\"} 3\n") != std::string::npos);
  CHECK(text.find("sipvault_drops_total{reason=\"b\"} 1\n") != std::string::npos);
  CHECK(text.find("sipvault_depth -2\n") != std::string::npos);
  CHECK(text.find("sipvault_answer 42.5\n") != std::string::npos);
  size_t helps = 0;
  for (size_t p = 0; (p = text.find("# HELP sipvault_drops_total", p)) != std::string::npos; ++p) ++helps;
  CHECK(helps == 1);
}

TEST_CASE("logfmt quotes values with spaces, quotes and control bytes", "[common][log]") {
  CHECK(formatLogfmt("listening", {{"addr", "0.0.0.0:9060"}, {"n", 3}}) == "event=listening addr=0.0.0.0:9060 n=3");
  CHECK(formatLogfmt("e", {{"v", "a b"}}) == R"(event=e v="a b")");
  CHECK(formatLogfmt("e", {{"v", "x\"y\nz"}}) == R"(event=e v="x\"y\nz")");
  CHECK(formatLogfmt("e", {{"v", ""}}) == R"(event=e v="")");
}

TEST_CASE("a bounded queue refuses when full and drains after close", "[common][queue]") {
  BoundedQueue<int> q(2);
  CHECK(q.push(1, std::chrono::milliseconds(0)));
  CHECK(q.push(2, std::chrono::milliseconds(0)));
  CHECK_FALSE(q.push(3, std::chrono::milliseconds(5)));
  q.close();
  CHECK_FALSE(q.push(4, std::chrono::milliseconds(0)));
  CHECK(q.pop(std::chrono::milliseconds(0)) == 1);
  CHECK(q.pop(std::chrono::milliseconds(0)) == 2);
  CHECK_FALSE(q.pop(std::chrono::milliseconds(0)));
}

TEST_CASE("a bounded queue with a byte budget refuses by bytes, yet takes one oversized item when empty",
          "[common][queue]") {
  struct Size {
    size_t operator()(const std::string& s) const { return s.size(); }
  };
  BoundedQueue<std::string, Size> q(100, 1000);  // room for 100 items, but 1000 bytes
  CHECK(q.push(std::string(600, 'a'), std::chrono::milliseconds(0)));
  CHECK(q.push(std::string(400, 'b'), std::chrono::milliseconds(0)));
  CHECK_FALSE(q.push(std::string(1, 'c'), std::chrono::milliseconds(5)));  // 2 items, but 1000 bytes
  CHECK(q.bytes() == 1000);
  CHECK(q.pop(std::chrono::milliseconds(0))->size() == 600);
  CHECK(q.bytes() == 400);
  CHECK(q.push(std::string(600, 'd'), std::chrono::milliseconds(0)));
  CHECK(q.pop(std::chrono::milliseconds(0)));
  CHECK(q.pop(std::chrono::milliseconds(0)));
  CHECK(q.bytes() == 0);
  CHECK(q.push(std::string(5000, 'e'),
               std::chrono::milliseconds(0)));  // bigger than the budget, into an empty queue
  CHECK_FALSE(q.push(std::string(1, 'f'), std::chrono::milliseconds(0)));
}

TEST_CASE("the rate limiter lets one line through per interval and counts the rest", "[common][log]") {
  RateLimiter rl(std::chrono::hours(1));
  uint64_t suppressed = 99;
  CHECK(rl.allow(suppressed));
  CHECK(suppressed == 0);
  CHECK_FALSE(rl.allow(suppressed));
  CHECK_FALSE(rl.allow(suppressed));
}

TEST_CASE("a detached PULL socket receives nothing more, neither queued nor new", "[common][bus]") {
  zmq::context_t ctx(1);
  BusSocket push(ctx, BusSocket::Kind::Push, {{true, "tcp://127.0.0.1:*"}}, 100);
  BusSocket pull(ctx, BusSocket::Kind::Pull, {{false, push.boundAddresses()[0]}}, 100);
  REQUIRE(push.send("first", std::chrono::milliseconds(2000)) == SendResult::Sent);
  zmq::message_t m;
  REQUIRE(pull.receive(m, std::chrono::milliseconds(2000)));
  CHECK(m.to_string() == "first");
  pull.detach();
  // The PUSH side notices the peer is gone; with immediate=1 it then has nowhere to send.
  int sent = 0;
  for (int i = 0; i < 20; ++i)
    if (push.send("later", std::chrono::milliseconds(10)) == SendResult::Sent) ++sent;
  int received = 0;
  while (pull.receive(m, std::chrono::milliseconds(50))) ++received;
  CHECK(received == 0);
  INFO("sends the PUSH accepted before it saw the disconnect: " << sent);
}
