// The throwaway PostgreSQL the store contract suite will run on: it starts
// from nothing, answers SQL through the URL it gives, and is gone (with
// nothing left running) when the object goes.
#include "sandbox/postgres/throwaway_postgres.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

#include "adapters/process/subprocess.h"

namespace autoland {
namespace {

namespace fs = std::filesystem;

TEST(ThrowawayPostgres, StartsAnswersAndStopsCleanly) {
  ASSERT_TRUE(sandbox::ThrowawayPostgres::installed()) << "apt-get install postgresql";
  const fs::path dir = fs::path(::testing::TempDir()) / ("pg-" + std::to_string(::getpid()));
  pid_t postmaster = -1;
  {
    auto pg = sandbox::ThrowawayPostgres::start(dir.string(), 0);
    ASSERT_TRUE(pg.ok()) << pg.error().message;
    postmaster = (*pg)->pid();
    ASSERT_GT(postmaster, 0);
    SpawnOptions sql;
    sql.argv = {"psql", (*pg)->url(), "-At", "-c", "SELECT current_user || ' ' || current_database() || ' ' || 6*7"};
    auto answer = run_program(sql, {}, std::chrono::seconds(30));
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    EXPECT_EQ(answer->exit_code, 0) << answer->err;
    EXPECT_EQ(answer->out, "autoland autoland 42\n");
  }
  EXPECT_NE(::kill(postmaster, 0), 0) << "the server outlived its object";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace autoland
