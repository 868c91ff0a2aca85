// A throwaway OpenLDAP slapd (Debian's `slapd`) on 127.0.0.1, for the sandbox
// and the LDAP tests: an mdb database under dc=mozilla in a directory of its
// own, a small schema adding `bugzillaEmail` (objectClass mozComPerson),
// groups cn=scm_level_1..3,ou=groups (posixGroup, memberUid = the person's
// mail; level N's group holds everybody at N or above), and a bind account
// cn=autoland,dc=mozilla. Stopped (and waited for) when the object goes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace autoland::sandbox {

struct LdapPerson {
  std::string mail;            // the entry's RDN: mail=...,ou=people,dc=mozilla
  std::string bugzilla_email;  // "" = no bugzillaEmail (found by mail)
  int level = 0;
};

class ThrowawaySlapd {
 public:
  static constexpr const char* kBindDn = "cn=autoland,dc=mozilla";
  static constexpr const char* kPeopleBase = "ou=people,dc=mozilla";
  static constexpr const char* kSlapd = "/usr/sbin/slapd";

  // True when Debian's slapd and slapadd are installed here.
  static bool installed();
  // Writes the config and data under `dir` (its db emptied first) and starts
  // slapd on `port` (0: a free one); returns once it accepts connections.
  // The error carries slapd's own words.
  static Result<std::unique_ptr<ThrowawaySlapd>> start(const std::string& dir, int port,
                                                       const std::vector<LdapPerson>& people);
  ~ThrowawaySlapd();
  ThrowawaySlapd(const ThrowawaySlapd&) = delete;
  ThrowawaySlapd& operator=(const ThrowawaySlapd&) = delete;

  std::string url() const;
  int port() const { return port_; }
  const std::string& bind_password() const { return bind_password_; }
  // DN of the group for `level` (1..3).
  static std::string level_group(int level);
  pid_t pid() const { return pid_; }

 private:
  ThrowawaySlapd(std::string dir, int port, pid_t pid, std::string password)
      : dir_(std::move(dir)), port_(port), pid_(pid), bind_password_(std::move(password)) {}
  std::string dir_;
  int port_;
  pid_t pid_;
  std::string bind_password_;
};

}  // namespace autoland::sandbox
