#include "adapters/vcs/git/git_vcs.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>

#include "core/branch_rules.h"
#include "core/commit_message.h"
#include "core/committed_change.h"
#include "core/patch.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCommitter = "autoland";
constexpr std::string_view kCommitterEmail = "autoland@localhost";

// "URL#branch" -> {"URL", "branch"}.
std::pair<std::string, std::string> split_ref(const std::string& url) {
  size_t hash = url.rfind('#');
  if (hash == std::string::npos) return {url, ""};
  return {url.substr(0, hash), url.substr(hash + 1)};
}

// "Real Name <email>" -> {"Real Name", "email"}.
std::pair<std::string, std::string> split_author(const std::string& author) {
  size_t lt = author.find('<');
  size_t gt = author.find('>', lt == std::string::npos ? 0 : lt);
  if (lt == std::string::npos || gt == std::string::npos) return {std::string(util::trim(author)), ""};
  return {std::string(util::trim(author.substr(0, lt))), author.substr(lt + 1, gt - lt - 1)};
}

std::string last_line(const std::string& text) {
  std::string out;
  for (std::string_view line : util::split_lines(text)) {
    if (!util::trim(line).empty()) out = std::string(util::trim(line));
  }
  return out;
}

std::string short_sha(const std::string& sha) { return sha.substr(0, 12); }

}  // namespace

namespace {

// Which hunk of `file` in `patch` starts at old line `line` (1-based; 0 when none):
// git names the line where a hunk failed, hg and people name the hunk.
int hunk_number(std::string_view patch, std::string_view file, std::string_view line) {
  std::string current;
  int count = 0;
  for (std::string_view l : util::split_lines(patch)) {
    if (l.rfind("diff --git ", 0) == 0) {
      size_t b = l.rfind(" b/");
      current = b == std::string_view::npos ? "" : std::string(l.substr(b + 3));
      count = 0;
    } else if (l.rfind("+++ b/", 0) == 0) {
      current = std::string(l.substr(6));
    } else if (l.rfind("@@ -", 0) == 0) {
      ++count;
      std::string_view start = l.substr(4, l.find_first_of(", ", 4) - 4);
      if (current == file && start == line) return count;
    }
  }
  return 0;
}

}  // namespace

std::string describe_git_apply_failure(const std::string& err, std::string_view patch) {
  std::vector<std::string> parts;
  for (std::string_view line : util::split_lines(err)) {
    if (line.rfind("error: patch failed: ", 0) == 0) {
      std::string_view where = line.substr(21);
      size_t colon = where.rfind(':');
      if (colon != std::string_view::npos) {
        std::string_view file = where.substr(0, colon), at = where.substr(colon + 1);
        int hunk = hunk_number(patch, file, at);
        parts.push_back(hunk > 0
                            ? "hunk " + std::to_string(hunk) + " of " + std::string(file) + " failed at line " +
                                  std::string(at)
                            : "the change to " + std::string(file) + " at line " + std::string(at) + " does not match");
        continue;
      }
    }
    if (line.rfind("U ", 0) == 0) parts.push_back("conflict in " + std::string(line.substr(2)));
    if (line.rfind("error: ", 0) == 0 && line.find(": does not exist in index") != std::string_view::npos) {
      std::string_view file = line.substr(7, line.find(": does not exist in index") - 7);
      parts.push_back("file '" + std::string(file) + "' is not in the repository");
    }
    if (line.rfind("error: ", 0) == 0 && line.find(": already exists in index") != std::string_view::npos) {
      std::string_view file = line.substr(7, line.find(": already exists in index") - 7);
      parts.push_back("file '" + std::string(file) + "' exists already");
    }
  }
  std::sort(parts.begin(), parts.end());
  parts.erase(std::unique(parts.begin(), parts.end()), parts.end());
  if (!parts.empty()) return util::join(parts, "; ");
  return last_line(err);
}

Result<ProgramResult> GitVcs::git(const Clone& clone, std::vector<std::string> args, std::string_view input,
                                  const std::map<std::string, std::string>& env) {
  SpawnOptions o;
  // A split index: after the first patch only the entries that changed are
  // written, not all 20,000 (halves apply + write-tree on a big tree).
  o.argv = {"git", "-c", "core.splitIndex=true", "--git-dir", clone.path};
  for (std::string& a : args) o.argv.push_back(std::move(a));
  o.env_set = {{"LC_ALL", "C"},
               {"GIT_TERMINAL_PROMPT", "0"},
               {"GIT_COMMITTER_NAME", std::string(kCommitter)},
               {"GIT_COMMITTER_EMAIL", std::string(kCommitterEmail)},
               {"GIT_INDEX_FILE", (fs::path(clone.path) / "autoland-index").string()}};
  for (const auto& [k, v] : env) o.env_set[k] = v;
  auto start = std::chrono::steady_clock::now();
  auto r = run_program(o, input);
  // The subcommand's name only: other arguments may hold a URL with credentials.
  LOG_DEBUG(
      "git",
      "git " + o.argv[5] + ": " + (r ? "exit " + std::to_string(r->exit_code) : "failed") + " in " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()) +
          " ms");
  return r;
}

Status GitVcs::init_fresh(Clone& clone) {
  std::error_code ec;
  fs::remove_all(clone.path, ec);
  std::string partial = clone.path + ".partial";
  fs::remove_all(partial, ec);
  SpawnOptions o;
  o.argv = {"git", "init", "--quiet", "--bare", partial};
  AUTOLAND_TRY_ASSIGN(auto r, run_program(o));
  if (r.exit_code != 0) return internal_error("cannot create a git clone at " + partial + ": " + last_line(r.err));
  fs::rename(partial, clone.path, ec);
  if (ec) return internal_error("cannot move the new clone into place: " + ec.message());
  return {};
}

Result<GitVcs::Clone*> GitVcs::open(const RemoteSpec& spec) {
  auto it = clones_.find(spec.branch);
  if (it != clones_.end()) return &it->second;
  AUTOLAND_TRY(check_branch_name(spec.branch));
  std::error_code ec;
  fs::create_directories(cache_dir_, ec);
  if (ec) return internal_error("cannot create the cache folder " + cache_dir_ + ": " + ec.message());
  Clone clone;
  clone.path = (fs::path(cache_dir_) / (spec.branch + ".git")).string();
  auto [url, ref] = split_ref(spec.pull_url);
  clone.url = url;
  clone.ref = ref;
  bool usable = fs::exists(fs::path(clone.path) / "HEAD") && fs::exists(fs::path(clone.path) / "objects");
  if (usable) {
    auto r = git(clone, {"rev-parse", "--git-dir"});
    usable = r && r->exit_code == 0;
  }
  if (!usable) {
    if (fs::exists(clone.path)) {
      LOG_WARN("git", "working clone " + clone.path + " is unusable (interrupted or corrupt); making it again");
      ++reclones_;
    }
    AUTOLAND_TRY(init_fresh(clone));
  }
  if (clone.ref.empty()) {
    // The remote's default branch.
    AUTOLAND_TRY_ASSIGN(auto head, git(clone, {"ls-remote", "--symref", "--", clone.url, "HEAD"}));
    if (head.exit_code != 0) {
      return transient("cannot reach the " + spec.branch + " remote " + util::redact_url(clone.url) + ": " +
                       last_line(head.err));
    }
    for (std::string_view line : util::split_lines(head.out)) {
      if (line.rfind("ref: refs/heads/", 0) == 0) clone.ref = std::string(line.substr(16, line.find('\t') - 16));
    }
    if (clone.ref.empty()) {
      return invalid_input("the " + spec.branch + " remote names no default branch; add '#BRANCH' to its URL");
    }
  }
  return &clones_.emplace(spec.branch, std::move(clone)).first->second;
}

Result<std::string> GitVcs::refresh(Clone& clone, const RemoteSpec& spec) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    AUTOLAND_TRY_ASSIGN(auto fetch, git(clone, {"fetch", "--quiet", "--no-tags", "--prune", "--", clone.url,
                                                "+refs/heads/*:refs/remotes/origin/*"}));
    if (fetch.exit_code == 0) {
      AUTOLAND_TRY_ASSIGN(auto head,
                          git(clone, {"rev-parse", "--verify", "--quiet", "refs/remotes/origin/" + clone.ref}));
      std::string sha(util::trim(head.out));
      if (head.exit_code != 0 || sha.size() != 40) {
        return invalid_input("the " + spec.branch + " remote has no branch '" + clone.ref + "'");
      }
      return sha;
    }
    // Is the clone broken, or only the remote or the network?
    auto fsck = git(clone, {"fsck", "--connectivity-only", "--no-dangling"});
    bool broken = !fsck || fsck->exit_code != 0;
    if (!broken || attempt > 0) {
      return transient("fetch of " + spec.branch + " failed: " + last_line(fetch.err));
    }
    LOG_WARN("git", "working clone " + clone.path + " failed fsck; making it again");
    ++reclones_;
    AUTOLAND_TRY(init_fresh(clone));
  }
  return internal_error("unreachable");
}

std::string GitVcs::index_commit(const Clone& clone) {
  std::ifstream in(fs::path(clone.path) / "autoland-index-commit");
  std::string sha;
  in >> sha;
  return sha;
}

void GitVcs::set_index_commit(const Clone& clone, const std::string& sha) {
  fs::path file = fs::path(clone.path) / "autoland-index-commit";
  std::error_code ec;
  if (sha.empty()) {
    fs::remove(file, ec);
  } else {
    std::ofstream(file, std::ios::trunc) << sha << "\n";
  }
}

Result<util::FileLock> GitVcs::lock(const RemoteSpec& spec) {
  AUTOLAND_TRY(check_branch_name(spec.branch));
  std::error_code ec;
  fs::create_directories(cache_dir_, ec);
  if (ec) return internal_error("cannot create the cache folder " + cache_dir_ + ": " + ec.message());
  return util::FileLock::acquire((fs::path(cache_dir_) / (spec.branch + ".git.lock")).string(),
                                 std::chrono::minutes(10));
}

Result<std::string> GitVcs::apply_to_tree(Clone& clone, const std::string& parent, const std::string& text) {
  bool held = index_commit(clone) == parent;
  set_index_commit(clone, "");  // changed from here on, until a commit names it
  if (!held) {
    AUTOLAND_TRY_ASSIGN(auto read, git(clone, {"read-tree", parent}));
    if (read.exit_code != 0) return internal_error("git read-tree " + parent + ": " + last_line(read.err));
  }
  AUTOLAND_TRY_ASSIGN(auto apply, git(clone, {"apply", "--cached", "--3way", "--whitespace=nowarn", "-"}, text));
  if (apply.exit_code != 0) return conflict(describe_git_apply_failure(apply.err + "\n" + apply.out, text));
  AUTOLAND_TRY_ASSIGN(auto tree, git(clone, {"write-tree"}));
  if (tree.exit_code != 0) return conflict(describe_git_apply_failure(tree.err));
  return std::string(util::trim(tree.out));
}

Result<std::string> GitVcs::commit(Clone& clone, const std::string& tree, const std::string& parent,
                                   const std::string& message, const std::string& author,
                                   const std::optional<PatchDate>& date) {
  auto [name, email] = split_author(author);
  std::map<std::string, std::string> env = {{"GIT_AUTHOR_NAME", name}, {"GIT_AUTHOR_EMAIL", email}};
  if (date) env["GIT_AUTHOR_DATE"] = git_date(*date);
  // Unsigned whatever the bot account's global config says: nobody is there to unlock a key.
  AUTOLAND_TRY_ASSIGN(auto r,
                      git(clone, {"commit-tree", "--no-gpg-sign", tree, "-p", parent, "-F", "-"}, message + "\n", env));
  std::string sha(util::trim(r.out));
  if (r.exit_code != 0 || sha.size() != 40) return internal_error("git commit-tree: " + last_line(r.err));
  return sha;
}

Result<std::set<std::string>> GitVcs::links_in(Clone& clone, const std::string& rev) {
  // The whole tree: only a full listing finds "Docs" for a folder "docs"
  // (ls-tree has no case-insensitive pathspecs).
  AUTOLAND_TRY_ASSIGN(auto r, git(clone, {"ls-tree", "-r", "-z", "--full-tree", rev}));
  if (r.exit_code != 0) return internal_error("cannot list the links of " + rev + ": " + last_line(r.err));
  std::set<std::string> links;
  // "120000 blob <sha>" TAB path, NUL-terminated.
  for (std::string_view entry : util::split(r.out, '\0')) {
    size_t tab = entry.find('\t');
    if (tab != std::string_view::npos && entry.substr(0, 7) == "120000 ") links.emplace(entry.substr(tab + 1));
  }
  return links;
}

Result<CommittedChange> GitVcs::committed_change(Clone& clone, const std::string& parent, const std::string& sha,
                                                 const std::set<std::string>* parent_links) {
  CommittedChange change;
  AUTOLAND_TRY_ASSIGN(auto diff,
                      git(clone, {"diff-tree", "-r", "-z", "--no-commit-id", "--no-renames", "--raw", parent, sha}));
  if (diff.exit_code != 0) return internal_error("cannot list the files of " + sha + ": " + last_line(diff.err));
  // ":100644 120000 <old blob> <new blob> M" NUL path NUL, per file.
  std::vector<std::string_view> fields = util::split(diff.out, '\0');
  std::vector<std::string> link_blobs;
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    std::vector<std::string_view> meta = util::split(fields[i], ' ');
    if (meta.size() < 5) return internal_error("git diff-tree: cannot read '" + util::printable(fields[i]) + "'");
    CommittedFile f{std::string(fields[i + 1])};
    f.removed = meta[4] == "D";
    f.symlink = !f.removed && meta[1] == "120000";
    link_blobs.push_back(f.symlink ? std::string(meta[3]) : "");
    change.files.push_back(std::move(f));
  }
  if (parent_links) {
    change.links_before = *parent_links;
  } else {
    AUTOLAND_TRY_ASSIGN(auto before, links_in(clone, parent));
    change.links_before = std::move(before);
  }
  AUTOLAND_TRY_ASSIGN(auto after, links_in(clone, sha));
  change.links_after = std::move(after);
  for (size_t i = 0; i < change.files.size(); ++i) {
    if (!change.files[i].symlink) continue;
    AUTOLAND_TRY_ASSIGN(auto target, git(clone, {"cat-file", "blob", link_blobs[i]}));
    if (target.exit_code != 0) return internal_error("cannot read the link " + change.files[i].path);
    change.files[i].link_target = target.out;
  }
  return change;
}

Result<std::vector<std::string>> GitVcs::build_patches(Clone& clone, const PushSpec& spec,
                                                       const std::vector<Patch>& parsed, const std::string& base) {
  std::vector<std::string> made;
  std::string parent = base;
  std::set<std::string> links_after;
  bool syntax_in_tip = !spec.try_syntax.empty() && spec.placement == TrySyntaxPlacement::tip_message;
  for (size_t i = 0; i < spec.patches.size(); ++i) {
    const PatchToApply& p = spec.patches[i];
    // Only the diff part: git apply would apply a diff wherever it found one.
    auto tree = apply_to_tree(clone, parent, parsed[i].diff);
    if (!tree) {
      if (tree.error().kind != ErrorKind::conflict) return tree.error();
      return conflict(name_of(p) + " does not apply: " + tree.error().message);
    }
    std::string message = commit_message_of(p, parsed[i]);
    if (syntax_in_tip && i + 1 == spec.patches.size()) message += "\n\n" + spec.try_syntax;
    AUTOLAND_TRY_ASSIGN(auto sha,
                        commit(clone, *tree, parent, message, author_of(p, parsed[i]), date_of(p, parsed[i])));
    set_index_commit(clone, sha);  // the index holds exactly this commit's tree
    // The links of one commit's tree are the next one's parent's.
    AUTOLAND_TRY_ASSIGN(auto change, committed_change(clone, parent, sha, i > 0 ? &links_after : nullptr));
    Status checked = check_committed_change(parsed[i], change);
    if (!checked.ok()) return invalid_input(name_of(p) + ": " + checked.error().message);
    links_after = std::move(change.links_after);
    made.push_back(sha);
    parent = sha;
  }
  if (!spec.try_syntax.empty() && !syntax_in_tip) {
    AUTOLAND_TRY_ASSIGN(auto tree, git(clone, {"rev-parse", parent + "^{tree}"}));
    AUTOLAND_TRY_ASSIGN(auto sha,
                        commit(clone, std::string(util::trim(tree.out)), parent, spec.try_syntax,
                               std::string(kCommitter) + " <" + std::string(kCommitterEmail) + ">", std::nullopt));
    if (index_commit(clone) == parent) set_index_commit(clone, sha);  // same tree
    made.push_back(sha);
  }
  return made;
}

Result<PushOutcome> GitVcs::push_loop(Clone& clone, const RemoteSpec& spec, bool own_branch, std::string const& head,
                                      const Builder& build, const std::function<Status()>& recheck, bool fetched) {
  PushOutcome outcome;
  std::string base = head;
  auto [push_url, push_ref] = split_ref(spec.push_url);
  for (int attempt = 0;; ++attempt) {
    auto made = build(base);
    if (!made && !fetched && made.error().kind == ErrorKind::conflict) {
      // Built on the head known here, which may be behind: the patch may
      // need what landed since. Fetch and try once more before failing.
      fetched = true;
      AUTOLAND_TRY_ASSIGN(auto moved, refresh(clone, spec));
      AUTOLAND_TRY(recheck());
      base = moved;
      made = build(base);
    }
    fetched = true;
    if (!made) {
      if (attempt > 0 && made.error().kind == ErrorKind::conflict) {
        return conflict("the changes conflict with what landed on " + spec.branch +
                        " meanwhile: " + made.error().message);
      }
      return made.error();
    }
    outcome.nodes = *made;
    outcome.tip = made->back();
    if (spec.record_intent) AUTOLAND_TRY(spec.record_intent(outcome.nodes));
    std::string target = own_branch ? "refs/heads/autoland/try/" + short_sha(outcome.tip)
                                    : "refs/heads/" + (push_ref.empty() ? clone.ref : push_ref);
    if (before_push_) before_push_();
    // --no-verify: a pre-push hook in the bot account's config is not ours to run.
    AUTOLAND_TRY_ASSIGN(auto r,
                        git(clone, {"push", "--porcelain", "--no-verify", "--", push_url, outcome.tip + ":" + target}));
    if (r.exit_code == 0) {
      // A push to a URL moves no remote-tracking branch: move ours, so that
      // the next landing builds on this one without a fetch.
      if (!own_branch) (void)git(clone, {"update-ref", "refs/remotes/origin/" + clone.ref, outcome.tip});
      return outcome;
    }
    std::string text = r.out + "\n" + r.err;
    // Another push got in first: refused as not a fast-forward, or the
    // remote could not move the branch from the value we were told.
    bool raced =
        (text.find("[rejected]") != std::string::npos &&
         (text.find("fetch first") != std::string::npos || text.find("non-fast-forward") != std::string::npos)) ||
        text.find("failed to update ref") != std::string::npos || text.find("cannot lock ref") != std::string::npos;
    if (!raced) {
      std::vector<std::string> remote;
      for (std::string_view line : util::split_lines(text)) {
        if (line.rfind("remote: ", 0) == 0 && !util::trim(line.substr(8)).empty()) {
          remote.emplace_back(util::trim(line.substr(8)));
        }
      }
      size_t rejected = text.find("[remote rejected]");
      if (rejected != std::string::npos) {
        // Without "remote:" lines, porcelain's own reason: "[remote rejected] (pre-receive hook declined)".
        std::string reason = text.substr(rejected + 17, text.find('\n', rejected) - rejected - 17);
        return conflict("the remote refused the push: " +
                        (remote.empty() ? std::string(util::trim(reason)) : util::join(remote, " / ")));
      }
      return transient("push to " + spec.branch + " failed: " + last_line(r.err));
    }
    if (attempt >= spec.max_race_retries) {
      return transient("the " + spec.branch + " remote kept moving; gave up after " + std::to_string(attempt + 1) +
                       " tries");
    }
    ++outcome.races;
    AUTOLAND_TRY_ASSIGN(auto moved, refresh(clone, spec));
    AUTOLAND_TRY(recheck());  // what landed meanwhile may be this very change
    base = moved;
    LOG_INFO("git", spec.branch + " moved during the push; applying again onto " + short_sha(base));
  }
}

Result<std::optional<std::string>> GitVcs::find_backout(Clone& clone, const std::string& message) {
  AUTOLAND_TRY_ASSIGN(auto r, git(clone, {"log", "-n", "1000", "--format=%H%x00%B%x00", "--fixed-strings",
                                          "--grep=Backed out", "refs/remotes/origin/" + clone.ref, "--"}));
  if (r.exit_code != 0) return internal_error("git log: " + last_line(r.err));
  std::vector<std::string_view> fields = util::split(r.out, '\0');
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    std::string_view sha = util::trim(fields[i]);
    std::string_view body = fields[i + 1];
    while (!body.empty() && body.back() == '\n') body.remove_suffix(1);
    if (body == message) return std::optional<std::string>(std::string(sha));
  }
  return std::optional<std::string>();
}

Result<std::vector<BranchChangeset>> GitVcs::recent(Clone& clone) {
  AUTOLAND_TRY_ASSIGN(
      auto r, git(clone, {"log", "-n", "1000", "--format=%H%x00%B%x00", "refs/remotes/origin/" + clone.ref, "--"}));
  if (r.exit_code != 0) return internal_error("git log: " + last_line(r.err));
  return parse_changeset_list(r.out);
}

Result<std::optional<std::string>> GitVcs::find_same_change(Clone& clone, const std::vector<BranchChangeset>& recent,
                                                            const std::string& summary, const std::string& patch_text) {
  return find_landed_change(recent, summary, patch_text, [&](const std::string& sha) -> Result<std::string> {
    AUTOLAND_TRY_ASSIGN(auto shown, git(clone, {"show", "--format=", "--patch", "--full-index", sha}));
    return shown.exit_code == 0 ? shown.out : std::string();
  });
}

Result<PushOutcome> GitVcs::with_repair(const RemoteSpec& spec, const std::function<Result<PushOutcome>()>& work) {
  auto first = work();
  if (first || first.error().kind != ErrorKind::internal) return first;
  // A git command failed outright: is the clone itself broken?
  auto clone = open(spec);
  if (!clone) return first;
  auto fsck = git(**clone, {"fsck", "--connectivity-only", "--no-dangling"});
  if (fsck && fsck->exit_code == 0) return first;
  LOG_WARN("git", "working clone " + (*clone)->path + " failed fsck; making it again");
  ++reclones_;
  AUTOLAND_TRY(init_fresh(**clone));
  return work();
}

Result<PushOutcome> GitVcs::apply_and_push(const PushSpec& spec) {
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  return with_repair(spec, [&] { return apply_and_push_once(spec); });
}

Result<PushOutcome> GitVcs::apply_and_push_once(const PushSpec& spec) {
  if (spec.patches.empty()) return invalid_input("nothing to push: the patchset has no patches");
  std::vector<Patch> parsed;
  for (const PatchToApply& p : spec.patches) {
    auto one = parse_patch(p.text);
    if (!one) return invalid_input(name_of(p) + ": " + one.error().message);
    AUTOLAND_TRY(check_committable(p, *one));
    parsed.push_back(std::move(*one));
  }
  AUTOLAND_TRY_ASSIGN(auto clone, open(spec));
  // As for hg: a landing builds on the head known here and fetches only when
  // the push is refused because the remote moved; a try push fetches first.
  AUTOLAND_TRY_ASSIGN(auto head, spec.allow_new_head ? refresh(*clone, spec) : known_head(*clone, spec));
  // A try push is never a duplicate landing: a change already on try goes there again.
  auto check = [&]() -> Status { return spec.allow_new_head ? Status{} : check_not_landed(*clone, spec, parsed); };
  AUTOLAND_TRY(check());
  return push_loop(
      *clone, spec, spec.allow_new_head, head,
      [&](const std::string& base) { return build_patches(*clone, spec, parsed, base); }, check, spec.allow_new_head);
}

Status GitVcs::check_not_landed(Clone& clone, const PushSpec& spec, const std::vector<Patch>& parsed) {
  AUTOLAND_TRY_ASSIGN(auto listed, recent(clone));
  for (size_t i = 0; i < spec.patches.size(); ++i) {
    for (const std::string& summary : summaries_of(spec.patches[i], parsed[i])) {
      AUTOLAND_TRY_ASSIGN(auto same, find_same_change(clone, listed, summary, spec.patches[i].text));
      if (same) return conflict(name_of(spec.patches[i]) + " is already on " + spec.branch + " as " + *same);
    }
  }
  return {};
}

Result<std::string> GitVcs::known_head(Clone& clone, const RemoteSpec& spec) {
  AUTOLAND_TRY_ASSIGN(auto head, git(clone, {"rev-parse", "--verify", "--quiet", "refs/remotes/origin/" + clone.ref}));
  std::string sha(util::trim(head.out));
  if (head.exit_code == 0 && sha.size() == 40) return sha;
  return refresh(clone, spec);
}

Result<std::string> GitVcs::parent_of(const RemoteSpec& spec, const std::string& revision) {
  if (!util::is_hex(revision)) return invalid_input("'" + util::printable(revision, 60) + "' is not a changeset id");
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, open(spec));
  for (int attempt = 0;; ++attempt) {
    AUTOLAND_TRY_ASSIGN(auto known, git(*clone, {"cat-file", "-e", revision + "^{commit}"}));
    if (known.exit_code == 0) {
      AUTOLAND_TRY_ASSIGN(auto parent, git(*clone, {"rev-parse", "--verify", "--quiet", revision + "^1"}));
      std::string sha(util::trim(parent.out));
      return parent.exit_code == 0 && sha.size() == 40 ? sha : std::string(40, '0');  // a root has none
    }
    if (attempt > 0) return not_found("no changeset " + revision + " on " + spec.branch);
    AUTOLAND_TRY(refresh(*clone, spec));
  }
}

Result<bool> GitVcs::on_remote(Clone& clone, const std::string& node) {
  if (!util::is_hex(node)) return false;
  AUTOLAND_TRY_ASSIGN(auto r,
                      git(clone, {"for-each-ref", "--format=%(refname)", "--contains", node, "refs/remotes/origin/"}));
  return r.exit_code == 0 && !util::trim(r.out).empty();
}

Result<std::optional<PushOutcome>> GitVcs::find_pushed(const PushSpec& spec, const std::vector<std::string>& recorded) {
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, open(spec));
  AUTOLAND_TRY(refresh(*clone, spec));
  if (!recorded.empty()) {
    AUTOLAND_TRY_ASSIGN(auto there, on_remote(*clone, recorded.back()));
    if (there) return std::optional<PushOutcome>(PushOutcome{recorded.back(), recorded, 0});
  }
  // Without the patches only the recorded nodes can tell.
  if (spec.patches.empty()) return std::optional<PushOutcome>();
  AUTOLAND_TRY_ASSIGN(auto listed, recent(*clone));
  PushOutcome found;
  for (const PatchToApply& p : spec.patches) {
    auto parsed = parse_patch(p.text);
    if (!parsed) return std::optional<PushOutcome>();
    std::string message = commit_message_of(p, *parsed);
    AUTOLAND_TRY_ASSIGN(auto same, find_same_change(*clone, listed, message.substr(0, message.find('\n')), p.text));
    if (!same) return std::optional<PushOutcome>();
    found.nodes.push_back(*same);
  }
  found.tip = found.nodes.back();
  return std::optional<PushOutcome>(found);
}

Result<std::vector<std::string>> GitVcs::landed_newest_first(Clone& clone, const BackoutSpec& spec) {
  if (spec.revisions.empty()) return invalid_input("nothing to back out: no revisions given");
  std::vector<std::string> full;
  for (const std::string& rev : spec.revisions) {
    if (!util::is_hex(rev)) return invalid_input("'" + rev + "' is not a changeset id (hexadecimal)");
    // Short prefixes (and plain numbers) name the wrong changeset too easily.
    if (rev.size() < 12) {
      return invalid_input("'" + rev + "' is too short to name a changeset: give at least 12 hex digits");
    }
    AUTOLAND_TRY_ASSIGN(auto sha, git(clone, {"rev-parse", "--verify", "--quiet", rev + "^{commit}"}));
    std::string node(util::trim(sha.out));
    AUTOLAND_TRY_ASSIGN(auto landed,
                        git(clone, {"merge-base", "--is-ancestor", node, "refs/remotes/origin/" + clone.ref}));
    if (sha.exit_code != 0 || node.size() != 40 || landed.exit_code != 0) {
      return not_found("changeset " + rev + " is not on " + spec.branch);
    }
    full.push_back(node);
  }
  AUTOLAND_TRY_ASSIGN(auto order,
                      git(clone, {"rev-list", "--topo-order", "-n", "10000", "refs/remotes/origin/" + clone.ref}));
  std::vector<std::string> sorted;
  for (std::string_view sha : util::split_lines(order.out)) {
    if (std::find(full.begin(), full.end(), sha) != full.end()) sorted.emplace_back(sha);
  }
  if (sorted.size() != std::set<std::string>(full.begin(), full.end()).size()) {
    return invalid_input("some of the changesets are older than the newest 10000 on " + spec.branch);
  }
  return sorted;
}

Result<PushOutcome> GitVcs::back_out(const BackoutSpec& spec) {
  if (spec.reason.empty()) return invalid_input("a backout needs a reason");
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, open(spec));
  AUTOLAND_TRY_ASSIGN(auto head, refresh(*clone, spec));
  AUTOLAND_TRY_ASSIGN(auto nodes, landed_newest_first(*clone, spec));
  std::string message = backout_message(nodes, spec.bug_id, spec.reason);
  auto already = [&]() -> Status {
    AUTOLAND_TRY_ASSIGN(auto found, find_backout(*clone, message));
    if (found) return conflict("already backed out on " + spec.branch + " as " + *found);
    return {};
  };
  AUTOLAND_TRY(already());
  std::vector<std::string> undo;  // reverse diffs, newest first
  for (const std::string& node : nodes) {
    AUTOLAND_TRY_ASSIGN(auto reverse, git(*clone, {"diff", "--binary", "--full-index", node, node + "^", "--"}));
    if (reverse.exit_code != 0) return internal_error("cannot diff " + node + ": " + last_line(reverse.err));
    if (!reverse.out.empty()) undo.push_back(reverse.out);
  }
  if (undo.empty()) return invalid_input("nothing to back out: the changesets change no files");
  std::string user =
      spec.user == "autoland" ? std::string(kCommitter) + " <" + std::string(kCommitterEmail) + ">" : spec.user;
  return push_loop(
      *clone, spec, false, head,
      [&](const std::string& base) -> Result<std::vector<std::string>> {
        std::string parent = base;
        std::string tree;
        for (size_t i = 0; i < undo.size(); ++i) {
          // Each undo on top of the previous one, in one scratch index.
          auto next = apply_to_tree(*clone, parent, undo[i]);
          if (!next) {
            if (next.error().kind != ErrorKind::conflict) return next.error();
            return conflict("changeset " + short_sha(nodes[i]) +
                            " cannot be backed out cleanly: " + next.error().message);
          }
          AUTOLAND_TRY_ASSIGN(auto scratch, commit(*clone, *next, parent, "scratch", user, std::nullopt));
          parent = scratch;
          tree = *next;
        }
        AUTOLAND_TRY_ASSIGN(auto sha, commit(*clone, tree, base, message, user, std::nullopt));
        return std::vector<std::string>{sha};
      },
      already, true);
}

Result<std::optional<PushOutcome>> GitVcs::find_backed_out(const BackoutSpec& spec,
                                                           const std::vector<std::string>& recorded) {
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, open(spec));
  AUTOLAND_TRY(refresh(*clone, spec));
  if (!recorded.empty()) {
    AUTOLAND_TRY_ASSIGN(auto there, on_remote(*clone, recorded.back()));
    if (there) return std::optional<PushOutcome>(PushOutcome{recorded.back(), recorded, 0});
  }
  AUTOLAND_TRY_ASSIGN(auto nodes, landed_newest_first(*clone, spec));
  AUTOLAND_TRY_ASSIGN(auto found, find_backout(*clone, backout_message(nodes, spec.bug_id, spec.reason)));
  if (!found) return std::optional<PushOutcome>();
  return std::optional<PushOutcome>(PushOutcome{*found, {*found}, 0});
}

}  // namespace autoland
