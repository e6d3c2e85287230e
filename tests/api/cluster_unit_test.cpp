#include <catch2/catch.hpp>

#include "api/partial_answer.h"
#include "api/shard_monitor.h"

using namespace sipvault::api;

TEST_CASE("A complete cluster or a single node adds no shard condition", "[api][cluster]") {
  CHECK(ShardCoverage{}.condition().sql.empty());
  ShardCoverage all{true, {1, 2, 3}, {}};
  CHECK(all.condition().sql.empty());
}

TEST_CASE("A shard missing limits statements to the live shards' ids", "[api][cluster]") {
  ShardCoverage c{true, {1, 3}, {"s2"}};
  CHECK(c.partial());
  CHECK(c.condition().sql == " AND shard_id IN (1, 3)");
  CHECK(c.condition().params.empty());
  ShardCoverage none{true, {}, {"s1", "s2"}};
  CHECK(none.condition().sql == " AND 0 = 1");
}

TEST_CASE("The shards missing at either end of a request are all named once", "[api][cluster]") {
  ShardCoverage before{true, {1}, {"s2", "s3"}};
  ShardCoverage after{true, {1}, {"s3", "s4"}};
  CHECK(missingShards(before, after) == std::vector<std::string>{"s2", "s3", "s4"});
  CHECK(missingShards(ShardCoverage{true, {1}, {}}, ShardCoverage{true, {1}, {}}).empty());
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
