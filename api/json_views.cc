#include "api/json_views.h"

#include "util/strings.h"

namespace autoland {

using nlohmann::json;

namespace {
template <typename T>
json optional_value(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}
}  // namespace

json to_json(const WhiteboardScan& scan) {
  json tags = json::array();
  for (const WhiteboardTag& t : scan.tags) {
    tags.push_back({
        {"text", t.text},
        {"kind", t.kind == WhiteboardTag::Kind::in_queue ? "in_queue" : "request"},
        {"branches", t.branches},
        {"attachments", t.attachments},
        {"try_syntax", t.has_try_syntax ? json(t.try_syntax) : json(nullptr)},
        {"offset", t.offset},
    });
  }
  json errors = json::array();
  for (const TagError& e : scan.errors)
    errors.push_back({{"text", e.text}, {"offset", e.offset}, {"reason", e.reason}});
  return {{"tags", tags}, {"errors", errors}};
}

json to_json(const TrySyntax& s) {
  return {
      {"build", s.build.empty() ? json(nullptr) : json(s.build)},
      {"platforms", s.platforms},
      {"unittests", s.unittests},
      {"talos", s.talos},
      {"post_to_bugs", s.post_to_bugs},
      {"notify", s.notify},
      {"no_retry", s.no_retry},
      {"rebuild", optional_value(s.rebuild)},
      {"formatted", format_try_syntax(s)},
  };
}

json to_json(const Patch& p) {
  json files = json::array();
  for (const FileChange& f : p.files) {
    json file = {
        {"path", f.path},   {"change", to_string(f.kind)},  {"binary", f.binary},
        {"hunks", f.hunks}, {"lines_added", f.lines_added}, {"lines_removed", f.lines_removed},
    };
    if (!f.old_path.empty()) file["old_path"] = f.old_path;
    if (!f.old_mode.empty()) file["old_mode"] = f.old_mode;
    if (!f.new_mode.empty()) file["new_mode"] = f.new_mode;
    files.push_back(std::move(file));
  }
  json out = {
      {"format", to_string(p.format)},
      {"author", p.author.empty() ? json(nullptr) : json(p.author)},
      {"date", p.date.empty() ? json(nullptr) : json(p.date)},
      {"summary", p.summary()},
      {"message", p.message},
      {"files", files},
  };
  // What lands: the date as seconds since the epoch and the offset east of UTC.
  if (p.timestamp) out["timestamp"] = {{"seconds", p.timestamp->seconds}, {"offset_east", p.timestamp->offset_east}};
  if (!p.node.empty()) out["node"] = p.node;
  if (!p.parent.empty()) out["parent"] = p.parent;
  if (!p.branch.empty()) out["branch"] = p.branch;
  return out;
}

json to_json(const CommitMessageInfo& i) {
  return {
      {"summary", i.summary},
      {"bugs", i.bugs},
      {"reviewers", i.reviewers},
      {"superreviewers", i.superreviewers},
      {"ui_reviewers", i.ui_reviewers},
      {"approvers", i.approvers},
      {"review_requested", i.review_requested},
      {"dont_build", i.dont_build},
      {"closed_tree", i.closed_tree},
      {"has_try_syntax", i.has_try_syntax},
  };
}

json to_json(const Branch& b) {
  return {
      {"id", b.id},
      {"name", b.name},
      // Credentials in a URL are the operator's secret, never a reader's.
      {"repo_url", util::redact_url(b.repo_url)},
      {"pull_url", util::redact_url(b.pull_url)},
      {"vcs", to_string(b.vcs)},
      {"threshold", b.threshold},
      {"status", to_string(b.status)},
      {"required_level", b.required_level},
      {"pretest_branch", b.pretest_branch},
      {"default_try_syntax", b.default_try_syntax},
      {"try_syntax_in", b.try_syntax_in_tip ? "tip_message" : "empty_commit"},
      {"max_retriggers", b.max_retriggers},
      {"results_timeout_minutes", b.results_timeout_minutes},
      {"ci", b.ci_source},
      {"landing_strategy", to_string(b.landing_strategy)},
      {"max_batch", b.max_batch},
      {"tree", to_string(b.tree)},
      {"tree_reason", b.tree_reason},
  };
}

json to_json(const PatchSet& p) {
  return {
      {"id", p.id},
      {"bug_id", p.bug_id},
      {"patches", p.patches},
      {"branch", p.branch},
      {"stage", to_string(p.stage)},
      {"try_syntax", p.try_syntax},
      {"author", p.author},
      {"requester", p.requester},
      {"origin", to_string(p.origin)},
      {"retries", p.retries},
      {"priority", p.priority},
      {"state", to_string(p.state)},
      {"state_reason", p.state_reason},
      {"try_revision", p.try_revision},
      {"landing_revision", p.landing_revision},
      {"backout_revision", p.backout_revision},
      {"creation_time", p.creation_time},
      {"push_time", optional_value(p.push_time)},
      {"completion_time", optional_value(p.completion_time)},
      {"updated_time", p.updated_time},
      {"version", p.version},
  };
}

json to_json(const AuditEvent& e) {
  return {{"id", e.id},       {"time", e.time}, {"patchset_id", optional_value(e.patchset_id)},
          {"actor", e.actor}, {"what", e.what}, {"detail", e.detail}};
}

json to_json(const OutboxComment& c) {
  return {
      {"id", c.id},
      {"bug_id", c.bug_id},
      {"patchset_id", optional_value(c.patchset_id)},
      {"kind", c.kind},
      {"body", c.body},
      {"dedup_key", c.dedup_key},
      {"state", to_string(c.state)},
      {"attempts", c.attempts},
      {"next_attempt_time", c.next_attempt_time},
      {"bugzilla_comment_id", optional_value(c.bugzilla_comment_id)},
      {"last_error", c.last_error},
  };
}

json to_json(const SchemaStatus& s) {
  return {{"current_version", s.current_version}, {"latest_version", s.latest_version}, {"pending", s.pending}};
}

nlohmann::json to_json(const api::WorkerView& w) {
  return {{"id", w.record.id},
          {"host", w.record.host},
          {"role", w.record.role},
          {"pid", w.record.pid},
          {"started", w.record.started_time},
          {"last_heartbeat", w.record.heartbeat_time},
          {"heartbeat_age_seconds", w.heartbeat_age_seconds},
          {"alive", w.alive},
          {"leads", w.leads},
          {"claims", w.claims},
          {"doing", w.record.doing}};
}

}  // namespace autoland
