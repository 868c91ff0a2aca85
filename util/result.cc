#include "util/result.h"

namespace autoland {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_input: return "invalid input";
    case ErrorKind::not_found: return "not found";
    case ErrorKind::denied: return "denied";
    case ErrorKind::conflict: return "conflict";
    case ErrorKind::transient: return "transient";
    case ErrorKind::internal: return "internal";
  }
  return "internal";
}

std::string Error::describe() const {
  std::string out(to_string(kind));
  out += ": ";
  out += message;
  return out;
}

}  // namespace autoland
