// The patch differential check shared by the integration test and the
// fuzz_patch_differential target: the files autoland's parser lists for a
// patch must be exactly the files Mercurial and git would write for it
// (tests/support/vcs_patch_files.py asks their own parsers; nothing is
// applied). Header-only and POSIX-only so that the fuzz build, which links
// just the core, can use it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/patch.h"

namespace autoland::testing {

class PatchOracle {
 public:
  // Starts /usr/bin/python3 `script`; throws when it cannot.
  explicit PatchOracle(const std::string& script) : script_(script) { launch(); }
  ~PatchOracle() { end(); }
  PatchOracle(const PatchOracle&) = delete;
  PatchOracle& operator=(const PatchOracle&) = delete;

  // {"hg_whole": [...] | null, "hg_diff": ..., "git_whole": ..., "git_diff": ...}
  // An oracle that died (Python killed by a huge binary hunk, say) is
  // started again and asked once more: its death is no finding.
  nlohmann::json ask(const std::string& whole, const std::string& diff) {
    for (int attempt = 0;; ++attempt) {
      std::string line = exchange(whole, diff);
      if (!line.empty()) return nlohmann::json::parse(line);
      if (attempt > 0) throw std::runtime_error("the patch oracle stopped answering");
      end();
      launch();
    }
  }

 private:
  void launch() {
    std::signal(SIGPIPE, SIG_IGN);  // a dead oracle makes a write fail, not this process end
    const std::string& script = script_;
    int to_child[2], from_child[2];
    if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) throw std::runtime_error("pipe");
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork");
    if (pid_ == 0) {
      ::dup2(to_child[0], 0);
      ::dup2(from_child[1], 1);
      ::close(to_child[1]);
      ::close(from_child[0]);
      const char* argv[] = {"/usr/bin/python3", script.c_str(), nullptr};
      ::execv(argv[0], const_cast<char* const*>(argv));
      ::_exit(127);
    }
    ::close(to_child[0]);
    ::close(from_child[1]);
    in_ = ::fdopen(to_child[1], "w");
    out_ = ::fdopen(from_child[0], "r");
  }

  void end() {
    if (in_) std::fclose(in_);
    if (out_) std::fclose(out_);
    in_ = out_ = nullptr;
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
    pid_ = -1;
  }

  // One answer line; "" when the oracle is gone.
  std::string exchange(const std::string& whole, const std::string& diff) {
    for (const std::string* part : {&whole, &diff}) {
      std::fprintf(in_, "%zu\n", part->size());
      std::fwrite(part->data(), 1, part->size(), in_);
    }
    std::fflush(in_);
    std::string line;
    for (int c; (c = std::fgetc(out_)) != EOF && c != '\n';) line += static_cast<char>(c);
    return line;
  }

  std::string script_;
  pid_t pid_ = -1;
  FILE* in_ = nullptr;
  FILE* out_ = nullptr;
};

// The oracle sends names as hex: they need not be UTF-8.
inline std::string unhex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// What each tool lists for a patch the parser accepted: hg names a rename's
// source too; `git apply --numstat` names only the file each entry writes.
inline std::set<std::string> listed_for(const Patch& p, bool git) {
  std::set<std::string> out;
  for (const FileChange& f : p.files) {
    out.insert(f.path);
    if (!git && f.kind == FileChangeKind::rename) out.insert(f.old_path);
  }
  return out;
}

// "" when every tool that reads the patch at all would write exactly the
// files the parser listed; otherwise what differs. `tools`: "hg", "git".
inline std::string differences(const Patch& parsed, const nlohmann::json& answer, const std::string& tool) {
  std::string out;
  for (std::string key : {tool + "_whole", tool + "_diff"}) {
    const nlohmann::json& files = answer.at(key);
    if (files.is_null()) continue;  // the tool refuses it: nothing is written
    std::set<std::string> theirs;
    for (const auto& f : files) theirs.insert(unhex(f.get<std::string>()));
    std::set<std::string> ours = listed_for(parsed, tool == "git");
    // What autoland runs (the diff part) must write exactly the files
    // listed. Given the whole attachment, a tool must not write more; it may
    // write fewer (hg's reader loses a diff right after a "***" line).
    bool whole = key.find("whole") != std::string::npos;
    if (theirs == ours || (whole && std::includes(ours.begin(), ours.end(), theirs.begin(), theirs.end()))) continue;
    auto show = [](const std::set<std::string>& s) {
      std::string text;
      for (const std::string& f : s) text += (text.empty() ? "" : ", ") + f;
      return "{" + text + "}";
    };
    out += key + " writes " + show(theirs) + " where autoland lists " + show(ours) + "; ";
  }
  return out;
}

}  // namespace autoland::testing
