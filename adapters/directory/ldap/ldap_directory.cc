#include "adapters/directory/ldap/ldap_directory.h"

#include <ldap.h>

#include <cstdio>
#include <mutex>
#include <vector>

#include "util/log.h"
#include "util/strings.h"

namespace autoland {

namespace {

bool unreachable(int rc) {
  return rc == LDAP_SERVER_DOWN || rc == LDAP_TIMEOUT || rc == LDAP_CONNECT_ERROR || rc == LDAP_BUSY ||
         rc == LDAP_UNAVAILABLE || rc == LDAP_TIMELIMIT_EXCEEDED || rc == LDAP_OTHER;
}

Error ldap_error(int rc, const std::string& what) {
  std::string text = what + ": " + ldap_err2string(rc);
  if (unreachable(rc)) return transient(text);
  if (rc == LDAP_INVALID_CREDENTIALS) return denied(text + " (check ldap.bind_dn and ldap.bind_password)");
  Error e = internal_error(text);
  e.code = rc;
  return e;
}

// libldap sets up its process-wide options (and the mutex guarding them) on
// first use without a lock of its own, so two threads opening their first
// connections at once race on them. Every path into libldap here passes
// through this first.
void initialize_libldap_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    int version = 0;
    ldap_get_option(nullptr, LDAP_OPT_PROTOCOL_VERSION, &version);
  });
}

// One connection, bound, closed on destruction.
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const LdapOptions& o) {
    initialize_libldap_once();
    std::unique_ptr<Connection> c(new Connection());
    int rc = ldap_initialize(&c->ld_, o.url.c_str());
    if (rc != LDAP_SUCCESS) return invalid_input("ldap.url '" + o.url + "': " + ldap_err2string(rc));
    int version = LDAP_VERSION3;
    ldap_set_option(c->ld_, LDAP_OPT_PROTOCOL_VERSION, &version);
    timeval tv{o.timeout_seconds, 0};
    ldap_set_option(c->ld_, LDAP_OPT_NETWORK_TIMEOUT, &tv);
    ldap_set_option(c->ld_, LDAP_OPT_TIMEOUT, &tv);
    ldap_set_option(c->ld_, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
    berval cred{static_cast<ber_len_t>(o.bind_password.size()), const_cast<char*>(o.bind_password.data())};
    rc = ldap_sasl_bind_s(c->ld_, o.bind_dn.empty() ? nullptr : o.bind_dn.c_str(), LDAP_SASL_SIMPLE, &cred, nullptr,
                          nullptr, nullptr);
    if (rc != LDAP_SUCCESS) return ldap_error(rc, "cannot bind to " + o.url + " as " + o.bind_dn);
    return c;
  }
  ~Connection() {
    if (ld_) ldap_unbind_ext_s(ld_, nullptr, nullptr);
  }

  struct Entry {
    std::string dn;
    std::map<std::string, std::vector<std::string>> values;  // lowercased attribute name
  };

  Result<std::vector<Entry>> search(const std::string& base, int scope, const std::string& filter,
                                    const std::vector<std::string>& attributes, int timeout_seconds) {
    std::vector<char*> attrs;
    for (const std::string& a : attributes) attrs.push_back(const_cast<char*>(a.c_str()));
    attrs.push_back(nullptr);
    timeval tv{timeout_seconds, 0};
    LDAPMessage* res = nullptr;
    int rc =
        ldap_search_ext_s(ld_, base.c_str(), scope, filter.c_str(), attrs.data(), 0, nullptr, nullptr, &tv, 50, &res);
    struct Free {
      LDAPMessage* m;
      ~Free() {
        if (m) ldap_msgfree(m);
      }
    } free_res{res};
    if (rc == LDAP_NO_SUCH_OBJECT) return not_found("no entry " + base);
    if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) return ldap_error(rc, "search under " + base);
    std::vector<Entry> out;
    for (LDAPMessage* e = ldap_first_entry(ld_, res); e; e = ldap_next_entry(ld_, e)) {
      Entry entry;
      if (char* dn = ldap_get_dn(ld_, e)) {
        entry.dn = dn;
        ldap_memfree(dn);
      }
      for (const std::string& a : attributes) {
        berval** vals = ldap_get_values_len(ld_, e, a.c_str());
        if (!vals) continue;
        for (int i = 0; vals[i]; ++i) entry.values[util::to_lower(a)].emplace_back(vals[i]->bv_val, vals[i]->bv_len);
        ldap_value_free_len(vals);
      }
      out.push_back(std::move(entry));
    }
    return out;
  }

 private:
  Connection() = default;
  LDAP* ld_ = nullptr;
};

std::string first(const Connection::Entry& e, const std::string& attribute) {
  auto it = e.values.find(util::to_lower(attribute));
  return it == e.values.end() || it->second.empty() ? "" : it->second.front();
}

}  // namespace

std::string escape_ldap_filter(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (c == '*' || c == '(' || c == ')' || c == '\\' || c == 0) {
      char hex[4];
      std::snprintf(hex, sizeof hex, "\\%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

LdapDirectory::LdapDirectory(LdapOptions options) : options_(std::move(options)) {}
LdapDirectory::~LdapDirectory() = default;

Result<Person> LdapDirectory::find_by_bugzilla_email(const std::string& email) {
  const std::string key = util::to_lower(email);
  auto now = std::chrono::steady_clock::now();
  {
    MutexLock lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && now - it->second.at < std::chrono::seconds(options_.cache_seconds)) {
      return it->second.answer;
    }
  }
  auto answer = look_up(email);
  // Only real answers are kept: an outage is asked again next time.
  if (answer || answer.error().kind == ErrorKind::not_found) {
    MutexLock lock(mu_);
    cache_.insert_or_assign(key, Cached{answer, now});
  }
  return answer;
}

Result<Person> LdapDirectory::look_up(const std::string& email) {
  if (email.empty() || email.find('@') == std::string::npos) {
    // Nobody can have it: an answer, not a fault (a request must not wait on it forever).
    return not_found("'" + email + "' is not an email address, so nobody in the directory has it");
  }
  AUTOLAND_TRY_ASSIGN(auto c, Connection::open(options_));
  const std::string escaped = escape_ldap_filter(email);
  std::vector<std::string> attrs = {options_.email_attribute, options_.fallback_attribute,
                                    options_.member_value_attribute};
  AUTOLAND_TRY_ASSIGN(auto found,
                      c->search(options_.people_base, LDAP_SCOPE_SUBTREE,
                                "(" + options_.email_attribute + "=" + escaped + ")", attrs, options_.timeout_seconds));
  if (found.size() > 1) {
    return conflict("the directory has " + std::to_string(found.size()) + " people with the Bugzilla email " + email);
  }
  if (found.empty() && !options_.fallback_attribute.empty()) {
    AUTOLAND_TRY_ASSIGN(auto by_fallback, c->search(options_.people_base, LDAP_SCOPE_SUBTREE,
                                                    "(" + options_.fallback_attribute + "=" + escaped + ")", attrs,
                                                    options_.timeout_seconds));
    for (const Connection::Entry& e : by_fallback) {
      // Their own Bugzilla email, when the entry has one, must be this one.
      std::string recorded = first(e, options_.email_attribute);
      if (recorded.empty() || util::to_lower(recorded) == util::to_lower(email)) found.push_back(e);
    }
  }
  if (found.empty()) return not_found("nobody in the directory has the Bugzilla email " + email);
  if (found.size() > 1) {
    return conflict("the directory has " + std::to_string(found.size()) + " people with the email " + email);
  }
  const Connection::Entry& entry = found.front();
  Person person;
  person.account =
      first(entry, options_.fallback_attribute).empty() ? entry.dn : first(entry, options_.fallback_attribute);
  person.bugzilla_email =
      first(entry, options_.email_attribute).empty() ? email : first(entry, options_.email_attribute);
  const std::string member = options_.member_attribute == "member" || options_.member_attribute == "uniqueMember"
                                 ? entry.dn
                                 : first(entry, options_.member_value_attribute);
  if (member.empty()) return person;  // nothing to be a member by: level 0
  for (int level = 3; level >= 1; --level) {
    const std::string& group = options_.level_groups[level - 1];
    if (group.empty()) continue;
    auto in =
        c->search(group, LDAP_SCOPE_BASE, "(" + options_.member_attribute + "=" + escape_ldap_filter(member) + ")",
                  {"cn"}, options_.timeout_seconds);
    if (!in) {
      if (in.error().kind == ErrorKind::not_found) {
        return invalid_input("the level " + std::to_string(level) + " group " + group +
                             " is not in the directory (check ldap.level_" + std::to_string(level) + "_group)");
      }
      return in.error();
    }
    if (!in->empty()) {
      person.level = level;
      break;
    }
  }
  return person;
}

}  // namespace autoland
