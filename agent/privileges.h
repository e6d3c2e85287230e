#pragma once
// Giving up root (or the capabilities systemd granted) once the captures are open: the packet
// sockets stay usable, nothing else is kept.
#include <string>

namespace sipvault::agent {

// Becomes `user`: no supplementary groups (setgroups(0)), the user's primary group, then its
// uid (setgid before setuid, so the gid change is still allowed). Checks that root cannot be
// regained. Returns false with `error` set when the user is unknown or a call fails; the
// caller must then exit, not run on as root.
[[nodiscard]] bool switchUser(const std::string& user, std::string& error);

// Clears every capability (effective, permitted, inheritable, ambient) and sets no_new_privs,
// for an agent that was started as a non-root user with CAP_NET_RAW/CAP_NET_ADMIN (systemd
// AmbientCapabilities). Returns false with `error` on failure.
[[nodiscard]] bool dropCapabilities(std::string& error);

}  // namespace sipvault::agent
