// Try syntax: the option line that tells the try server what to build and
// test ("try: -b do -p linux,win64 -u all -t none"). Parsed strictly: an
// unknown option or a stray word is an error that names it, because a typo
// would otherwise silently run the wrong jobs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace autoland {

struct TrySyntax {
  std::string build;                   // -b/--build: d, o, do or od; "" = not given
  std::vector<std::string> platforms;  // -p/--platform
  std::vector<std::string> unittests;  // -u/--unittests
  std::vector<std::string> talos;      // -t/--talos
  std::vector<uint64_t> post_to_bugs;  // --post-to-bug N[,M] / --post-to-bugzilla [Bug] N
  bool notify = false;                 // -n/--notify
  bool no_retry = false;               // --no-retry
  std::optional<uint32_t> rebuild;     // --rebuild N (1..20)

  bool operator==(const TrySyntax& other) const;
};

// Parses `text`, with or without a leading "try:" (any case). Empty text is an
// empty TrySyntax. Errors name the offending word.
Result<TrySyntax> parse_try_syntax(std::string_view text);

// "try: -b do -p linux,win64 -u all -n". parse_try_syntax(format(x)) == x.
std::string format_try_syntax(const TrySyntax& syntax);

// The try syntax in a (multi-line) commit message: from "try:" (at the start
// of a line or after a space) to the end of that line. nullopt when absent.
std::optional<std::string_view> find_try_syntax(std::string_view commit_message);

}  // namespace autoland
