// The patch differential check as a fuzz target: whatever parse_patch
// accepts must list exactly the files Mercurial's and git's own readers
// would write from what autoland hands them (and no fewer than they would
// write from the whole attachment). The oracle is a long-lived
// tests/support/vcs_patch_files.py; only accepted inputs are sent to it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/patch.h"
#include "patch_oracle.h"

using namespace autoland;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto oracle = std::make_unique<testing::PatchOracle>(AUTOLAND_PATCH_ORACLE);
  std::string text(reinterpret_cast<const char*>(data), size);
  PatchLimits limits{64 * 1024};
  for (bool for_hg : {false, true}) {
    limits.for_hg = for_hg;
    auto patch = parse_patch(text, limits);
    if (!patch.ok()) continue;
    std::string diff = testing::differences(*patch, oracle->ask(text, patch->diff), for_hg ? "hg" : "git");
    if (!diff.empty()) {
      std::fprintf(stderr, "differential: %s\n", diff.c_str());
      std::abort();
    }
  }
  return 0;
}
