#include "tests/fakes/fake_bug_tracker.h"

#include <algorithm>
#include <ctime>

#include "util/strings.h"

namespace autoland::fakes {

FakeBugTracker::FakeBugTracker(const Clock& clock, std::string bot_login) : clock_(clock), bot_(std::move(bot_login)) {
  add_user({1, bot_, bot_, "Autoland"});
}

std::string FakeBugTracker::now() const {
  std::time_t t = clock_.now();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

Bug& FakeBugTracker::add_bug(BugId id, const std::string& creator, const std::string& whiteboard) {
  Entry& e = bugs_[id];
  e.bug.id = id;
  e.bug.summary = "bug " + std::to_string(id);
  e.bug.status = "NEW";
  e.bug.creator = creator;
  e.bug.whiteboard = whiteboard;
  e.bug.last_change_time = now();
  e.comments.push_back({next_comment_id_++, id, 0, "the description", creator, now(), std::nullopt, false});
  return e.bug;
}

void FakeBugTracker::edit_whiteboard(BugId id, const std::string& whiteboard, const std::string& who) {
  Entry& e = bugs_.at(id);
  if (e.bug.whiteboard == whiteboard) return;
  e.history.push_back({now(), who, {{"whiteboard", e.bug.whiteboard, whiteboard, std::nullopt}}});
  e.bug.whiteboard = whiteboard;
  e.bug.last_change_time = now();
}

void FakeBugTracker::edit_keywords(BugId id, const std::vector<std::string>& keywords, const std::string& who) {
  Entry& e = bugs_.at(id);
  std::vector<std::string> removed, added;
  for (const std::string& k : e.bug.keywords) {
    if (std::find(keywords.begin(), keywords.end(), k) == keywords.end()) removed.push_back(k);
  }
  for (const std::string& k : keywords) {
    if (std::find(e.bug.keywords.begin(), e.bug.keywords.end(), k) == e.bug.keywords.end()) added.push_back(k);
  }
  if (removed.empty() && added.empty()) return;
  e.history.push_back({now(), who, {{"keywords", util::join(removed, ", "), util::join(added, ", "), std::nullopt}}});
  e.bug.keywords = keywords;
  e.bug.last_change_time = now();
}

Attachment& FakeBugTracker::add_attachment(BugId bug, Attachment attachment) {
  Entry& e = bugs_.at(bug);
  attachment.bug_id = bug;
  if (attachment.creation_time.empty()) attachment.creation_time = now();
  if (attachment.creator.empty()) attachment.creator = e.bug.creator;
  if (attachment.data) attachment.size = attachment.data->size();
  const AttachmentId id = attachment.id;
  e.attachments.push_back(std::move(attachment));
  std::sort(e.attachments.begin(), e.attachments.end(),
            [](const Attachment& a, const Attachment& b) { return a.id < b.id; });
  e.bug.last_change_time = now();
  return *std::find_if(e.attachments.begin(), e.attachments.end(), [&](const Attachment& a) { return a.id == id; });
}

void FakeBugTracker::set_private(BugId bug, bool is_private) { bugs_.at(bug).is_private = is_private; }

void FakeBugTracker::add_comment(BugId bug, const std::string& text, const std::string& who) {
  Entry& e = bugs_.at(bug);
  e.comments.push_back(
      {next_comment_id_++, bug, static_cast<int>(e.comments.size()), text, who, now(), std::nullopt, false});
  e.bug.last_change_time = now();
}

void FakeBugTracker::add_user(const User& user) { users_[util::to_lower(user.email)] = user; }

void FakeBugTracker::fail(const std::string& operation, Error error, int times) {
  for (int i = 0; i < times; ++i) faults_[operation].push_back(error);
}

void FakeBugTracker::fail_after(const std::string& operation, Error error, int times) {
  for (int i = 0; i < times; ++i) faults_after_[operation].push_back(error);
}

Status FakeBugTracker::leave(const std::string& operation) {
  auto it = faults_after_.find(operation);
  if (it == faults_after_.end() || it->second.empty()) return {};
  Error e = it->second.front();
  it->second.pop_front();
  return e;
}

const std::vector<BugComment>& FakeBugTracker::posted(BugId bug) const {
  static const std::vector<BugComment> none;
  auto it = bugs_.find(bug);
  return it == bugs_.end() ? none : it->second.comments;
}

std::string FakeBugTracker::whiteboard(BugId bug) const { return bugs_.at(bug).bug.whiteboard; }

std::vector<std::string> FakeBugTracker::keywords(BugId bug) const { return bugs_.at(bug).bug.keywords; }

int FakeBugTracker::calls(const std::string& operation) const {
  auto it = calls_.find(operation);
  return it == calls_.end() ? 0 : it->second;
}

Status FakeBugTracker::enter(const std::string& operation) {
  ++calls_[operation];
  auto it = faults_.find(operation);
  if (it == faults_.end() || it->second.empty()) return {};
  Error e = it->second.front();
  it->second.pop_front();
  return e;
}

Result<FakeBugTracker::Entry*> FakeBugTracker::visible(BugId id) {
  auto it = bugs_.find(id);
  if (it == bugs_.end()) return Error{ErrorKind::not_found, "Bug #" + std::to_string(id) + " does not exist.", 101};
  if (it->second.is_private) {
    return Error{ErrorKind::denied, "You are not authorized to access bug #" + std::to_string(id) + ".", 102};
  }
  return &it->second;
}

Result<std::vector<BugSummary>> FakeBugTracker::search(const SearchQuery& query) {
  AUTOLAND_TRY(enter("search"));
  std::vector<BugSummary> out;
  for (const auto& [id, e] : bugs_) {
    if (e.is_private) continue;
    bool by_whiteboard = !query.whiteboard_substring.empty() &&
                         util::ifind(e.bug.whiteboard, query.whiteboard_substring) != std::string::npos;
    bool by_keyword =
        !query.keyword.empty() && std::any_of(e.bug.keywords.begin(), e.bug.keywords.end(),
                                              [&](const std::string& k) { return util::iequals(k, query.keyword); });
    if (!by_whiteboard && !by_keyword) continue;
    if (!query.changed_since.empty() && e.bug.last_change_time < query.changed_since) continue;
    out.push_back({id, e.bug.whiteboard, e.bug.keywords, e.bug.last_change_time});
  }
  return out;
}

Result<Bug> FakeBugTracker::get_bug(BugId id) {
  AUTOLAND_TRY(enter("get_bug"));
  AUTOLAND_TRY_ASSIGN(auto e, visible(id));
  return e->bug;
}

Result<std::vector<Attachment>> FakeBugTracker::attachments(BugId bug, bool with_data) {
  AUTOLAND_TRY(enter("attachments"));
  AUTOLAND_TRY_ASSIGN(auto e, visible(bug));
  std::vector<Attachment> out = e->attachments;
  if (!with_data) {
    for (Attachment& a : out) a.data.reset();
  }
  return out;
}

Result<Attachment> FakeBugTracker::attachment(BugId bug, AttachmentId id, bool with_data) {
  AUTOLAND_TRY(enter("attachment"));
  AUTOLAND_TRY_ASSIGN(auto e, visible(bug));
  for (Attachment a : e->attachments) {
    if (a.id != id) continue;
    if (!with_data) a.data.reset();
    return a;
  }
  return Error{ErrorKind::not_found, "Attachment #" + std::to_string(id) + " does not exist.", 100};
}

Result<std::vector<HistoryEntry>> FakeBugTracker::history(BugId bug) {
  AUTOLAND_TRY(enter("history"));
  AUTOLAND_TRY_ASSIGN(auto e, visible(bug));
  return e->history;
}

Result<int64_t> FakeBugTracker::post_comment(BugId bug, const std::string& text) {
  AUTOLAND_TRY(enter("post_comment"));
  AUTOLAND_TRY_ASSIGN(auto e, visible(bug));
  if (util::trim(text).empty()) return Error{ErrorKind::invalid_input, "You must provide a comment.", 54};
  int64_t id = next_comment_id_++;
  int count = static_cast<int>(e->comments.size());
  e->comments.push_back({id, bug, count, text, bot_, now(), std::nullopt, false});
  e->bug.last_change_time = now();
  AUTOLAND_TRY(leave("post_comment"));
  return id;
}

Result<std::vector<BugComment>> FakeBugTracker::comments(BugId bug, const std::string& new_since) {
  AUTOLAND_TRY(enter("comments"));
  AUTOLAND_TRY_ASSIGN(auto e, visible(bug));
  std::vector<BugComment> out;
  for (const BugComment& c : e->comments) {
    if (new_since.empty() || c.creation_time > new_since) out.push_back(c);
  }
  return out;
}

Result<BugUpdateResult> FakeBugTracker::update_bug(BugId bug, const BugUpdate& update) {
  AUTOLAND_TRY(enter("update_bug"));
  if (before_update) before_update(bug);
  AUTOLAND_TRY_ASSIGN(auto e, visible(bug));
  Bug& b = e->bug;
  BugUpdateResult result;
  HistoryEntry entry{now(), bot_, {}};
  if (update.whiteboard && *update.whiteboard != b.whiteboard) {
    result.whiteboard = FieldChange{b.whiteboard, *update.whiteboard};
    entry.changes.push_back({"whiteboard", b.whiteboard, *update.whiteboard, std::nullopt});
    b.whiteboard = *update.whiteboard;
  }
  std::vector<std::string> now_keywords = b.keywords, removed, added;
  for (const std::string& k : update.remove_keywords) {
    auto it = std::find(now_keywords.begin(), now_keywords.end(), k);
    if (it != now_keywords.end()) {
      now_keywords.erase(it);
      removed.push_back(k);
    }
  }
  for (const std::string& k : update.add_keywords) {
    if (std::find(now_keywords.begin(), now_keywords.end(), k) == now_keywords.end()) {
      now_keywords.push_back(k);
      added.push_back(k);
    }
  }
  if (!removed.empty() || !added.empty()) {
    result.keywords = FieldChange{util::join(removed, ", "), util::join(added, ", ")};
    entry.changes.push_back({"keywords", result.keywords->removed, result.keywords->added, std::nullopt});
    b.keywords = now_keywords;
  }
  if (!entry.changes.empty()) {
    e->history.push_back(entry);
    b.last_change_time = now();
  }
  result.last_change_time = b.last_change_time;
  AUTOLAND_TRY(leave("update_bug"));
  return result;
}

Result<User> FakeBugTracker::user(const std::string& email) {
  AUTOLAND_TRY(enter("user"));
  auto it = users_.find(util::to_lower(email));
  if (it == users_.end()) return Error{ErrorKind::not_found, "There is no user named '" + email + "'.", 51};
  return it->second;
}

}  // namespace autoland::fakes
