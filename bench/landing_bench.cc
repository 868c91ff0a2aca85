// Landing speed against a big repository served on 127.0.0.1: a tree of
// 20,000 files and a few hundred changesets, `hg serve` for Mercurial and
// `git daemon` for git. Lands small patchsets one after another through the
// pusher (HgVcs / GitVcs behind services/pusher, intents in SQLite), and the
// same kind of patchsets the ways it is done without autoland:
//   (a) the seed's way: a fresh clone per patchset, import, push;
//   (b) by hand in a warm clone: import (hg import / git am) and push, each a
//       process of its own.
// Prints ms per patchset and the ratios against the targets (ours at most
// 0.5x of (b), and at least 50x faster than (a)). Figures, not a pass/fail
// test. Usage: autoland_landing_bench [FILES CHANGESETS PATCHSETS FRESH_CLONE_PATCHSETS]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/process/subprocess.h"
#include "adapters/vcs/git/git_vcs.h"
#include "adapters/vcs/hg/hg_vcs.h"
#include "app/store_factory.h"
#include "services/pusher/pusher.h"
#include "tests/support/test_support.h"
#include "util/log.h"
#include "util/strings.h"

using namespace autoland;
using Steady = std::chrono::steady_clock;
namespace fs = std::filesystem;

namespace {

struct Sizes {
  int files = 20000;
  int changesets = 300;
  int patchsets = 50;
  int fresh_clone_patchsets = 3;
};

double ms_since(Steady::time_point start) {
  return std::chrono::duration<double, std::milli>(Steady::now() - start).count();
}

// Servers this bench started (git daemon's process group, hg serve's pid
// file): stopped at exit, also when must() gives up midway.
std::vector<pid_t> g_server_groups;
std::vector<std::string> g_server_pid_files;
void stop_servers() {
  for (pid_t group : g_server_groups) ::kill(-group, SIGKILL);
  for (const std::string& file : g_server_pid_files) {
    std::ifstream in(file);
    pid_t pid = 0;
    if (in >> pid && pid > 1) ::kill(pid, SIGTERM);
  }
}

ProgramResult must(std::vector<std::string> argv, const std::string& cwd = "", std::string_view input = {},
                   std::map<std::string, std::string> env = {}) {
  SpawnOptions o;
  o.argv = std::move(argv);
  o.cwd = cwd;
  o.env_set = {{"HGPLAIN", "1"},
               {"HGUSER", "bench <bench@example.org>"},
               {"LC_ALL", "C"},
               {"GIT_AUTHOR_NAME", "bench"},
               {"GIT_AUTHOR_EMAIL", "bench@example.org"},
               {"GIT_COMMITTER_NAME", "bench"},
               {"GIT_COMMITTER_EMAIL", "bench@example.org"}};
  for (auto& [k, v] : env) o.env_set[k] = v;
  auto r = run_program(o, input, std::chrono::minutes(30));
  if (!r || r->exit_code != 0) {
    std::fprintf(stderr, "failed: %s\n%s\n", util::join(o.argv, " ").c_str(),
                 r ? r->err.c_str() : r.error().message.c_str());
    std::exit(1);
  }
  return *r;
}

std::string file_name(int i) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "dir%03d/file%05d.txt", i / 100, i);
  return buf;
}

std::string original_line0(int i) { return "line 0 of file " + std::to_string(i); }

void write_tree(const fs::path& root, int files) {
  for (int i = 0; i < files; ++i) {
    fs::path p = root / file_name(i);
    if (i % 100 == 0) fs::create_directories(p.parent_path());
    std::ofstream out(p);
    for (int line = 0; line < 10; ++line) out << "line " << line << " of file " << i << "\n";
  }
}

// Patchset n changes line 0 of its own file, so no two patchsets meet.
int file_of_patchset(int n, const Sizes& s) { return (n * 7919 + 17) % s.files; }

std::string diff_of(int file, const std::string& to) {
  std::string f = file_name(file);
  // As `diff` writes it: three lines of context (git apply insists on them).
  std::string context;
  for (int line = 1; line <= 3; ++line)
    context += " line " + std::to_string(line) + " of file " + std::to_string(file) + "\n";
  return "diff --git a/" + f + " b/" + f + "\n--- a/" + f + "\n+++ b/" + f + "\n@@ -1,4 +1,4 @@\n-" +
         original_line0(file) + "\n+" + to + "\n" + context;
}

std::string hg_patch(int n, const Sizes& s) {
  return "# HG changeset patch\n# User Dana Dev <dana@example.org>\n# Date 1700000000 0\nBug " +
         std::to_string(1000 + n) + " - bench patchset " + std::to_string(n) + " r=rita\n\n" +
         diff_of(file_of_patchset(n, s), "changed by patchset " + std::to_string(n));
}

std::string git_patch(int n, const Sizes& s) {
  return "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\nFrom: Dana Dev <dana@example.org>\n"
         "Date: Tue, 14 Nov 2023 22:13:20 +0000\nSubject: [PATCH] Bug " +
         std::to_string(1000 + n) + " - bench patchset " + std::to_string(n) + " r=rita\n\n---\n" +
         diff_of(file_of_patchset(n, s), "changed by patchset " + std::to_string(n)) + "-- \n2.39.5\n\n";
}

struct Figures {
  double first_clone_ms = 0;
  double ours_ms = 0;
  double warm_ms = 0;
  double fresh_ms = 0;
  int races = 0;
};

void report(const char* title, const Figures& f, const Sizes& s, const char* baseline_b, const char* baseline_a) {
  std::printf("%s\n", title);
  std::printf("  %-52s %3d patchsets  %8.1f ms/patchset   (its first clone: %.0f ms, not counted)\n", "autoland pusher",
              s.patchsets, f.ours_ms, f.first_clone_ms);
  std::printf("  %-52s %3d patchsets  %8.1f ms/patchset\n", baseline_b, s.patchsets, f.warm_ms);
  std::printf("  %-52s %3d patchsets  %8.1f ms/patchset\n", baseline_a, s.fresh_clone_patchsets, f.fresh_ms);
  double vs_warm = f.ours_ms / f.warm_ms, vs_fresh = f.fresh_ms / f.ours_ms;
  std::printf("  autoland / (b) = %.2f   (target <= 0.50: %s)\n", vs_warm, vs_warm <= 0.5 ? "met" : "MISSED");
  std::printf("  (a) / autoland = %.1fx  (target >= 50x: %s)\n", vs_fresh, vs_fresh >= 50 ? "met" : "MISSED");
}

Figures bench_ours(VersionControl& vcs, const std::string& url, const std::string& branch, const Sizes& s,
                   int first_patchset, bool git) {
  SystemClock clock;
  auto store = open_store("sqlite://:memory:", clock);
  if (!store) std::exit(1);
  Pusher pusher(**store, vcs);
  Figures f;
  for (int n = first_patchset; n <= first_patchset + s.patchsets; ++n) {
    PushSpec spec;
    spec.branch = branch;
    spec.pull_url = spec.push_url = url;
    spec.patches = {{static_cast<AttachmentId>(n), git ? git_patch(n, s) : hg_patch(n, s)}};
    auto start = Steady::now();
    auto r = pusher.push(push_intent_key(n, Stage::landing), spec);
    double ms = ms_since(start);
    if (!r) {
      std::fprintf(stderr, "patchset %d: %s\n", n, r.error().message.c_str());
      std::exit(1);
    }
    f.races += r->outcome.races;
    if (n == first_patchset) {
      f.first_clone_ms = ms;  // the one-time clone into the cache, plus this patchset
    } else {
      f.ours_ms += ms;
    }
  }
  f.ours_ms /= s.patchsets;
  return f;
}

void bench_hg(const fs::path& dir, const Sizes& s) {
  std::fprintf(stderr, "hg: generating %d files and %d changesets...\n", s.files, s.changesets);
  fs::path repo = dir / "hg-remote";
  fs::create_directories(repo);
  must({"hg", "init", repo.string()});
  write_tree(repo, s.files);
  must({"hg", "commit", "-q", "-A", "-m", "initial tree", "-d", "0 0"}, repo.string());
  std::vector<std::string> import = {"hg", "import", "-q", "--bypass"};
  fs::create_directories(dir / "hg-history");
  for (int c = 0; c < s.changesets; ++c) {
    // History that changes line 9 of files no bench patchset touches.
    int file = (c * 37 + 5) % s.files;
    std::string f = file_name(file);
    fs::path p = dir / "hg-history" / (std::to_string(c) + ".patch");
    std::ofstream(p) << "# HG changeset patch\n# User history <h@example.org>\n# Date " << c + 1 << " 0\nBug " << c
                     << " - history " << c << "\n\ndiff --git a/" << f << " b/" << f << "\n--- a/" << f << "\n+++ b/"
                     << f << "\n@@ -10,1 +10,1 @@\n-line 9 of file " << file << "\n+history " << c << "\n";
    import.push_back(p.string());
  }
  must(import, repo.string());
  must({"hg", "phase", "--public", "-r", "all()"}, repo.string());
  g_server_pid_files.push_back((dir / "hg-serve.pid").string());
  std::string out =
      must({"hg", "serve", "-R", repo.string(), "-a", "127.0.0.1", "-p", "0", "-d", "--pid-file",
            (dir / "hg-serve.pid").string(), "--config", "web.push_ssl=false", "--config", "web.allow-push=*"})
          .out;
  size_t at = out.find("bound to 127.0.0.1:");
  std::string url = "http://127.0.0.1:" + out.substr(at + 19, out.find(')', at) - at - 19) + "/";

  std::fprintf(stderr, "hg: autoland pusher...\n");
  HgVcs vcs((dir / "cache-hg").string());
  Figures f = bench_ours(vcs, url, "central", s, 0, false);

  std::fprintf(stderr, "hg: (b) warm clone by hand...\n");
  fs::path warm = dir / "hg-warm";
  must({"hg", "clone", "-q", url, warm.string()});
  int base = s.patchsets + 1;
  auto start = Steady::now();
  for (int n = base; n < base + s.patchsets; ++n) {
    fs::path p = dir / "patch.diff";
    std::ofstream(p) << hg_patch(n, s);
    must({"hg", "import", "-q", p.string()}, warm.string());
    must({"hg", "push", "-q", url}, warm.string());
  }
  f.warm_ms = ms_since(start) / s.patchsets;

  std::fprintf(stderr, "hg: (a) a fresh clone per patchset...\n");
  base += s.patchsets;
  start = Steady::now();
  for (int n = base; n < base + s.fresh_clone_patchsets; ++n) {
    fs::path fresh = dir / ("hg-fresh-" + std::to_string(n));
    must({"hg", "clone", "-q", url, fresh.string()});
    fs::path p = dir / "patch.diff";
    std::ofstream(p) << hg_patch(n, s);
    must({"hg", "import", "-q", p.string()}, fresh.string());
    must({"hg", "push", "-q", url}, fresh.string());
    fs::remove_all(fresh);
  }
  f.fresh_ms = ms_since(start) / s.fresh_clone_patchsets;
  std::ifstream pid_file(dir / "hg-serve.pid");
  pid_t pid = 0;
  if (pid_file >> pid && pid > 0) ::kill(pid, SIGTERM);
  std::string version = must({"hg", "--version", "-q"}).out;
  version = std::string(util::trim(version.substr(0, version.find('\n'))));
  report(("Mercurial over http (hg serve): " + version).c_str(), f, s, "(b) warm clone: hg import + hg push, by hand",
         "(a) the seed: fresh clone + hg import + hg push");
}

void bench_git(const fs::path& dir, const Sizes& s) {
  std::fprintf(stderr, "git: generating %d files and %d changesets...\n", s.files, s.changesets);
  fs::path remote = dir / "git" / "remote.git";
  must({"git", "init", "-q", "--bare", "--initial-branch=main", remote.string()});
  // One fast-import stream: the tree, then the history.
  std::string stream = "commit refs/heads/main\ncommitter gen <gen@example.org> 0 +0000\ndata 12\ninitial tree\n";
  for (int i = 0; i < s.files; ++i) {
    std::string text;
    for (int line = 0; line < 10; ++line)
      text += "line " + std::to_string(line) + " of file " + std::to_string(i) + "\n";
    stream += "M 100644 inline " + file_name(i) + "\ndata " + std::to_string(text.size()) + "\n" + text;
  }
  for (int c = 0; c < s.changesets; ++c) {
    int file = (c * 37 + 5) % s.files;
    std::string text;
    for (int line = 0; line < 9; ++line)
      text += "line " + std::to_string(line) + " of file " + std::to_string(file) + "\n";
    text += "history " + std::to_string(c) + "\n";
    std::string msg = "Bug " + std::to_string(c) + " - history " + std::to_string(c);
    stream += "commit refs/heads/main\ncommitter history <h@example.org> " + std::to_string(c + 1) + " +0000\ndata " +
              std::to_string(msg.size()) + "\n" + msg + "\nM 100644 inline " + file_name(file) + "\ndata " +
              std::to_string(text.size()) + "\n" + text;
  }
  must({"git", "--git-dir", remote.string(), "fast-import", "--quiet"}, "", stream);
  int port = testing::free_port();
  SpawnOptions d;
  d.argv = {"git",
            "daemon",
            "--listen=127.0.0.1",
            "--port=" + std::to_string(port),
            "--reuseaddr",
            "--export-all",
            "--enable=receive-pack",
            "--base-path=" + (dir / "git").string(),
            (dir / "git").string()};
  d.own_process_group = true;  // its children serving connections go with it
  auto daemon = Subprocess::spawn(d);
  if (!daemon) std::exit(1);
  g_server_groups.push_back(daemon->pid());
  std::string url = "git://127.0.0.1:" + std::to_string(port) + "/remote.git";
  for (int i = 0; i < 50; ++i) {
    SpawnOptions probe;
    probe.argv = {"git", "ls-remote", url};
    auto r = run_program(probe);
    if (r && r->exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  std::fprintf(stderr, "git: autoland pusher...\n");
  GitVcs vcs((dir / "cache-git").string());
  Figures f = bench_ours(vcs, url, "main", s, 0, true);

  std::fprintf(stderr, "git: (b) warm clone by hand...\n");
  fs::path warm = dir / "git-warm";
  must({"git", "clone", "-q", url, warm.string()});
  int base = s.patchsets + 1;
  auto start = Steady::now();
  for (int n = base; n < base + s.patchsets; ++n) {
    fs::path p = dir / "patch.mbox";
    std::ofstream(p) << git_patch(n, s);
    must({"git", "am", "-q", p.string()}, warm.string());
    must({"git", "push", "-q", "origin", "HEAD:main"}, warm.string());
  }
  f.warm_ms = ms_since(start) / s.patchsets;

  std::fprintf(stderr, "git: (a) a fresh clone per patchset...\n");
  base += s.patchsets;
  start = Steady::now();
  for (int n = base; n < base + s.fresh_clone_patchsets; ++n) {
    fs::path fresh = dir / ("git-fresh-" + std::to_string(n));
    must({"git", "clone", "-q", url, fresh.string()});
    fs::path p = dir / "patch.mbox";
    std::ofstream(p) << git_patch(n, s);
    must({"git", "am", "-q", p.string()}, fresh.string());
    must({"git", "push", "-q", "origin", "HEAD:main"}, fresh.string());
    fs::remove_all(fresh);
  }
  f.fresh_ms = ms_since(start) / s.fresh_clone_patchsets;
  daemon->kill_now();
  std::string version(util::trim(must({"git", "--version"}).out));
  report(("git over git:// (git daemon): " + version).c_str(), f, s, "(b) warm clone: git am + git push, by hand",
         "(a) fresh clone + git am + git push");
}

}  // namespace

int main(int argc, char** argv) {
  std::atexit(stop_servers);
  util::set_log_level(std::getenv("AUTOLAND_BENCH_DEBUG") ? util::LogLevel::debug : util::LogLevel::error);
  Sizes s;
  int* fields[] = {&s.files, &s.changesets, &s.patchsets, &s.fresh_clone_patchsets};
  for (int i = 1; i < argc && i <= 4; ++i) *fields[i - 1] = std::atoi(argv[i]);
  if (s.files < 200 || s.changesets < 1 || s.patchsets < 1 || s.fresh_clone_patchsets < 1) {
    std::fprintf(stderr, "usage: %s [FILES>=200 CHANGESETS PATCHSETS FRESH_CLONE_PATCHSETS]\n", argv[0]);
    return 2;
  }
  char tmpl[] = "/tmp/autoland-landing-bench-XXXXXX";
  if (!::mkdtemp(tmpl)) return 1;
  fs::path dir = tmpl;
  std::printf("landing benchmark: %d files, %d changesets of history, patchsets of one small change each\n", s.files,
              s.changesets);
  // AUTOLAND_BENCH_ONLY=hg|git runs one of the two.
  const char* only = std::getenv("AUTOLAND_BENCH_ONLY");
  if (!only || std::string(only) == "hg") bench_hg(dir, s);
  if (!only || std::string(only) == "git") bench_git(dir, s);
  fs::remove_all(dir);
  return 0;
}
