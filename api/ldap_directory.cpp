#include "api/ldap_directory.h"

#include <Poco/Exception.h>
#include <Poco/Util/AbstractConfiguration.h>
#include <ldap.h>
#include <sys/time.h>

#include "common/config_values.h"

namespace sipvault::api {

namespace {

// One connection; unbound (closed) on scope exit.
struct Connection {
  LDAP* ld = nullptr;
  Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection() {
    if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr);
  }
};

// Result codes that say "the directory cannot answer now", not "no".
bool directoryDown(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT ||
         rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_UNAVAILABLE || rc == LDAP_BUSY ||
         rc == LDAP_LOCAL_ERROR || rc == LDAP_OTHER;
}

std::string describe(std::string_view step, int rc) {
  return std::string(step) + ": " + ldap_err2string(rc) + " (" + std::to_string(rc) + ")";
}

LdapResult result(LdapResult::Kind kind, std::string detail) {
  LdapResult r;
  r.kind = kind;
  r.detail = std::move(detail);
  return r;
}

std::string replaceUser(std::string text, std::string_view value) {
  constexpr std::string_view kKey = "{user}";
  for (size_t pos = text.find(kKey); pos != std::string::npos; pos = text.find(kKey, pos + value.size()))
    text.replace(pos, kKey.size(), value);
  return text;
}

// Connects (lazily: libldap connects on the first operation) with our options set on this handle
// only; StartTLS when asked. 0 or an LDAP result code.
int open(const LdapOptions& o, Connection& c) {
  int rc = ldap_initialize(&c.ld, o.url.c_str());
  if (rc != LDAP_SUCCESS) return rc;
  int version = LDAP_VERSION3;
  ldap_set_option(c.ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  ldap_set_option(c.ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  timeval tv{static_cast<time_t>(o.timeout.count()), 0};
  ldap_set_option(c.ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
  ldap_set_option(c.ld, LDAP_OPT_TIMEOUT, &tv);
  int demand = LDAP_OPT_X_TLS_DEMAND;
  ldap_set_option(c.ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
  if (!o.ca_file.empty()) ldap_set_option(c.ld, LDAP_OPT_X_TLS_CACERTFILE, o.ca_file.c_str());
  int is_server = 0;
  ldap_set_option(c.ld, LDAP_OPT_X_TLS_NEWCTX, &is_server);  // the TLS options above take effect
  if (o.starttls) return ldap_start_tls_s(c.ld, nullptr, nullptr);
  return LDAP_SUCCESS;
}

int simpleBind(LDAP* ld, const std::string& dn, std::string_view password) {
  berval cred;
  cred.bv_val = const_cast<char*>(password.data());
  cred.bv_len = password.size();
  return ldap_sasl_bind_s(ld, dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
}

// DNs of the entries under `base` (`scope`) matching `filter`, at most `limit`. An LDAP code.
int search(LDAP* ld, const LdapOptions& o, const std::string& base, int scope, const std::string& filter,
           int limit, std::vector<std::string>& dns) {
  LDAPMessage* res = nullptr;
  char no_attrs[] = "1.1";
  char* attrs[] = {no_attrs, nullptr};
  timeval tv{static_cast<time_t>(o.timeout.count()), 0};
  const int rc = ldap_search_ext_s(ld, base.c_str(), scope, filter.c_str(), attrs, 0, nullptr, nullptr, &tv,
                                   limit, &res);
  if (res) {
    for (LDAPMessage* e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
      char* dn = ldap_get_dn(ld, e);
      if (dn) dns.emplace_back(dn);
      ldap_memfree(dn);
    }
    ldap_msgfree(res);
  }
  return rc;
}

}  // namespace

LdapOptions LdapOptions::fromConfig(const Poco::Util::AbstractConfiguration& c) {
  LdapOptions o;
  o.url = c.getString("api.ldap_url", "");
  o.user_dn = c.getString("api.ldap_user_dn", "");
  o.bind_dn = c.getString("api.ldap_bind_dn", "");
  o.bind_password = c.getString("api.ldap_bind_password", "");
  o.base_dn = c.getString("api.ldap_base_dn", "");
  o.user_filter = c.getString("api.ldap_user_filter", o.user_filter);
  o.admin_group = c.getString("api.ldap_admin_group", "");
  o.viewer_group = c.getString("api.ldap_viewer_group", "");
  o.ca_file = c.getString("api.ldap_ca_file", "");
  o.starttls = c.getBool("api.ldap_starttls", false);
  o.timeout = std::chrono::seconds(intInRange(c, "api.ldap_timeout_s", o.timeout.count(), 1, 300));
  if (!o.enabled()) return o;
  if (o.url.rfind("ldap://", 0) != 0 && o.url.rfind("ldaps://", 0) != 0)
    throw Poco::InvalidArgumentException("api.ldap_url", "ldap://HOST[:PORT] or ldaps://HOST[:PORT]");
  if (o.user_dn.empty() && o.base_dn.empty())
    throw Poco::InvalidArgumentException("api.ldap_base_dn",
                                         "LDAP login needs api.ldap_user_dn or api.ldap_base_dn");
  if (!o.user_dn.empty() && o.user_dn.find("{user}") == std::string::npos)
    throw Poco::InvalidArgumentException("api.ldap_user_dn", "the DN template must hold {user}");
  if (o.user_dn.empty() && o.user_filter.find("{user}") == std::string::npos)
    throw Poco::InvalidArgumentException("api.ldap_user_filter", "the filter must hold {user}");
  return o;
}

std::string LdapDirectory::escapeFilter(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char ch : value) {
    if (ch == '*' || ch == '(' || ch == ')' || ch == '\\' || ch == 0) {
      out += '\\';
      out += kHex[ch >> 4];
      out += kHex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  return out;
}

std::string LdapDirectory::escapeDnValue(std::string_view value) {
  std::string out;
  for (size_t i = 0; i < value.size(); ++i) {
    const char ch = value[i];
    const bool special = ch == ',' || ch == '+' || ch == '"' || ch == '\\' || ch == '<' || ch == '>' ||
                         ch == ';' || ch == '=' || (i == 0 && (ch == '#' || ch == ' ')) ||
                         (i + 1 == value.size() && ch == ' ');
    if (special) out += '\\';
    out += ch;
  }
  return out;
}

LdapResult LdapDirectory::authenticate(std::string_view username, std::string_view password) const {
  using Kind = LdapResult::Kind;
  if (password.empty()) return result(Kind::Denied, "empty password");
  if (!validUsername(username)) return result(Kind::Denied, "not a valid user name");
  Connection c;
  int rc = open(options_, c);
  if (rc != LDAP_SUCCESS) return result(Kind::Unavailable, describe("connect " + options_.url, rc));

  // The user's DN: from the template, or searched for as the service account.
  std::string dn;
  const bool direct = !options_.user_dn.empty();
  if (direct) {
    dn = replaceUser(options_.user_dn, escapeDnValue(username));
  } else {
    rc = simpleBind(c.ld, options_.bind_dn, options_.bind_password);
    if (rc != LDAP_SUCCESS)
      return result(Kind::Unavailable, describe("service bind as " + options_.bind_dn, rc));
    std::vector<std::string> dns;
    rc = search(c.ld, options_, options_.base_dn, LDAP_SCOPE_SUBTREE,
                replaceUser(options_.user_filter, escapeFilter(username)), 2, dns);
    if (rc == LDAP_SIZELIMIT_EXCEEDED || dns.size() > 1)
      return result(Kind::Denied, "more than one entry matches");
    if (rc != LDAP_SUCCESS)
      return result(directoryDown(rc) ? Kind::Unavailable : Kind::Denied, describe("user search", rc));
    if (dns.empty()) return result(Kind::Denied, "no such user in the directory");
    dn = dns.front();
  }

  rc = simpleBind(c.ld, dn, password);
  if (rc == LDAP_INVALID_CREDENTIALS) return result(Kind::Denied, "wrong password or no such DN");
  if (rc != LDAP_SUCCESS)
    return result(directoryDown(rc) ? Kind::Unavailable : Kind::Denied, describe("user bind", rc));
  if (!direct) {
    rc = simpleBind(c.ld, options_.bind_dn, options_.bind_password);
    if (rc != LDAP_SUCCESS)
      return result(Kind::Unavailable, describe("service bind as " + options_.bind_dn, rc));
  }

  // Group membership -> role.
  const std::string member_filter = "(|(member=" + escapeFilter(dn) + ")(uniqueMember=" + escapeFilter(dn) +
                                    ")(memberUid=" + escapeFilter(username) + "))";
  auto isMember = [&](const std::string& group, bool& member) {
    std::vector<std::string> dns;
    const int grc = search(c.ld, options_, group, LDAP_SCOPE_BASE, member_filter, 1, dns);
    member = !dns.empty();
    return grc == LDAP_SUCCESS || grc == LDAP_NO_SUCH_OBJECT ? LDAP_SUCCESS : grc;
  };
  LdapResult ok;
  ok.kind = Kind::Ok;
  ok.dn = dn;
  bool member = false;
  if (!options_.admin_group.empty()) {
    rc = isMember(options_.admin_group, member);
    if (rc != LDAP_SUCCESS) return result(Kind::Unavailable, describe("group search", rc));
    if (member) {
      ok.role = Role::Admin;
      return ok;
    }
  }
  if (options_.viewer_group.empty()) return ok;
  rc = isMember(options_.viewer_group, member);
  if (rc != LDAP_SUCCESS) return result(Kind::Unavailable, describe("group search", rc));
  if (member) return ok;
  return result(Kind::Denied, "in none of the configured groups");
}

}  // namespace sipvault::api
