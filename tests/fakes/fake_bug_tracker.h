// An in-memory Bugzilla behind the BugTracker port, for unit tests and the
// coming simulator. It follows what the recorded Bugzilla 5.2 fixtures and
// the sandbox server do, where a service can tell:
// - search: whiteboard substring (case-insensitive) OR keyword, changed at or
//   after the cursor; private bugs are left out silently.
// - get_bug / attachments / history / comments on a private bug: denied
//   (Bugzilla's 102); on a missing one: not_found (101).
// - update_bug: a whiteboard or keyword change writes one history entry by
//   the bot and moves last_change_time; the result names a field only when
//   it changed (removed = the old value, added = the new one).
// - post_comment: a new comment id; last_change_time moves.
// Times come from the Clock as "YYYY-MM-DDTHH:MM:SSZ". Faults are scripted
// per operation (fail), and a concurrent human edit can be injected just
// before an update is applied (before_update).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ports/bug_tracker.h"
#include "ports/clock.h"

namespace autoland::fakes {

class FakeBugTracker final : public BugTracker {
 public:
  explicit FakeBugTracker(const Clock& clock, std::string bot_login = "autoland-bot@example.org");

  // ---- the world, as people make it ----
  // A new bug (no history: what a bug is created with is not in Bugzilla's history).
  Bug& add_bug(BugId id, const std::string& creator = "dev@example.org", const std::string& whiteboard = "");
  // An edit by `who`, recorded in the history as Bugzilla does.
  void edit_whiteboard(BugId id, const std::string& whiteboard, const std::string& who);
  void edit_keywords(BugId id, const std::vector<std::string>& keywords, const std::string& who);
  // Attachment ids are the caller's; bug_id and creation time are filled in.
  Attachment& add_attachment(BugId bug, Attachment attachment);
  void set_private(BugId bug, bool is_private);
  // A comment by someone else (a person quoting the bot, say).
  void add_comment(BugId bug, const std::string& text, const std::string& who);
  void add_user(const User& user);

  // ---- faults ----
  // The next `times` calls of `operation` ("search", "get_bug", "attachments",
  // "attachment", "history", "post_comment", "comments", "update_bug", "user")
  // fail with `error` before doing anything.
  void fail(const std::string& operation, Error error, int times = 1);
  // The next `times` writes ("post_comment", "update_bug") take effect and
  // then answer `error`: an answer lost on the way back.
  void fail_after(const std::string& operation, Error error, int times = 1);
  // Runs inside update_bug before the update is applied: a human's edit
  // landing between autoland's read and its write.
  std::function<void(BugId)> before_update;

  // ---- what happened ----
  const std::vector<BugComment>& posted(BugId bug) const;  // every comment, the description excluded
  std::string whiteboard(BugId bug) const;
  std::vector<std::string> keywords(BugId bug) const;
  int calls(const std::string& operation) const;

  // ---- BugTracker ----
  Result<std::vector<BugSummary>> search(const SearchQuery& query) override;
  Result<Bug> get_bug(BugId id) override;
  Result<std::vector<Attachment>> attachments(BugId bug, bool with_data) override;
  Result<Attachment> attachment(BugId bug, AttachmentId id, bool with_data) override;
  Result<std::vector<HistoryEntry>> history(BugId bug) override;
  Result<int64_t> post_comment(BugId bug, const std::string& text) override;
  Result<std::vector<BugComment>> comments(BugId bug, const std::string& new_since) override;
  Result<BugUpdateResult> update_bug(BugId bug, const BugUpdate& update) override;
  Result<User> user(const std::string& email) override;

 private:
  struct Entry {
    Bug bug;
    bool is_private = false;
    std::vector<Attachment> attachments;
    std::vector<HistoryEntry> history;
    std::vector<BugComment> comments;
  };
  std::string now() const;
  Status enter(const std::string& operation);  // counts the call; a scripted fault
  Status leave(const std::string& operation);  // a scripted fault after the effect
  Result<Entry*> visible(BugId id);

  const Clock& clock_;
  std::string bot_;
  std::map<BugId, Entry> bugs_;
  std::map<std::string, User> users_;
  std::map<std::string, std::deque<Error>> faults_;
  std::map<std::string, std::deque<Error>> faults_after_;
  std::map<std::string, int> calls_;
  int64_t next_comment_id_ = 1000;
};

}  // namespace autoland::fakes
