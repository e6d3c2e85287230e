#pragma once
// The database options every stage that talks to MariaDB offers (writer, api): the command-line
// options bound to the db.* keys, and reading DbOptions from those keys.
#include <vector>

#include "common/stage_app.h"
#include "store/db_connection.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::store {

[[nodiscard]] inline std::vector<StageOption> dbStageOptions() {
  return {
      {"db-host", "", "db.host", "HOST", "MariaDB host"},
      {"db-port", "", "db.port", "PORT", "MariaDB port"},
      {"db-socket", "", "db.socket", "PATH", "MariaDB Unix socket (instead of host/port)"},
      {"db-user", "", "db.user", "USER", "database user"},
      {"db-password", "", "db.password", "PASSWORD", "database password"},
      {"db-name", "", "db.name", "NAME", "database name"},
  };
}

// `options` followed by dbStageOptions().
[[nodiscard]] inline std::vector<StageOption> withDbStageOptions(std::vector<StageOption> options) {
  for (StageOption& o : dbStageOptions()) options.push_back(std::move(o));
  return options;
}

// DbOptions from the db.* keys, `defaults` where a key is absent; throws
// Poco::InvalidArgumentException naming the key on a bad value.
[[nodiscard]] DbOptions readDbOptions(const Poco::Util::AbstractConfiguration& config, DbOptions defaults);

}  // namespace sipvault::store
