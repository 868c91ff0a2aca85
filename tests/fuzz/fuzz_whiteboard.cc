// Whiteboard scanning and rewriting: never crashes; every tag found sits at
// its offset; the canonical form of a tag scans back to the same request;
// removing a tag takes exactly its bytes; after adding the marker there is
// one (and adding again changes nothing), after removing it there is none.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

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
    if (tag.kind == WhiteboardTag::Kind::request) {
      std::string removed = rewrite_whiteboard(wb, {.remove = {tag.text}});
      if (removed.size() != wb.size() - tag.text.size()) std::abort();
    }
  }
  auto markers = [](const std::string& text) {
    size_t n = 0;
    for (const WhiteboardTag& t : scan_whiteboard(text).tags) n += t.kind == WhiteboardTag::Kind::in_queue;
    return n;
  };
  std::string with = with_in_queue_marker(wb);
  if (markers(with) == 0 || with_in_queue_marker(with) != with) std::abort();
  if (markers(without_in_queue_marker(wb)) != 0) std::abort();
  std::vector<std::string> texts;
  for (const WhiteboardTag& tag : scan.tags) texts.push_back(tag.text);
  for (const TagError& e : scan.errors) texts.push_back(e.text);
  std::string taken = rewrite_whiteboard(wb, {.remove = texts, .marker = WhiteboardEdit::Marker::add});
  if (markers(taken) == 0) std::abort();
  for (const TagError& e : scan.errors) {
    if (e.reason.empty()) std::abort();
  }
  return 0;
}
