// Whiteboard scanning: never crashes; every tag found sits at its offset;
// the canonical form of a tag scans back to the same request; replacing a
// tag keeps every other byte.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/whiteboard.h"

using namespace autoland;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string wb(reinterpret_cast<const char*>(data), size);
  WhiteboardScan scan = scan_whiteboard(wb);
  for (const WhiteboardTag& tag : scan.tags) {
    if (wb.compare(tag.offset, tag.text.size(), tag.text) != 0) std::abort();
    WhiteboardScan again = scan_whiteboard(format_tag(tag));
    if (again.tags.size() != 1 || !again.errors.empty()) std::abort();
    const WhiteboardTag& t = again.tags[0];
    if (t.kind != tag.kind || t.branches != tag.branches || t.attachments != tag.attachments ||
        t.try_syntax != tag.try_syntax) {
      std::abort();
    }
    auto removed = remove_tag(wb, tag);
    if (!removed.ok() || removed->size() != wb.size() - tag.text.size()) std::abort();
    if (removed->compare(0, tag.offset, wb, 0, tag.offset) != 0) std::abort();
  }
  for (const TagError& e : scan.errors) {
    if (e.reason.empty()) std::abort();
  }
  return 0;
}
