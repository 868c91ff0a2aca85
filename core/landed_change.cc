#include "core/landed_change.h"

#include "core/patch.h"

namespace autoland {

Result<std::optional<std::string>> find_landed_change(const std::vector<BranchChangeset>& newest_first,
                                                      std::string_view summary, std::string_view patch_text,
                                                      const DiffOf& diff_of) {
  std::string body;  // the patch's normalized diff, made once it is needed
  for (size_t i = 0; i < newest_first.size(); ++i) {
    const BranchChangeset& c = newest_first[i];
    std::string_view first_line = std::string_view(c.description).substr(0, c.description.find('\n'));
    if (first_line != summary) continue;
    AUTOLAND_TRY_ASSIGN(auto diff, diff_of(c.node));
    if (body.empty()) body = normalized_diff(patch_text);
    if (normalized_diff(diff) != body) continue;
    const std::string backout = "Backed out changeset " + c.node.substr(0, 12);
    bool backed_out = false;
    for (size_t j = 0; j < i && !backed_out; ++j) {
      backed_out = newest_first[j].description.find(backout) != std::string::npos;
    }
    if (backed_out) continue;
    return std::optional<std::string>(c.node);
  }
  return std::optional<std::string>();
}

std::vector<BranchChangeset> parse_changeset_list(std::string_view text) {
  std::vector<BranchChangeset> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t node_end = text.find('\0', at);
    if (node_end == std::string_view::npos) break;
    size_t desc_end = text.find('\0', node_end + 1);
    if (desc_end == std::string_view::npos) desc_end = text.size();
    std::string_view node = text.substr(at, node_end - at);
    while (!node.empty() && (node.front() == '\n' || node.front() == ' ')) node.remove_prefix(1);
    out.push_back({std::string(node), std::string(text.substr(node_end + 1, desc_end - node_end - 1))});
    at = desc_end + 1;
  }
  return out;
}

}  // namespace autoland
