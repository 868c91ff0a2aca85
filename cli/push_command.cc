// autoland push: the seed's HgPusher on the command line. Applies a bug's
// attachments (or local patch files) to a branch and pushes them, or backs
// changesets out; prints "pushed <revision>" or "FAIL: <reason>" (exit 1).
// A run killed midway and started again with the same arguments does not
// push twice: it finds its earlier push on the remote (services/pusher).
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "app/vcs_factory.h"
#include "cli/command.h"
#include "cli/wiring.h"
#include "core/patch.h"
#include "core/try_syntax.h"
#include "services/pusher/pusher.h"
#include "util/strings.h"

namespace autoland::cli {
namespace {

struct PushArgs {
  std::string branch;
  BugId bug = 0;
  std::string patches;  // "11,12"
  std::vector<std::string> patch_files;
  std::string user;
  std::string message;
  std::string try_syntax;
  std::string backout;  // "REV[,REV]"
  std::string reason;
};

// FNV-1a: a stable name for "the same push" across runs of the same binary
// and the next one (std::hash promises neither).
std::string stable_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

int refuse(const std::string& reason) {
  std::cout << "FAIL: " << reason << "\n";
  return kExitFailed;
}

Result<std::vector<PatchToApply>> patches_from_bug(BugTracker& bugs, BugId bug, const std::string& list) {
  std::vector<Attachment> fetched;
  std::map<std::string, std::string> real_names;
  for (std::string_view part : util::split(list, ',')) {
    auto id = util::parse_uint(util::trim(part));
    if (!id || *id == 0) return invalid_input("'" + std::string(part) + "' in --patches is not an attachment id");
    std::cerr << "fetching attachment " << *id << " of bug " << bug << "\n";
    auto a = bugs.attachment(bug, *id, true);
    if (!a)
      return Error{a.error().kind,
                   "bug " + std::to_string(bug) + ", attachment " + std::to_string(*id) + ": " + a.error().message};
    if (a->bug_id != bug) {
      return invalid_input("attachment " + std::to_string(*id) + " belongs to bug " + std::to_string(a->bug_id) +
                           ", not to bug " + std::to_string(bug));
    }
    if (a->is_obsolete) return invalid_input("attachment " + std::to_string(*id) + " is obsolete");
    if (!real_names.count(a->creator)) {
      auto who = bugs.user(a->creator);
      real_names[a->creator] = who ? who->real_name : "";
    }
    fetched.push_back(std::move(*a));
  }
  return patches_from_attachments(bug, fetched, real_names);
}

Result<std::vector<PatchToApply>> patches_from_files(const PushArgs& a) {
  std::vector<PatchToApply> out;
  for (const std::string& path : a.patch_files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return invalid_input("cannot read patch file " + path);
    std::ostringstream text;
    text << in.rdbuf();
    PatchToApply p;
    p.label = path;
    p.text = text.str();
    p.user = a.user;
    p.message = a.message.empty() && a.bug ? "Bug " + std::to_string(a.bug) + " - " + path : a.message;
    // A header-less file is committed as made now (it used to be 1970).
    p.date =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    out.push_back(std::move(p));
  }
  return out;
}

int run_push(const Invocation& inv, const PushArgs& a) {
  bool backout = !a.backout.empty();
  int sources = (!a.patches.empty()) + (!a.patch_files.empty()) + backout;
  if (sources != 1) return fail("give exactly one of --patches, --patch-file or --backout");
  if (!a.patches.empty() && a.bug == 0) return fail("--patches needs --bug");
  if (backout && (a.bug == 0 || a.reason.empty())) return fail("--backout needs --bug and --reason");
  if (backout && !a.try_syntax.empty()) return fail("--try-syntax does not go with --backout");

  auto w = wire(inv, !a.patches.empty());
  if (!w) return fail(w.error());
  auto branch = (*w)->store->get_branch(a.branch);
  if (!branch) return fail(branch.error());
  auto vcs = open_vcs(branch->vcs, (*w)->config.vcs_cache_dir);
  if (!vcs) return fail(vcs.error());
  Pusher pusher(*(*w)->store, **vcs);

  RemoteSpec remote = remote_of(*branch, (*w)->config.vcs_max_race_retries);

  Result<PushResult> result = internal_error("nothing ran");
  std::string key;
  if (backout) {
    BackoutSpec spec;
    static_cast<RemoteSpec&>(spec) = remote;
    for (std::string_view rev : util::split(a.backout, ',')) spec.revisions.emplace_back(util::trim(rev));
    spec.bug_id = a.bug;
    spec.reason = a.reason;
    key = "cli/" + branch->name + "/backout/" + stable_hash(a.backout + "\n" + std::to_string(a.bug) + "\n" + a.reason);
    std::cerr << "backing out " << spec.revisions.size() << " changeset(s) on " << branch->name << "\n";
    result = pusher.back_out(key, spec);
  } else {
    PushSpec spec;
    static_cast<RemoteSpec&>(spec) = remote;
    auto patches = a.patches.empty() ? patches_from_files(a) : patches_from_bug(*(*w)->bugs, a.bug, a.patches);
    if (!patches) return refuse(patches.error().message);
    spec.patches = std::move(*patches);
    if (!branch->is_try() && !a.patches.empty()) {
      // Only try pushes get a made-up header; a landing keeps the author's.
      for (const PatchToApply& p : spec.patches) {
        auto parsed = parse_patch(p.text, {(*w)->config.patch_max_bytes});
        if (parsed && !parsed->has_header()) {
          return refuse(name_of(p) + " has no changeset header: a landing on " + branch->name +
                        " keeps the patch's own author and message (attach hg export or git format-patch output)");
        }
      }
    }
    spec.allow_new_head = branch->is_try();
    spec.placement = branch->try_syntax_in_tip ? TrySyntaxPlacement::tip_message : TrySyntaxPlacement::empty_commit;
    std::string syntax = a.try_syntax;
    if (syntax.empty() && branch->is_try()) syntax = branch->default_try_syntax;
    if (!syntax.empty()) {
      if (!branch->is_try()) return refuse("--try-syntax is for try branches, and " + branch->name + " is not one");
      auto parsed = parse_try_syntax(syntax);
      if (!parsed) return refuse("try syntax: " + parsed.error().message);
    }
    spec.try_syntax = syntax;
    std::string identity = syntax;
    for (const PatchToApply& p : spec.patches) identity += "\n" + name_of(p) + "\n" + p.text;
    key = "cli/" + branch->name + "/" + stable_hash(identity);
    std::cerr << "applying " << spec.patches.size() << " patch(es) and pushing to " << branch->name << "\n";
    result = pusher.push(key, spec);
  }
  if (!result) return refuse(result.error().message);
  std::cout << "pushed " << result->outcome.tip;
  if (result->resumed) std::cout << " (by an earlier run that was interrupted; not pushed again)";
  if (result->outcome.races > 0) {
    std::cout << " (the branch moved " << result->outcome.races << " time(s) meanwhile; applied again on its new head)";
  }
  std::cout << "\n";
  // Done and reported: the next run with the same arguments starts afresh
  // (and meets the duplicate-landing check instead).
  if (auto cleared = (*w)->store->clear_push_intent(key); !cleared.ok()) return fail(cleared.error());
  return kExitOk;
}

}  // namespace

void register_push_command(CLI::App& app, Invocation& inv) {
  auto args = std::make_shared<PushArgs>();
  auto* push = app.add_subcommand("push", "Apply patches to a branch and push them, or back changesets out");
  push->add_option("--branch", args->branch, "A configured branch")->required();
  push->add_option("--bug", args->bug, "The bug the patches (or the backout) belong to");
  push->add_option("--patches", args->patches, "Attachment ids, in landing order: 11,12");
  push->add_option("--patch-file", args->patch_files, "A local patch file instead (repeat for several)");
  push->add_option("--user", args->user, "Author for header-less patch files: \"Name <email>\"");
  push->add_option("--message", args->message, "Commit message for header-less patch files");
  push->add_option("--try-syntax", args->try_syntax, "Try syntax (try branches; default: the branch's)");
  push->add_option("--backout", args->backout, "Back out these changesets instead: REV[,REV]");
  push->add_option("--reason", args->reason, "Why, for the backout message");
  push->callback([&inv, args] { inv.action = [&inv, args] { return run_push(inv, *args); }; });
}

}  // namespace autoland::cli
