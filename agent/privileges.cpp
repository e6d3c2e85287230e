#include "agent/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sipvault::agent {
namespace {
std::string errnoText() { return std::strerror(errno); }
}  // namespace

bool switchUser(const std::string& user, std::string& error) {
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  const int rc = ::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    error = "unknown user '" + user + "'";
    return false;
  }
  if (::setgroups(0, nullptr) != 0) {
    error = "setgroups: " + errnoText();
    return false;
  }
  if (::setgid(pw.pw_gid) != 0) {
    error = "setgid(" + std::to_string(pw.pw_gid) + "): " + errnoText();
    return false;
  }
  if (::setuid(pw.pw_uid) != 0) {
    error = "setuid(" + std::to_string(pw.pw_uid) + "): " + errnoText();
    return false;
  }
  if (pw.pw_uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0)) {
    error = "root could be regained after setuid";
    return false;
  }
  return true;
}

bool dropCapabilities(std::string& error) {
  // Ambient first (it would otherwise survive an execve), then the three sets through capset.
  (void)::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capset, &header, data) != 0) {
    error = "capset: " + errnoText();
    return false;
  }
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    error = "PR_SET_NO_NEW_PRIVS: " + errnoText();
    return false;
  }
  return true;
}

}  // namespace sipvault::agent
