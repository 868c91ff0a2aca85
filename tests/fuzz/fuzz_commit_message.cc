// Commit messages: never crash; adding reviewers to a message that names none
// makes the parser find exactly those reviewers.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/commit_message.h"

using namespace autoland;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  CommitMessageInfo info = parse_commit_message(text);
  (void)landing_message_problems(info, 1);
  if (info.reviewers.empty()) {
    std::string with = add_reviewers_to_message(text, {"fuzzreviewer"});
    CommitMessageInfo after = parse_commit_message(with);
    if (after.reviewers != std::vector<std::string>{"fuzzreviewer"}) std::abort();
  }
  return 0;
}
