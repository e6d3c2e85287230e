#include "store/search_key.h"

#include <catch2/catch.hpp>

using namespace sipvault::store;

using sipvault::store::searchKey;

TEST_CASE("Search key is FNV-1a 64 over the exact bytes", "[store][search_key]") {
  // Published FNV-1a 64-bit test vectors (Fowler/Noll/Vo reference test suite).
  CHECK(searchKey("a") == 0xaf63dc4c8601ec8cull);
  CHECK(searchKey("foobar") == 0x85944171f73967e8ull);
}

TEST_CASE("Search key of the empty value is 0, meaning no value", "[store][search_key]") {
  CHECK(searchKey("") == 0);
}

TEST_CASE("Search key differs by case and by embedded NUL bytes", "[store][search_key]") {
  using namespace std::string_view_literals;
  CHECK(searchKey("Alice") != searchKey("alice"));
  CHECK(searchKey("null-\0-null"sv) != searchKey("null-"sv));
  CHECK(searchKey("null-\0-null"sv) == searchKey(std::string("null-\0-null", 11)));
}

TEST_CASE("Search key is usable at compile time", "[store][search_key]") {
  static_assert(searchKey("a") == 0xaf63dc4c8601ec8cull);
  SUCCEED();
}
