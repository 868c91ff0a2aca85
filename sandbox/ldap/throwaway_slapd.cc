#include "sandbox/ldap/throwaway_slapd.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/process/subprocess.h"
#include "sandbox/server/throwaway_server.h"
#include "util/ports.h"

namespace autoland::sandbox {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSlapadd = "/usr/sbin/slapadd";
constexpr const char* kPassword = "secret";

constexpr const char* kSchema = R"(attributetype ( 1.3.6.1.4.1.99999.1.1 NAME 'bugzillaEmail'
  DESC 'The Bugzilla login of a person'
  EQUALITY caseIgnoreIA5Match
  SUBSTR caseIgnoreIA5SubstringsMatch
  SYNTAX 1.3.6.1.4.1.1466.115.121.1.26 )
objectclass ( 1.3.6.1.4.1.99999.2.1 NAME 'mozComPerson'
  SUP inetOrgPerson STRUCTURAL
  MAY ( bugzillaEmail ) )
)";

std::string slapd_conf(const fs::path& dir) {
  const std::string d = dir.string();
  return "include /etc/ldap/schema/core.schema\n"
         "include /etc/ldap/schema/cosine.schema\n"
         "include /etc/ldap/schema/inetorgperson.schema\n"
         "include /etc/ldap/schema/nis.schema\n"
         "include " +
         d +
         "/autoland.schema\n"
         "modulepath /usr/lib/ldap\n"
         "moduleload back_mdb.so\n"
         "pidfile " +
         d +
         "/slapd.pid\n"
         "argsfile " +
         d +
         "/slapd.args\n"
         "database mdb\n"
         "maxsize 16777216\n"
         "suffix \"dc=mozilla\"\n"
         "rootdn \"cn=admin,dc=mozilla\"\n"
         "directory " +
         d +
         "/db\n"
         "index objectClass eq\n"
         "index mail eq\n"
         "index bugzillaEmail eq\n"
         "index memberUid eq\n"
         "access to attrs=userPassword by anonymous auth by * none\n"
         "access to * by dn.exact=\"" +
         std::string(ThrowawaySlapd::kBindDn) + "\" read by * none\n";
}

std::string data_ldif(const std::vector<LdapPerson>& people) {
  std::ostringstream out;
  out << "dn: dc=mozilla\nobjectClass: dcObject\nobjectClass: organization\ndc: mozilla\no: mozilla\n\n"
      << "dn: " << ThrowawaySlapd::kBindDn
      << "\nobjectClass: person\ncn: autoland\nsn: autoland\nuserPassword: " << kPassword << "\n\n"
      << "dn: ou=people,dc=mozilla\nobjectClass: organizationalUnit\nou: people\n\n"
      << "dn: ou=groups,dc=mozilla\nobjectClass: organizationalUnit\nou: groups\n\n";
  for (const LdapPerson& p : people) {
    out << "dn: mail=" << p.mail << "," << ThrowawaySlapd::kPeopleBase
        << "\nobjectClass: mozComPerson\nmail: " << p.mail << "\ncn: " << p.mail << "\nsn: " << p.mail << "\n";
    if (!p.bugzilla_email.empty()) out << "bugzillaEmail: " << p.bugzilla_email << "\n";
    out << "\n";
  }
  for (int level = 1; level <= 3; ++level) {
    out << "dn: cn=scm_level_" << level << ",ou=groups,dc=mozilla\nobjectClass: posixGroup\ncn: scm_level_" << level
        << "\ngidNumber: " << 1000 + level << "\n";
    for (const LdapPerson& p : people) {
      if (p.level >= level) out << "memberUid: " << p.mail << "\n";
    }
    out << "\n";
  }
  return out.str();
}

Status write(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
  return out ? Status{} : internal_error("cannot write " + p.string());
}

}  // namespace

bool ThrowawaySlapd::installed() { return ::access(kSlapd, X_OK) == 0 && ::access(kSlapadd, X_OK) == 0; }

std::string ThrowawaySlapd::level_group(int level) {
  return "cn=scm_level_" + std::to_string(level) + ",ou=groups,dc=mozilla";
}

std::string ThrowawaySlapd::url() const { return "ldap://127.0.0.1:" + std::to_string(port_) + "/"; }

Result<std::unique_ptr<ThrowawaySlapd>> ThrowawaySlapd::start(const std::string& dir_name, int port,
                                                              const std::vector<LdapPerson>& people) {
  if (!installed()) return invalid_input("slapd is not installed (apt-get install slapd)");
  if (port == 0) port = util::unused_local_port();
  if (port == 0) return internal_error("no free port for slapd");
  std::error_code ec;
  fs::path dir = fs::absolute(dir_name, ec);
  fs::remove_all(dir / "db", ec);
  fs::create_directories(dir / "db", ec);
  if (ec) return internal_error("cannot make " + (dir / "db").string() + ": " + ec.message());
  AUTOLAND_TRY(write(dir / "autoland.schema", kSchema));
  AUTOLAND_TRY(write(dir / "slapd.conf", slapd_conf(dir)));
  AUTOLAND_TRY(write(dir / "data.ldif", data_ldif(people)));

  SpawnOptions add;
  add.argv = {kSlapadd, "-q", "-f", (dir / "slapd.conf").string(), "-l", (dir / "data.ldif").string()};
  AUTOLAND_TRY_ASSIGN(auto added, run_program(add, {}, std::chrono::seconds(60)));
  if (added.exit_code != 0) return internal_error("slapadd failed: " + added.err + added.out);

  const std::string url = "ldap://127.0.0.1:" + std::to_string(port) + "/";
  // slapd detaches by itself (the parent exits once the daemon is ready);
  // its output goes to a file, never to pipes a daemon would hold open.
  SpawnOptions run;
  run.argv = {kSlapd, "-h", url, "-f", (dir / "slapd.conf").string()};
  run.output_file = (dir / "slapd.log").string();
  AUTOLAND_TRY_ASSIGN(auto started, Subprocess::spawn(run));
  if (started.wait() != 0) return internal_error("slapd did not start: " + log_tail((dir / "slapd.log").string()));
  pid_t pid = -1;
  for (int i = 0; i < 100 && pid <= 0; ++i) {
    std::ifstream in(dir / "slapd.pid");
    if (!(in >> pid)) {
      pid = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (pid <= 0) return internal_error("slapd wrote no pid file: " + log_tail((dir / "slapd.log").string()));
  std::unique_ptr<ThrowawaySlapd> slapd(new ThrowawaySlapd(dir.string(), port, pid, kPassword));
  if (wait_until_answers(port, std::chrono::seconds(5))) return slapd;
  return internal_error("slapd did not answer on " + url + " within 5 s: " + log_tail((dir / "slapd.log").string()));
}

ThrowawaySlapd::~ThrowawaySlapd() {
  if (pid_ <= 0 || ::kill(pid_, SIGTERM) != 0) return;
  for (int i = 0; i < 50; ++i) {
    if (::kill(pid_, 0) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
}

}  // namespace autoland::sandbox
