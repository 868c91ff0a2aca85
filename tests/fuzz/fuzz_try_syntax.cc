// Try syntax: never crashes; parse -> format -> parse gives the same value.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/try_syntax.h"

using namespace autoland;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)find_try_syntax(text);
  auto first = parse_try_syntax(text);
  if (!first.ok()) {
    if (first.error().message.empty()) std::abort();
    return 0;
  }
  std::string formatted = format_try_syntax(*first);
  auto second = parse_try_syntax(formatted);
  if (!second.ok() || !(*second == *first)) std::abort();
  if (format_try_syntax(*second) != formatted) std::abort();
  return 0;
}
