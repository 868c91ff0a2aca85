#include "app/api_wiring.h"

#include <set>

#include "app/component_options.h"
#include "util/log.h"

namespace autoland {

namespace {

// A CI source answers when asked about a revision it cannot know.
Status ci_answers(CiResults& ci, const std::string& branch) {
  auto jobs = ci.jobs(branch, std::string(40, '0'));
  if (jobs || jobs.error().kind == ErrorKind::not_found || jobs.error().kind == ErrorKind::invalid_input) return {};
  return jobs.error();
}

}  // namespace

Result<std::unique_ptr<api::ApiServer>> start_api(Wiring& wiring, const ApiParts& parts, const std::string& listen) {
  const Config& config = wiring.config;
  auto address = parse_listen_address(listen);
  if (!address) return Error{address.error().kind, "api.listen: " + address.error().message};
  api::ApiOptions o;
  o.open_reads = config.api.open_reads;
  o.http.max_body_bytes = static_cast<size_t>(config.api.max_body_bytes);
  o.http.header_deadline = std::chrono::seconds(config.api.header_timeout_seconds);
  o.http.body_deadline = std::chrono::seconds(config.api.body_timeout_seconds);
  o.http.max_connections = static_cast<unsigned>(config.api.max_connections);
  o.http.max_connections_per_client = static_cast<unsigned>(config.api.max_connections_per_client);
  for (const ApiTokenConfig& t : config.api.tokens) {
    AUTOLAND_TRY_ASSIGN(auto role, api::parse_role(t.role));
    o.tokens.push_back({t.name, role, t.sha256});
  }
  if (o.tokens.empty() && !o.open_reads) {
    LOG_WARN("api", "no [[api.tokens]] configured and api.open_reads is false: every request will get 401");
  }
  o.bugs = wiring.bugs.get();
  o.request_limits = request_limits(config);
  o.patch_limits = patch_limits(config);
  o.ci_sources = configured_ci_sources(config);
  o.worker_failover_seconds = config.workers.failover_seconds;

  Store& store = *wiring.store;
  o.health.push_back({"store", [&store]() -> Status {
                        AUTOLAND_TRY(store.schema_status());
                        return {};
                      }});
  if (parts.bus) {
    o.health.push_back({"bus", [bus = parts.bus]() -> Status { return bus->health(); }});
  }
  if (wiring.bugs) {
    BugTracker* bugs = wiring.bugs.get();
    std::string login = config.bugzilla.bot_login;
    o.health.push_back({"bugzilla", [bugs, login]() -> Status {
                          auto u = bugs->user(login.empty() ? "nobody@invalid" : login);
                          if (u) return {};
                          if (u.error().kind == ErrorKind::not_found && login.empty()) return {};
                          return u.error();
                        }});
  }
  if (parts.directory) {
    Directory* directory = parts.directory;
    o.health.push_back({"directory", [directory]() -> Status {
                          auto p = directory->find_by_bugzilla_email("health-check@example.invalid");
                          if (p || p.error().kind == ErrorKind::not_found) return {};
                          return p.error();
                        }});
  }
  if (parts.ci) {
    const CiSources* ci = parts.ci;
    o.health.push_back({"ci", [ci, &store]() -> Status {
                          AUTOLAND_TRY_ASSIGN(auto branches, store.list_branches());
                          std::set<std::string> asked;
                          for (const Branch& b : branches) {
                            if (b.status != BranchStatus::enabled) continue;
                            const std::string& name = b.ci_source;
                            CiResults* source = ci->find(name);
                            if (!source) {
                              return invalid_input("branch " + b.name + " names CI source '" + name +
                                                   "', which is not configured here");
                            }
                            if (!asked.insert(name).second) continue;
                            Status s = ci_answers(*source, b.name);
                            if (!s.ok()) return Error{s.error().kind, name + ": " + s.error().message};
                          }
                          return {};
                        }});
  }
  if (parts.trees) {
    TreeStatusSource* trees = parts.trees;
    o.health.push_back({"tree_status", [trees, &store]() -> Status {
                          AUTOLAND_TRY_ASSIGN(auto branches, store.list_branches());
                          for (const Branch& b : branches) {
                            if (b.is_try()) continue;
                            auto s = trees->status(b.name);
                            if (!s) {
                              return transient("the status of the " + b.name + " tree cannot be read (" +
                                               s.error().message + "): its landings are held until it can");
                            }
                          }
                          return {};
                        }});
  }
  auto server = std::make_unique<api::ApiServer>(store, wiring.clock, std::move(o));
  AUTOLAND_TRY(server->start(address->first, address->second));
  LOG_INFO("api", "REST API on http://" + address->first + ":" + std::to_string(server->port()));
  return server;
}

}  // namespace autoland
