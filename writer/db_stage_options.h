#pragma once
// The database options every stage that talks to MariaDB offers (writer, api), bound to the db.*
// keys that DbOptions is read from.
#include <vector>

#include "common/stage_app.h"

namespace sipvault {

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

}  // namespace sipvault
