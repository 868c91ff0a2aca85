#include "adapters/vcs/hg/command_server.h"

#include <arpa/inet.h>

#include <chrono>
#include <cstring>

#include "adapters/process/hg_environment.h"
#include "util/log.h"
#include "util/strings.h"

namespace autoland {
namespace {

// The largest frame accepted: hg sends output in chunks far below this.
constexpr uint32_t kMaxFrameBytes = 256u << 20;

uint32_t be32(const std::string& four) {
  uint32_t v = 0;
  std::memcpy(&v, four.data(), 4);
  return ntohl(v);
}

std::string to_be32(uint32_t v) {
  uint32_t n = htonl(v);
  return std::string(reinterpret_cast<const char*>(&n), 4);
}

}  // namespace

Result<std::unique_ptr<HgCommandServer>> HgCommandServer::start(const std::string& repo, const std::string& hg) {
  std::unique_ptr<HgCommandServer> server(new HgCommandServer(repo, hg));
  AUTOLAND_TRY(server->launch());
  return server;
}

Status HgCommandServer::launch() {
  SpawnOptions o;
  o.argv = {hg_,           "serve",
            "--cmdserver", "pipe",
            "-R",          repo_,
            "--config",    "ui.interactive=false",
            "--config",    "ui.editor=false",
            "--config",    "ui.merge=internal:fail"};
  o.env_set = hg_environment();
  o.cwd = repo_;  // relative file names in commands are relative to the clone
  AUTOLAND_TRY_ASSIGN(auto p, Subprocess::spawn(o));
  process_ = std::move(p);
  // The hello frame: channel 'o', then "capabilities: ... runcommand ...".
  auto header = process_->read_exact(5);
  if (!header) {
    process_.reset();
    return transient("hg command server for " + repo_ + " did not start: " + header.error().message);
  }
  auto hello = process_->read_exact(be32(header->substr(1)));
  if (!hello || (*header)[0] != 'o' || hello->find("runcommand") == std::string::npos) {
    process_.reset();
    return internal_error("hg command server for " + repo_ + " sent no usable hello");
  }
  return {};
}

Result<HgResult> HgCommandServer::run_once(const std::vector<std::string>& args, std::string_view input, bool* sent) {
  *sent = false;
  std::string joined;
  for (size_t i = 0; i < args.size(); ++i) {
    if (i) joined += '\0';
    joined += args[i];
  }
  AUTOLAND_TRY(process_->write_all("runcommand\n" + to_be32(static_cast<uint32_t>(joined.size())) + joined));
  *sent = true;
  HgResult result;
  size_t fed = 0;
  while (true) {
    AUTOLAND_TRY_ASSIGN(auto header, process_->read_exact(5));
    char channel = header[0];
    uint32_t length = be32(header.substr(1));
    // A frame this long, or on no known channel, means the stream is out of
    // step (hg wrote to its stdout outside the protocol, e.g. a crash): the
    // caller drops this server and starts another.
    if (length > kMaxFrameBytes || std::string_view("oeIrLd").find(channel) == std::string_view::npos) {
      return internal_error("hg command server sent a malformed frame (channel " +
                            util::printable(std::string(1, channel)) + ", " + std::to_string(length) + " bytes)");
    }
    if (channel == 'I' || channel == 'L') {
      // The command reads stdin: send up to `length` bytes (a line for 'L'); 0 = end.
      std::string_view rest = input.substr(fed);
      size_t n = std::min<size_t>(length, rest.size());
      if (channel == 'L') {
        size_t nl = rest.find('\n');
        if (nl != std::string_view::npos) n = std::min(n, nl + 1);
      }
      AUTOLAND_TRY(process_->write_all(to_be32(static_cast<uint32_t>(n)) + std::string(rest.substr(0, n))));
      fed += n;
      continue;
    }
    AUTOLAND_TRY_ASSIGN(auto data, process_->read_exact(length));
    if (channel == 'o') {
      result.out += data;
    } else if (channel == 'e') {
      result.err += data;
    } else if (channel == 'r') {
      result.exit_code = static_cast<int>(be32(data));
      return result;
    } else if (channel >= 'A' && channel <= 'Z') {
      return internal_error(std::string("hg command server asked for unsupported channel ") + channel);
    }
    // Lower-case channels other than o/e (debug, ...) may be ignored.
  }
}

Result<HgResult> HgCommandServer::run(const std::vector<std::string>& args, std::string_view input) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!process_) {
      AUTOLAND_TRY(launch());
      ++restarts_;  // start() launched the first one
    }
    bool sent = false;
    auto start = std::chrono::steady_clock::now();
    auto r = run_once(args, input, &sent);
    if (r) {
      // The command's name only: its arguments may hold a URL with credentials.
      LOG_DEBUG("hg",
                "hg " + (args.empty() ? std::string() : args[0]) + ": exit " + std::to_string(r->exit_code) + " in " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
                            .count()) +
                    " ms");
      return r;
    }
    process_.reset();  // dead or out of step: the next command starts afresh
    if (sent) {
      return transient("hg " + (args.empty() ? std::string() : args[0]) + " in " + repo_ +
                       ": the command server died during the command (" + r.error().message + ")");
    }
    // It was dead before the command reached it: nothing ran, so start a new one and send it again.
  }
  return transient("hg command server for " + repo_ + " keeps dying");
}

}  // namespace autoland
