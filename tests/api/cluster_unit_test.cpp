#include <catch2/catch.hpp>

#include "api/partial_answer.h"
#include "api/shard_monitor.h"

using namespace sipvault::api;

TEST_CASE("A complete cluster or a single node adds no shard condition", "[api][cluster]") {
  CHECK(ShardCoverage{}.condition().sql.empty());
  ShardCoverage all{true, {1, 2, 3}, {}, {}};
  CHECK(all.condition().sql.empty());
}

TEST_CASE("A shard missing limits statements to the live shards' ids", "[api][cluster]") {
  ShardCoverage c{true, {1, 3}, {"s2"}, {2}};
  CHECK(c.partial());
  CHECK(c.condition().sql == " AND shard_id IN (1, 3)");
  CHECK(c.condition().params.empty());
  ShardCoverage none{true, {}, {"s1", "s2"}, {1, 2}};
  CHECK(none.condition().sql == " AND 0 = 1");
}

TEST_CASE("A statement on rows known to be on some shards asks only the live ones of them", "[api][cluster]") {
  const std::vector<uint16_t> one{2}, two{3, 1, 3}, all{1, 2, 3}, legacy{0, 2};
  CHECK(ShardCoverage{}.on(one).sql.empty());  // one node: nothing to prune
  ShardCoverage complete{true, {1, 2, 3}, {}, {}};
  CHECK(complete.on(one).sql == " AND shard_id IN (2)");
  CHECK(complete.on(two, "h").sql == " AND h.shard_id IN (1, 3)");
  CHECK(complete.on(all).sql.empty());  // every shard: the plain statement
  CHECK(complete.on({}).sql == " AND 0 = 1");
  // A value no partition has (rows from before the node became a shard): every live shard.
  CHECK(complete.on(legacy).sql.empty());
  ShardCoverage s2_down{true, {1, 3}, {"s2"}, {2}};
  CHECK(s2_down.on(one).sql == " AND 0 = 1");  // its only holder is down: the answer is partial
  CHECK(s2_down.on(two).sql == " AND shard_id IN (1, 3)");
  CHECK(s2_down.on(all).sql == " AND shard_id IN (1, 3)");
  CHECK(s2_down.on(legacy).sql == " AND shard_id IN (1, 3)");  // = condition()
}

TEST_CASE("The shards missing at either end of a request are all named once", "[api][cluster]") {
  ShardCoverage before{true, {1}, {"s2", "s3"}, {2, 3}};
  ShardCoverage after{true, {1}, {"s3", "s4"}, {3, 4}};
  CHECK(missingShards(before, after) == std::vector<std::string>{"s2", "s3", "s4"});
  CHECK(missingShards(ShardCoverage{true, {1}, {}, {}}, ShardCoverage{true, {1}, {}, {}}).empty());
}

TEST_CASE("A partial JSON answer says so first, with the missing shards", "[api][cluster]") {
  ApiResponse r;
  r.body = R"({"items":[],"next_cursor":null})";
  markCoverage(r, {"s2", "we\"ird"});
  CHECK(r.body == R"({"partial":true,"missing_shards":["s2","we\"ird"],"items":[],"next_cursor":null})");
  REQUIRE(r.headers.size() == 2);
  CHECK(r.headers[0] == std::pair<std::string, std::string>{"X-Sipvault-Partial", "true"});
  CHECK(r.headers[1] == std::pair<std::string, std::string>{"X-Sipvault-Missing-Shards", "s2,we\"ird"});

  ApiResponse empty;
  empty.body = "{}";
  markCoverage(empty, {});
  CHECK(empty.body == R"({"partial":false,"missing_shards":[]})");
  CHECK(empty.headers.size() == 1);
}

TEST_CASE("Errors and streamed exports get the headers only", "[api][cluster]") {
  ApiResponse error = ApiResponse::error(500, "internal", "x");
  const std::string body = error.body;
  markCoverage(error, {"s1"});
  CHECK(error.body == body);
  ApiResponse pcap;
  pcap.content_type = "application/vnd.tcpdump.pcap";
  pcap.stream = [](std::ostream&) {};
  markCoverage(pcap, {"s1"});
  CHECK(pcap.headers.size() == 2);
}
