// REST search over a MariaDB filled through the real pipeline (api_test_env.h): every filter and
// combinations against the truth computed from the input, pagination, 400s, SQL injection.
#include <Poco/JSON/Array.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <set>

#include "api_test_env.h"

using namespace sipvault::apitest;

namespace {

// Every stored message lies between these (epoch time with its unit).
const std::string kAll = "from=0s&to=4102444800000ms";

using Key = std::string;  // time|src:port|call_id: identifies a message in truth and in answers

Key keyOf(const TruthMessage& t) {
  return std::to_string(t.time_us) + "|" + t.src_ip + ":" + std::to_string(t.src_port) + "|" + t.call_id;
}

Key keyOf(const Poco::JSON::Object::Ptr& m) {
  return std::to_string(m->getValue<uint64_t>("time_us")) + "|" + m->getValue<std::string>("src_ip") + ":" +
         std::to_string(m->getValue<int>("src_port")) + "|" + m->getValue<std::string>("call_id");
}

// All pages of a messages search.
std::vector<Poco::JSON::Object::Ptr> searchAll(const std::string& query, int limit = 1000) {
  std::vector<Poco::JSON::Object::Ptr> out;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    std::string target = "/api/v1/messages?" + query + "&limit=" + std::to_string(limit);
    if (!cursor.empty()) target += "&cursor=" + enc(cursor);
    HttpResult r = admin().get(target);
    REQUIRE(r.status == 200);
    auto o = r.json();
    auto items = o->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) out.push_back(items->getObject(static_cast<unsigned>(i)));
    if (o->get("next_cursor").isEmpty()) return out;
    cursor = o->getValue<std::string>("next_cursor");
  }
  FAIL("pagination did not end");
  return out;
}

std::multiset<Key> keys(const std::vector<Poco::JSON::Object::Ptr>& items) {
  std::multiset<Key> out;
  for (const auto& m : items) out.insert(keyOf(m));
  return out;
}

std::multiset<Key> expected(const std::function<bool(const TruthMessage&)>& match) {
  std::multiset<Key> out;
  for (const TruthMessage& t : truth())
    if (match(t)) out.insert(keyOf(t));
  return out;
}

// Shell-style '*' match, written independently of the api's LIKE translation.
bool glob(std::string_view pattern, std::string_view text) {
  if (pattern.empty()) return text.empty();
  if (pattern.front() == '*') {
    for (size_t i = 0; i <= text.size(); ++i)
      if (glob(pattern.substr(1), text.substr(i))) return true;
    return false;
  }
  return !text.empty() && pattern.front() == text.front() && glob(pattern.substr(1), text.substr(1));
}

// `needle` in `text`, ASCII letters in either case (the user_agent filter).
bool icontains(std::string_view text, std::string_view needle) {
  auto lower = [](std::string_view v) {
    std::string out(v);
    for (char& c : out) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    return out;
  };
  return lower(text).find(lower(needle)) != std::string::npos;
}

const TruthMessage& firstWith(const std::function<bool(const TruthMessage&)>& match) {
  for (const TruthMessage& t : truth())
    if (match(t)) return t;
  throw std::runtime_error("no such message in the truth");
}

std::string rfc3339(uint64_t us) {
  time_t s = static_cast<time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<unsigned>(us % 1000000));
  return buf;
}

}  // namespace

TEST_CASE("the pipeline stored every SIP message sent, and a search returns them all in time order",
          "[api][messages][integration]") {
  const auto items = searchAll(kAll);
  CHECK(items.size() == truth().size());
  CHECK(keys(items) == expected([](const TruthMessage&) { return true; }));
  for (size_t i = 1; i < items.size(); ++i)
    CHECK(items[i - 1]->getValue<uint64_t>("time_us") <= items[i]->getValue<uint64_t>("time_us"));
  // The corpus part alone: 260 kamailio + 6 SIP of hep-wireshark_hep.pcap (corpus EXPECTED.md).
  CHECK(searchAll(kAll + "&capture_id=2001").size() == 266);
}

TEST_CASE("a keyset cursor walks every message exactly once, whatever the page size", "[api][messages][integration]") {
  for (int limit : {1, 7, 100}) {
    const auto items = searchAll(kAll, limit);
    CHECK(items.size() == truth().size());
    std::set<std::string> ids;
    for (const auto& m : items) ids.insert(m->getValue<std::string>("id"));
    CHECK(ids.size() == truth().size());
  }
  HttpResult r = admin().get("/api/v1/messages?" + kAll + "&limit=5");
  REQUIRE(r.status == 200);
  CHECK(r.json()->getArray("items")->size() == 5);
  CHECK_FALSE(r.json()->get("next_cursor").isEmpty());
}

TEST_CASE("every search filter returns exactly the messages that match it", "[api][messages][filters][integration]") {
  const TruthMessage& tagged = firstWith([](const TruthMessage& t) { return !t.to_tag.empty() && t.capture_id == 2001; });
  const TruthMessage& kam = truth().front();
  const TruthMessage& mid = truth()[40];
  const TruthMessage& later = truth()[77];
  struct Case {
    std::string query;
    std::function<bool(const TruthMessage&)> match;
  };
  const std::vector<Case> cases = {
      {"call_id=" + enc(kam.call_id), [&](auto& t) { return t.call_id == kam.call_id; }},
      {"call_id=" + enc(kLegB), [](auto& t) { return t.call_id == kLegB; }},
      {"from_user=sipp", [](auto& t) { return t.from_user == "sipp"; }},
      {"from_user=4930*", [](auto& t) { return glob("4930*", t.from_user); }},
      {"from_user=*111", [](auto& t) { return glob("*111", t.from_user); }},
      {"from_user=49*0*5*", [](auto& t) { return glob("49*0*5*", t.from_user); }},
      {"to_user=1000", [](auto& t) { return t.to_user == "1000" || t.ruri_user == "1000"; }},
      {"to_user=4930*2", [](auto& t) { return glob("4930*2", t.to_user) || glob("4930*2", t.ruri_user); }},
      {"to_user=nodejs", [](auto& t) { return t.to_user == "nodejs" || t.ruri_user == "nodejs"; }},
      {"from_tag=" + enc(kam.from_tag), [&](auto& t) { return t.from_tag == kam.from_tag; }},
      {"to_tag=" + enc(tagged.to_tag), [&](auto& t) { return t.to_tag == tagged.to_tag; }},
      {"method=INVITE", [](auto& t) { return t.method == "INVITE"; }},
      {"method=bye,ACK", [](auto& t) { return t.method == "BYE" || t.method == "ACK"; }},
      {"method=BYE&method=OPTIONS", [](auto& t) { return t.method == "BYE" || t.method == "OPTIONS"; }},
      {"status=200", [](auto& t) { return t.status == 200; }},
      {"status=100,180", [](auto& t) { return t.status == 100 || t.status == 180; }},
      {"status=1xx", [](auto& t) { return t.status >= 100 && t.status < 200; }},
      {"status=4xx,180", [](auto& t) { return (t.status >= 400 && t.status < 500) || t.status == 180; }},
      {"user_agent=kamailio", [](auto& t) { return icontains(t.user_agent, "kamailio"); }},
      {"user_agent=HEPGEN-UA", [](auto& t) { return icontains(t.user_agent, "HEPGEN-UA"); }},
      // Case-insensitive (issue 12): what a support engineer types.
      {"user_agent=KAMAILIO", [](auto& t) { return icontains(t.user_agent, "kamailio"); }},
      {"user_agent=hepgen-ua", [](auto& t) { return icontains(t.user_agent, "HEPGEN-UA"); }},
      // A Call-ID pattern (issue 12): `*` as in numbers.
      {"call_id=" + enc("*@192.0.2.20"), [](auto& t) { return glob("*@192.0.2.20", t.call_id); }},
      {"call_id=" + enc("b2b-leg-*"), [](auto& t) { return glob("b2b-leg-*", t.call_id); }},
      {"src_ip=192.168.1.1", [](auto& t) { return t.src_ip == "192.168.1.1"; }},
      {"dst_ip=192.0.2.20", [](auto& t) { return t.dst_ip == "192.0.2.20"; }},
      {"ip=192.0.2.20", [](auto& t) { return t.src_ip == "192.0.2.20" || t.dst_ip == "192.0.2.20"; }},
      {"ip=2001:db8::1", [](auto& t) { return t.src_ip == "2001:db8::1" || t.dst_ip == "2001:db8::1"; }},
      {"port=5070", [](auto& t) { return t.src_port == 5070 || t.dst_port == 5070; }},
      {"src_port=5080", [](auto& t) { return t.src_port == 5080; }},
      {"dst_port=5062", [](auto& t) { return t.dst_port == 5062; }},
      {"transport=tcp", [](auto& t) { return t.transport == "tcp"; }},
      {"transport=UDP", [](auto& t) { return t.transport == "udp"; }},
      {"capture_id=3001", [](auto& t) { return t.capture_id == 3001; }},
      {"from=" + enc(rfc3339(mid.time_us)) + "&to=" + enc(rfc3339(later.time_us)),
       [&](auto& t) { return t.time_us >= mid.time_us && t.time_us <= later.time_us; }},
      {"from=" + std::to_string(mid.time_us / 1000) + "ms&to=" + std::to_string(later.time_us / 1000) + "ms",
       [&](auto& t) {
         return t.time_us >= mid.time_us / 1000 * 1000 && t.time_us <= later.time_us / 1000 * 1000;
       }},
      {"from=" + std::to_string(mid.time_us / 1000000) + "s&to=" + std::to_string(later.time_us) + "us",
       [&](auto& t) { return t.time_us >= mid.time_us / 1000000 * 1000000 && t.time_us <= later.time_us; }},
      // Combinations.
      {"from_user=sipp&status=200&dst_port=5080",
       [](auto& t) { return t.from_user == "sipp" && t.status == 200 && t.dst_port == 5080; }},
      {"call_id=" + enc(kam.call_id) + "&method=BYE",
       [&](auto& t) { return t.call_id == kam.call_id && t.method == "BYE"; }},
      {"ip=192.0.2.20&port=5062&transport=udp",
       [](auto& t) {
         return (t.src_ip == "192.0.2.20" || t.dst_ip == "192.0.2.20") && (t.src_port == 5062 || t.dst_port == 5062) &&
                t.transport == "udp";
       }},
      {"to_user=4930*&status=2xx",
       [](auto& t) {
         return (glob("4930*", t.to_user) || glob("4930*", t.ruri_user)) && t.status >= 200 && t.status < 300;
       }},
      {"src_ip=127.0.0.1&method=INVITE&status=1xx&from_user=si*",
       [](auto& t) {
         return t.src_ip == "127.0.0.1" && t.method == "INVITE" && t.status >= 100 && t.status < 200 &&
                glob("si*", t.from_user);
       }},
      {"user_agent=agent&transport=tcp",
       [](auto& t) { return icontains(t.user_agent, "agent") && t.transport == "tcp"; }},
  };
  for (const Case& c : cases) {
    INFO("query: " << c.query);
    const auto want = expected(c.match);
    CHECK_FALSE(want.empty());  // every case selects something, so that it can fail
    CHECK(want.size() < truth().size());
    // Cases that set the time range themselves replace the whole-store range.
    CHECK(keys(searchAll(c.query.rfind("from=", 0) == 0 ? c.query : kAll + "&" + c.query)) == want);
  }
  // Filters that match nothing.
  for (std::string q : {"call_id=no-such-call", "from_user=0000*", "to_user=sipp", "capture_id=1", "transport=sctp",
                        "status=6xx", "method=REFER", "src_ip=10.9.8.7"}) {
    INFO("query: " << q);
    CHECK(searchAll(kAll + "&" + q).empty());
  }
  // An empty value is "not given".
  CHECK(searchAll(kAll + "&call_id=&from_user=&status=").size() == truth().size());
}

TEST_CASE("the default time range is the last hour", "[api][messages][integration]") {
  // Everything stored was captured before the last hour of a clock that reads 2026-11-26T14:00Z
  // or later (the corpus times); an explicit range finds it.
  HttpResult r = admin().get("/api/v1/messages?call_id=" + enc(truth().front().call_id));
  REQUIRE(r.status == 200);
  const uint64_t newest = std::max_element(truth().begin(), truth().end(), [](auto& a, auto& b) {
                            return a.time_us < b.time_us;
                          })->time_us;
  const uint64_t now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  if (now > newest + 3600ull * 1000000) CHECK(r.json()->getArray("items")->size() == 0);
  CHECK(searchAll("from=0s&call_id=" + enc(truth().front().call_id)).size() == 13);
}

TEST_CASE("unknown parameters and bad values are a 400 that names the parameter", "[api][messages][integration]") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"bogus=1", "bogus"},
      {"from=yesterday", "from"},
      {"from=1795697385", "from"},  // a bare number: seconds or milliseconds? (issue 12)
      {"to=1795697385000", "to"},
      {"to=2026-13-01T00:00:00Z", "to"},
      {"from=2026-11-26T12:00:00Z&to=2026-11-26T11:00:00Z", "from"},
      {"status=9xx", "status"},
      {"status=20", "status"},
      {"status=200,abc", "status"},
      {"method=IN%20VITE", "method"},
      {"method=INVITE,", "method"},
      {"src_ip=1.2.3", "src_ip"},
      {"dst_ip=localhost", "dst_ip"},
      {"ip=::g", "ip"},
      {"port=70000", "port"},
      {"src_port=-1", "src_port"},
      {"dst_port=5060a", "dst_port"},
      {"transport=tls", "transport"},
      {"capture_id=4294967296", "capture_id"},
      {"limit=0", "limit"},
      {"limit=10001", "limit"},
      {"limit=ten", "limit"},
      {"cursor=abc", "cursor"},
      {"call_id=a&call_id=b", "call_id"},
      {"call_id=%0d%0aX-Injected:%201", "call_id"},
      {"user_agent=%00", "user_agent"},
      {"from_tag=%zz", "from_tag"},
  };
  for (const auto& [query, param] : bad) {
    INFO("query: " << query);
    for (std::string endpoint : {"messages", "calls", "export.pcap", "export.txt", "stats"}) {
      HttpResult r = admin().get("/api/v1/" + endpoint + "?" + query);
      CHECK(r.status == 400);
      if (r.status == 400) {
        auto e = r.json()->getObject("error");
        CHECK(e->getValue<std::string>("code") == "bad_parameter");
        CHECK(e->getValue<std::string>("parameter") == param);
      }
    }
  }
  // A messages cursor is not a calls cursor.
  HttpResult page = admin().get("/api/v1/messages?" + kAll + "&limit=1");
  const std::string cursor = page.json()->getValue<std::string>("next_cursor");
  HttpResult r = admin().get("/api/v1/calls?" + kAll + "&cursor=" + enc(cursor));
  CHECK(r.status == 400);
  CHECK(admin().get("/api/v1/stats?" + kAll + "&step=0").status == 400);
  CHECK(admin().get("/api/v1/stats?from=0s&to=4102444800000ms&step=60").status == 400);  // too many intervals
  CHECK(admin().get("/api/v1/calls/x/flow?from=0s&status=200").status == 400);
}

TEST_CASE("SQL injection attempts in every parameter give a 400 or nothing, never more rows",
          "[api][security][integration]") {
  const std::vector<std::string> attacks = {
      "' OR 1=1 --", "%' UNION SELECT id,raw FROM sip_messages --", "\\", "\\' OR \\'1\\'=\\'1", "' OR ''='",
      "1; DROP TABLE sip_messages", "\" OR \"\"=\"", "%", "_", "0x41 OR 1", "1' AND SLEEP(5) AND '1",
      std::string("a\0b", 3), "*' OR '*", "4930*' OR 1=1 --"};
  const std::vector<std::string> params = {"call_id", "from_user", "to_user", "from_tag", "to_tag", "method",
                                           "status", "user_agent", "src_ip", "dst_ip", "ip", "port", "src_port",
                                           "dst_port", "transport", "capture_id", "limit", "cursor", "from", "to"};
  // What a literal reading of each value selects (user_agent is a substring, from_user/to_user
  // take `*`, everything else is exact): the api may return that, or a 400, never more.
  auto literal = [](const std::string& param, const std::string& v, const TruthMessage& t) {
    if (param == "user_agent") return icontains(t.user_agent, v);
    if (param == "from_user") return glob(v, t.from_user);
    if (param == "to_user") return glob(v, t.to_user) || glob(v, t.ruri_user);
    if (param == "call_id") return glob(v, t.call_id);
    if (param == "from_tag") return t.from_tag == v;
    if (param == "to_tag") return t.to_tag == v;
    return false;
  };
  for (const std::string& param : params) {
    for (const std::string& attack : attacks) {
      INFO(param << " = " << attack);
      const auto want = expected([&](const TruthMessage& t) { return literal(param, attack, t); });
      std::set<std::string> want_calls;
      for (const TruthMessage& t : truth())
        if (literal(param, attack, t)) want_calls.insert(t.call_id);
      const std::string query = (param == "from" || param == "to" ? std::string() : kAll + "&") + param + "=" + enc(attack);
      HttpResult r = admin().get("/api/v1/messages?" + query + "&limit=10000");
      CHECK((r.status == 400 || r.status == 200));
      if (r.status == 200) {
        std::vector<Poco::JSON::Object::Ptr> items;
        auto array = r.json()->getArray("items");
        for (size_t i = 0; i < array->size(); ++i) items.push_back(array->getObject(static_cast<unsigned>(i)));
        CHECK(keys(items) == want);
      }
      HttpResult c = admin().get("/api/v1/calls?" + query + "&limit=10000");
      CHECK((c.status == 400 || c.status == 200));
      if (c.status == 200) CHECK(c.json()->getArray("items")->size() == want_calls.size());
    }
  }
  // Path parameters too.
  for (const std::string& attack : attacks) {
    HttpResult m = admin().get("/api/v1/messages/" + enc(attack));
    CHECK(m.status == 404);
    HttpResult f = admin().get("/api/v1/calls/" + enc(attack) + "/flow?" + kAll);
    CHECK(f.status == 404);
  }
  // Everything is still there.
  CHECK(searchAll(kAll).size() == truth().size());
}

TEST_CASE("a message's detail has every field and the raw message byte-exact, with its headers",
          "[api][messages][integration]") {
  for (const TruthMessage* t : {&truth()[0], &truth()[262], &truth().back()}) {
    const auto found = searchAll(kAll + "&call_id=" + enc(t->call_id) + "&src_port=" + std::to_string(t->src_port));
    auto it = std::find_if(found.begin(), found.end(), [&](auto& m) { return m->template getValue<uint64_t>("time_us") == t->time_us; });
    REQUIRE(it != found.end());
    HttpResult r = admin().get("/api/v1/messages/" + enc((*it)->getValue<std::string>("id")));
    REQUIRE(r.status == 200);
    auto m = r.json();
    CHECK(m->getValue<std::string>("call_id") == t->call_id);
    CHECK(m->getValue<std::string>("method") == t->method);
    CHECK(m->getValue<int>("status") == t->status);
    CHECK(m->getValue<bool>("is_request") == t->is_request);
    CHECK(m->getValue<std::string>("from_user") == t->from_user);
    CHECK(m->getValue<std::string>("to_user") == t->to_user);
    CHECK(m->getValue<std::string>("from_tag") == t->from_tag);
    CHECK(m->getValue<std::string>("src_ip") == t->src_ip);
    CHECK(m->getValue<std::string>("dst_ip") == t->dst_ip);
    CHECK(m->getValue<int>("dst_port") == t->dst_port);
    CHECK(m->getValue<std::string>("transport") == t->transport);
    CHECK(m->getValue<uint32_t>("capture_id") == t->capture_id);
    CHECK(m->getValue<size_t>("raw_len") == t->payload.size());
    // raw_base64 is the exact bytes.
    Poco::JSON::Array::Ptr headers = m->getArray("headers");
    REQUIRE(headers->size() > 3);
    bool has_call_id = false;
    for (size_t i = 0; i < headers->size(); ++i) {
      auto h = headers->getArray(static_cast<unsigned>(i));
      if (h->getElement<std::string>(0) == "Call-ID") has_call_id = h->getElement<std::string>(1) == t->call_id;
    }
    CHECK(has_call_id);
    std::string decoded;
    {
      const std::string b64 = m->getValue<std::string>("raw_base64");
      static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      uint32_t acc = 0;
      int bits = 0;
      for (char c : b64) {
        if (c == '=') break;
        acc = (acc << 6) | static_cast<uint32_t>(alphabet.find(c));
        bits += 6;
        if (bits >= 8) {
          bits -= 8;
          decoded += static_cast<char>((acc >> bits) & 0xff);
        }
      }
    }
    CHECK(decoded == t->payload);
  }
  CHECK(admin().get("/api/v1/messages/1-1").status == 404);
  CHECK(admin().get("/api/v1/messages/not-an-id").status == 404);
}

TEST_CASE("text that is not UTF-8 comes out with U+FFFD, and only raw_base64 keeps the bytes",
          "[api][messages][integration]") {
  HttpResult list = admin().get("/api/v1/messages?" + kAll + "&call_id=" + enc(kTcpV6));
  REQUIRE(list.status == 200);
  auto first = list.json()->getArray("items")->getObject(0);
  CHECK(first->getValue<std::string>("user_agent") == "bad\xEF\xBF\xBD\xEF\xBF\xBD agent");
  CHECK(first->getValue<std::string>("src_ip") == "2001:db8::1");
  CHECK(first->getValue<std::string>("transport") == "tcp");
}
