#include "core/patch_to_apply.h"

namespace autoland {

std::string name_of(const PatchToApply& p) {
  return p.label.empty() ? "attachment " + std::to_string(p.attachment_id) : p.label;
}

std::string commit_message_of(const PatchToApply& p, const Patch& parsed) {
  if (!parsed.has_header()) return p.message;
  return p.landing_message.empty() ? parsed.message : p.landing_message;
}

std::string author_of(const PatchToApply& p, const Patch& parsed) {
  return parsed.has_header() && !parsed.author.empty() ? parsed.author : p.user;
}

PatchDate date_of(const PatchToApply& p, const Patch& parsed) {
  if (parsed.has_header() && parsed.timestamp) return *parsed.timestamp;
  return PatchDate{p.date, 0};
}

Status check_committable(const PatchToApply& p, const Patch& parsed) {
  if (!parsed.has_header() && (p.user.empty() || p.message.empty())) {
    return invalid_input(name_of(p) + " has no changeset header, and none was made for it");
  }
  if (author_of(p, parsed).empty()) return invalid_input(name_of(p) + " names no author ('# User' or 'From:')");
  if (commit_message_of(p, parsed).empty()) return invalid_input(name_of(p) + " has no commit message");
  return {};
}

std::vector<std::string> summaries_of(const PatchToApply& p, const Patch& parsed) {
  auto first_line = [](const std::string& m) { return m.substr(0, m.find('\n')); };
  std::vector<std::string> out = {first_line(commit_message_of(p, parsed))};
  if (parsed.has_header() && !p.landing_message.empty() && first_line(parsed.message) != out[0]) {
    out.push_back(first_line(parsed.message));
  }
  return out;
}

}  // namespace autoland
