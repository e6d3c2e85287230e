// The disk guard's pure parts: how much space is missing and which partition goes first.
#include <catch2/catch.hpp>

#include "writer/disk_guard.h"

using namespace sipvault::writer;

TEST_CASE("The disk guard wants the larger of its percent and byte thresholds", "[writer][disk_guard]") {
  DiskGuardOptions o;
  o.min_free_percent = 10;
  FsSpace fs{1000000, 150000, 0};
  CHECK(bytesShort(fs, o) == 0);
  fs.free_bytes = 40000;
  CHECK(bytesShort(fs, o) == 60000);
  o.min_free_bytes = 200000;
  CHECK(bytesShort(fs, o) == 160000);
  o.min_free_percent = 0;
  o.min_free_bytes = 0;
  CHECK_FALSE(o.enabled());
  CHECK(bytesShort(fs, o) == 0);
}

TEST_CASE("The disk guard drops the lowest priority first, oldest hour first, never the current hour",
          "[writer][disk_guard]") {
  const uint64_t h = 3600ull * 1000000;
  std::vector<DropCandidate> c = {
      {"sip_messages", "p_c0_2026120608", 9 * h, 30}, {"sip_messages", "p_c1_2026120609", 10 * h, 10},
      {"sip_messages", "p_c1_2026120608", 9 * h, 10}, {"sip_rejects", "p2026120612", 13 * h, 0},
      {"sip_messages", "p_c1_2026120614", 15 * h, 10},  // the current hour (14:30): still written
      {"sip_messages", "p_c2_2026120607", 8 * h, 20},
  };
  const auto order = dropOrder(c, 14 * h + h / 2);
  REQUIRE(order.size() == 5);
  CHECK(order[0].partition == "p2026120612");
  CHECK(order[1].partition == "p_c1_2026120608");
  CHECK(order[2].partition == "p_c1_2026120609");
  CHECK(order[3].partition == "p_c2_2026120607");
  CHECK(order[4].partition == "p_c0_2026120608");
}
