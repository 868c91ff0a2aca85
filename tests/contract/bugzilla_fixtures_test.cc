// The Bugzilla client's parsers held to every response recorded from a real
// Bugzilla 5.2 (tests/data/bugzilla, raw bytes, with INDEX.md).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "adapters/bugzilla/bugzilla_json.h"
#include "util/strings.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

fs::path fixtures_dir() { return fs::path(AUTOLAND_FIXTURES_DIR) / "bugzilla"; }

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Row {
  std::string name;
  long status;
  std::string request;
};

std::vector<Row> rows() {
  std::vector<Row> out;
  std::istringstream in(read(fixtures_dir() / "index.tsv"));
  std::string line;
  while (std::getline(in, line)) {
    auto parts = util::split(line, '\t');
    if (parts.size() < 3) continue;
    out.push_back({std::string(parts[0]), std::stol(std::string(parts[1])), std::string(parts[2])});
  }
  return out;
}

std::string body(const std::string& name) { return read(fixtures_dir() / "raw" / (name + ".body")); }

class BugzillaFixtures : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(fixtures_dir() / "index.tsv")) << "Bugzilla fixtures missing at " << fixtures_dir();
  }
};

// Every recorded response parses with the parser its request calls for, and
// every error becomes the typed error its code means.
TEST_F(BugzillaFixtures, EveryRecordedResponseParses) {
  const std::regex bug_path(R"(^(GET|PUT) /rest/bug/(\d+)(\?|$))");
  const std::regex sub_path(R"(^(GET|POST) /rest/bug/(\d+)/(attachment|history|comment)(\?|$| ))");
  const std::regex attachment_path(R"(^GET /rest/bug/attachment/(\d+))");
  std::map<std::string, int> parsed;
  size_t total = 0;
  for (const Row& row : rows()) {
    ++total;
    std::string b = body(row.name);
    std::smatch m;
    SCOPED_TRACE(row.name + ": " + row.request);
    bool is_error_body = bugzilla::is_error_body(b);
    if (row.status >= 300 || is_error_body) {
      Error e = bugzilla::error_from_response(row.status, b);
      EXPECT_NE(e.code, 0);
      if (row.status >= 500) {
        EXPECT_EQ(e.kind, ErrorKind::transient);
      }
      ++parsed["error"];
      continue;
    }
    if (row.request.rfind("GET /rest/bug?", 0) == 0) {
      auto r = bugzilla::parse_search(b);
      EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
      ++parsed["search"];
    } else if (std::regex_search(row.request, m, attachment_path)) {
      AttachmentId id = std::stoull(m[1]);
      // The bug is whatever the answer says; ask as for bug 2, the recorded one.
      bool with_data = row.request.find("include_fields") == std::string::npos;
      auto r = bugzilla::parse_attachment(b, 2, id, with_data);
      if (row.name == "error_get_attachment_nonexistent__admin") {
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().kind, ErrorKind::not_found);
      } else {
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
      }
      ++parsed["attachment"];
    } else if (std::regex_search(row.request, m, sub_path)) {
      BugId bug = std::stoull(m[2]);
      std::string what = m[3];
      if (what == "attachment" && m[1] == "GET") {
        bool with_data = row.request.find("exclude_fields=data") == std::string::npos;
        auto r = bugzilla::parse_bug_attachments(b, bug, with_data);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        if (r.ok()) {
          EXPECT_FALSE(r->empty());
        }
      } else if (what == "history") {
        auto r = bugzilla::parse_history(b, bug);
        EXPECT_TRUE(r.ok() && !r->empty());
      } else if (what == "comment" && m[1] == "GET") {
        auto r = bugzilla::parse_comments(b, bug);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
      } else if (what == "comment" && m[1] == "POST") {
        auto r = bugzilla::parse_created_comment(b);
        EXPECT_TRUE(r.ok() && *r > 0);
      } else {
        continue;  // POST attachment (fixture setup)
      }
      ++parsed[what + "/" + std::string(m[1])];
    } else if (std::regex_search(row.request, m, bug_path)) {
      BugId bug = std::stoull(m[2]);
      if (m[1] == "GET") {
        auto r = bugzilla::parse_bug(b, bug);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        ++parsed["bug"];
      } else {
        auto r = bugzilla::parse_update(b, bug);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        ++parsed["update"];
      }
    } else if (row.request.rfind("GET /rest/user?", 0) == 0) {
      auto r = bugzilla::parse_users(b);
      EXPECT_TRUE(r.ok() && !r->empty());
      ++parsed["user"];
    }
  }
  EXPECT_GE(total, 120u);
  EXPECT_GE(parsed["error"], 25);
  EXPECT_GE(parsed["search"], 12);
  EXPECT_GE(parsed["bug"], 8);
  EXPECT_GE(parsed["attachment"], 4);
  EXPECT_GE(parsed["attachment/GET"], 5);
  EXPECT_GE(parsed["comment/GET"], 4);
  EXPECT_GE(parsed["comment/POST"], 3);
  EXPECT_GE(parsed["update"], 4);
  EXPECT_GE(parsed["history/GET"], 1);
  EXPECT_GE(parsed["user"], 4);
}

TEST_F(BugzillaFixtures, SearchIsSortedAndKeepsWhiteboards) {
  auto r = bugzilla::parse_search(body("search_whiteboard_autoland_substring_include_fields__admin"));
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].id, 1u);
  EXPECT_EQ((*r)[1].whiteboard, "[autoland-mozilla-inbound:3:4]");
  EXPECT_EQ((*r)[1].last_change_time, "2026-11-25T17:11:01Z");
  auto keyword = bugzilla::parse_search(body("search_keywords_checkin_needed__admin"));
  ASSERT_TRUE(keyword.ok());
  EXPECT_EQ((*keyword)[0].keywords, std::vector<std::string>{"checkin-needed"});
}

TEST_F(BugzillaFixtures, AttachmentsOfBug2) {
  auto r = bugzilla::parse_bug_attachments(body("get_bug_2_attachment__admin"), 2, true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 4u);
  const Attachment& part1 = (*r)[0];
  EXPECT_EQ(part1.id, 3u);
  EXPECT_TRUE(part1.is_patch);
  EXPECT_FALSE(part1.is_obsolete);
  EXPECT_EQ(part1.description, "Part 1: Add a widget counter");
  EXPECT_EQ(part1.creator, "admin@example.com");
  ASSERT_EQ(part1.flags.size(), 1u);
  EXPECT_EQ(part1.flags[0].name, "review");
  EXPECT_EQ(part1.flags[0].status, "+");
  EXPECT_EQ(part1.flags[0].setter, "reviewer@example.com");
  EXPECT_EQ(part1.flags[0].requestee, "");
  ASSERT_TRUE(part1.data.has_value());
  EXPECT_EQ(part1.data->rfind("# HG changeset patch\n# User Zoë Dev <zoe@example.com>", 0), 0u);
  EXPECT_EQ((*r)[2].flags[0].status, "-");
  EXPECT_FALSE((*r)[3].is_patch);  // the crash log
}

TEST_F(BugzillaFixtures, PendingFlagsCarryTheirRequestee) {
  auto r = bugzilla::parse_bug_attachments(body("get_bug_5_attachment_pending_review__admin"), 5, false);
  ASSERT_TRUE(r.ok());
  ASSERT_FALSE(r->empty());
  EXPECT_EQ((*r)[0].flags[0].status, "?");
  EXPECT_EQ((*r)[0].flags[0].requestee, "reviewer@example.com");
  EXPECT_FALSE((*r)[0].data.has_value());
}

TEST_F(BugzillaFixtures, ObsoleteAttachmentKeepsItsReview) {
  auto r = bugzilla::parse_bug_attachments(body("get_bug_3_attachment__admin"), 3, true);
  ASSERT_TRUE(r.ok());
  bool found = false;
  for (const Attachment& a : *r) {
    if (a.id == 7) {
      found = true;
      EXPECT_TRUE(a.is_obsolete);
      EXPECT_EQ(a.flags[0].status, "+");
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(BugzillaFixtures, AttachmentOfAnotherBugIsNotFound) {
  auto r = bugzilla::parse_attachment(body("get_attachment_3__admin"), 1, 3, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
  EXPECT_EQ(r.error().message, "attachment 3 belongs to bug 2, not bug 1");
}

TEST_F(BugzillaFixtures, HistorySaysWhoSetTheWhiteboard) {
  auto r = bugzilla::parse_history(body("get_bug_2_history__admin"), 2);
  ASSERT_TRUE(r.ok());
  bool found = false;
  for (const HistoryEntry& h : *r) {
    for (const HistoryChange& c : h.changes) {
      if (c.field_name == "whiteboard" && c.added == "[autoland-mozilla-inbound:3:4]") {
        found = true;
        EXPECT_EQ(h.who, "admin@example.com");
      }
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(BugzillaFixtures, CommentsAndTheirAttachmentPrefix) {
  auto r = bugzilla::parse_comments(body("get_bug_2_comment__admin"), 2);
  ASSERT_TRUE(r.ok());
  ASSERT_GE(r->size(), 2u);
  EXPECT_EQ((*r)[0].count, 0);
  EXPECT_EQ((*r)[1].attachment_id, 3u);
  EXPECT_EQ((*r)[1].text.rfind("Created attachment 3\n", 0), 0u);
  auto unicode = bugzilla::parse_comments(body("get_bug_2_comment_final__admin"), 2);
  ASSERT_TRUE(unicode.ok());
}

TEST_F(BugzillaFixtures, UpdateReportsWhatChanged) {
  auto r = bugzilla::parse_update(body("put_bug_1_whiteboard_add_keyword__admin"), 1);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->whiteboard.has_value());
  EXPECT_EQ(r->whiteboard->removed, "[autoland-try]");
  EXPECT_EQ(r->whiteboard->added, "[autoland-in-queue]");
  EXPECT_EQ(r->keywords->added, "checkin-needed");
  auto nochange = bugzilla::parse_update(body("put_bug_1_nochange__admin"), 1);
  ASSERT_TRUE(nochange.ok());
  EXPECT_FALSE(nochange->whiteboard.has_value());
}

TEST_F(BugzillaFixtures, ErrorsAreTyped) {
  auto check = [](const std::string& name, long status, ErrorKind kind, int code) {
    Error e = bugzilla::error_from_response(status, body(name));
    EXPECT_EQ(e.kind, kind) << name;
    EXPECT_EQ(e.code, code) << name;
  };
  check("error_get_bug_nonexistent__admin", 404, ErrorKind::not_found, 101);
  check("error_get_bug_private__outsider", 401, ErrorKind::denied, 102);
  check("error_bad_api_key", 400, ErrorKind::denied, 306);
  check("error_post_comment_anonymous", 401, ErrorKind::denied, 410);
  check("error_put_bug_whiteboard_no_editbugs__outsider", 401, ErrorKind::denied, 115);
  check("error_post_comment_empty", 400, ErrorKind::invalid_input, 50);
  check("error_invalid_json_post_comment", 400, ErrorKind::invalid_input, 32000);
  check("error_json_not_object_put_bug", 500, ErrorKind::transient, 500);
  check("error_get_user_nonexistent__admin", 404, ErrorKind::not_found, 51);
  Error e = bugzilla::error_from_response(404, body("error_get_bug_nonexistent__admin"));
  EXPECT_EQ(e.message, "Bugzilla error 101: Bug #99999 does not exist.");
}

TEST_F(BugzillaFixtures, AnonymousUserLookupHasNoEmailField) {
  auto r = bugzilla::parse_users(body("get_user_names_reviewer__anonymous"));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].email, "reviewer@example.com");
  EXPECT_EQ((*r)[0].real_name, "Rita Reviewer [:rita]");
}

}  // namespace
}  // namespace autoland
