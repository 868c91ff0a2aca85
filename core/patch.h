// Patches as developers attach them: `hg export` output, `git format-patch`
// mails, and plain unified diffs with no header. The parser extracts the
// author, date and message and the files touched, and refuses anything that
// could harm the repository or the pusher (paths outside the tree, VCS
// metadata, NUL bytes, oversized input) with a reason that names the line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/model.h"
#include "util/result.h"

namespace autoland {

enum class PatchFormat { hg_export, git_format_patch, plain_diff };
enum class FileChangeKind { modify, add, remove, rename, copy };

std::string_view to_string(PatchFormat f);
std::string_view to_string(FileChangeKind k);

struct FileChange {
  FileChangeKind kind = FileChangeKind::modify;
  std::string path;      // the file after the change (before it, for remove)
  std::string old_path;  // rename/copy source; "" otherwise
  bool binary = false;
  std::string old_mode;  // "100644" etc., "" when the patch does not say
  std::string new_mode;
  int hunks = 0;
  uint64_t lines_added = 0;
  uint64_t lines_removed = 0;
  // A symbolic link after the change (git mode 120000, also read from a
  // mode-keeping "index a..b 120000" line), and where it points: the one
  // line its hunk adds. A link the patch only keeps or removes has no target.
  bool symlink = false;
  std::string link_target;
};

// When a change was made: seconds since the epoch and the author's offset
// east of UTC, in seconds (+3600 for CET).
struct PatchDate {
  int64_t seconds = 0;
  int32_t offset_east = 0;
  bool operator==(const PatchDate&) const = default;
};

// "1700000000 -3600" (hg export: the offset counts seconds west of UTC) or an
// RFC 2822 date ("Tue, 14 Nov 2023 22:13:20 +0100"); nullopt when neither.
std::optional<PatchDate> parse_patch_date(std::string_view text);
// As `hg import --date` takes it: "1700000000 -3600".
std::string hg_date(const PatchDate& d);
// As git takes it in GIT_AUTHOR_DATE: "@1700000000 +0100".
std::string git_date(const PatchDate& d);

// A parsed patch. What it reports is exactly what lands: the author, date and
// message are committed as they are here (the VCS never reads the header
// itself), and `diff` holds the only bytes the VCS is given to apply, so the
// files listed are the files the VCS writes.
struct Patch {
  PatchFormat format = PatchFormat::plain_diff;
  std::string author;                  // "Real Name <email>", "" when absent; mail quoting and encoded words undone
  std::string date;                    // as written ("1700000000 0" for hg, RFC 2822 for git)
  std::optional<PatchDate> timestamp;  // `date` read; nullopt when absent
  std::string message;                 // the whole commit message, trailing blank lines dropped
  std::string node;                    // hg export only
  std::string parent;
  std::string branch;
  std::vector<FileChange> files;
  // From the first line of the first file's diff to the end, as attached.
  std::string diff;

  bool has_header() const { return format != PatchFormat::plain_diff; }
  std::string summary() const;  // first line of message
};

// The largest patch taken unless the configuration says otherwise
// (patch_max_bytes); the one default the trigger, the queue and `autoland
// parse` share.
inline constexpr size_t kDefaultPatchMaxBytes = size_t{20} * 1024 * 1024;

struct PatchLimits {
  size_t max_bytes = kDefaultPatchMaxBytes;
  // The patch goes to Mercurial, which reads git's C-quoted file names
  // ("a/caf\303\251.txt", written for non-ASCII and special characters)
  // as they stand, quotes and escapes included, where git unquotes them:
  // such names are refused rather than read one way and written another.
  bool for_hg = false;
};

// REQUIRES: nothing. Returns invalid_input with a reason naming the line (and
// file) for anything malformed or unsafe.
Result<Patch> parse_patch(std::string_view text, const PatchLimits& limits = {});

// Checks one path from a patch: relative, no "..", nothing under .hg/ or .git/,
// no .hgrc. Returns the reason when unsafe.
Status check_patch_path(std::string_view path);

// `path` as case-insensitive, HFS+ and Windows filesystems see it: each
// component lower-cased, with ignorable code points and trailing dots and
// spaces dropped. Two paths that fold alike are one file on a checkout there.
std::string fold_path(std::string_view path);

// Whether `path` lies inside the folder `folder` once both are folded:
// "Out/x" is written through a link "out" on a case-insensitive checkout.
bool is_inside(std::string_view path, std::string_view folder);

// Checks where a symbolic link at `link_path` may point: relative, one line,
// some "../" first and then only names going down ("../lib/x.h", "sub/y"),
// staying inside the repository and out of .hg/ and .git/. With every link
// of a tree so, no chain of links leads out of it either. Returns the reason
// when unsafe.
Status check_symlink_target(std::string_view link_path, std::string_view target);

// The diff part of a patch, an `hg export` or a `git show`, for telling
// whether two changes are the same: from the first file header on, without
// "index" lines (git's blob ids) and trailing blanks.
std::string normalized_diff(std::string_view text);

// "Jane Doe [:jdoe]" -> "Jane Doe"; also drops "(:jdoe)" and surrounding space.
std::string strip_nick(std::string_view real_name);

// "Jane Doe [:jdoe]" -> "jdoe" (also "(:jdoe)"); "" when the name has no nick.
std::string nick_of(std::string_view real_name);

// The `# HG changeset patch` header autoland writes in front of a header-less
// patch for a try push: user "Real Name <email>" from the attachment's
// creator, message "Bug N - <attachment description>".
struct SynthesizedHeaderInput {
  BugId bug_id = 0;
  std::string creator_name;  // Bugzilla real name, may carry a [:nick] suffix
  std::string creator_email;
  std::string description;  // the attachment's description
  UnixTime date = 0;
};
std::string synthesize_hg_header(const SynthesizedHeaderInput& input);
std::string synthesized_user(const SynthesizedHeaderInput& input);
std::string synthesized_message(const SynthesizedHeaderInput& input);

}  // namespace autoland
