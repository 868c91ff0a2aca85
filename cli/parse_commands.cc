// autoland parse tag|try|patch|message: the core parsers on the command line,
// JSON on stdout. Refused input: exit 1 and the reason on stderr.
#include <fstream>
#include <iostream>
#include <sstream>

#include "api/json_views.h"
#include "cli/command.h"
#include "core/commit_message.h"
#include "core/patch.h"
#include "core/try_syntax.h"
#include "core/whiteboard.h"

namespace autoland::cli {
namespace {

Result<std::string> read_input(const std::string& path) {
  if (path == "-") {
    std::ostringstream ss;
    ss << std::cin.rdbuf();
    return ss.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found("cannot read '" + path + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void print(const nlohmann::json& j) {
  std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

struct ParseArgs {
  std::string text;
  std::string file;
  uint64_t max_size = kDefaultPatchMaxBytes;
  uint64_t bug = 0;
};

}  // namespace

void register_parse_commands(CLI::App& app, Invocation& inv) {
  auto* parse = app.add_subcommand("parse", "Parse whiteboard tags, try syntax, patches or commit messages (JSON out)");
  parse->require_subcommand(1);
  auto args = std::make_shared<ParseArgs>();

  auto* tag = parse->add_subcommand("tag", "Parse the autoland tags in a whiteboard text");
  tag->add_option("TEXT", args->text, "Whiteboard text, e.g. \"[autoland-try:12:34]\"")->required();
  tag->callback([&inv, args] {
    inv.action = [args] {
      WhiteboardScan scan = scan_whiteboard(args->text);
      print(to_json(scan));
      for (const TagError& e : scan.errors) std::cerr << "error: " << e.reason << "\n";
      return scan.errors.empty() ? kExitOk : kExitFailed;
    };
  });

  auto* trys = parse->add_subcommand("try", "Parse try syntax, e.g. \"try: -b do -p all\"");
  trys->add_option("TEXT", args->text, "Try syntax, with or without the leading \"try:\"")->required();
  trys->callback([&inv, args] {
    inv.action = [args] {
      auto parsed = parse_try_syntax(args->text);
      if (!parsed) return fail(parsed.error());
      print(to_json(*parsed));
      return kExitOk;
    };
  });

  auto* patch = parse->add_subcommand("patch", "Parse a patch file (hg export, git format-patch or plain diff)");
  patch->add_option("FILE", args->file, "The patch; - for standard input")->required();
  patch->add_option("--max-size", args->max_size, "Largest patch accepted, in bytes")->capture_default_str();
  patch->callback([&inv, args] {
    inv.action = [args] {
      auto text = read_input(args->file);
      if (!text) return fail(text.error());
      auto parsed = parse_patch(*text, PatchLimits{args->max_size});
      if (!parsed) return fail(args->file + ": " + parsed.error().message);
      print(to_json(*parsed));
      return kExitOk;
    };
  });

  auto* message = parse->add_subcommand("message", "Parse a commit message; with --bug, check the trunk landing rule");
  message->add_option("TEXT", args->text, "The commit message")->required();
  message->add_option("--bug", args->bug, "The bug being landed: report what breaks the landing rule");
  message->callback([&inv, args] {
    inv.action = [args] {
      CommitMessageInfo info = parse_commit_message(args->text);
      nlohmann::json out = to_json(info);
      int code = kExitOk;
      if (args->bug) {
        auto problems = landing_message_problems(info, args->bug);
        out["landing_problems"] = problems;
        for (const auto& p : problems) std::cerr << "error: " << p << "\n";
        if (!problems.empty()) code = kExitFailed;
      }
      print(out);
      return code;
    };
  });
}

}  // namespace autoland::cli
