// Base64 (RFC 4648, standard alphabet) for attachment data.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace autoland::util {

std::string base64_encode(std::string_view bytes);
// nullopt on a character outside the alphabet or bad padding; whitespace
// (line breaks) is skipped.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace autoland::util
