// The api's pure parts: parameter parsing, SQL building, cursors, time text, SIP splitting, pcap
// frames, password hashing, the login limiter, static file resolution and call summaries.
#include <Poco/JSON/Parser.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/base64.h"
#include "api/call_summary.h"
#include "api/message_record.h"
#include "api/password_hash.h"
#include "api/pcap_export.h"
#include "api/query_params.h"
#include "api/search_filter.h"
#include "api/search_sql.h"
#include "api/shard_monitor.h"
#include "api/sip_response.h"
#include "api/sip_sections.h"
#include "api/static_files.h"
#include "api/time_text.h"
#include "proto/packet.h"
#include "store/raw_codec.h"
#include "store/search_key.h"

using namespace sipvault::store;

using namespace sipvault;
using namespace sipvault::api;

namespace {

constexpr uint64_t kNow = 1795697385000000;  // 2026-11-26T12:49:45Z

QueryParams params(std::string_view query) {
  std::string bad;
  auto p = parseQueryString(query, bad);
  REQUIRE(p);
  return *p;
}

std::optional<ParamError> parse(std::string_view query, SearchFilter& f) {
  return parseSearchFilter(params(query), kNow, FilterDefaults{}, {}, f);
}

std::string errorParam(std::string_view query) {
  SearchFilter f;
  auto e = parse(query, f);
  return e ? e->parameter : std::string("(none)");
}

size_t count(const std::string& s, char c) { return static_cast<size_t>(std::count(s.begin(), s.end(), c)); }

// The frames of a pcap file as libpcap reads them.
struct Frame {
  uint64_t us;
  std::string bytes;
};
std::vector<Frame> readPcap(const std::string& file, int& link) {
  FILE* f = fmemopen(const_cast<char*>(file.data()), file.size(), "rb");
  REQUIRE(f != nullptr);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_fopen_offline(f, err);
  REQUIRE(p != nullptr);
  link = pcap_datalink(p);
  std::vector<Frame> out;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1)
    out.push_back({uint64_t(h->ts.tv_sec) * 1000000 + uint64_t(h->ts.tv_usec),
                   std::string(reinterpret_cast<const char*>(data), h->caplen)});
  pcap_close(p);  // closes f
  return out;
}

uint16_t be16(const std::string& b, size_t at) { return uint16_t((uint8_t(b[at]) << 8) | uint8_t(b[at + 1])); }
uint32_t be32(const std::string& b, size_t at) { return (uint32_t(be16(b, at)) << 16) | be16(b, at + 2); }

// One's-complement sum over the data; a correct checksum makes it 0xffff.
uint16_t onesSum(std::string_view data, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < data.size(); i += 2) sum += (uint8_t(data[i]) << 8) | uint8_t(data[i + 1]);
  if (data.size() % 2) sum += uint8_t(data.back()) << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

std::string ip4(const char* text) { return std::string(IpAddress::parse(text)->raw()); }

}  // namespace

TEST_CASE("time parameters accept RFC 3339, ISO 8601 without seconds and epoch with a unit, and nothing else",
          "[api][time]") {
  CHECK(parseTimeParam("1970-01-01T00:00:00Z") == 0u);
  CHECK(parseTimeParam("2026-11-26T12:49:45Z") == 1795697385000000u);
  CHECK(parseTimeParam("2026-11-26T12:49:45.061749Z") == 1795697385061749u);
  CHECK(parseTimeParam("2026-11-26T12:49:45.5Z") == 1795697385500000u);
  CHECK(parseTimeParam("2026-11-26T13:49:45+01:00") == 1795697385000000u);
  CHECK(parseTimeParam("2026-11-26t12:49:45z") == 1795697385000000u);
  CHECK(parseTimeParam("1795697385061ms") == 1795697385061000u);
  CHECK(parseTimeParam("1795697385s") == 1795697385000000u);
  CHECK(parseTimeParam("1795697385061749us") == 1795697385061749u);
  CHECK(parseTimeParam("0s") == 0u);
  // ISO 8601 without seconds (issue 12): what people type.
  CHECK(parseTimeParam("2026-11-26T13:49+01:00") == 1795697340000000u);
  CHECK(parseTimeParam("2026-11-26T12:49Z") == 1795697340000000u);
  CHECK(parseTimeParam("2024-02-29T00:00:00Z").has_value());
  for (const char* bad :
       {"", "yesterday", "2026-11-26", "2026-11-26T12:49:45", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-11-26T24:00:00Z", "2026-11-26T12:49:45.Z", "2026-11-26T12:49:45Zjunk", "-1", "12.5",
        "9999999999999999", "1969-12-31T23:59:59Z",
        // a bare number is ambiguous (seconds or milliseconds), a unit must say
        "1795697385061", "1795697385", "0", "1795697385sec", "1795697385S", "ms", "1795697385 s",
        "9999999999999999ms", "253402300800s", "2026-11-26T12:49", "2026-11-26T12:4Z", "2026-11-26T12:49.5Z",
        "2026-11-26T12:49:Z"}) {
    INFO(bad);
    CHECK_FALSE(parseTimeParam(bad).has_value());
  }
  CHECK(formatTimeUs(1795697385061749) == "2026-11-26T12:49:45.061749Z");
  CHECK(formatTimeUs(1500) == "1970-01-01T00:00:00.001500Z");
  CHECK(parseTimeParam(formatTimeUs(1795697385061749)) == 1795697385061749u);
}

TEST_CASE("query strings are percent-decoded, with '+' as space, and bad escapes refused", "[api][query]") {
  std::string bad;
  auto p = parseQueryString("a=1&b=x%20y&b=z+w&flag&&c=%2B%00", bad);
  REQUIRE(p);
  REQUIRE(p->size() == 5);
  CHECK((*p)[1] == std::pair<std::string, std::string>{"b", "x y"});
  CHECK((*p)[2].second == "z w");
  CHECK((*p)[3] == std::pair<std::string, std::string>{"flag", ""});
  CHECK((*p)[4].second == std::string("+\0", 2));
  CHECK_FALSE(parseQueryString("from_tag=%zz", bad));
  CHECK(bad == "from_tag");
  CHECK_FALSE(parseQueryString("x=%4", bad));
  CHECK_FALSE(parseQueryString("x=%", bad));
  CHECK(percentDecode("a+b", false) == "a+b");
  CHECK(percentEncode("a b/é") == "a%20b%2F%C3%A9");
}

TEST_CASE("base64 and base64url round-trip and refuse foreign characters", "[api][base64]") {
  CHECK(base64Encode("") == "");
  CHECK(base64Encode("f") == "Zg==");
  CHECK(base64Encode("fo") == "Zm8=");
  CHECK(base64Encode("foo") == "Zm9v");
  const std::string bytes("\xff\xfe\x00\x01?>", 6);
  CHECK(base64UrlDecode(base64UrlEncode(bytes)) == bytes);
  CHECK(base64UrlEncode("\xfb\xff") == "-_8");
  CHECK_FALSE(base64UrlDecode("a").has_value());
  CHECK_FALSE(base64UrlDecode("ab=c").has_value());
  CHECK_FALSE(base64UrlDecode("Zh").has_value());  // non-zero leftover bits
}

TEST_CASE("search filters parse every parameter of the contract", "[api][filter]") {
  SearchFilter f;
  REQUIRE_FALSE(
      parse("from=2026-11-26T12:00:00Z&to=1795697385000ms&call_id=abc%40host&from_user=4930*&to_user=1000"
            "&from_tag=t1&to_tag=t2&method=invite,Bye&method=ACK&status=200,4xx&status=180"
            "&user_agent=kamailio&src_ip=192.0.2.1&dst_ip=2001:db8::2&ip=10.0.0.1&port=5060&src_port=5080"
            "&dst_port=5070&transport=TCP&capture_id=2001&limit=50&cursor=xyz",
            f));
  CHECK(f.from_us == 1795694400000000u);
  CHECK(f.to_us == 1795697385000000u);
  CHECK(f.call_id == "abc@host");
  CHECK(f.from_user->value == "4930*");
  CHECK(f.from_user->wildcard);
  CHECK_FALSE(f.to_user->wildcard);
  CHECK(f.from_tag == "t1");
  CHECK(f.to_tag == "t2");
  CHECK(f.methods == std::vector<std::string>{"INVITE", "BYE", "ACK"});
  REQUIRE(f.statuses.size() == 3);
  CHECK((f.statuses[0].lo == 200 && f.statuses[0].hi == 200));
  CHECK((f.statuses[1].lo == 400 && f.statuses[1].hi == 499));
  CHECK(f.user_agent == "kamailio");
  CHECK(f.src_ip == ip4("192.0.2.1"));
  CHECK(f.dst_ip->size() == 16);
  CHECK(f.port == 5060);
  CHECK(f.src_port == 5080);
  CHECK(f.dst_port == 5070);
  CHECK(f.ip_proto == 6);
  CHECK(f.capture_id == 2001u);
  CHECK(f.limit == 50u);
  CHECK(f.cursor == "xyz");
}

TEST_CASE("search filter defaults: the last hour, 100 rows, empty values ignored", "[api][filter]") {
  SearchFilter f;
  REQUIRE_FALSE(parse("call_id=&status=", f));
  CHECK(f.to_us == kNow);
  CHECK(f.from_us == kNow - 3600000000u);
  CHECK(f.limit == 100u);
  CHECK_FALSE(f.call_id);
  CHECK(f.statuses.empty());
  REQUIRE_FALSE(parse("from=1795690000000ms", f));
  CHECK(f.to_us == kNow);  // only `from`: up to now
  REQUIRE_FALSE(parse("to=1795690000s", f));
  CHECK(f.from_us == 1795690000000000u - 3600000000u);
  static constexpr std::string_view kExtra[] = {"step"};
  CHECK_FALSE(parseSearchFilter(params("step=60"), kNow, {}, kExtra, f).has_value());
}

TEST_CASE("bad search parameters are named in the error", "[api][filter]") {
  CHECK(errorParam("nope=1") == "nope");
  CHECK(errorParam("from=x") == "from");
  CHECK(errorParam("from=1795697385000ms&to=1795697384000ms") == "from");
  CHECK(errorParam("from=1795697385") == "from");  // bare: seconds or ms?
  CHECK(errorParam("from=0s&to=1795697385000") == "to");
  CHECK(errorParam("call_id=a&call_id=b") == "call_id");
  CHECK(errorParam("call_id=a%0Ab") == "call_id");
  CHECK(errorParam("from_user=" + std::string(1025, '1')) == "from_user");
  CHECK(errorParam("method=INV1TE") == "method");
  CHECK(errorParam("method=,") == "method");
  CHECK(errorParam("status=700") == "status");
  CHECK(errorParam("status=7xx") == "status");
  CHECK(errorParam("status=099") == "status");
  CHECK(errorParam("src_ip=300.1.1.1") == "src_ip");
  CHECK(errorParam("port=65536") == "port");
  CHECK(errorParam("dst_port=+1") == "dst_port");
  CHECK(errorParam("transport=ws") == "transport");
  CHECK(errorParam("capture_id=-1") == "capture_id");
  CHECK(errorParam("limit=10001") == "limit");
  CHECK(errorParam("limit=0") == "limit");
  CHECK(errorParam("status=200") == "(none)");
}

TEST_CASE("search SQL binds every value and starts with the time range", "[api][sql]") {
  SearchFilter f;
  REQUIRE_FALSE(
      parse("from=0s&to=1000ms&call_id=x'--&from_user=49*1&to_user=1000&method=INVITE,BYE&status=4xx,200"
            "&user_agent=50%25_off&src_ip=192.0.2.1&ip=::1&port=5060&transport=udp&capture_id=7"
            "&from_tag=a&to_tag=b&src_port=1&dst_port=2&dst_ip=192.0.2.2",
            f));
  const SqlQuery q = searchCondition(f);
  CHECK(q.sql.rfind("storage_class IN (0,1,2) AND capture_us BETWEEN ? AND ?", 0) == 0);
  CHECK(count(q.sql, '?') == q.params.size());
  // No value text in the SQL: only placeholders.
  for (const char* value : {"x'--", "49", "1000", "INVITE", "kamailio", "192", "50%", "off"}) {
    INFO(value);
    CHECK(q.sql.find(value) == std::string::npos);
  }
  CHECK(q.sql.find("call_id_hash = ? AND call_id = UNHEX(?)") != std::string::npos);
  CHECK(q.sql.find("from_user LIKE UNHEX(?)") != std::string::npos);
  CHECK(q.sql.find("(to_user_hash = ? AND to_user = UNHEX(?)) OR (ruri_user_hash = ? AND ruri_user = UNHEX(?))") !=
        std::string::npos);
  CHECK(std::get<uint64_t>(q.params[2]) == searchKey("x'--"));
  CHECK(std::get<std::string>(q.params[3]) == SqlQuery::toHex("x'--"));
  // The user_agent substring is escaped for LIKE.
  bool found = false;
  for (const SqlParam& p : q.params)
    if (auto* s = std::get_if<std::string>(&p)) found |= *s == SqlQuery::toHex("%50\\%\\_off%");
  CHECK(found);
  CHECK(
      q.sql.find("LOWER(CONVERT(user_agent USING latin1)) LIKE LOWER(CONVERT(UNHEX(?) USING latin1)) COLLATE "
                 "latin1_bin") != std::string::npos);
  // A Call-ID with `*` is a pattern on the stored column, not a hashed lookup.
  REQUIRE_FALSE(parse("call_id=*%40host", f));
  const SqlQuery w = searchCondition(f);
  CHECK(w.sql.find("call_id LIKE UNHEX(?)") != std::string::npos);
  CHECK(w.sql.find("call_id_hash") == std::string::npos);
  CHECK(std::get<std::string>(w.params.back()) == SqlQuery::toHex("%@host"));
}

TEST_CASE("an exact number finds its calls through the per-call index, read first or as a subquery",
          "[api][sql][callkeys]") {
  SearchFilter f;
  REQUIRE_FALSE(parse("from=0s&to=7200000ms&from_user=491&to_user=301", f));
  // Not read first: subqueries on sip_call_keys, over the whole hours of the range.
  const SqlQuery sub = searchCondition(f);
  CHECK(sub.sql.find("call_id_hash IN (SELECT call_id_hash FROM sip_call_keys WHERE key_hash = ? AND kind IN (?) "
                     "AND hour_us BETWEEN ? AND ?)") != std::string::npos);
  CHECK(sub.sql.find("kind IN (?,?)") != std::string::npos);  // the B-number: To or R-URI user
  CHECK(sub.sql.find("from_user_hash = ? AND from_user = UNHEX(?)") != std::string::npos);  // still per message
  CHECK(count(sub.sql, '?') == sub.params.size());
  // Read first (MessageStore::resolveNumbers): a list padded to a power of two, no subquery;
  // no calls at all is no match, never everything.
  f.from_user->index.calls = std::vector<uint64_t>{11, 12, 13};
  f.to_user->index.calls = std::vector<uint64_t>{};
  const SqlQuery listed = searchCondition(f);
  CHECK(listed.sql.find("sip_call_keys") == std::string::npos);
  CHECK(listed.sql.find("call_id_hash IN (?, ?, ?, ?)") != std::string::npos);
  CHECK(listed.sql.find("0 = 1") != std::string::npos);
  size_t thirteens = 0;
  for (const SqlParam& p : listed.params)
    if (auto* n = std::get_if<uint64_t>(&p)) thirteens += *n == 13;
  CHECK(thirteens == 2);
  // The query that reads them: bounded, whole hours from the range's first hour.
  const SqlQuery read = callKeyQuery({CallKeyKind::FromUser}, searchKey("491"), 5400000000ull, 7200000000ull, {}, 1025);
  CHECK(read.sql == "SELECT DISTINCT call_id_hash, shard_id FROM sip_call_keys WHERE key_hash = ? AND kind IN (?) AND "
                    "hour_us BETWEEN ? AND ? LIMIT ?");
  CHECK(std::get<uint64_t>(read.params[2]) == 3600000000ull);
  CHECK(std::get<uint64_t>(read.params[4]) == 1025);
  // Several lookups in one statement (a flow's correlation and A-number), each with its own hours.
  const CallKeyLookup both[] = {{CallKeyKind::Correlation, 77, 5400000000ull, 7200000000ull},
                                {CallKeyKind::FromUser, searchKey("491"), 9000000000ull, 9100000000ull}};
  const SqlQuery two = callKeysQuery(both, {}, 2050);
  CHECK(two.sql == "SELECT DISTINCT kind, key_hash, call_id_hash, shard_id FROM sip_call_keys WHERE (key_hash = ? AND "
                   "kind IN (?) AND hour_us BETWEEN ? AND ?) OR (key_hash = ? AND kind IN (?) AND hour_us BETWEEN ? AND "
                   "?) LIMIT ?");
  REQUIRE(two.params.size() == 9);
  CHECK(std::get<uint64_t>(two.params[0]) == 77);
  CHECK(std::get<uint64_t>(two.params[2]) == 3600000000ull);
  CHECK(std::get<uint64_t>(two.params[6]) == 7200000000ull);
  CHECK(std::get<uint64_t>(two.params[8]) == 2050);
  // A pattern has no key: no call list, a LIKE over the range.
  REQUIRE_FALSE(parse("from=0s&to=1000ms&from_user=49*", f));
  CHECK(searchCondition(f).sql.find("sip_call_keys") == std::string::npos);
}

TEST_CASE("LIKE patterns escape %, _ and backslash, and turn * into %", "[api][sql]") {
  CHECK(likePattern("4930*", true, false) == "4930%");
  CHECK(likePattern("*1**2*", true, false) == "%1%2%");
  CHECK(likePattern("a%b_c\\", true, false) == "a\\%b\\_c\\\\");
  CHECK(likePattern("a*", false, true) == "%a*%");
  CHECK(likePattern("x", false, true) == "%x%");
  CHECK(likePattern("", false, true) == "%");
}

TEST_CASE("long values compare on the prefix the writer stored", "[api][sql]") {
  SqlQuery q;
  const std::string long_id(300, 'c');
  appendHashedMatch(q, "call_id", long_id, 255);
  CHECK(std::get<uint64_t>(q.params[0]) == searchKey(long_id));  // the key covers the full value
  CHECK(std::get<std::string>(q.params[1]) == SqlQuery::toHex(long_id.substr(0, 255)));
}

TEST_CASE("cursors and message ids round-trip and reject foreign text", "[api][cursor]") {
  auto m = decodeMessageCursor(encodeMessageCursor({1795697385061749, 42}));
  REQUIRE(m);
  CHECK(m->capture_us == 1795697385061749u);
  CHECK(m->id == 42u);
  auto c = decodeCallCursor(encodeCallCursor({7, "a:b@c"}));
  REQUIRE(c);
  CHECK(c->first_us == 7u);
  CHECK(c->call_id == "a:b@c");
  CHECK_FALSE(decodeMessageCursor(encodeCallCursor({7, "x"})));
  CHECK_FALSE(decodeCallCursor(encodeMessageCursor({7, 1})));
  CHECK_FALSE(decodeMessageCursor("' OR 1=1 --"));
  CHECK_FALSE(decodeMessageCursor(base64UrlEncode("m1:12:x")));
  CHECK(messageId(12, 34) == "12-34");
  CHECK(parseMessageId("12-34")->id == 34u);
  CHECK_FALSE(parseMessageId("12-"));
  CHECK_FALSE(parseMessageId("1-2-3"));
}

TEST_CASE("SIP messages split into start line, unfolded headers and body", "[api][sip]") {
  const SipSections s =
      splitSipMessage("\r\nINVITE sip:b@c SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9\r\nSubject: a\r\n  folded\r\n"
                      "no colon line\r\nCall-ID:x@y \r\n\r\nv=0\r\nbody\r\n");
  CHECK(s.start_line == "INVITE sip:b@c SIP/2.0");
  REQUIRE(s.headers.size() == 4);
  CHECK(s.headers[1] == std::pair<std::string, std::string>{"Subject", "a folded"});
  CHECK(s.headers[2] == std::pair<std::string, std::string>{"", "no colon line"});
  CHECK(s.headers[3] == std::pair<std::string, std::string>{"Call-ID", "x@y"});
  CHECK(s.body == "v=0\r\nbody\r\n");
  const SipSections lf = splitSipMessage("SIP/2.0 200 OK\nCSeq: 1 INVITE\n\nbody");
  CHECK(lf.headers.size() == 1);
  CHECK(lf.body == "body");
  CHECK(splitSipMessage("").headers.empty());
  CHECK(splitSipMessage("garbage without line end").start_line == "garbage without line end");
}

TEST_CASE("pcap frames carry addresses, ports, lengths and valid checksums", "[api][pcap]") {
  const std::string payload = "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: q\r\n\r\n";
  ExportPacket p{1795697385061749, "", "", 5080, 5060, 17, payload};
  const std::string src = ip4("192.0.2.1"), dst = ip4("192.0.2.2");
  p.src_ip = src;
  p.dst_ip = dst;
  const std::string f = buildFrame(p, payload, 0, 0, 7);
  REQUIRE(f.size() == 14 + 20 + 8 + payload.size());
  CHECK(be16(f, 12) == 0x0800);
  CHECK(be16(f, 14 + 2) == 20 + 8 + payload.size());
  CHECK(onesSum(std::string_view(f).substr(14, 20)) == 0xffff);
  CHECK(f.substr(14 + 12, 4) == src);
  CHECK(f.substr(14 + 16, 4) == dst);
  CHECK(be16(f, 34) == 5080);
  CHECK(be16(f, 36) == 5060);
  CHECK(be16(f, 38) == 8 + payload.size());
  std::string pseudo = src + dst + std::string("\0\x11", 2);
  pseudo += static_cast<char>((8 + payload.size()) >> 8);
  pseudo += static_cast<char>((8 + payload.size()) & 0xff);
  CHECK(onesSum(std::string_view(f).substr(34), onesSum(pseudo)) == 0xffff);
  CHECK(f.substr(42) == payload);

  const std::string v6a(IpAddress::parse("2001:db8::1")->raw()), v6b(IpAddress::parse("2001:db8::2")->raw());
  ExportPacket t{1, v6a, v6b, 5060, 5061, 6, payload};
  const std::string g = buildFrame(t, payload, 100, 200, 1);
  CHECK(be16(g, 12) == 0x86dd);
  CHECK(be16(g, 14 + 4) == 20 + payload.size());
  CHECK(uint8_t(g[14 + 6]) == 6);
  CHECK(be32(g, 54 + 4) == 100u);
  CHECK(be32(g, 54 + 8) == 200u);
  std::string pseudo6 = v6a + v6b + std::string("\0\0", 2);
  pseudo6 += static_cast<char>((20 + payload.size()) >> 8);
  pseudo6 += static_cast<char>((20 + payload.size()) & 0xff);
  pseudo6 += std::string("\0\0\0\x06", 4);
  CHECK(onesSum(std::string_view(g).substr(54), onesSum(pseudo6)) == 0xffff);
}

TEST_CASE("a pcap export holds one frame per message in order, with TCP sequence numbers per direction",
          "[api][pcap]") {
  const std::string a = ip4("10.0.0.1"), b = ip4("10.0.0.2");
  const std::string m1 = "INVITE sip:x SIP/2.0\r\n\r\n", m2 = "SIP/2.0 200 OK\r\n\r\n", m3 = "ACK sip:x SIP/2.0\r\n\r\n";
  const std::string big(70000, 'x');
  std::vector<ExportPacket> packets = {{1000001, a, b, 5060, 5060, 6, m1},
                                       {1000002, b, a, 5060, 5060, 6, m2},
                                       {1000003, a, b, 5060, 5060, 6, m3},
                                       {1000004, a, b, 5060, 5060, 17, big},
                                       {1000005, "", "", 0, 0, 0, "x"}};
  std::string error;
  auto out = buildPcap(packets, error);
  REQUIRE(out);
  CHECK(out->truncated == 1);
  int link = 0;
  const auto frames = readPcap(out->file, link);
  CHECK(link == DLT_EN10MB);
  REQUIRE(frames.size() == 5);
  CHECK(frames[0].us == 1000001u);
  CHECK(frames[4].us == 1000005u);
  CHECK(be32(frames[0].bytes, 38) == 1u);                         // a->b starts at 1
  CHECK(be32(frames[1].bytes, 38) == 1u);                         // b->a starts at 1
  CHECK(be32(frames[1].bytes, 42) == 1u + m1.size());             // and acks a->b
  CHECK(be32(frames[2].bytes, 38) == 1u + m1.size());             // a->b continues
  CHECK(frames[3].bytes.size() == 65535u + 14u);                  // cut to one IPv4 datagram
  CHECK(frames[4].bytes.substr(26, 8) == std::string(8, '\0'));  // unknown addresses: 0.0.0.0
  // A TCP payload larger than one segment is split, in sequence.
  std::vector<ExportPacket> tcp = {{1, a, b, 1, 2, 6, big}};
  auto split = buildPcap(tcp, error);
  REQUIRE(split);
  CHECK(split->frames == 2);
  const auto parts = readPcap(split->file, link);
  REQUIRE(parts.size() == 2);
  CHECK(be32(parts[1].bytes, 38) == 1u + (parts[0].bytes.size() - 54));
  CHECK(parts[0].bytes.size() - 54 + parts[1].bytes.size() - 54 == big.size());
}

TEST_CASE("passwords hash with a random salt and verify only with the right password", "[api][auth]") {
  auto h1 = hashPassword("correct horse", 1000);
  auto h2 = hashPassword("correct horse", 1000);
  REQUIRE(h1);
  REQUIRE(h2);
  CHECK(*h1 != *h2);
  CHECK(h1->rfind("pbkdf2-sha256$1000$", 0) == 0);
  CHECK(verifyPassword("correct horse", *h1));
  CHECK_FALSE(verifyPassword("correct horsE", *h1));
  CHECK_FALSE(verifyPassword("", *h1));
  std::string tampered = *h1;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(verifyPassword("correct horse", tampered));
  CHECK_FALSE(verifyPassword("x", "pbkdf2-sha256$0$AA$AA"));
  CHECK_FALSE(verifyPassword("x", "md5$1$2$3"));
  CHECK_FALSE(verifyPassword("x", "garbage"));
  CHECK(hashPassword("x")->find("$" + std::to_string(kPasswordIterations) + "$") != std::string::npos);
  CHECK(kPasswordIterations >= 100000u);
  CHECK(sha256("abc") == std::string("\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
                                     "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad",
                                     32));
  CHECK(randomPassword()->size() == 24);
}

TEST_CASE("static files resolve inside the UI directory only", "[api][ui]") {
  namespace fs = std::filesystem;
  const fs::path base = fs::path(SIPVAULT_BINARY_DIR) / "tests/api" / ("static-" + std::to_string(getpid()));
  fs::remove_all(base);
  fs::create_directories(base / "ui/js");
  std::ofstream(base / "ui/index.html") << "<html></html>";
  std::ofstream(base / "ui/js/app.js") << "x";
  std::ofstream(base / "secret.txt") << "secret";
  fs::create_symlink(base / "secret.txt", base / "ui/link.txt");
  const StaticFiles files((base / "ui").string());
  auto index = files.resolve({});
  REQUIRE(index);
  CHECK(index->content_type == "text/html; charset=utf-8");
  CHECK(files.resolve({"ui"})->path == index->path);
  CHECK(files.resolve({"ui", "js", "app.js"})->content_type == "text/javascript; charset=utf-8");
  CHECK(files.resolve({"js", "app.js"}));
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{"..", "secret.txt"}, {"ui", "..", "secret.txt"}, {"ui", "../secret.txt"},
                                             {"ui", "link.txt"}, {"ui", "js"}, {"ui", ""}, {"ui", ".hidden"},
                                             {"ui", std::string("index.html\0", 11)}, {"ui", "a\\b"}, {"nope"}}) {
    CHECK_FALSE(files.resolve(bad));
  }
  CHECK(StaticFiles::read(*index) == "<html></html>");
  CHECK(StaticFiles::contentType("x.svg") == "image/svg+xml");
  CHECK(StaticFiles::contentType("x.unknown") == "application/octet-stream");
  CHECK_FALSE(StaticFiles((base / "missing").string()).resolve({}));
  fs::remove_all(base);
}

TEST_CASE("a call summary takes numbers and method from the first request and the last final answer to it",
          "[api][calls]") {
  auto msg = [](uint64_t t, const char* method, uint16_t status, uint64_t cseq, const char* src, uint16_t sp,
                const char* dst, uint16_t dp) {
    MessageRecord m;
    m.capture_us = t;
    m.method = method;
    m.status = status;
    m.cseq = cseq;
    m.call_id = "c";
    m.from_user = "alice";
    m.to_user = status ? "" : "bob";
    m.ruri_user = "bob";
    m.src_ip = std::string(IpAddress::parse(src)->raw());
    m.dst_ip = std::string(IpAddress::parse(dst)->raw());
    m.src_port = sp;
    m.dst_port = dp;
    return m;
  };
  const std::vector<MessageRecord> call = {
      msg(10, "INVITE", 100, 1, "10.0.0.2", 5060, "10.0.0.1", 5060),  // a response seen before the request
      msg(11, "INVITE", 0, 1, "10.0.0.1", 5060, "10.0.0.2", 5060),
      msg(12, "INVITE", 407, 1, "10.0.0.2", 5060, "10.0.0.1", 5060),
      msg(13, "INVITE", 0, 2, "10.0.0.1", 5060, "2001:db8::9", 5080),
      msg(2000, "INVITE", 200, 2, "2001:db8::9", 5080, "10.0.0.1", 5060),
      msg(5000, "BYE", 200, 3, "10.0.0.2", 5060, "10.0.0.1", 5060),
  };
  const CallSummary c = summarizeCall(call);
  CHECK(c.method == "INVITE");
  CHECK(c.from_user == "alice");
  CHECK(c.to_user == "bob");
  CHECK(c.final_status == 200);
  CHECK(c.message_count == 6);
  CHECK(c.first_us == 10u);
  CHECK(c.last_us == 5000u);
  CHECK(c.hosts == std::vector<std::string>{"10.0.0.2:5060", "10.0.0.1:5060", "[2001:db8::9]:5080"});
  auto json = callSummaryJson(c);
  CHECK(json->getValue<uint64_t>("duration_ms") == 4u);
}

TEST_CASE("message JSON replaces invalid UTF-8 and escapes control characters", "[api][json]") {
  MessageRecord m;
  m.capture_us = 1795697385061749;
  m.id = 9;
  m.method = "INVITE";
  m.call_id = std::string("a\"b\\c\x01\xff", 7);
  m.user_agent = "<script>alert(1)</script>";
  m.src_ip = std::string(IpAddress::parse("192.0.2.1")->raw());
  m.ip_proto = 17;
  const std::string raw = "INVITE sip:x SIP/2.0\r\nX: \xc3\x28\r\n\r\n";
  m.raw_len = static_cast<uint32_t>(raw.size());
  m.flags = 0;
  m.stored_raw = raw;
  std::ostringstream out;
  messageDetailJson(m)->stringify(out);
  Poco::JSON::Parser parser;
  auto o = parser.parse(out.str()).extract<Poco::JSON::Object::Ptr>();
  CHECK(o->getValue<std::string>("call_id") == "a\"b\\c\x01\xEF\xBF\xBD");
  CHECK(o->getValue<std::string>("id") == "1795697385061749-9");
  CHECK(o->getValue<std::string>("time") == "2026-11-26T12:49:45.061749Z");
  CHECK(o->getValue<std::string>("src_ip") == "192.0.2.1");
  CHECK(o->getValue<std::string>("transport") == "udp");
  CHECK(o->getValue<bool>("is_request"));
  CHECK(o->getValue<std::string>("raw").find("\xEF\xBF\xBD(") != std::string::npos);
  CHECK(out.str().find('\x01') == std::string::npos);
  // A deflated stored message comes back byte-exact.
  std::string stored;
  const std::string long_raw = raw + std::string(200, 'a');
  for (const RawCodec codec : {RawCodec::Deflate, RawCodec::Lz4}) {
    RawEncoder encoder(codec);
    m.flags = encoder.encode(long_raw, stored);
    m.stored_raw = stored;
    m.raw_len = static_cast<uint32_t>(long_raw.size());
    CHECK(m.flags == (codec == RawCodec::Lz4 ? kRawLz4 : kRawDeflated));
    CHECK(m.raw() == long_raw);
    m.raw_len += 1;
    CHECK_FALSE(m.raw().has_value());
  }
}

TEST_CASE("SIP responses: standard reason phrases, call states and Q.850 causes (issue 12)", "[api][sip]") {
  CHECK(standardReason(486) == "Busy Here");
  CHECK(standardReason(200) == "OK");
  CHECK(standardReason(100) == "Trying");
  CHECK(standardReason(608) == "Rejected");
  CHECK(standardReason(299).empty());
  CHECK(standardReason(0).empty());
  CHECK(callState("INVITE", 200, false) == "answered");
  CHECK(callState("INVITE", 486, false) == "busy");
  CHECK(callState("INVITE", 600, false) == "busy");
  CHECK(callState("INVITE", 487, true) == "cancelled");
  CHECK(callState("INVITE", 0, true) == "cancelled");
  CHECK(callState("INVITE", 0, false) == "no answer");
  CHECK(callState("INVITE", 480, false) == "no answer");
  CHECK(callState("INVITE", 408, false) == "no answer");
  CHECK(callState("INVITE", 404, false) == "failed");
  CHECK(callState("INVITE", 503, false) == "failed");
  CHECK(callState("INVITE", 302, false) == "failed");
  CHECK(callState("REGISTER", 200, false).empty());
  CHECK(parseQ850Reason("Q.850;cause=17;text=\"User busy\"") == Q850Reason{17, "User busy"});
  CHECK(parseQ850Reason(" q.850 ; CAUSE = 16 ") == Q850Reason{16, ""});
  CHECK(parseQ850Reason("Q.850;text=\"a;b\";cause=31") == Q850Reason{31, "a;b"});
  for (const char* bad : {"SIP;cause=200", "Q.850", "Q.850;cause=", "Q.850;cause=abc", "Q.850;cause=1234", "",
                          ";;;", "Q.850;text=\"no cause\""}) {
    INFO(bad);
    CHECK_FALSE(parseQ850Reason(bad).has_value());
  }
}

TEST_CASE("header.<name> filters: names lower-cased, values bound, exact via the hash, * as a pattern (issue 14)",
          "[api][filter][sql][headers]") {
  SearchFilter f;
  REQUIRE_FALSE(parse("from=0s&to=1000ms&header.P-Asserted-Identity=x'--&header.pai_user=%2B49*", f));
  REQUIRE(f.headers.size() == 2);
  CHECK(f.headers[0].name == "p-asserted-identity");
  CHECK_FALSE(f.headers[0].value.wildcard);
  CHECK(f.headers[1].value.wildcard);
  const SqlQuery q = searchCondition(f);
  CHECK(count(q.sql, '?') == q.params.size());
  for (const char* value : {"x'--", "asserted", "pai_user", "49"}) {
    INFO(value);
    CHECK(q.sql.find(value) == std::string::npos);
  }
  CHECK(q.sql.find("(capture_us, id) IN (SELECT capture_us, message_id FROM sip_headers WHERE capture_us BETWEEN ? "
                   "AND ? AND value_hash = ?") != std::string::npos);
  CHECK(q.sql.find("value LIKE UNHEX(?)") != std::string::npos);
  bool hashed = false;
  for (const SqlParam& p : q.params)
    if (auto* n = std::get_if<uint64_t>(&p)) hashed |= *n == searchKey("x'--");
  CHECK(hashed);

  // A cluster head with a shard down: the subquery on sip_headers skips it too, not only the outer one.
  const ShardCoverage partial{true, {1, 3}, {"s2"}, {2}};
  const SqlQuery on_head = searchCondition(f, partial.condition());
  CHECK(count(on_head.sql, '?') == on_head.params.size());
  CHECK(on_head.sql.find("AND value = UNHEX(?) AND shard_id IN (1, 3))") != std::string::npos);
  CHECK(on_head.sql.find("value LIKE UNHEX(?) AND shard_id IN (1, 3))") != std::string::npos);

  CHECK(errorParam("header.=1") == "header.");
  CHECK(errorParam("header.a%20b=1") == "header.a b");
  CHECK(errorParam("header.x=1&header.X=2") == "header.X");
  CHECK(errorParam("header.a=1&header.b=1&header.c=1&header.d=1&header.e=1") == "header.e");
  CHECK(errorParam("header.x=a%0Ab") == "header.x");
  CHECK(errorParam("header.x=1") == "(none)");
}

TEST_CASE("search narrows to storage classes with class=, and names all of them by default", "[api][search][classes]") {
  SearchFilter f;
  QueryParams p{{"class", "registrations,other,registrations"}};
  REQUIRE_FALSE(parseSearchFilter(p, 1795701600ull * 1000000, {}, {}, f));
  CHECK(f.storage_classes == std::vector<uint8_t>{1, 2});
  CHECK(searchCondition(f).sql.rfind("storage_class IN (?,?) AND capture_us BETWEEN", 0) == 0);
  QueryParams bad{{"class", "forever"}};
  auto e = parseSearchFilter(bad, 1795701600ull * 1000000, {}, {}, f);
  REQUIRE(e);
  CHECK(e->parameter == "class");
}
