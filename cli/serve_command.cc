// autoland serve [--listen HOST:PORT]: the REST API alone, over the store
// (for sheriffs and `autoland ctl`), while the components run elsewhere
// (`autoland run` on this store, or workers). SIGTERM stops it.
// autoland api token NAME [--role R]: a new token and its [[api.tokens]] lines.
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include "adapters/treestatus/treestatus_client.h"
#include "api/api_auth.h"
#include "app/api_wiring.h"
#include "app/directory_factory.h"
#include "cli/command.h"
#include "cli/wiring.h"

namespace autoland::cli {
namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

int serve(const Invocation& inv, const std::string& listen_option) {
  auto w = wire(inv);
  if (!w) return fail(w.error());
  Wiring& wiring = **w;
  std::string listen = listen_option.empty() ? wiring.config.api.listen : listen_option;
  if (listen.empty()) return fail("no address to listen on: set api.listen in the config or pass --listen HOST:PORT");
  auto directory = open_directory(wiring.config);
  if (!directory) return fail(directory.error());
  std::unique_ptr<TreeStatusClient> trees;
  if (!wiring.config.tree_status_url.empty()) {
    trees = make_tree_status_client(wiring.config.tree_status_url, 10, wiring.config.tree_status_cache_seconds);
  }
  // No CI check here: opening the local runner belongs to `autoland run`.
  auto server = start_api(wiring, {directory->get(), trees.get(), nullptr, nullptr}, listen);
  if (!server) return fail(server.error());
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::cout << "autoland API on " << (*server)->url() << " (SIGTERM stops it)" << std::endl;
  std::optional<Error> store_lost;
  while (!g_stop && !store_lost) {
    store_lost = wiring.store->unusable();
    if (!store_lost) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (*server)->stop();
  if (store_lost) return fail(*store_lost);
  return kExitOk;
}

}  // namespace

void register_serve_command(CLI::App& app, Invocation& inv) {
  auto listen = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("serve", "Serve the REST API over the store (the components run elsewhere)");
  cmd->add_option("--listen", *listen, "HOST:PORT (default: api.listen from the config)");
  cmd->callback([&inv, listen] { inv.action = [&inv, listen] { return serve(inv, *listen); }; });

  auto* api = app.add_subcommand("api", "API helpers");
  api->require_subcommand(1);
  auto name = std::make_shared<std::string>();
  auto role = std::make_shared<std::string>("sheriff");
  auto* token = api->add_subcommand("token", "Print a new API token and the config lines that let it in");
  token->add_option("name", *name, "Who will hold it (goes in the audit log)")->required();
  token->add_option("--role", *role, "reader, sheriff or admin")->capture_default_str();
  token->callback([name, role, &inv] {
    inv.action = [name, role] {
      if (!api::parse_role(*role)) return fail("--role must be reader, sheriff or admin");
      std::string t = api::random_token();
      std::cout << "token (give it to " << *name << "; it is not stored anywhere): " << t << "\n\n"
                << "[[api.tokens]]\nname = \"" << *name << "\"\nrole = \"" << *role << "\"\nsha256 = \""
                << api::sha256_hex(t) << "\"\n";
      return kExitOk;
    };
  });
}

}  // namespace autoland::cli
