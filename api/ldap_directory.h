#pragma once
// Login against an LDAP directory (OpenLDAP's libldap; Debian libldap-dev): bind, find the user,
// map group membership to a role. One LDAP connection per call (logins are rare), closed before
// returning; thread-safe.
//
// Two ways to find the user's DN (api/README.md, "LDAP login"):
//   * direct bind: api.ldap_user_dn is a template, "uid={user},ou=people,dc=example,dc=org";
//     the user binds with it, and the group checks run as that user;
//   * search: api.ldap_bind_dn / api.ldap_bind_password (a service account, or anonymous when
//     empty) searches api.ldap_base_dn for api.ldap_user_filter ("(uid={user})"); exactly one
//     entry must match; the user then binds with its DN, and the group checks run as the service
//     account again.
// Roles: a member of api.ldap_admin_group is admin; else a member of api.ldap_viewer_group is a
// viewer; with no viewer group any user who binds is a viewer; anyone else is denied. Membership
// is "the group entry has member=<user DN> or uniqueMember=<user DN> or memberUid=<user>".
// ldap:// is plain LDAP, ldaps:// LDAP over TLS (the server certificate is checked against
// api.ldap_ca_file, else the system's CAs, and must name the host); api.ldap_starttls upgrades an
// ldap:// connection. A server that cannot be reached, times out (api.ldap_timeout_s) or fails
// TLS is Unavailable, never Denied, so the user is told the directory is down.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth_store.h"

namespace Poco::Util {
class AbstractConfiguration;
}

namespace sipvault::api {

struct LdapOptions {
  std::string url;            // api.ldap_url: "ldap://host:389" / "ldaps://host:636"; empty = no LDAP login
  std::string user_dn;        // api.ldap_user_dn: DN template with {user} (direct bind)
  std::string bind_dn;        // api.ldap_bind_dn: service account for the search (empty: anonymous)
  std::string bind_password;  // api.ldap_bind_password
  std::string base_dn;        // api.ldap_base_dn: where users are searched
  std::string user_filter = "(uid={user})";  // api.ldap_user_filter
  std::string admin_group;                   // api.ldap_admin_group: group DN whose members are admins
  std::string viewer_group;  // api.ldap_viewer_group: group DN whose members are viewers (empty: everyone)
  std::string ca_file;       // api.ldap_ca_file: PEM CA(s) for ldaps:// and StartTLS
  bool starttls = false;     // api.ldap_starttls
  std::chrono::seconds timeout{5};  // api.ldap_timeout_s: connect and each operation

  [[nodiscard]] bool enabled() const { return !url.empty(); }
  // Reads the keys above; throws Poco::Exception naming the key on a bad or half configuration.
  static LdapOptions fromConfig(const Poco::Util::AbstractConfiguration& config);
};

struct LdapResult {
  enum class Kind { Ok, Denied, Unavailable };
  Kind kind = Kind::Denied;
  Role role = Role::Viewer;  // Ok only
  std::string dn;            // Ok only
  std::string detail;        // Denied / Unavailable: why, for the log (never the password)
};

class LdapDirectory {
 public:
  explicit LdapDirectory(LdapOptions options) : options_(std::move(options)) {}
  [[nodiscard]] bool enabled() const { return options_.enabled(); }
  // Checks `username` / `password` against the directory. An empty password is Denied (an LDAP
  // simple bind with one would be an anonymous bind and succeed).
  [[nodiscard]] LdapResult authenticate(std::string_view username, std::string_view password) const;

  // RFC 4515 escaping of a filter value ("a*b" -> "a\2ab"). Pure.
  [[nodiscard]] static std::string escapeFilter(std::string_view value);
  // RFC 4514 escaping of an attribute value inside a DN. Pure.
  [[nodiscard]] static std::string escapeDnValue(std::string_view value);

 private:
  LdapOptions options_;
};

}  // namespace sipvault::api
