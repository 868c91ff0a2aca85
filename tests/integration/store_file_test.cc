// The store's file under attack by the operator's mistakes: missing, empty,
// not a database, corrupt, deleted or replaced while in use. None of them may
// lose state silently: each is refused or stops the store, naming the file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "app/store_factory.h"
#include "ports/clock.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

class StoreFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) / ("store-file-" + std::to_string(::getpid()) + "-" +
                                             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = (dir_ / "autoland.db").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  Result<std::unique_ptr<Store>> open(bool create = false) {
    return open_store("sqlite://" + path_, clock_, /*migrate=*/true, create);
  }
  std::string error_of(bool create = false) {
    auto s = open(create);
    return s.ok() ? std::string() : s.error().message;
  }
  static Branch branch(const std::string& name) {
    Branch b;
    b.name = name;
    b.repo_url = "/r/" + name;
    return b;
  }

  ManualClock clock_{1'700'000'000};
  fs::path dir_;
  std::string path_;
};

TEST_F(StoreFile, AMissingStoreIsNeverMadeExceptByInit) {
  EXPECT_NE(error_of().find("the store '" + path_ + "' does not exist"), std::string::npos) << error_of();
  EXPECT_NE(error_of().find("autoland db init"), std::string::npos);
  EXPECT_FALSE(fs::exists(path_));
  auto created = open(/*create=*/true);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE((*created)->create_branch(branch("try"), "t").ok());
  created->reset();
  auto again = open();
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_TRUE((*again)->get_branch("try").ok());
}

TEST_F(StoreFile, AnEmptyFileIsNotFilledByItself) {
  std::ofstream(path_).close();
  EXPECT_NE(error_of().find("the store '" + path_ + "' is empty"), std::string::npos) << error_of();
  EXPECT_EQ(fs::file_size(path_), 0u);
}

TEST_F(StoreFile, AFileThatIsNotADatabaseIsNamed) {
  std::ofstream(path_) << std::string(8192, 'x');
  EXPECT_NE(error_of().find("the store '" + path_ + "' is not an SQLite database"), std::string::npos) << error_of();
}

TEST_F(StoreFile, AnotherProgramsDatabaseIsNotTakenOver) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE accounts (id INTEGER)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  EXPECT_NE(error_of(true).find("is an SQLite database but not an autoland store"), std::string::npos);
}

TEST_F(StoreFile, ACorruptStoreIsNamedAndRefused) {
  {
    auto s = open(/*create=*/true);
    ASSERT_TRUE(s.ok());
    for (int i = 0; i < 50; ++i) ASSERT_TRUE((*s)->create_branch(branch("b" + std::to_string(i)), "t").ok());
  }  // closed: the WAL is folded into the file
  // Scribble over the schema page, past the 100-byte header.
  {
    std::fstream f(path_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(100);
    std::string junk(3000, '\x5a');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  std::string e = error_of();
  EXPECT_NE(e.find("the store '" + path_ + "' is corrupt"), std::string::npos) << e;
  EXPECT_NE(e.find("restore it from a backup"), std::string::npos) << e;
}

TEST_F(StoreFile, AStoreDeletedWhileInUseStopsEveryCall) {
  auto s = open(/*create=*/true);
  ASSERT_TRUE(s.ok());
  Store& store = **s;
  ASSERT_TRUE(store.create_branch(branch("try"), "t").ok());
  EXPECT_FALSE(store.unusable().has_value());
  fs::remove(path_);
  fs::remove(path_ + "-wal");
  fs::remove(path_ + "-shm");
  auto lost = store.unusable();
  ASSERT_TRUE(lost.has_value());
  EXPECT_NE(lost->message.find("the store '" + path_ + "' was deleted while autoland was using it"), std::string::npos);
  // Reads and writes alike: nothing goes on against the unlinked file.
  auto read = store.get_branch("try");
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.error().message, lost->message);
  auto write = store.create_branch(branch("central"), "t");
  ASSERT_FALSE(write.ok());
  EXPECT_EQ(write.error().message, lost->message);
  EXPECT_FALSE(fs::exists(path_));
  // Restoring the file later does not make the old connection usable again.
  ASSERT_TRUE(open(true).ok());
  EXPECT_TRUE(store.unusable().has_value());
}

TEST_F(StoreFile, AStoreReplacedWhileInUseStopsEveryCall) {
  auto s = open(/*create=*/true);
  ASSERT_TRUE(s.ok());
  Store& store = **s;
  ASSERT_TRUE(store.create_branch(branch("try"), "t").ok());
  std::string other = (dir_ / "other.db").string();
  ASSERT_TRUE(open_store("sqlite://" + other, clock_, true, true).ok());
  fs::rename(other, path_);
  auto lost = store.unusable();
  ASSERT_TRUE(lost.has_value());
  EXPECT_NE(lost->message.find("was replaced by another file"), std::string::npos) << lost->message;
  EXPECT_FALSE(store.find_patchsets({}).ok());
}

TEST_F(StoreFile, AnInMemoryStoreNeedsNoFile) {
  auto s = open_store("sqlite://:memory:", clock_);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE((*s)->unusable().has_value());
  EXPECT_TRUE((*s)->create_branch(branch("try"), "t").ok());
}

// Migration 5 gave requests a typed origin; rows made before it had only
// their key, whose grammar then said where they came from. The test makes a
// store, takes the column and its migration record off again (what a store of
// version 4 looked like), and opens it: each row gets the origin its key said.
TEST_F(StoreFile, RequestsMadeBeforeTheOriginColumnGetTheOriginTheirKeySaid) {
  {
    auto created = open(/*create=*/true);
    ASSERT_TRUE(created.ok()) << created.error().message;
    ASSERT_TRUE((*created)->create_branch(branch("try"), "t").ok());
    for (const char* key : {"api/17/r1", "bug9/checkin-needed@2026-01-02T03:04:05Z#try", "bug9/[autoland-try]@x#try",
                            "bug10/[autoland-try:-b do -t api/]@x#try"}) {
      auto p = (*created)->create_patchset({.bug_id = 9, .branch = "try", .request_key = key}, "t");
      ASSERT_TRUE(p.ok()) << p.error().message;
    }
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  int rc = sqlite3_exec(db,
                        "ALTER TABLE patchsets DROP COLUMN origin;"
                        "DELETE FROM schema_migrations WHERE version = 5;",
                        nullptr, nullptr, &error);
  EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK);

  auto store = open();
  ASSERT_TRUE(store.ok()) << store.error().message;
  auto all = (*store)->find_patchsets({});
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::map<std::string, RequestOrigin> by_key;
  for (const PatchSet& p : *all) by_key[p.request_key] = p.origin;
  EXPECT_EQ(by_key.size(), 4u);
  EXPECT_EQ(by_key["api/17/r1"], RequestOrigin::api);
  EXPECT_EQ(by_key["bug9/checkin-needed@2026-01-02T03:04:05Z#try"], RequestOrigin::keyword);
  EXPECT_EQ(by_key["bug9/[autoland-try]@x#try"], RequestOrigin::whiteboard);
  EXPECT_EQ(by_key["bug10/[autoland-try:-b do -t api/]@x#try"], RequestOrigin::whiteboard);
}

}  // namespace
}  // namespace autoland
