// Whiteboard scanning and rewriting: never crashes; every tag found sits at
// its offset; the canonical form of a tag scans back to the same request;
// removing a tag takes exactly its bytes (or, where that would join its
// neighbours into a new tag, leaves a space or cuts nothing) and never makes
// a request tag; after adding the marker there is one (and adding again
// changes nothing), after removing it there is none.
#include <algorithm>
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
      // The tag's bytes go (or a space in their place, or nothing is cut,
      // when cutting would join its neighbours into a new tag), and the
      // result holds no request tag the whiteboard did not.
      std::string removed = rewrite_whiteboard(wb, {.remove = {tag.text}});
      size_t at = tag.offset;  // a text named once goes once, leftmost first
      for (const WhiteboardTag& t : scan.tags) {
        if (t.text == tag.text) {
          at = t.offset;
          break;
        }
      }
      std::string cut = wb.substr(0, at) + wb.substr(at + tag.text.size());
      std::string spaced = wb.substr(0, at) + " " + wb.substr(at + tag.text.size());
      if (removed != cut && removed != spaced && removed != wb) std::abort();
      std::vector<std::string> before;
      for (const WhiteboardTag& t : scan.tags) before.push_back(t.text);
      for (const TagError& e : scan.errors) before.push_back(e.text);
      for (const WhiteboardTag& t : scan_whiteboard(removed).tags) {
        if (t.kind == WhiteboardTag::Kind::in_queue) continue;
        auto it = std::find(before.begin(), before.end(), t.text);
        if (it == before.end()) std::abort();
        before.erase(it);
      }
    }
  }
  auto markers = [](const std::string& text) {
    size_t n = 0;
    for (const WhiteboardTag& t : scan_whiteboard(text).tags) n += t.kind == WhiteboardTag::Kind::in_queue;
    return n;
  };
  std::string with = with_in_queue_marker(wb);
  if (markers(with) == 0 || with_in_queue_marker(with) != with) std::abort();
  // Removed means none left, unless every way of cutting one would join its
  // neighbours into a new request: then what is left is left for good.
  std::string unmarked = without_in_queue_marker(wb);
  if (markers(unmarked) != 0 && without_in_queue_marker(unmarked) != unmarked) std::abort();
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
