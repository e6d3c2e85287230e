// sipvault-api: REST search, call flows, pcap/text export, stats, users and tokens, and the web
// UI, over the writer's MariaDB tables. Wiring only; the parts live in sipvault_api_lib.
#include <Poco/Util/AbstractConfiguration.h>
#include <signal.h>

#include "api/api_options.h"
#include "api/api_server.h"
#include "api/api_service.h"
#include "common/stage_app.h"
#include "store/db_stage_options.h"

namespace sipvault::api {

using namespace sipvault::store;

class ApiApp : public StageApp {
 public:
  ApiApp()
      : StageApp("api", "REST API and web UI for searching captured SIP (MariaDB), with call flows and pcap export.",
                 withDbStageOptions({
                     {"listen", "l", "api.listen", "ADDR", "HTTP listen address (default 0.0.0.0:8080)"},
                     {"tls-cert", "", "api.tls_cert", "FILE", "serve HTTPS only, with this certificate chain (PEM)"},
                     {"tls-key", "", "api.tls_key", "FILE", "the HTTPS certificate's private key (PEM)"},
                     {"ui-dir", "", "api.ui_dir", "DIR", "directory of the web UI files"},
                     {"db-pool-size", "", "api.db_pool_size", "N", "database sessions at most (default 8)"},
                     {"create-admin", "", "api.admin_user", "USER",
                      "create this admin with a random password if missing (written to api.admin_password_file)"},
                     {"admin-password-file", "", "api.admin_password_file", "FILE",
                      "where a new admin's password is written (default var/api-admin-password)"},
                     {"cluster", "", "api.cluster", "BOOL",
                      "the database is a cluster head: Spider tables over shards (docs/cluster.md)"},
                 })) {}

 protected:
  std::string helpFooter() const override {
    return "Example: sipvault-api --listen 127.0.0.1:8080 --db-host 127.0.0.1 --db-port 3306 --create-admin admin\n"
           "HTTPS: sipvault-api --listen 0.0.0.0:8443 --tls-cert /etc/sipvault/api.pem --tls-key /etc/sipvault/api.key\n"
           "Config keys (api.*, db.*): see deploy/config/api.ini. REST contract: api/API_CONTRACT.md,\n"
           "OpenAPI document at /api/v1/openapi.json.";
  }

  int runStage(const std::vector<std::string>&) override {
    const auto options = readOptions<ApiOptions>();
    if (!options) return kExitConfig;
    const ApiOptions& opt = *options;
    std::string tls_error;
    if (!ApiServer::checkTls(opt, tls_error))
      return fail(kExitConfig, tls_error, "point api.tls_cert / api.tls_key at a PEM certificate chain and its key");
    // OpenSSL writes with write(2): a browser that goes away mid-response must give EPIPE, not
    // end the process.
    ::signal(SIGPIPE, SIG_IGN);
    ApiService service(opt, metrics(), log());
    if (auto failure = service.start()) return fail(*failure);
    waitForShutdown();
    log().info("stopping");
    service.stop();
    log().info("stopped");
    return kExitOk;
  }
};

}  // namespace sipvault::api

SIPVAULT_STAGE_MAIN(sipvault::api::ApiApp)
