#include "services/request_check.h"

#include <algorithm>
#include <cstdint>

#include "util/strings.h"

namespace autoland {
namespace {

template <class T>
Checked<T> refused(std::string part, std::string reason, bool for_now = false) {
  return Checked<T>{std::nullopt, {std::move(part), std::move(reason), for_now}};
}

// "Part 2: ..." / "part 10 - ..." -> 2 / 10; patches without one sort last.
uint64_t part_number(const std::string& description) {
  size_t at = util::ifind(description, "part");
  while (at != std::string::npos) {
    size_t i = at + 4;
    while (i < description.size() && (description[i] == ' ' || description[i] == '#')) ++i;
    size_t start = i;
    while (i < description.size() && description[i] >= '0' && description[i] <= '9') ++i;
    if (i > start && i - start < 9) return std::stoull(description.substr(start, i - start));
    at = util::ifind(description, "part", at + 4);
  }
  return UINT64_MAX;
}

}  // namespace

Result<Checked<std::vector<Branch>>> check_branches(Store& store, const std::vector<std::string>& names) {
  using Out = std::vector<Branch>;
  AUTOLAND_TRY_ASSIGN(auto all, store.list_branches());
  // Tags are read in lower case and a config may name a branch in any: the
  // same name in another case is the same branch, whoever asks.
  auto find = [&](const std::string& name) -> const Branch* {
    for (const Branch& b : all) {
      if (b.name == name) return &b;
    }
    for (const Branch& b : all) {
      if (util::iequals(b.name, name)) return &b;
    }
    return nullptr;
  };
  std::vector<Branch> targets;
  for (const std::string& name : names) {
    const Branch* b = find(name);
    if (!b) {
      std::vector<std::string> known;
      for (const Branch& k : all) known.push_back(k.name);
      return refused<Out>("branch", "unknown branch '" + name + "' (known: " + util::join(known, ", ") + ")");
    }
    if (b->status == BranchStatus::disabled) {
      return refused<Out>("branch", "branch '" + b->name + "' is disabled", /*for_now=*/true);
    }
    // Its try run goes to its pretest branch: that one must take it too.
    if (!b->pretest_branch.empty()) {
      const Branch* pretest = find(b->pretest_branch);
      if (!pretest || pretest->status == BranchStatus::disabled) {
        return refused<Out>("branch",
                            "branch '" + b->name + "' tests on '" + b->pretest_branch + "' first, which is " +
                                (pretest ? "disabled" : "not configured"),
                            /*for_now=*/true);
      }
    }
    targets.push_back(*b);
  }
  Out finals;
  for (const Branch& t : targets) {
    bool folded = std::any_of(targets.begin(), targets.end(),
                              [&](const Branch& o) { return o.name != t.name && o.pretest_branch == t.name; });
    if (!folded) finals.push_back(t);
  }
  return Checked<Out>{std::move(finals), {}};
}

Result<Checked<ChosenPatches>> choose_patches(BugId bug, const std::vector<Attachment>& on_bug,
                                              const std::vector<AttachmentId>& named, const PatchLimits& limits) {
  using Out = ChosenPatches;
  const std::string bug_name = "bug " + std::to_string(bug);
  std::vector<const Attachment*> chosen;
  for (AttachmentId id : named) {
    const std::string name = "attachment " + std::to_string(id);
    auto it = std::find_if(on_bug.begin(), on_bug.end(),
                           [&](const Attachment& a) { return a.id == id && (a.bug_id == 0 || a.bug_id == bug); });
    if (it == on_bug.end()) return refused<Out>("patches", name + " is not on " + bug_name);
    if (std::find(chosen.begin(), chosen.end(), &*it) != chosen.end()) {
      return refused<Out>("patches", name + " is listed twice");
    }
    if (it->is_obsolete) return refused<Out>("patches", name + " is obsolete");
    if (it->is_private) {
      return refused<Out>("patches", name + " is private: autoland pushes to repositories anyone can read");
    }
    if (!it->is_patch) {
      return refused<Out>("patches", name + " is not a patch (mark it as a patch on the bug, or attach the diff)");
    }
    chosen.push_back(&*it);
  }
  if (named.empty()) {
    for (const Attachment& a : on_bug) {
      if (a.is_patch && !a.is_obsolete && !a.is_private && (a.bug_id == 0 || a.bug_id == bug)) chosen.push_back(&a);
    }
    std::stable_sort(chosen.begin(), chosen.end(), [](const Attachment* a, const Attachment* b) {
      uint64_t pa = part_number(a->description), pb = part_number(b->description);
      return pa != pb ? pa < pb : a->id < b->id;
    });
    if (chosen.empty()) return refused<Out>("patches", bug_name + " has no non-obsolete patch attached");
  }
  Out out;
  for (const Attachment* a : chosen) {
    if (!a->data) return internal_error("attachment " + std::to_string(a->id) + " came without data");
    auto parsed = parse_patch(*a->data, limits);
    if (!parsed) {
      return refused<Out>("patches", "attachment " + std::to_string(a->id) +
                                         " is not a patch autoland can apply: " + parsed.error().message);
    }
    if (out.author.empty()) out.author = parsed->author;
    out.ids.push_back(a->id);
  }
  if (out.author.empty()) out.author = chosen.front()->creator;
  return Checked<Out>{std::move(out), {}};
}

}  // namespace autoland
