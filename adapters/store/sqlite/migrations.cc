#include "adapters/store/sqlite/migrations.h"

namespace autoland::sqlite {

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> all = {
      {1, "initial schema", R"sql(
CREATE TABLE branches (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL UNIQUE,
  repo_url TEXT NOT NULL,
  pull_url TEXT NOT NULL DEFAULT '',
  vcs TEXT NOT NULL DEFAULT 'hg' CHECK (vcs IN ('hg', 'git')),
  threshold INTEGER NOT NULL DEFAULT 1 CHECK (threshold >= 0),
  status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  required_level INTEGER NOT NULL DEFAULT 3 CHECK (required_level BETWEEN 0 AND 3),
  pretest_branch TEXT NOT NULL DEFAULT '',
  default_try_syntax TEXT NOT NULL DEFAULT '',
  ci_source TEXT NOT NULL DEFAULT '',
  tree_status TEXT NOT NULL DEFAULT 'open',
  tree_reason TEXT NOT NULL DEFAULT ''
);

CREATE TABLE patchsets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bug_id INTEGER NOT NULL,
  patches TEXT NOT NULL,
  branch TEXT NOT NULL,
  stage TEXT NOT NULL CHECK (stage IN ('try', 'landing')),
  try_syntax TEXT NOT NULL DEFAULT '',
  try_run INTEGER NOT NULL DEFAULT 0,
  author TEXT NOT NULL DEFAULT '',
  requester TEXT NOT NULL DEFAULT '',
  retries INTEGER NOT NULL DEFAULT 0,
  priority INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  state_reason TEXT NOT NULL DEFAULT '',
  try_revision TEXT NOT NULL DEFAULT '',
  landing_revision TEXT NOT NULL DEFAULT '',
  backout_revision TEXT NOT NULL DEFAULT '',
  creation_time INTEGER NOT NULL,
  push_time INTEGER,
  completion_time INTEGER,
  updated_time INTEGER NOT NULL,
  request_key TEXT UNIQUE,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX patchsets_by_state ON patchsets (state, branch);
CREATE INDEX patchsets_by_bug ON patchsets (bug_id);

CREATE TABLE comments (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  bug_id INTEGER NOT NULL,
  patchset_id INTEGER,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  dedup_key TEXT NOT NULL UNIQUE,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'posted', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_time INTEGER NOT NULL,
  bugzilla_comment_id INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  created_time INTEGER NOT NULL
);
CREATE INDEX comments_due ON comments (state, next_attempt_time);

CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  patchset_id INTEGER,
  actor TEXT NOT NULL,
  what TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_by_patchset ON events (patchset_id, id);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql"},
      {2, "push intents; try syntax placement per branch", R"sql(
CREATE TABLE push_intents (
  key TEXT PRIMARY KEY,
  branch TEXT NOT NULL,
  nodes TEXT NOT NULL,
  recorded_time INTEGER NOT NULL
);
ALTER TABLE branches ADD COLUMN try_syntax_in_tip INTEGER NOT NULL DEFAULT 0;
)sql"},
      {3, "results limits per branch", R"sql(
ALTER TABLE branches ADD COLUMN max_retriggers INTEGER NOT NULL DEFAULT 2;
ALTER TABLE branches ADD COLUMN results_timeout_minutes INTEGER NOT NULL DEFAULT 360;
)sql"},
      {4, "pushes watched for --post-to-bug", R"sql(
CREATE TABLE watched_pushes (
  branch TEXT NOT NULL,
  revision TEXT NOT NULL,
  bugs TEXT NOT NULL,
  pusher TEXT NOT NULL,
  push_time INTEGER NOT NULL,
  seen_time INTEGER NOT NULL,
  reported INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (branch, revision)
);
CREATE INDEX watched_pushes_unreported ON watched_pushes (reported, seen_time);
)sql"},
      // Rows made before the column: their origin is read once, here, from
      // the request key's grammar of that time ("api/..." from the API,
      // "bugN/checkin-needed@..." from the keyword); nothing reads keys after.
      {5, "request origin as a column", R"sql(
ALTER TABLE patchsets ADD COLUMN origin TEXT NOT NULL DEFAULT 'whiteboard'
  CHECK (origin IN ('whiteboard', 'keyword', 'api'));
UPDATE patchsets SET origin = 'api' WHERE substr(request_key, 1, 4) = 'api/';
UPDATE patchsets SET origin = 'keyword'
  WHERE origin = 'whiteboard' AND instr(request_key, '/checkin-needed@') > 0;
)sql"},
  };
  return all;
}

}  // namespace autoland::sqlite
