#include "adapters/vcs/hg/hg_vcs.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "adapters/vcs/hg/type_change.h"
#include "core/branch_rules.h"
#include "core/commit_message.h"
#include "core/committed_change.h"
#include "core/patch.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

std::string first_abort(const std::string& err) {
  std::vector<std::string_view> lines = util::split_lines(err);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].rfind("abort: ", 0) != 0) continue;
    std::string text(lines[i].substr(7));
    // "abort: push failed:" puts its reason on the next line.
    if (!text.empty() && text.back() == ':' && i + 1 < lines.size())
      text += " " + std::string(util::trim(lines[i + 1]));
    return text;
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
    if (line.rfind("file ", 0) == 0 && line.size() > 20 && line.substr(line.size() - 15) == " already exists") {
      hunks.push_back("file '" + std::string(line.substr(5, line.size() - 20)) + "' exists already");
    }
    if (line.rfind("unable to find '", 0) == 0) {
      hunks.push_back("file '" + std::string(line.substr(16, line.find('\'', 16) - 16)) + "' is not in the repository");
    }
  }
  if (!hunks.empty()) return util::join(hunks, "; ");
  return first_abort(err);
}

Result<HgWorkingClone*> HgVcs::clone_for(const RemoteSpec& spec) {
  auto it = clones_.find(spec.branch);
  if (it != clones_.end()) return it->second.get();
  AUTOLAND_TRY_ASSIGN(auto clone, HgWorkingClone::open({spec.branch, spec.pull_url, cache_dir_}));
  HgWorkingClone* raw = clone.get();
  clones_[spec.branch] = std::move(clone);
  return raw;
}

Result<std::vector<BranchChangeset>> HgVcs::recent_public(HgCommandServer& hg) {
  AUTOLAND_TRY_ASSIGN(auto recent, hg.run({"log", "-r", "reverse(last(public(), 1000))", "-T", "{node}\\0{desc}\\0"}));
  if (recent.exit_code != 0) return internal_error("cannot list recent changesets: " + first_abort(recent.err));
  return parse_changeset_list(recent.out);
}

Result<std::optional<std::string>> HgVcs::find_same_change(HgCommandServer& hg,
                                                           const std::vector<BranchChangeset>& recent,
                                                           const std::string& summary, const std::string& patch_text) {
  return find_landed_change(recent, summary, patch_text, [&](const std::string& node) -> Result<std::string> {
    AUTOLAND_TRY_ASSIGN(auto exported, hg.run({"export", "--git", "-r", node}));
    return exported.exit_code == 0 ? exported.out : std::string();
  });
}

Result<std::string> HgVcs::import_bypass(HgWorkingClone& clone, std::vector<std::string> args,
                                         const std::string& text) {
  HgCommandServer& hg = clone.hg();
  AUTOLAND_TRY_ASSIGN(auto parent, hg.run({"log", "-r", ".", "-T", "{node}"}));
  if (parent.exit_code != 0 || parent.out.size() != 40) return internal_error("no parent to import on: " + parent.err);
  AUTOLAND_TRY(clone.note_changes_from_here());
  std::vector<std::string> full = {"import", "--bypass", "--verbose", "-"};
  full.insert(full.end(), args.begin(), args.end());
  AUTOLAND_TRY_ASSIGN(auto r, hg.run(full, text));
  if (r.exit_code != 0) return conflict(describe_import_failure(r.err, r.out));
  // "created 1a2b3c4d5e6f". Not the tip: the same patch imported again on
  // the same parent makes the same node, which may be older than the tip.
  std::string created;
  for (std::string_view line : util::split_lines(r.out)) {
    if (line.rfind("created ", 0) == 0) created = std::string(util::trim(line.substr(8)));
  }
  AUTOLAND_TRY_ASSIGN(auto children, hg.run({"log", "-r", "children(" + parent.out + ")", "-T", "{node}\\n"}));
  std::string node;
  for (std::string_view child : util::split_lines(children.out)) {
    if (!created.empty() && child.rfind(created, 0) == 0) node = std::string(child);
  }
  if (node.size() != 40) return internal_error("cannot find the changeset the import made ('" + created + "')");
  clone.note_unpushed(node);
  AUTOLAND_TRY(clone.set_parent(node));
  return node;
}

Status HgVcs::check_not_landed(HgCommandServer& hg, const PushSpec& spec, const std::vector<Patch>& parsed_patches) {
  // `hg import` happily applies a change that already landed when its context
  // still matches: refuse a patch whose node is on the branch, or whose
  // summary and diff match a recent changeset there.
  std::optional<std::vector<BranchChangeset>> recent;
  for (size_t i = 0; i < spec.patches.size(); ++i) {
    const PatchToApply& p = spec.patches[i];
    const Patch& parsed = parsed_patches[i];
    std::string where = name_of(p) + " is already on " + spec.branch + " as ";
    // Found here is not yet found there: a changeset a killed run made in
    // this clone is no landing. The remote has the last word.
    auto on_remote = [&](const std::string& node) -> Result<bool> { return remote_has(hg, spec, {node}); };
    if (!parsed.node.empty()) {
      auto known = hg.run({"log", "-r", "id(" + parsed.node + ")", "-T", "{node}"});
      if (known && known->exit_code == 0 && known->out == parsed.node) {
        AUTOLAND_TRY_ASSIGN(auto there, on_remote(parsed.node));
        if (there) return conflict(where + parsed.node);
        LOG_WARN("hg", spec.branch + ": " + parsed.node.substr(0, 12) +
                           " is in the working clone only (left by an "
                           "interrupted run); dropping it");
        // Imported again it must be made again, not found.
        AUTOLAND_TRY(hg.run(
            {"strip", "--config", "extensions.strip=", "--no-backup", "-r", "draft() and id(" + parsed.node + ")"}));
      }
    }
    if (!recent) {
      AUTOLAND_TRY_ASSIGN(auto listed, recent_public(hg));
      recent = std::move(listed);
    }
    for (const std::string& summary : summaries_of(p, parsed)) {
      AUTOLAND_TRY_ASSIGN(auto same, find_same_change(hg, *recent, summary, p.text));
      if (!same) continue;
      AUTOLAND_TRY_ASSIGN(auto there, on_remote(*same));
      if (there) return conflict(where + *same);
    }
  }
  return {};
}

namespace {

// The only bytes `hg import` is given: the patch's diff part behind a blank
// line. hg reads its input as a mail first; the blank line ends an empty mail
// header, so no line of the diff is taken for a header (a
// "Content-Transfer-Encoding:" there would make hg decode what follows).
// Author, date and message go on the command line, so hg never reads a
// header of its own either: what lands is what parse_patch reported.
// A path git writes as deleted and created again (a file turned into a
// symbolic link) is given to hg as the one diff hg itself would write.
Result<JoinedDiff> import_input(const Patch& parsed) {
  AUTOLAND_TRY_ASSIGN(auto joined, join_type_changes(parsed.diff));
  joined.diff = "\n" + joined.diff;
  return joined;
}

}  // namespace

Result<CommittedChange> HgVcs::committed_change(HgCommandServer& hg, const std::string& node,
                                                const std::set<std::string>* parent_links) {
  CommittedChange change;
  AUTOLAND_TRY_ASSIGN(auto listed,
                      hg.run({"log", "-r", node, "-T", "{files % '{file}\\n'}\\n{file_dels % '{file}\\n'}"}));
  if (listed.exit_code != 0) return internal_error("cannot list the files of " + node + ": " + first_abort(listed.err));
  // hg names cannot hold a newline: an empty line ends the first list.
  std::vector<std::string_view> lines = util::split_lines(listed.out);
  size_t k = 0;
  for (; k < lines.size() && !lines[k].empty(); ++k) change.files.push_back({std::string(lines[k])});
  std::set<std::string> removed;
  for (++k; k < lines.size(); ++k) removed.insert(std::string(lines[k]));
  auto links = [&](const std::string& rev, std::set<std::string>* into) -> Status {
    AUTOLAND_TRY_ASSIGN(auto r, hg.run({"files", "-r", rev, "set:symlink()"}));
    if (r.exit_code > 1) return internal_error("cannot list the links of " + rev + ": " + first_abort(r.err));
    for (std::string_view line : util::split_lines(r.out)) into->insert(std::string(line));
    return {};
  };
  if (parent_links) {
    change.links_before = *parent_links;
  } else {
    AUTOLAND_TRY(links("p1(" + node + ")", &change.links_before));
  }
  AUTOLAND_TRY(links(node, &change.links_after));
  for (CommittedFile& f : change.files) {
    f.removed = removed.count(f.path) > 0;
    f.symlink = !f.removed && change.links_after.count(f.path) > 0;
    if (!f.symlink) continue;
    AUTOLAND_TRY_ASSIGN(auto target, hg.run({"cat", "-r", node, "--", "path:" + f.path}));
    if (target.exit_code != 0) return internal_error("cannot read the link " + f.path + ": " + first_abort(target.err));
    f.link_target = target.out;
  }
  return change;
}

Status HgVcs::apply_patches(HgWorkingClone& clone, const PushSpec& spec, const std::vector<Patch>& parsed_patches,
                            std::vector<std::string>* made) {
  HgCommandServer& hg = clone.hg();
  bool syntax_in_tip = !spec.try_syntax.empty() && spec.placement == TrySyntaxPlacement::tip_message;
  std::set<std::string> links_after;
  for (size_t i = 0; i < spec.patches.size(); ++i) {
    const PatchToApply& p = spec.patches[i];
    const Patch& parsed = parsed_patches[i];
    bool tip_syntax = syntax_in_tip && i + 1 == spec.patches.size();
    std::string message = commit_message_of(p, parsed) + (tip_syntax ? "\n\n" + spec.try_syntax : "");
    auto input = import_input(parsed);
    if (!input) return invalid_input(name_of(p) + ": " + input.error().message);
    auto node = import_bypass(
        clone, {"--user", author_of(p, parsed), "--date", hg_date(date_of(p, parsed)), "--message", message},
        input->diff);
    if (!node) {
      if (node.error().kind != ErrorKind::conflict) return node.error();
      return conflict(name_of(p) + " does not apply: " + node.error().message);
    }
    made->push_back(*node);
    // git deletes only the exact file; hg may have applied the joined hunk at
    // an offset, leaving lines the patch never showed.
    for (const TypeChange& t : input->changes) {
      AUTOLAND_TRY_ASSIGN(auto now, hg.run({"cat", "-r", *node, "--", "path:" + t.path}));
      if (now.exit_code != 0 || now.out != t.content) {
        return conflict(name_of(p) + " does not apply: '" + t.path + "' on the branch is not the file the patch " +
                        "deletes, so it would not end as the patch says");
      }
    }
    // The links of one changeset's tree are the next one's parent's.
    AUTOLAND_TRY_ASSIGN(auto change, committed_change(hg, *node, i > 0 ? &links_after : nullptr));
    Status checked = check_committed_change(parsed, change);
    if (!checked.ok()) return invalid_input(name_of(p) + ": " + checked.error().message);
    links_after = std::move(change.links_after);
  }
  if (!spec.try_syntax.empty() && !syntax_in_tip) {
    // The dirstate is empty, so this commits nothing but the message, on the last patch.
    AUTOLAND_TRY(clone.note_changes_from_here());
    AUTOLAND_TRY_ASSIGN(
        auto r, hg.run({"commit", "--config", "ui.allowemptycommit=true", "-u", "autoland", "-m", spec.try_syntax}));
    AUTOLAND_TRY_ASSIGN(auto tip, hg.run({"log", "-r", ".", "-T", "{node}"}));
    if (r.exit_code != 0 || tip.out.size() != 40 || tip.out == made->back()) {
      return internal_error("cannot commit the try syntax: " + first_abort(r.err));
    }
    clone.note_unpushed(tip.out);
    made->push_back(tip.out);
  }
  return {};
}

Result<PushOutcome> HgVcs::apply_and_push(const PushSpec& spec) {
  if (spec.patches.empty()) return invalid_input("nothing to push: the patchset has no patches");
  std::vector<Patch> parsed_patches;
  for (const PatchToApply& p : spec.patches) {
    auto parsed = parse_patch(p.text, PatchLimits{.for_hg = true});
    if (!parsed) return invalid_input(name_of(p) + ": " + parsed.error().message);
    AUTOLAND_TRY(check_committable(p, *parsed));
    parsed_patches.push_back(std::move(*parsed));
  }
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, clone_for(spec));
  HgCommandServer& hg = clone->hg();
  // A try push is never a duplicate landing: a change already on try goes there again.
  auto check = [&]() -> Status { return spec.allow_new_head ? Status{} : check_not_landed(hg, spec, parsed_patches); };
  // Makes the patchset's changesets on the clone's parent.
  auto apply = [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> made;
    Status applied = apply_patches(*clone, spec, parsed_patches, &made);
    if (!applied.ok()) {
      (void)clone->tidy();  // leave the clone clean for the next patchset
      return applied.error();
    }
    return made;
  };
  // A landing builds on the newest head known here and pulls only when that
  // is not enough: the push says the remote moved, or a patch does not
  // apply (it may need what landed since). One round trip less per
  // patchset. A try push makes a new head whatever happened meanwhile, so
  // it pulls first to build on the current tip.
  bool pulled = spec.allow_new_head;
  auto base = pulled ? clone->refresh() : clone->tidy();
  if (!base) return base.error();
  AUTOLAND_TRY(check());
  auto made = apply();
  if (!made && !pulled && made.error().kind == ErrorKind::conflict) {
    base = clone->refresh();
    if (!base) return base.error();
    AUTOLAND_TRY(check());
    made = apply();
  }
  if (!made) return made.error();
  // After a race the patches are applied again on the new head, not rebased:
  // a patch that applies to the head lands, and the changesets are checked
  // again on the tree they will join.
  return push_built(*clone, spec, spec.allow_new_head, *made, [&]() -> Result<std::vector<std::string>> {
    AUTOLAND_TRY(clone->refresh());
    AUTOLAND_TRY(check());  // what landed meanwhile may be this very change
    auto again = apply();
    if (!again && again.error().kind == ErrorKind::conflict) {
      return conflict("the changes conflict with what landed on " + spec.branch +
                      " meanwhile: " + again.error().message);
    }
    return again;
  });
}

Result<PushOutcome> HgVcs::push_built(HgWorkingClone& clone, const RemoteSpec& spec, bool allow_new_head,
                                      std::vector<std::string> ours, const Rebuild& rebuild) {
  HgCommandServer& hg = clone.hg();
  PushOutcome outcome;
  for (int attempt = 0;; ++attempt) {
    outcome.nodes = ours;
    outcome.tip = ours.back();
    if (spec.record_intent) {
      Status recorded = spec.record_intent(outcome.nodes);
      if (!recorded.ok()) {
        (void)clone.tidy();
        return recorded.error();
      }
    }
    std::vector<std::string> push = {"push", "-r", outcome.tip};
    if (allow_new_head) push.push_back("--force");
    push.insert(push.end(), {"--", spec.push_url});
    if (before_push_) before_push_();
    AUTOLAND_TRY_ASSIGN(auto r, hg.run(push));
    if (r.exit_code == 0) {
      clone.forget_unpushed();
      return outcome;
    }
    std::string text = r.out + "\n" + r.err;
    // "no changes found": the very same changesets are there already. On try
    // that is an earlier run of the same change (an exported patch imported
    // again on the same parent makes the same node): it stands for this push.
    // On a trunk branch someone imported the same patches onto the same
    // parent by hand: the pull and the check below report the duplicate.
    bool already_there = text.find("no changes found") != std::string::npos;
    if (already_there && allow_new_head) {
      AUTOLAND_TRY_ASSIGN(auto there, remote_has(hg, spec, outcome.nodes));
      if (there) {
        LOG_INFO("hg", spec.branch + ": " + outcome.tip.substr(0, 12) + " is there from an earlier push; reusing it");
        clone.forget_unpushed();
        return outcome;
      }
    }
    // "repository changed while pushing": another push got in between our
    // discovery and our bundle (the server checks the heads it was told).
    bool raced = already_there || text.find("push creates new remote head") != std::string::npos ||
                 text.find("not known locally") != std::string::npos ||
                 text.find("repository changed while pushing") != std::string::npos;
    if (!raced) {
      std::string remote = hook_output(text);
      (void)clone.tidy();
      if (!remote.empty()) return conflict("the remote refused the push: " + remote);
      return transient("push to " + spec.branch + " failed: " + first_abort(r.err.empty() ? r.out : r.err));
    }
    if (attempt >= spec.max_race_retries) {
      (void)clone.tidy();
      return transient("the " + spec.branch + " remote kept moving; gave up after " + std::to_string(attempt + 1) +
                       " tries");
    }
    ++outcome.races;
    auto again = rebuild();
    if (!again) {
      (void)clone.tidy();
      return again.error();
    }
    ours = *again;
    LOG_INFO("hg", spec.branch + " moved during the push; made the changesets again on its new head, pushing again");
  }
}

Result<bool> HgVcs::remote_has(HgCommandServer& hg, const RemoteSpec& spec, const std::vector<std::string>& nodes) {
  if (nodes.empty()) return false;
  // A push is all or nothing: the tip there means all of it is.
  const std::string& tip = nodes.back();
  AUTOLAND_TRY_ASSIGN(auto r, hg.run({"identify", "-r", tip, "-T", "{node}", "--", spec.push_url}));
  if (r.exit_code == 0) return util::trim(r.out) == tip;
  if (r.err.find("unknown revision") != std::string::npos) return false;
  return transient("cannot ask the " + spec.branch + " remote about " + tip + ": " + first_abort(r.err));
}

Result<std::optional<PushOutcome>> HgVcs::find_pushed(const PushSpec& spec, const std::vector<std::string>& recorded) {
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, clone_for(spec));
  HgCommandServer& hg = clone->hg();
  AUTOLAND_TRY_ASSIGN(auto there, remote_has(hg, spec, recorded));
  if (there) return std::optional<PushOutcome>(PushOutcome{recorded.back(), recorded, 0});
  // Without the patches only the recorded nodes can tell.
  if (spec.patches.empty()) return std::optional<PushOutcome>();
  // Not by node (rewritten on the way, or recorded before a rebase we never
  // saw finish): the same changes under the same messages, in order.
  AUTOLAND_TRY(clone->refresh());
  AUTOLAND_TRY_ASSIGN(auto recent, recent_public(hg));
  PushOutcome found;
  for (const PatchToApply& p : spec.patches) {
    auto parsed = parse_patch(p.text, PatchLimits{.for_hg = true});
    if (!parsed) return std::optional<PushOutcome>();
    std::string message = commit_message_of(p, *parsed);
    AUTOLAND_TRY_ASSIGN(auto same, find_same_change(hg, recent, message.substr(0, message.find('\n')), p.text));
    if (!same) return std::optional<PushOutcome>();
    found.nodes.push_back(*same);
  }
  if (!spec.try_syntax.empty() && spec.placement == TrySyntaxPlacement::empty_commit) {
    AUTOLAND_TRY_ASSIGN(auto children,
                        hg.run({"log", "-r", "children(" + found.nodes.back() + ")", "-T", "{node}\\0{desc}\\0"}));
    std::vector<std::string_view> fields = util::split(children.out, '\0');
    bool matched = false;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i + 1] == spec.try_syntax) {
        found.nodes.emplace_back(fields[i]);
        matched = true;
        break;
      }
    }
    if (!matched) return std::optional<PushOutcome>();
  }
  found.tip = found.nodes.back();
  return std::optional<PushOutcome>(found);
}

Result<std::string> HgVcs::parent_of(const RemoteSpec& spec, const std::string& revision) {
  if (!util::is_hex(revision)) return invalid_input("'" + util::printable(revision, 60) + "' is not a changeset id");
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, clone_for(spec));
  for (int attempt = 0;; ++attempt) {
    AUTOLAND_TRY_ASSIGN(auto r, clone->hg().run({"log", "-r", "p1(" + revision + ")", "-T", "{node}"}));
    if (r.exit_code == 0) {
      std::string parent(util::trim(r.out));
      return parent.empty() ? std::string(40, '0') : parent;  // a root's p1 is the null revision
    }
    if (attempt > 0 || r.err.find("unknown revision") == std::string::npos) {
      if (r.err.find("unknown revision") != std::string::npos) {
        return not_found("no changeset " + revision + " on " + spec.branch);
      }
      return transient("cannot read the parent of " + revision + " on " + spec.branch + ": " + first_abort(r.err));
    }
    AUTOLAND_TRY(clone->refresh());
  }
}

Result<std::vector<std::string>> HgVcs::landed_newest_first(HgCommandServer& hg, const BackoutSpec& spec) {
  if (spec.revisions.empty()) return invalid_input("nothing to back out: no revisions given");
  std::string set;
  for (const std::string& rev : spec.revisions) {
    if (rev.empty() || rev.find_first_not_of("0123456789abcdef") != std::string::npos) {
      return invalid_input("'" + rev + "' is not a changeset id (hexadecimal)");
    }
    // Short prefixes (and plain numbers) name the wrong changeset too easily.
    if (rev.size() < 12) {
      return invalid_input("'" + rev + "' is too short to name a changeset: give at least 12 hex digits");
    }
    // id() takes a full node or a unique prefix, never a revision number.
    AUTOLAND_TRY_ASSIGN(auto r, hg.run({"log", "-r", "public() and id(" + rev + ")", "-T", "{node}"}));
    if (r.exit_code != 0 || r.out.size() != 40) return not_found("changeset " + rev + " is not on " + spec.branch);
    set += (set.empty() ? "" : "+") + r.out;
  }
  AUTOLAND_TRY_ASSIGN(auto sorted, hg.run({"log", "-r", "sort(" + set + ", -rev)", "-T", "{node}\\n"}));
  std::vector<std::string> nodes;
  for (std::string_view n : util::split_lines(sorted.out)) nodes.emplace_back(n);
  return nodes;
}

Result<std::optional<std::string>> HgVcs::find_backout(HgCommandServer& hg, const std::string& message) {
  AUTOLAND_TRY_ASSIGN(auto r, hg.run({"log", "-r", "reverse(last(public(), 1000)) and desc('Backed out')", "-T",
                                      "{node}\\0{desc}\\0"}));
  if (r.exit_code != 0) return internal_error("cannot list recent backouts: " + first_abort(r.err));
  std::vector<std::string_view> fields = util::split(r.out, '\0');
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i + 1] == message) return std::optional<std::string>(std::string(fields[i]));
  }
  return std::optional<std::string>();
}

Result<PushOutcome> HgVcs::back_out(const BackoutSpec& spec) {
  if (spec.reason.empty()) return invalid_input("a backout needs a reason");
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, clone_for(spec));
  HgCommandServer& hg = clone->hg();
  AUTOLAND_TRY_ASSIGN(auto head, clone->refresh());
  AUTOLAND_TRY_ASSIGN(auto nodes, landed_newest_first(hg, spec));
  std::string message = backout_message(nodes, spec.bug_id, spec.reason);
  auto already = [&]() -> Status {
    AUTOLAND_TRY_ASSIGN(auto found, find_backout(hg, message));
    if (found) return conflict("already backed out on " + spec.branch + " as " + *found);
    return {};
  };
  // Undo each changeset on top of the previous undo, newest first, as
  // scratch commits; then one commit with their sum goes on `head`.
  auto build = [&](const std::string& head) -> Result<std::vector<std::string>> {
    std::string last = head;
    std::vector<std::string> scratch;
    for (const std::string& node : nodes) {
      AUTOLAND_TRY_ASSIGN(auto reverse, hg.run({"diff", "--git", "--reverse", "-c", node}));
      if (reverse.exit_code != 0) return internal_error("cannot diff " + node + ": " + first_abort(reverse.err));
      if (reverse.out.empty()) continue;  // an empty commit (try syntax) undoes nothing
      auto undone =
          import_bypass(*clone, {"--user", spec.user, "--message", "scratch", "--date", "0 0"}, "\n" + reverse.out);
      if (!undone) {
        (void)clone->tidy();
        if (undone.error().kind != ErrorKind::conflict) return undone.error();
        return conflict("changeset " + node.substr(0, 12) + " cannot be backed out cleanly: " + undone.error().message);
      }
      scratch.push_back(*undone);
      last = *undone;
    }
    if (scratch.empty()) {
      (void)clone->tidy();
      return invalid_input("nothing to back out: the changesets change no files");
    }
    AUTOLAND_TRY_ASSIGN(auto sum, hg.run({"diff", "--git", "-r", head, "-r", last}));
    AUTOLAND_TRY(clone->set_parent(head));
    auto backout = import_bypass(*clone, {"--user", spec.user, "--message", message}, "\n" + sum.out);
    if (!backout) {
      (void)clone->tidy();
      return internal_error("cannot commit the backout of " + util::join(nodes, ", ") + ": " + backout.error().message);
    }
    std::string revs;
    for (const std::string& n : scratch) revs += (revs.empty() ? "" : "+") + n;
    AUTOLAND_TRY_ASSIGN(auto strip, hg.run({"strip", "--config", "extensions.strip=", "--no-backup", "-r", revs}));
    if (strip.exit_code != 0) {
      (void)clone->tidy();
      return internal_error("cannot drop the scratch commits of a backout: " + first_abort(strip.err));
    }
    return std::vector<std::string>{*backout};
  };
  AUTOLAND_TRY(already());
  AUTOLAND_TRY_ASSIGN(auto made, build(head));
  return push_built(*clone, spec, false, made, [&]() -> Result<std::vector<std::string>> {
    AUTOLAND_TRY_ASSIGN(auto moved, clone->refresh());
    AUTOLAND_TRY(already());
    auto again = build(moved);
    if (!again && again.error().kind == ErrorKind::conflict) {
      return conflict("the changes conflict with what landed on " + spec.branch +
                      " meanwhile: " + again.error().message);
    }
    return again;
  });
}

Result<std::optional<PushOutcome>> HgVcs::find_backed_out(const BackoutSpec& spec,
                                                          const std::vector<std::string>& recorded) {
  AUTOLAND_TRY_ASSIGN(auto held, lock(spec));  // held until the function returns
  AUTOLAND_TRY_ASSIGN(auto clone, clone_for(spec));
  HgCommandServer& hg = clone->hg();
  AUTOLAND_TRY_ASSIGN(auto there, remote_has(hg, spec, recorded));
  if (there) return std::optional<PushOutcome>(PushOutcome{recorded.back(), recorded, 0});
  AUTOLAND_TRY(clone->refresh());
  AUTOLAND_TRY_ASSIGN(auto nodes, landed_newest_first(hg, spec));
  AUTOLAND_TRY_ASSIGN(auto found, find_backout(hg, backout_message(nodes, spec.bug_id, spec.reason)));
  if (!found) return std::optional<PushOutcome>();
  return std::optional<PushOutcome>(PushOutcome{*found, {*found}, 0});
}

Result<util::FileLock> HgVcs::lock(const RemoteSpec& spec) {
  AUTOLAND_TRY(check_branch_name(spec.branch));
  std::error_code ec;
  std::filesystem::create_directories(cache_dir_, ec);
  if (ec) return internal_error("cannot create the cache folder " + cache_dir_ + ": " + ec.message());
  return util::FileLock::acquire((std::filesystem::path(cache_dir_) / (spec.branch + ".lock")).string(),
                                 std::chrono::minutes(10));
}

}  // namespace autoland
