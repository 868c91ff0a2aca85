#include "core/comments.h"

#include "util/strings.h"

namespace autoland {
namespace {

constexpr std::string_view kMarkerPrefix = "autoland-dedup: ";
constexpr size_t kMaxFailureLines = 20;

std::string attachments_phrase(const std::vector<AttachmentId>& patches) {
  if (patches.empty()) return "";
  std::vector<std::string> ids;
  for (AttachmentId id : patches) ids.push_back(std::to_string(id));
  return std::string(patches.size() == 1 ? " (attachment " : " (attachments ") + util::join(ids, ", ") + ")";
}

std::string what(const CommentInput& in) {
  return "patchset " + std::to_string(in.patchset) + attachments_phrase(in.patches);
}

std::string counts_line(const VerdictReport& r) {
  std::vector<std::string> parts;
  for (const auto& [result, count] : r.counts)
    parts.push_back(std::to_string(count) + " " + std::string(to_string(result)));
  return std::to_string(r.total_jobs) + (r.total_jobs == 1 ? " job" : " jobs") +
         (parts.empty() ? "" : ": " + util::join(parts, ", "));
}

void append_breakdown(std::string& out, const VerdictReport& r) {
  out += "Results: " + counts_line(r) + "\n";
  if (!r.intermittent.empty()) {
    out += "Intermittent (passed when retriggered): " + util::join(r.intermittent, ", ") + "\n";
  }
  if (!r.failures.empty()) {
    out += "Failures:\n";
    size_t shown = 0;
    for (const JobRun& f : r.failures) {
      if (shown++ == kMaxFailureLines) {
        out += "  ... and " + std::to_string(r.failures.size() - kMaxFailureLines) + " more\n";
        break;
      }
      out += "  " + std::string(to_string(f.result)) + ": " + f.name;
      const std::string& link = f.log_url.empty() ? f.url : f.log_url;
      if (!link.empty()) out += " " + link;
      out += "\n";
    }
  }
}

std::string verdict_word(const std::optional<VerdictReport>& r) {
  if (!r) return "complete";
  switch (r->verdict) {
    case Verdict::green: return "green";
    case Verdict::orange: return "orange";
    case Verdict::red: return "red";
    case Verdict::cancelled: return "cancelled";
    case Verdict::infrastructure: return "without a verdict";
    case Verdict::pending: return "incomplete";
  }
  return "complete";
}

void append_revision(std::string& out, const CommentInput& in) {
  if (in.revision.empty()) return;
  out += "Revision: " + in.revision;
  if (!in.revision_url.empty()) out += " " + in.revision_url;
  out += "\n";
}

}  // namespace

std::string render_comment(const CommentInput& in) {
  std::string out;
  switch (in.kind) {
    case CommentKind::try_results:
      out += "Autoland: the " + in.branch + " run of " + what(in) + " is " + verdict_word(in.report) + ".\n";
      append_revision(out, in);
      if (in.report) append_breakdown(out, *in.report);
      if (in.report && in.report->verdict == Verdict::red) {
        out += "Nothing will land; fix the failures and tag the bug again.\n";
      }
      break;
    case CommentKind::landed:
      out += "Autoland: " + what(in) + " landed on " + in.branch + " and its builds are green.\n";
      // On a pipelined or batched trunk, why it stays (the culprit finder's words).
      if (!in.reason.empty()) out += "Why it stays: " + in.reason + ".\n";
      append_revision(out, in);
      if (in.report) append_breakdown(out, *in.report);
      break;
    case CommentKind::push_failed:
      out += "Autoland: Step " + in.step + " failed (" + in.reason + ") for " + what(in) + " on " + in.branch +
             ".\nNothing was landed. Fix the patch and tag the bug again.\n";
      break;
    case CommentKind::rejected:
      out += "Autoland: Step validate failed for " + what(in) + " to " + in.branch + ":\n";
      for (const std::string& p : in.problems) out += "  - " + p + "\n";
      if (in.problems.empty() && !in.reason.empty()) out += "  - " + in.reason + "\n";
      out += "Nothing was pushed. Fix the above and tag the bug again.\n";
      break;
    case CommentKind::cancelled:
      out += "Autoland: " + what(in) + " to " + in.branch + " was cancelled";
      if (!in.actor.empty()) out += " by " + in.actor;
      out += in.reason.empty() ? ".\n" : " (" + in.reason + ").\n";
      break;
    case CommentKind::builds_cancelled:
      out += "Autoland: the builds for " + what(in) + " on " + in.branch +
             " were cancelled, so there are no results to report.\n";
      append_revision(out, in);
      break;
    case CommentKind::ci_trouble:
      out += "Autoland: the " + in.branch + " run of " + what(in) + " could not be judged: the CI could not run " +
             (in.report && !in.report->infrastructure.empty() ? util::join(in.report->infrastructure, ", ")
                                                              : std::string("some jobs")) +
             " (killed or interrupted on every rerun). This says nothing about the patch; nothing was landed. Ask "
             "a sheriff to retry it once the CI is healthy.\n";
      append_revision(out, in);
      if (in.report) append_breakdown(out, *in.report);
      break;
    case CommentKind::timed_out:
      out += "Autoland: the " + in.branch + " results for " + what(in) + " were not complete after " +
             std::to_string(in.timeout_minutes) + " minutes; autoland stopped waiting.\n";
      append_revision(out, in);
      if (in.report) append_breakdown(out, *in.report);
      break;
    case CommentKind::backed_out:
      out += "Autoland: " + what(in) + " was backed out of " + in.branch;
      out += in.reason.empty() ? ".\n" : " for " + in.reason + ".\n";
      out += "Landed revision: " + in.revision + "\n";
      out += "Backout revision: " + in.backout_revision + "\n";
      if (in.report) append_breakdown(out, *in.report);
      break;
    case CommentKind::backout_failed:
      out += "Autoland: " + what(in) + " on " + in.branch + " needs backing out (" + in.reason +
             ") but the backout could not be pushed. A sheriff has been asked to act.\n";
      append_revision(out, in);
      break;
    case CommentKind::refused:
      out += "Autoland: Step " + (in.step.empty() ? std::string("request") : in.step) + " failed (" + in.reason +
             ") for " + in.request + " on bug " + std::to_string(in.bug) +
             ".\nNothing was queued. Fix the above and tag the bug again.\n";
      break;
    case CommentKind::forced:
      out += "Autoland: " + what(in) + " goes on despite failing jobs on " + in.branch + ": forced by " +
             (in.actor.empty() ? std::string("a sheriff") : in.actor);
      out += in.reason.empty() ? ".\n" : " (" + in.reason + ").\n";
      append_revision(out, in);
      if (in.report) append_breakdown(out, *in.report);
      break;
    case CommentKind::push_results:
      out += "Autoland: the " + in.branch + " push " + in.revision.substr(0, 12) +
             (in.pusher.empty() ? std::string() : " by " + in.pusher) +
             " asked for its results on this bug (--post-to-bug). ";
      if (in.timeout_minutes > 0) {
        out += "They were not complete after " + std::to_string(in.timeout_minutes) +
               " minutes; autoland stopped waiting.\n";
      } else {
        out += "They are " + verdict_word(in.report) + ".\n";
      }
      append_revision(out, in);
      if (in.report) append_breakdown(out, *in.report);
      break;
  }
  out += dedup_marker_line(in.dedup_key);
  return out;
}

std::string make_dedup_key(PatchSetId patchset, CommentKind kind, std::string_view discriminator) {
  std::string key = "ps" + std::to_string(patchset) + "/" + std::string(to_string(kind));
  if (!discriminator.empty()) key += "/" + std::string(discriminator);
  return key;
}

std::string make_marker_action_key(PatchSetId patchset, std::string_view action, std::string_view occasion) {
  return "ps" + std::to_string(patchset) + "/" + std::string(action) + "/" + std::string(occasion);
}

std::string make_push_dedup_key(std::string_view branch, std::string_view revision, BugId bug) {
  return "push/" + std::string(branch) + "/" + std::string(revision.substr(0, 12)) + "/bug/" + std::to_string(bug);
}

std::string dedup_marker_line(std::string_view key) { return std::string(kMarkerPrefix) + std::string(key); }

std::string with_dedup_marker(std::string_view text, std::string_view key) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  return std::string(text) + "\n\n" + dedup_marker_line(key);
}

std::optional<std::string> find_dedup_marker(std::string_view text) {
  auto lines = util::split_lines(text);
  for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
    std::string_view line = util::trim(*it);
    if (line.empty()) continue;
    if (line.substr(0, kMarkerPrefix.size()) == kMarkerPrefix) {
      std::string key(util::trim(line.substr(kMarkerPrefix.size())));
      if (!key.empty()) return key;
    }
    return std::nullopt;  // the marker is always the last non-blank line
  }
  return std::nullopt;
}

}  // namespace autoland
