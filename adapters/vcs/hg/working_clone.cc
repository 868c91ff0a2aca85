#include "adapters/vcs/hg/working_clone.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "adapters/process/hg_environment.h"
#include "core/branch_rules.h"
#include "ports/vcs.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

SpawnOptions hg_command(std::vector<std::string> args) {
  SpawnOptions o;
  o.argv = {"hg"};
  for (std::string& a : args) o.argv.push_back(std::move(a));
  o.env_set = hg_environment();
  return o;
}

}  // namespace

Result<std::unique_ptr<HgWorkingClone>> HgWorkingClone::open(const CloneSpec& spec) {
  AUTOLAND_TRY(check_branch_name(spec.name));
  std::error_code ec;
  fs::create_directories(spec.cache_dir, ec);
  if (ec) return internal_error("cannot create the cache folder " + spec.cache_dir + ": " + ec.message());
  std::unique_ptr<HgWorkingClone> clone(new HgWorkingClone(spec, (fs::path(spec.cache_dir) / spec.name).string()));
  bool usable = fs::exists(fs::path(clone->path_) / ".hg" / "requires");
  if (usable) {
    Status started = clone->start_server();
    if (started.ok()) {
      auto root = clone->server_->run({"root"});
      usable = root.ok() && root->exit_code == 0;
    } else {
      usable = false;
    }
  }
  if (!usable) {
    if (fs::exists(clone->path_)) {
      LOG_WARN("hg", "working clone " + clone->path_ + " is unusable (interrupted or corrupt); cloning again");
      ++clone->reclones_;
    }
    AUTOLAND_TRY(clone->clone_fresh());
  }
  return clone;
}

Status HgWorkingClone::clone_fresh() {
  // Stopped, not destroyed: callers hold references to hg() across a refresh().
  if (server_) server_->stop();
  std::error_code ec;
  fs::remove_all(path_, ec);
  // Clone into a temporary name and rename: a clone killed midway never
  // leaves a half-made folder under the real name.
  std::string partial = path_ + ".partial";
  fs::remove_all(partial, ec);
  // --pull: a clone of a local remote would otherwise share its store files
  // through hard links, and damage to the cache would be damage to the remote.
  AUTOLAND_TRY_ASSIGN(auto r,
                      run_program(hg_command({"clone", "--noupdate", "--pull", "--", spec_.pull_url, partial})));
  if (r.exit_code != 0) {
    fs::remove_all(partial, ec);
    return transient("cannot clone " + spec_.name + " from " + util::redact_url(spec_.pull_url) + ": " +
                     std::string(util::trim(r.err)));
  }
  fs::rename(partial, path_, ec);
  if (ec) return internal_error("cannot move the new clone into place: " + ec.message());
  return server_ ? Status{} : start_server();
}

namespace {

// An `hg serve --cmdserver` that a dead autoland left behind on this clone:
// killed with its parent, it still finishes the command it was given (it
// only notices the closed pipe afterwards), moving the dirstate under the
// next user of the clone. Its pid is kept in the clone.
bool is_orphan_server(pid_t pid, const std::string& clone) {
  if (pid <= 1 || pid == ::getpid() || ::kill(pid, 0) != 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (cmdline.find("cmdserver") == std::string::npos || cmdline.find(clone) == std::string::npos) return false;
  // One of this process's own servers (another object on the same clone) is no orphan.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 2));
  char state = 0;
  pid_t parent = 0;
  rest >> state >> parent;
  return parent != ::getpid();
}

}  // namespace

Status HgWorkingClone::start_server() {
  const fs::path pid_file = fs::path(path_) / ".hg" / "autoland-server.pid";
  {
    pid_t old = 0;
    std::ifstream in(pid_file);
    if (in >> old && is_orphan_server(old, path_)) {
      // Let it finish its command (it exits at the closed pipe), then make sure.
      for (int i = 0; i < 100 && ::kill(old, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      if (is_orphan_server(old, path_)) {
        LOG_WARN("hg", spec_.name + ": killing the command server " + std::to_string(old) + " a dead run left behind");
        ::kill(old, SIGKILL);
        for (int i = 0; i < 100 && ::kill(old, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  AUTOLAND_TRY_ASSIGN(auto s, HgCommandServer::start(path_));
  server_ = std::move(s);
  std::ofstream(pid_file, std::ios::trunc) << server_->pid() << "\n";
  // A transaction a killed hg left open: roll it back before anything else.
  if (fs::exists(fs::path(path_) / ".hg" / "store" / "journal")) {
    AUTOLAND_TRY(server_->run({"recover"}));
    LOG_WARN("hg", spec_.name + ": rolled back a transaction an interrupted hg left open");
  }
  return {};
}

Result<std::string> HgWorkingClone::refresh_once(const std::string& head_revset, bool pull_first) {
  // The working copy is never checked out: patches are applied with
  // `import --bypass` on top of the dirstate's parent, which is all the
  // working copy is used for. Something left files in it (a rebase that
  // fell back to the working copy, a clone of an older autoland, a crash
  // mid-rebase): empty it first.
  if (fs::exists(fs::path(path_) / ".hg" / "rebasestate")) {
    (void)server_->run({"rebase", "--config", "extensions.rebase=", "--abort"});
  }
  AUTOLAND_TRY_ASSIGN(auto tracked, server_->run({"debugdirstate", "--nodates"}));
  if (tracked.exit_code != 0 || !tracked.out.empty() || fs::exists(fs::path(path_) / ".hg" / "merge" / "state")) {
    AUTOLAND_TRY_ASSIGN(auto empty, server_->run({"update", "--clean", "-r", "null"}));
    if (empty.exit_code != 0)
      return internal_error("cannot empty the working copy of " + spec_.name + ": " + empty.err);
  }
  AUTOLAND_TRY(set_parent("null"));
  // Our own changesets that never reached the remote (a failed apply or
  // push, or a kill mid-import) must not linger under the next patchset.
  // Only ours: on a try remote that does not publish, other people's pushes
  // are drafts too. Stripped before the pull, so that "made here from
  // revision N on" cannot take in anything pulled.
  std::vector<std::string> unpushed = read_unpushed();
  if (std::optional<int64_t> first = read_first_rev()) {
    AUTOLAND_TRY_ASSIGN(auto drafts, server_->run({"log", "-r", "draft()", "-T", "{rev} {node}\n"}));
    for (std::string_view line : util::split_lines(drafts.out)) {
      size_t space = line.find(' ');
      auto rev = util::parse_uint(line.substr(0, space));
      if (rev && static_cast<int64_t>(*rev) >= *first && space != std::string_view::npos) {
        unpushed.emplace_back(line.substr(space + 1));
      }
    }
  }
  if (!unpushed.empty()) {
    std::string ids;
    for (const std::string& n : unpushed) ids += (ids.empty() ? "id(" : " or id(") + n + ")";
    std::string revset = "draft() and (" + ids + ")";
    AUTOLAND_TRY_ASSIGN(auto left, server_->run({"log", "-r", revset, "-T", "x"}));
    if (left.exit_code == 0 && !left.out.empty()) {
      AUTOLAND_TRY_ASSIGN(auto strip,
                          server_->run({"strip", "--config", "extensions.strip=", "--no-backup", "-r", revset}));
      if (strip.exit_code != 0) {
        return internal_error("cannot strip stale drafts in " + spec_.name + ": " + strip.err);
      }
    }
  }
  forget_unpushed();
  if (pull_first) {
    AUTOLAND_TRY_ASSIGN(auto pull, server_->run({"pull", "--", spec_.pull_url}));
    if (pull.exit_code != 0) {
      return transient("pull of " + spec_.name + " failed: " + std::string(util::trim(pull.err)));
    }
  }
  AUTOLAND_TRY_ASSIGN(auto head, server_->run({"log", "-r", head_revset, "-T", "{node}"}));
  if (head.exit_code != 0 || head.out.size() != 40) {
    return internal_error("no head for '" + head_revset + "' in " + spec_.name + ": " + head.err);
  }
  AUTOLAND_TRY(set_parent(head.out));
  AUTOLAND_TRY_ASSIGN(auto purge, server_->run({"purge", "--all", "--config", "extensions.purge="}));
  if (purge.exit_code != 0) return internal_error("purge of " + spec_.name + " failed: " + purge.err);
  return head.out;
}

void HgWorkingClone::note_unpushed(const std::string& node) {
  std::ofstream(fs::path(path_) / ".hg" / "autoland-unpushed", std::ios::app) << node << "\n";
}

void HgWorkingClone::forget_unpushed() {
  std::error_code ec;
  fs::remove(fs::path(path_) / ".hg" / "autoland-unpushed", ec);
}

Status HgWorkingClone::note_changes_from_here() {
  AUTOLAND_TRY_ASSIGN(auto tip, server_->run({"log", "-r", "tip", "-T", "{rev}"}));
  std::string_view text = util::trim(tip.out);
  auto rev = util::parse_uint(text);
  if (tip.exit_code != 0 || (!rev && text != "-1")) {
    return internal_error("cannot read the tip of " + spec_.name + ": " + tip.err);
  }
  std::ofstream out(fs::path(path_) / ".hg" / "autoland-unpushed", std::ios::app);
  out << "from-rev:" << (rev ? *rev + 1 : 0) << "\n";
  out.flush();
  return out ? Status{} : internal_error("cannot write the unpushed list of " + spec_.name);
}

std::optional<int64_t> HgWorkingClone::read_first_rev() const {
  std::ifstream in(fs::path(path_) / ".hg" / "autoland-unpushed");
  std::optional<int64_t> first;
  std::string line;
  while (in >> line) {
    if (line.rfind("from-rev:", 0) != 0) continue;
    auto rev = util::parse_uint(line.substr(9));
    if (rev && (!first || static_cast<int64_t>(*rev) < *first)) first = static_cast<int64_t>(*rev);
  }
  return first;
}

std::vector<std::string> HgWorkingClone::read_unpushed() const {
  std::ifstream in(fs::path(path_) / ".hg" / "autoland-unpushed");
  std::vector<std::string> nodes;
  std::string node;
  while (in >> node) {
    if (node.size() == 40 && node.find_first_not_of("0123456789abcdef") == std::string::npos) nodes.push_back(node);
  }
  return nodes;
}

Status HgWorkingClone::set_parent(const std::string& node) {
  AUTOLAND_TRY_ASSIGN(auto r, server_->run({"debugsetparents", node}));
  if (r.exit_code != 0) {
    return internal_error("cannot move the working copy of " + spec_.name + " to " + node + ": " + r.err);
  }
  return {};
}

Result<std::string> HgWorkingClone::tidy(const std::string& head_revset) {
  auto local = refresh_once(head_revset, false);
  if (local) return local;
  return refresh(head_revset);  // the clone may be broken: refresh() verifies and repairs it
}

Result<std::string> HgWorkingClone::refresh(const std::string& head_revset) {
  auto first = refresh_once(head_revset, true);
  if (first) return first;
  // Is the clone itself broken, or only the remote or the network?
  auto verify = run_program(hg_command({"verify", "-q", "-R", path_}));
  bool broken = !verify || verify->exit_code != 0;
  if (!broken) return first.error();
  LOG_WARN("hg", "working clone " + path_ + " failed verification; cloning again");
  ++reclones_;
  AUTOLAND_TRY(clone_fresh());
  return refresh_once(head_revset, true);
}

}  // namespace autoland
