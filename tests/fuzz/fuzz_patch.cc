// Patch parsing: never crashes or hangs; whatever it accepts has only safe
// paths and respects the size limit.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/patch.h"

using namespace autoland;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  PatchLimits limits{64 * 1024};
  auto patch = parse_patch(text, limits);
  if (!patch.ok()) {
    if (patch.error().message.empty()) std::abort();
    return 0;
  }
  if (text.size() > limits.max_bytes) std::abort();
  for (const FileChange& f : patch->files) {
    if (!check_patch_path(f.path).ok()) std::abort();
    if (!f.old_path.empty() && !check_patch_path(f.old_path).ok()) std::abort();
  }
  (void)patch->summary();
  (void)strip_nick(text);
  return 0;
}
