// Where the checked-in test inputs live (set by CMake).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace autoland::testing {

inline std::string data_path(const std::string& relative) {
  return std::string(AUTOLAND_TEST_DATA_DIR) + "/" + relative;
}

inline std::string read_data(const std::string& relative) {
  std::ifstream in(data_path(relative), std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace autoland::testing
