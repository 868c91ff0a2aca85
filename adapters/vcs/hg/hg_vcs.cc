#include "adapters/vcs/hg/hg_vcs.h"

#include "core/patch.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

std::string first_abort(const std::string& err) {
  for (std::string_view line : util::split_lines(err)) {
    if (line.rfind("abort: ", 0) == 0) return std::string(line.substr(7));
  }
  return std::string(util::trim(err));
}

// What a remote's hook said when it refused a push: "remote: ..." lines over
// the wire, or the hook's own lines from a local remote, without hg's chatter.
std::string hook_output(const std::string& text) {
  bool refused = text.find("hook exited with status") != std::string::npos ||
                 text.find("hook failed") != std::string::npos ||
                 text.find("push failed on remote") != std::string::npos;
  if (!refused) return "";
  static const char* chatter[] = {
      "pushing to ",       "searching for changes", "adding changesets", "adding manifests", "adding file changes",
      "transaction abort", "rollback completed",    "abort: ",           "added ",           "("};
  std::vector<std::string> lines;
  for (std::string_view line : util::split_lines(text)) {
    std::string_view l = line.rfind("remote: ", 0) == 0 ? line.substr(8) : line;
    l = util::trim(l);
    bool noise = l.empty();
    for (const char* c : chatter) noise |= l.rfind(c, 0) == 0;
    if (!noise) lines.emplace_back(l);
  }
  if (lines.empty()) lines.push_back(first_abort(text));
  return util::join(lines, " / ");
}

// The diff of a patch or an `hg export`, for comparing changes: from the
// first file header on, without "index" lines and trailing spaces.
std::string diff_body(std::string_view text) {
  std::string out;
  bool in_diff = false;
  for (std::string_view line : util::split_lines(text)) {
    if (!in_diff && (line.rfind("diff ", 0) == 0 || line.rfind("--- ", 0) == 0)) in_diff = true;
    if (!in_diff || line.rfind("index ", 0) == 0) continue;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.remove_suffix(1);
    out.append(line);
    out += '\n';
  }
  return out;
}

}  // namespace

std::string describe_import_failure(const std::string& err, const std::string& out) {
  std::string text = out + "\n" + err;
  std::string file;
  std::vector<std::string> hunks;
  for (std::string_view line : util::split_lines(text)) {
    if (line.rfind("patching file ", 0) == 0) file = std::string(line.substr(14));
    if (line.rfind("Hunk #", 0) == 0 && line.find(" FAILED") != std::string_view::npos) {
      std::string_view number = line.substr(6, line.find(' ', 6) - 6);
      hunks.push_back("hunk " + std::string(number) + " of " + (file.empty() ? "a file" : file) + " failed" +
                      std::string(line.substr(line.find(" FAILED") + 7)));
    }
    if (line.rfind("unable to find '", 0) == 0) {
      hunks.push_back("file '" + std::string(line.substr(16, line.find('\'', 16) - 16)) + "' is not in the repository");
    }
  }
  if (!hunks.empty()) return util::join(hunks, "; ");
  return first_abort(err);
}

Result<HgWorkingClone*> HgVcs::clone_for(const PushSpec& spec) {
  auto it = clones_.find(spec.branch);
  if (it != clones_.end()) return it->second.get();
  auto clone = HgWorkingClone::open({spec.branch, spec.pull_url, cache_dir_});
  if (!clone) return clone.error();
  HgWorkingClone* raw = clone->get();
  clones_[spec.branch] = std::move(*clone);
  return raw;
}

Result<PushOutcome> HgVcs::apply_and_push(const PushSpec& spec) {
  if (spec.patches.empty()) return invalid_input("nothing to push: the patchset has no patches");
  auto clone = clone_for(spec);
  if (!clone) return clone.error();
  HgCommandServer& hg = (*clone)->hg();
  auto base = (*clone)->refresh();
  if (!base) return base.error();

  std::vector<Patch> parsed_patches;
  for (const PatchToApply& p : spec.patches) {
    auto parsed = parse_patch(p.text);
    if (!parsed) {
      return invalid_input("attachment " + std::to_string(p.attachment_id) + ": " + parsed.error().message);
    }
    parsed_patches.push_back(std::move(*parsed));
  }

  // `hg import` happily applies a change that already landed when its context
  // still matches: refuse a patch whose node is on the branch, or whose
  // summary and diff match a recent changeset there.
  std::string recent_list;
  for (size_t i = 0; i < spec.patches.size(); ++i) {
    const PatchToApply& p = spec.patches[i];
    const Patch* parsed = &parsed_patches[i];
    std::string where = "attachment " + std::to_string(p.attachment_id) + " is already on " + spec.branch + " as ";
    if (!parsed->node.empty()) {
      auto known = hg.run({"log", "-r", parsed->node, "-T", "{node}"});
      if (known && known->exit_code == 0 && known->out == parsed->node) return conflict(where + parsed->node);
    }
    std::string summary = parsed->has_header() ? parsed->summary() : p.message.substr(0, p.message.find('\n'));
    if (recent_list.empty()) {
      auto recent = hg.run({"log", "-r", "reverse(last(public(), 1000))", "-T", "{node} {desc|firstline}\n"});
      if (!recent) return recent.error();
      recent_list = recent->out;
    }
    std::string body = diff_body(p.text);
    for (std::string_view line : util::split_lines(recent_list)) {
      if (line.size() < 42 || line.substr(41) != summary) continue;
      std::string node(line.substr(0, 40));
      auto exported = hg.run({"export", "--git", "-r", node});
      if (exported && exported->exit_code == 0 && diff_body(exported->out) == body) return conflict(where + node);
    }
  }

  // Apply in order, committing each on top of the previous one.
  for (size_t i = 0; i < spec.patches.size(); ++i) {
    const PatchToApply& p = spec.patches[i];
    const Patch* parsed = &parsed_patches[i];
    std::vector<std::string> args = {"import", "-"};
    if (!parsed->has_header()) {
      if (p.user.empty() || p.message.empty()) {
        return invalid_input("attachment " + std::to_string(p.attachment_id) +
                             " has no changeset header, and none was made for it");
      }
      args.insert(args.end(), {"--user", p.user, "--message", p.message, "--date", std::to_string(p.date) + " 0"});
    }
    auto r = hg.run(args, p.text);
    if (!r) return r.error();
    if (r->exit_code != 0) {
      std::string why = describe_import_failure(r->err, r->out);
      (void)(*clone)->refresh();  // leave the clone clean for the next patchset
      return conflict("attachment " + std::to_string(p.attachment_id) + " does not apply: " + why);
    }
  }
  if (!spec.try_syntax.empty()) {
    auto r = hg.run({"commit", "--config", "ui.allowemptycommit=true", "-u", "autoland", "-m", spec.try_syntax});
    if (!r) return r.error();
    if (r->exit_code != 0) return internal_error("cannot commit the try syntax: " + first_abort(r->err));
  }

  PushOutcome outcome;
  std::string from = *base;
  for (int attempt = 0;; ++attempt) {
    std::vector<std::string> push = {"push", "-r", "."};
    if (spec.allow_new_head) push.push_back("--force");
    push.insert(push.end(), {"--", spec.push_url});
    if (before_push_) before_push_();
    auto r = hg.run(push);
    if (!r) return r.error();
    if (r->exit_code == 0) break;
    std::string text = r->out + "\n" + r->err;
    bool raced = text.find("push creates new remote head") != std::string::npos ||
                 text.find("not known locally") != std::string::npos;
    if (!raced) {
      std::string remote = hook_output(text);
      (void)(*clone)->refresh();
      if (!remote.empty()) return conflict("the remote refused the push: " + remote);
      return transient("push to " + spec.branch + " failed: " + first_abort(r->err));
    }
    if (attempt >= spec.max_race_retries) {
      (void)(*clone)->refresh();
      return transient("the " + spec.branch + " remote kept moving; gave up after " + std::to_string(attempt + 1) +
                       " tries");
    }
    // Someone landed meanwhile: move our changesets onto the new head.
    ++outcome.races;
    auto ours = hg.run({"log", "-r", "first(" + from + "::. - " + from + ")", "-T", "{node}"});
    if (!ours) return ours.error();
    auto pull = hg.run({"pull", "--", spec.pull_url});
    if (!pull) return pull.error();
    auto head = hg.run({"log", "-r", "last(heads(branch(default)) - (" + from + "::.))", "-T", "{node}"});
    if (!head) return head.error();
    if (pull->exit_code != 0 || head->out.size() != 40 || ours->out.size() != 40) {
      return transient("cannot catch up with the moving " + spec.branch + " remote");
    }
    auto rebase = hg.run({"rebase", "--config", "extensions.rebase=", "-s", ours->out, "-d", head->out});
    if (!rebase) return rebase.error();
    if (rebase->exit_code != 0) {
      std::vector<std::string> files;
      auto unresolved = hg.run({"resolve", "--list", "--config", "extensions.rebase="});
      if (unresolved && unresolved->exit_code == 0) {
        for (std::string_view line : util::split_lines(unresolved->out)) {
          if (line.rfind("U ", 0) == 0) files.emplace_back(line.substr(2));
        }
      }
      (void)hg.run({"rebase", "--config", "extensions.rebase=", "--abort"});
      (void)(*clone)->refresh();
      return conflict("the patchset conflicts with what landed meanwhile" +
                      (files.empty() ? std::string() : " in " + util::join(files, ", ")));
    }
    from = head->out;
    LOG_INFO("hg", spec.branch + " moved during the push; rebased onto " + from.substr(0, 12) + " and pushing again");
  }
  auto nodes = hg.run({"log", "-r", from + "::. - " + from, "-T", "{node}\\n"});
  if (!nodes) return nodes.error();
  for (std::string_view n : util::split_lines(nodes->out)) outcome.nodes.emplace_back(n);
  outcome.tip = outcome.nodes.empty() ? "" : outcome.nodes.back();
  return outcome;
}

}  // namespace autoland
