#include <catch2/catch.hpp>

#include <Poco/AutoPtr.h>
#include <Poco/Exception.h>
#include <Poco/Util/MapConfiguration.h>

#include "writer/writer_options.h"

using namespace sipvault;

TEST_CASE("Writer options default to the documented values", "[writer][options]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  const WriterOptions o = WriterOptions::fromConfig(*c);
  CHECK(o.listen == "bind:tcp://127.0.0.1:5570");
  CHECK(o.batch.batch_rows == 2000);
  CHECK(o.batch.flush == std::chrono::milliseconds(200));
  CHECK(o.partitions.retention == std::chrono::hours(168));
  CHECK(o.partitions.ahead == std::chrono::hours(6));
  CHECK(o.insert_method == InsertMethod::LoadData);
  CHECK(o.db.port == 3306);
  CHECK(o.db.name == "sipvault");
}

TEST_CASE("Writer options read every writer.* and db.* key", "[writer][options]") {
  Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
  c->setString("writer.listen", "connect:tcp://10.0.0.7:5570");
  c->setString("writer.batch_rows", "500");
  c->setString("writer.flush_ms", "50");
  c->setString("writer.retention_hours", "2");
  c->setString("writer.partitions_ahead_hours", "3");
  c->setString("writer.insert_method", "insert");
  c->setString("db.host", "db.example");
  c->setString("db.port", "3307");
  c->setString("db.socket", "/run/mysqld/mysqld.sock");
  c->setString("db.user", "u");
  c->setString("db.password", "p");
  c->setString("db.name", "sv");
  const WriterOptions o = WriterOptions::fromConfig(*c);
  CHECK(o.listen == "connect:tcp://10.0.0.7:5570");
  CHECK(o.batch.batch_rows == 500);
  CHECK(o.batch.flush == std::chrono::milliseconds(50));
  CHECK(o.partitions.retention == std::chrono::hours(2));
  CHECK(o.partitions.ahead == std::chrono::hours(3));
  CHECK(o.insert_method == InsertMethod::MultiRowInsert);
  CHECK(o.db.host == "db.example");
  CHECK(o.db.port == 3307);
  CHECK(o.db.socket == "/run/mysqld/mysqld.sock");
  CHECK(o.db.user == "u");
  CHECK(o.db.password == "p");
  CHECK(o.db.name == "sv");
}

TEST_CASE("Writer options refuse bad values naming the key", "[writer][options]") {
  for (auto [key, value] : std::vector<std::pair<std::string, std::string>>{{"writer.batch_rows", "0"},
                                                                            {"writer.retention_hours", "0"},
                                                                            {"db.port", "70000"},
                                                                            {"writer.insert_method", "copy"},
                                                                            {"writer.flush_ms", "soon"}}) {
    Poco::AutoPtr<Poco::Util::MapConfiguration> c(new Poco::Util::MapConfiguration);
    c->setString(key, value);
    INFO(key << " = " << value);
    try {
      (void)WriterOptions::fromConfig(*c);
      FAIL("accepted");
    } catch (const Poco::Exception& e) {
      CHECK(e.displayText().find(key.substr(key.find('.') + 1)) != std::string::npos);
    }
  }
}
