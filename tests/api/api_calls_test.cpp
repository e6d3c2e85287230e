// Calls, call flows with correlated legs, pcap/text export (read back by tshark) and stats, over
// the database filled through the real pipeline (api_test_env.h).
#include <Poco/JSON/Array.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "api_test_env.h"

using namespace sipvault::apitest;

namespace {

const std::string kAll = "from=0s&to=4102444800000ms";

std::vector<std::string> strings(const Poco::JSON::Array::Ptr& a) {
  std::vector<std::string> out;
  for (size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

std::string host(const std::string& ip, uint16_t port) {
  return (ip.find(':') != std::string::npos ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
}

// Runs a command, returns its stdout.
std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string tempPath(const std::string& name) {
  return std::string(SIPVAULT_BINARY_DIR) + "/tests/api/" + name + "-" + std::to_string(getpid());
}

// (Call-ID, source address, source port) of every SIP message tshark finds in a pcap.
std::multiset<std::string> tsharkMessages(const std::string& pcap_bytes) {
  const std::string file = tempPath("export") + ".pcap";
  std::ofstream(file, std::ios::binary) << pcap_bytes;
  const std::string out = run("tshark -r '" + file +
                              "' -Y sip -T fields -E separator='|' -e sip.Call-ID -e ip.src -e ipv6.src -e udp.srcport "
                              "-e tcp.srcport 2>/dev/null");
  std::filesystem::remove(file);
  std::multiset<std::string> rows;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::vector<std::string> f;
    std::stringstream ls(line);
    std::string field;
    while (std::getline(ls, field, '|')) f.push_back(field);
    f.resize(5);
    rows.insert(f[0] + "|" + (f[1].empty() ? f[2] : f[1]) + "|" + (f[3].empty() ? f[4] : f[3]));
  }
  return rows;
}

std::multiset<std::string> apiMessages(const std::string& query) {
  HttpResult r = admin().get("/api/v1/messages?" + query + "&limit=10000");
  REQUIRE(r.status == 200);
  std::multiset<std::string> rows;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    auto m = items->getObject(static_cast<unsigned>(i));
    rows.insert(m->getValue<std::string>("call_id") + "|" + m->getValue<std::string>("src_ip") + "|" +
                std::to_string(m->getValue<int>("src_port")));
  }
  return rows;
}

// Every call a /calls query lists, paging with `limit` per request, in the order listed.
std::vector<Poco::JSON::Object::Ptr> allCalls(const std::string& query, int limit) {
  std::vector<Poco::JSON::Object::Ptr> listed;
  std::string cursor;
  do {
    HttpResult r = admin().get("/api/v1/calls?" + query + "&limit=" + std::to_string(limit) +
                               (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto o = r.json();
    auto items = o->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) listed.push_back(items->getObject(static_cast<unsigned>(i)));
    cursor = o->get("next_cursor").isEmpty() ? "" : o->getValue<std::string>("next_cursor");
  } while (!cursor.empty() && listed.size() < 1000);
  return listed;
}

}  // namespace

TEST_CASE("calls group messages by Call-ID with numbers, final status, count and hosts", "[api][calls][integration]") {
  std::map<std::string, std::vector<const TruthMessage*>> by_call;
  for (const TruthMessage& t : truth()) by_call[t.call_id].push_back(&t);

  std::map<std::string, Poco::JSON::Object::Ptr> calls;
  std::string cursor;
  int pages = 0;
  do {
    HttpResult r = admin().get("/api/v1/calls?" + kAll + "&limit=4" + (cursor.empty() ? "" : "&cursor=" + enc(cursor)));
    REQUIRE(r.status == 200);
    auto o = r.json();
    auto items = o->getArray("items");
    CHECK(items->size() <= 4);
    for (size_t i = 0; i < items->size(); ++i) {
      auto c = items->getObject(static_cast<unsigned>(i));
      CHECK(calls.emplace(c->getValue<std::string>("call_id"), c).second);  // each call once
    }
    cursor = o->get("next_cursor").isEmpty() ? "" : o->getValue<std::string>("next_cursor");
    ++pages;
  } while (!cursor.empty() && pages < 100);
  REQUIRE(calls.size() == by_call.size());

  for (const auto& [call_id, messages] : by_call) {
    INFO("call " << call_id);
    auto c = calls.at(call_id);
    CHECK(c->getValue<size_t>("message_count") == messages.size());
    CHECK(c->getValue<uint64_t>("first_time_us") == messages.front()->time_us);
    CHECK(c->getValue<uint64_t>("last_time_us") == messages.back()->time_us);
    CHECK(c->getValue<uint64_t>("duration_ms") == (messages.back()->time_us - messages.front()->time_us) / 1000);
    const TruthMessage* request = messages.front();
    CHECK(c->getValue<std::string>("from_user") == request->from_user);
    CHECK(c->getValue<std::string>("to_user") == request->to_user);
    CHECK(c->getValue<std::string>("method") == request->method);
    std::vector<std::string> hosts;
    for (const TruthMessage* m : messages)
      for (const std::string& h : {host(m->src_ip, m->src_port), host(m->dst_ip, m->dst_port)})
        if (std::find(hosts.begin(), hosts.end(), h) == hosts.end()) hosts.push_back(h);
    CHECK(strings(c->getArray("hosts")) == hosts);
  }
  // Final statuses the captures show: every sipp call answered 200; the hep-wireshark INVITE got
  // a 407; leg A 200.
  CHECK(calls.at(truth().front().call_id)->getValue<int>("final_status") == 200);
  CHECK(calls.at("qgf3dm9rudi@127.0.0.1")->getValue<int>("final_status") == 407);
  CHECK(calls.at(kLegA)->getValue<int>("final_status") == 200);

  // Filters select calls by any of their messages, and the summary still covers the whole call.
  HttpResult busy = admin().get("/api/v1/calls?" + kAll + "&status=407");
  REQUIRE(busy.status == 200);
  auto items = busy.json()->getArray("items");
  REQUIRE(items->size() == 1);
  CHECK(items->getObject(0)->getValue<size_t>("message_count") == 6);
  HttpResult numbers = admin().get("/api/v1/calls?" + kAll + "&from_user=4930*");
  REQUIRE(numbers.status == 200);
  std::set<std::string> ids;
  auto n = numbers.json()->getArray("items");
  for (size_t i = 0; i < n->size(); ++i) ids.insert(n->getObject(static_cast<unsigned>(i))->getValue<std::string>("call_id"));
  CHECK(ids == std::set<std::string>{kLegA, kLegB, kLegX, kLegC, kRepeat});
}

TEST_CASE("the flow of a kamailio call has both proxy legs with the hosts in order uac, kamailio, uas",
          "[api][flow][integration]") {
  const std::string call_id = truth().front().call_id;  // sipp uac :5080 -> kamailio :5060 -> uas :5070
  HttpResult r = admin().get("/api/v1/calls/" + enc(call_id) + "/flow?" + kAll);
  REQUIRE(r.status == 200);
  auto flow = r.json();
  CHECK(flow->getValue<std::string>("call_id") == call_id);
  CHECK(strings(flow->getArray("hosts")) ==
        std::vector<std::string>{"127.0.0.1:5080", "127.0.0.1:5060", "127.0.0.1:5070"});
  auto legs = flow->getArray("legs");
  REQUIRE(legs->size() == 1);  // a proxy keeps the Call-ID; repeated sipp calls are no legs
  CHECK(legs->getObject(0)->getValue<std::string>("relation") == "self");
  auto messages = flow->getArray("messages");
  std::vector<const TruthMessage*> want;
  for (const TruthMessage& t : truth())
    if (t.call_id == call_id) want.push_back(&t);
  REQUIRE(messages->size() == want.size());
  int to_uas = 0, from_uac = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    auto m = messages->getObject(static_cast<unsigned>(i));
    CHECK(m->getValue<uint64_t>("time_us") == want[i]->time_us);
    CHECK(m->getValue<int>("src_port") == want[i]->src_port);
    CHECK(m->getValue<std::string>("leg") == call_id);
    CHECK_FALSE(m->getValue<bool>("inferred"));
    if (m->getValue<int>("dst_port") == 5070) ++to_uas;
    if (m->getValue<int>("src_port") == 5080) ++from_uac;
  }
  CHECK(to_uas == 3);    // INVITE, ACK, BYE forwarded to the uas
  CHECK(from_uac == 3);  // INVITE, ACK, BYE from the uac
  CHECK(messages->getObject(0)->getValue<std::string>("method") == "INVITE");
  CHECK(admin().get("/api/v1/calls/no-such-call/flow?" + kAll).status == 404);
  // Outside the time range there is nothing.
  CHECK(admin().get("/api/v1/calls/" + enc(call_id) + "/flow?from=0s&to=1000ms").status == 404);
}

TEST_CASE("a flow follows X-CID and HEP correlation links and infers the B2BUA leg, not a later repeat call",
          "[api][flow][integration]") {
  HttpResult r = admin().get("/api/v1/calls/" + enc(kLegA) + "/flow?" + kAll);
  REQUIRE(r.status == 200);
  auto flow = r.json();
  std::map<std::string, std::string> relation;
  auto legs = flow->getArray("legs");
  for (size_t i = 0; i < legs->size(); ++i) {
    auto l = legs->getObject(static_cast<unsigned>(i));
    relation[l->getValue<std::string>("call_id")] = l->getValue<std::string>("relation");
  }
  CHECK(relation == std::map<std::string, std::string>{
                        {kLegA, "self"}, {kLegX, "x-cid"}, {kLegC, "correlation"}, {kLegB, "inferred"}});
  auto messages = flow->getArray("messages");
  size_t expected = 0;
  for (const TruthMessage& t : truth()) expected += relation.count(t.call_id);
  CHECK(messages->size() == expected);
  uint64_t last = 0;
  for (size_t i = 0; i < messages->size(); ++i) {
    auto m = messages->getObject(static_cast<unsigned>(i));
    CHECK(m->getValue<uint64_t>("time_us") >= last);
    last = m->getValue<uint64_t>("time_us");
    CHECK(m->getValue<std::string>("leg") == m->getValue<std::string>("call_id"));
    CHECK(m->getValue<bool>("inferred") == (m->getValue<std::string>("call_id") == kLegB));
  }
  CHECK(strings(flow->getArray("hosts")) ==
        std::vector<std::string>{"192.0.2.10:5060", "192.0.2.20:5060", "192.0.2.20:5062", "192.0.2.30:5060",
                                 "192.0.2.40:5060", "192.0.2.50:5060"});

  // From the X-CID leg the link is followed back to A, and from A on to the correlated leg.
  HttpResult x = admin().get("/api/v1/calls/" + enc(kLegX) + "/flow?" + kAll);
  REQUIRE(x.status == 200);
  std::set<std::string> reached;
  auto xl = x.json()->getArray("legs");
  for (size_t i = 0; i < xl->size(); ++i) reached.insert(xl->getObject(static_cast<unsigned>(i))->getValue<std::string>("call_id"));
  CHECK(reached.count(kLegA) == 1);
  CHECK(reached.count(kLegC) == 1);
  CHECK(reached.count(kRepeat) == 0);
}

TEST_CASE("export.pcap reads back in tshark as the same SIP messages, addresses and ports", "[api][export][integration]") {
  for (std::string query : {kAll, kAll + "&call_id=" + enc(truth().front().call_id), kAll + "&transport=tcp",
                            kAll + "&from_user=4930*&status=2xx"}) {
    INFO("query: " << query);
    HttpResult r = admin().get("/api/v1/export.pcap?" + query);
    REQUIRE(r.status == 200);
    CHECK(r.headers["content-type"] == "application/vnd.tcpdump.pcap");
    CHECK(r.headers["content-disposition"].find("attachment; filename=\"sipvault-") == 0);
    if (query.find("call_id=") != std::string::npos) {  // one Call-ID: named after it, as the UI does
      std::string safe;
      for (char c : truth().front().call_id)
        safe += std::isalnum(static_cast<unsigned char>(c)) || std::string_view("._@-").find(c) != std::string_view::npos
                    ? std::string(1, c)
                    : (safe.empty() || safe.back() != '_' ? "_" : "");
      CHECK(r.headers["content-disposition"] == "attachment; filename=\"sipvault-call-" + safe + ".pcap\"");
    }
    const auto want = apiMessages(query);
    REQUIRE_FALSE(want.empty());
    CHECK(tsharkMessages(r.body) == want);
    CHECK(std::stoul(r.headers["x-sipvault-messages"]) == want.size());
  }
  // The whole store is every message sent.
  HttpResult all = admin().get("/api/v1/export.pcap?" + kAll);
  CHECK(tsharkMessages(all.body).size() == truth().size());
  // A limited export says there is more.
  HttpResult part = admin().get("/api/v1/export.pcap?" + kAll + "&limit=10");
  CHECK(tsharkMessages(part.body).size() == 10);
  CHECK(part.headers["x-sipvault-truncated"] == "true");
  CHECK_FALSE(part.headers["x-sipvault-next-cursor"].empty());
}

TEST_CASE("export with legs=linked holds every leg the call's flow shows (issue 12)",
          "[api][export][integration]") {
  HttpResult f = admin().get("/api/v1/calls/" + enc(kLegA) + "/flow?" + kAll);
  REQUIRE(f.status == 200);
  auto legs = f.json()->getArray("legs");
  REQUIRE(legs->size() == 4);  // self, x-cid, correlation, inferred
  std::multiset<std::string> want;
  for (size_t i = 0; i < legs->size(); ++i) {
    const auto leg = legs->getObject(static_cast<unsigned>(i))->getValue<std::string>("call_id");
    want.merge(apiMessages(kAll + "&call_id=" + enc(leg)));
  }
  REQUIRE(want.size() == f.json()->getArray("messages")->size());
  for (const char* id : {kLegA, kLegX}) {
    INFO(id);
    const std::string call = "call_id=" + enc(id);
    const size_t in_flow =
        admin().get("/api/v1/calls/" + enc(id) + "/flow?" + kAll).json()->getArray("messages")->size();
    HttpResult only = admin().get("/api/v1/export.pcap?" + kAll + "&" + call);
    HttpResult pcap = admin().get("/api/v1/export.pcap?" + kAll + "&" + call + "&legs=linked");
    REQUIRE(pcap.status == 200);
    CHECK(tsharkMessages(only.body).size() < in_flow);  // without legs=linked: one leg only
    CHECK(std::stoul(pcap.headers["x-sipvault-messages"]) == in_flow);
    CHECK(tsharkMessages(pcap.body).size() == in_flow);
    if (std::string(id) == kLegA) CHECK(tsharkMessages(pcap.body) == want);
    HttpResult txt = admin().get("/api/v1/export.txt?" + kAll + "&" + call + "&legs=linked");
    REQUIRE(txt.status == 200);
    for (const char* leg : {kLegA, kLegX, kLegC})
      CHECK(txt.body.find(std::string("Call-ID: ") + leg) != std::string::npos);
  }
  // The same legs as messages (paged) and as calls: what the flow page's "Messages" shows.
  std::multiset<std::string> paged;
  std::string cursor;
  do {
    HttpResult r = admin().get("/api/v1/messages?" + kAll + "&call_id=" + enc(kLegA) +
                               "&legs=linked&limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    auto items = r.json()->getArray("items");
    for (size_t i = 0; i < items->size(); ++i) {
      auto m = items->getObject(static_cast<unsigned>(i));
      paged.insert(m->getValue<std::string>("call_id") + "|" + m->getValue<std::string>("src_ip") + "|" +
                   std::to_string(m->getValue<int>("src_port")));
    }
    cursor = r.json()->get("next_cursor").isEmpty() ? "" : r.json()->getValue<std::string>("next_cursor");
  } while (!cursor.empty() && paged.size() < 100);
  CHECK(paged == want);
  HttpResult calls = admin().get("/api/v1/calls?" + kAll + "&call_id=" + enc(kLegA) + "&legs=linked");
  REQUIRE(calls.status == 200);
  CHECK(calls.json()->getArray("items")->size() == legs->size());
  // By call_ref too.
  const std::string ref = legs->getObject(0)->getValue<std::string>("call_ref");
  HttpResult by_ref = admin().get("/api/v1/export.pcap?" + kAll + "&call_ref=" + enc(ref) + "&legs=linked");
  REQUIRE(by_ref.status == 200);
  CHECK(tsharkMessages(by_ref.body) == want);
  // Refused: without a call, another value, combined with a search filter.
  for (const auto& [query, parameter] : std::vector<std::pair<std::string, std::string>>{
           {"legs=linked", "legs"},
           {"legs=all&call_id=" + enc(kLegA), "legs"},
           {"legs=linked&call_id=" + enc(kLegA) + "&status=200", "status"},
           {"legs=linked&call_id=" + enc(kLegA) + "&method=INVITE", "method"},
           {"legs=linked&call_id=" + enc("b2b-leg-*"), "call_id"}}) {
    INFO(query);
    HttpResult r = admin().get("/api/v1/export.txt?" + kAll + "&" + query);
    CHECK(r.status == 400);
    CHECK(r.json()->getObject("error")->getValue<std::string>("parameter") == parameter);
  }
  // An unknown call: an empty file, no error.
  HttpResult none = admin().get("/api/v1/export.txt?" + kAll + "&call_id=no-such-call&legs=linked");
  CHECK(none.status == 200);
  CHECK(none.headers["x-sipvault-messages"] == "0");
}

TEST_CASE("calls filtered by a status class are listed in the order of their first message (issue 12)",
          "[api][calls][integration]") {
  // kBusyLate's INVITE comes first and its 486 last; kFailSoon's INVITE and 404 between them.
  for (const char* filter : {"&status=4xx", "&status=404,486", "&from_user=4950*", ""}) {
    INFO(filter);
    std::vector<std::pair<uint64_t, std::string>> listed;
    for (const auto& c : allCalls(kAll + filter, 1))
      listed.emplace_back(c->getValue<uint64_t>("first_time_us"), c->getValue<std::string>("call_id"));
    CHECK(std::is_sorted(listed.begin(), listed.end()));
    std::vector<std::string> failed;
    for (const auto& [t, id] : listed)
      if (id == kBusyLate || id == kFailSoon) failed.push_back(id);
    CHECK(failed == std::vector<std::string>{kBusyLate, kFailSoon});
  }
}

TEST_CASE("calls say how they ended: state, the final response's reason phrase and a Q.850 cause (issue 12)",
          "[api][calls][integration]") {
  HttpResult r = admin().get("/api/v1/calls?" + kAll + "&limit=1000");
  REQUIRE(r.status == 200);
  std::map<std::string, Poco::JSON::Object::Ptr> calls;
  auto items = r.json()->getArray("items");
  for (size_t i = 0; i < items->size(); ++i) {
    auto c = items->getObject(static_cast<unsigned>(i));
    calls[c->getValue<std::string>("call_id")] = c;
  }
  REQUIRE(calls.count(kBusyLate) == 1);
  CHECK(calls[kBusyLate]->getValue<std::string>("state") == "busy");
  CHECK(calls[kBusyLate]->getValue<std::string>("final_reason") == "Busy Here");
  REQUIRE_FALSE(calls[kBusyLate]->get("q850").isEmpty());
  CHECK(calls[kBusyLate]->getObject("q850")->getValue<int>("cause") == 17);
  CHECK(calls[kBusyLate]->getObject("q850")->getValue<std::string>("text") == "User busy");
  CHECK(calls[kFailSoon]->getValue<std::string>("state") == "failed");
  CHECK(calls[kFailSoon]->getValue<std::string>("final_reason") == "Not Found");
  CHECK(calls[kFailSoon]->get("q850").isEmpty());
  CHECK(calls[kLegA]->getValue<std::string>("state") == "answered");
  CHECK(calls[kLegA]->getValue<std::string>("final_reason") == "OK");
  CHECK(calls["qgf3dm9rudi@127.0.0.1"]->getValue<std::string>("final_reason") ==
        "Proxy Authentication Required");
  // Responses in message lists carry the phrase of their code.
  HttpResult m = admin().get("/api/v1/messages?" + kAll + "&call_id=" + enc(kBusyLate));
  REQUIRE(m.status == 200);
  auto list = m.json()->getArray("items");
  REQUIRE(list->size() == 2);
  CHECK(list->getObject(0)->getValue<std::string>("status_text").empty());  // the INVITE
  CHECK(list->getObject(1)->getValue<std::string>("status_text") == "Busy Here");
}

TEST_CASE("export.pcap keeps capture times and checksums that tshark accepts", "[api][export][integration]") {
  HttpResult r = admin().get("/api/v1/export.pcap?" + kAll + "&call_id=" + enc(kTcpV6));
  REQUIRE(r.status == 200);
  const std::string file = tempPath("times") + ".pcap";
  std::ofstream(file, std::ios::binary) << r.body;
  const std::string times = run("tshark -r '" + file + "' -T fields -e frame.time_epoch 2>/dev/null");
  const std::string bad = run("tshark -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE -r '" +
                              file + "' -Y 'ip.checksum.status==Bad || tcp.checksum.status==Bad || udp.checksum.status==Bad' "
                              "2>/dev/null");
  std::filesystem::remove(file);
  std::vector<uint64_t> want;
  for (const TruthMessage& t : truth())
    if (t.call_id == kTcpV6) want.push_back(t.time_us);
  std::vector<uint64_t> got;
  std::istringstream lines(times);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t dot = line.find('.');
    got.push_back(std::stoull(line.substr(0, dot)) * 1000000 + std::stoull(line.substr(dot + 1, 6)));
  }
  CHECK(got == want);
  CHECK(bad.empty());
}

TEST_CASE("export.txt is a readable trace of the same messages", "[api][export][integration]") {
  const std::string call_id = truth().front().call_id;
  HttpResult r = admin().get("/api/v1/export.txt?" + kAll + "&call_id=" + enc(call_id));
  REQUIRE(r.status == 200);
  CHECK(r.headers["content-type"] == "text/plain; charset=utf-8");
  size_t blocks = 0;
  for (size_t pos = r.body.find("===== "); pos != std::string::npos; pos = r.body.find("===== ", pos + 1)) ++blocks;
  CHECK(blocks == 13);
  CHECK(r.body.find("127.0.0.1:5080 -> 127.0.0.1:5060  udp  capture_id=2001") != std::string::npos);
  CHECK(r.body.find("INVITE sip:1000@127.0.0.1:5060 SIP/2.0\n") != std::string::npos);
  CHECK(r.body.find('\r') == std::string::npos);
}

TEST_CASE("stats count messages per interval by method and status class, with the top User-Agents",
          "[api][stats][integration]") {
  // The kamailio capture: 20 calls within one second at 12:49:45.
  const uint64_t t0 = truth().front().time_us / 1000000 * 1000000 - 60000000;  // a minute before
  const uint64_t step_s = 30;
  HttpResult r = admin().get("/api/v1/stats?from=" + std::to_string(t0 / 1000) +
                             "ms&to=" + std::to_string((t0 + 180000000) / 1000) +
                             "ms&step=" + std::to_string(step_s) + "&capture_id=2001");
  REQUIRE(r.status == 200);
  auto o = r.json();
  std::map<std::string, uint64_t> methods;
  std::map<std::string, uint64_t> classes;
  uint64_t total = 0;
  for (const TruthMessage& t : truth()) {
    if (t.capture_id != 2001 || t.time_us < t0 || t.time_us > t0 + 180000000) continue;
    ++total;
    if (t.is_request) ++methods[t.method];
    else ++classes[std::to_string(t.status / 100) + "xx"];
  }
  REQUIRE(total > 0);
  CHECK(o->getValue<uint64_t>("total") == total);
  auto series = o->getArray("series");
  CHECK(series->size() == 7);  // 180 s / 30 s + the inclusive end
  std::map<std::string, uint64_t> got_methods, got_classes;
  for (size_t i = 0; i < series->size(); ++i) {
    auto s = series->getObject(static_cast<unsigned>(i));
    CHECK(s->getValue<uint64_t>("time_us") == t0 + i * step_s * 1000000);
    auto m = s->getObject("methods");
    for (const auto& [name, v] : *m) got_methods[name] += v.convert<uint64_t>();
    auto st = s->getObject("status");
    CHECK(st->size() == 6);
    for (const auto& [name, v] : *st)
      if (v.convert<uint64_t>() > 0) got_classes[name] += v.convert<uint64_t>();
  }
  CHECK(got_methods == methods);
  CHECK(got_classes == classes);
  auto top = o->getArray("top_user_agents");
  REQUIRE(top->size() >= 1);
  std::map<std::string, uint64_t> agents;
  for (const TruthMessage& t : truth())
    if (t.capture_id == 2001 && t.time_us >= t0 && t.time_us <= t0 + 180000000 && !t.user_agent.empty())
      ++agents[t.user_agent];
  auto best = std::max_element(agents.begin(), agents.end(), [](auto& a, auto& b) { return a.second < b.second; });
  CHECK(top->getObject(0)->getValue<std::string>("user_agent") == best->first);
  CHECK(top->getObject(0)->getValue<uint64_t>("count") == best->second);
}

TEST_CASE("final_status filters calls by how they ended, not by any message they hold (issue 12)",
          "[api][calls][integration]") {
  const auto list = [](const std::string& query) {
    std::map<std::string, int> calls;  // Call-ID -> final_status
    for (const auto& c : allCalls(kAll + query, 2))
      calls[c->getValue<std::string>("call_id")] = c->getValue<int>("final_status");
    return calls;
  };
  const auto busy = list("&final_status=486");
  CHECK(busy.count(kBusyLate) == 1);
  for (const auto& [id, final_status] : busy) CHECK(final_status == 486);
  const auto failed = list("&final_status=4xx");
  CHECK(failed.count(kBusyLate) == 1);
  CHECK(failed.count(kFailSoon) == 1);
  CHECK(failed.count(kLegA) == 0);
  for (const auto& [id, final_status] : failed) CHECK((final_status >= 400 && final_status <= 499));
  // "Contains a 4xx" is wider: every call in it that did not end with a 4xx is left out above.
  const auto containing = list("&status=4xx");
  size_t ended_otherwise = 0;
  for (const auto& [id, final_status] : containing) {
    CHECK(failed.count(id) == (final_status >= 400 && final_status <= 499 ? 1u : 0u));
    if (final_status < 400 || final_status > 499) ++ended_otherwise;
  }
  INFO("calls with a 4xx that ended otherwise: " << ended_otherwise);
  CHECK(list("&final_status=2xx").count(kLegA) == 1);
  // Bad values, and endpoints where a final status means nothing, are a 400 naming it.
  for (const std::string& url :
       std::vector<std::string>{"/api/v1/calls?final_status=4x", "/api/v1/calls?final_status=99",
                                "/api/v1/calls?final_status=486&final_status=404",
                                "/api/v1/calls?final_status=486&legs=linked&call_id=" + enc(kLegA),
                                "/api/v1/messages?final_status=486"}) {
    INFO(url);
    HttpResult r = admin().get(url);
    CHECK(r.status == 400);
    CHECK(r.json()->getObject("error")->getValue<std::string>("parameter") == "final_status");
  }
}
