// The one environment every hg process autoland starts runs in: plain output
// (HGPLAIN, no user config's aliases or formats), UTF-8 names, and a user
// name for commits that name none (a patch's author is always passed).
#pragma once

#include <map>
#include <string>

namespace autoland {

inline std::map<std::string, std::string> hg_environment() {
  return {{"HGPLAIN", "1"}, {"HGENCODING", "UTF-8"}, {"LC_ALL", "C.UTF-8"}, {"HGUSER", "autoland"}};
}

}  // namespace autoland
