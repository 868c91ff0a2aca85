// The API under a flood, on 127.0.0.x only, bounded in time: what a sheriff's
// GET /killswitch costs (p50, p99) and what the server holds in memory while
// SLOW clients trickle their headers a byte a second (reconnecting when cut
// off, from 8 addresses) and two clients each try to send a 1 GiB chunked
// body (one without a token, one a sheriff's), against the same requests
// with nothing else going on (the baseline, measured first in the same run).
//
// The server runs in a child process (forked before any thread), so that its
// memory is read alone from /proc; the child stops when the run ends, also
// when this process fails.
//
// Usage: autoland_api_flood_bench [SLOW_CLIENTS] [UPLOAD_MIB] [SECONDS]
//        (defaults 200, 1024, 15)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "api/api_server.h"
#include "app/store_factory.h"
#include "util/log.h"

namespace {

using namespace autoland;
using Steady = std::chrono::steady_clock;

const std::string kSheriff = "flood-sheriff-token-0123456789";

int connect_from(const std::string& from, int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from.c_str(), &local.sin_addr);
  ::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

// One GET /killswitch as a sheriff on a new connection; milliseconds, or -1.
double kill_switch_ms(int port) {
  auto started = Steady::now();
  int fd = connect_from("127.0.0.1", port);
  if (fd < 0) return -1;
  send_all(
      fd, "GET /killswitch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + kSheriff + "\r\nConnection: close\r\n\r\n");
  std::string got;
  char buf[2048];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 5000) > 0) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  if (got.rfind("HTTP/1.1 200", 0) != 0) return -1;
  return std::chrono::duration<double, std::milli>(Steady::now() - started).count();
}

struct Latencies {
  double p50 = 0, p99 = 0;
  int failed = 0, count = 0;
};

Latencies measure(int port, int count) {
  std::vector<double> ms;
  Latencies out;
  for (int i = 0; i < count; ++i) {
    double t = kill_switch_ms(port);
    if (t < 0) {
      ++out.failed;
    } else {
      ms.push_back(t);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  out.count = count;
  if (ms.empty()) return out;
  std::sort(ms.begin(), ms.end());
  out.p50 = ms[ms.size() / 2];
  out.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
  return out;
}

long rss_kib(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::string(field).size()));
  }
  return -1;
}

// The server: an SQLite store in a temp file and the API, until stdin closes.
[[noreturn]] void serve(int port_pipe) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives the bench
  util::set_log_level(util::LogLevel::off);
  SystemClock clock;
  std::string db = "/tmp/autoland-flood-" + std::to_string(::getpid()) + ".db";
  auto store = open_store("sqlite://" + db, clock, /*migrate=*/true, /*create=*/true);
  if (!store || !(*store)->migrate().ok()) _exit(2);
  api::ApiOptions o;
  o.tokens = {{"flood", api::Role::sheriff, api::sha256_hex(kSheriff)}};
  api::ApiServer server(**store, clock, o);
  if (!server.start("127.0.0.1", 0).ok()) _exit(3);
  int port = server.port();
  if (::write(port_pipe, &port, sizeof port) != sizeof port) _exit(4);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  server.stop();
  std::remove(db.c_str());
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  int slow_clients = argc > 1 ? std::atoi(argv[1]) : 200;
  long upload_mib = argc > 2 ? std::atol(argv[2]) : 1024;
  int seconds = argc > 3 ? std::atoi(argv[3]) : 15;
  int to_child[2], port_pipe[2];
  if (::pipe(to_child) != 0 || ::pipe(port_pipe) != 0) return 1;
  pid_t child = ::fork();
  if (child == 0) {
    ::dup2(to_child[0], 0);
    ::close(to_child[1]);
    serve(port_pipe[1]);
  }
  ::close(to_child[0]);
  int port = 0;
  if (::read(port_pipe[0], &port, sizeof port) != sizeof port) {
    std::fprintf(stderr, "api_flood: the server did not start\n");
    return 1;
  }
  auto finish = [&](int code) {
    ::close(to_child[1]);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(child, &status, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, &status, 0);
    return code;
  };

  Latencies baseline = measure(port, 300);
  long rss_before = rss_kib(child, "VmRSS:");

  std::atomic<bool> stop{false};
  std::atomic<long> peak_rss{rss_before};
  std::atomic<uint64_t> slow_cut{0}, slow_refused{0};
  std::atomic<uint64_t> uploaded[2] = {0, 0}, upload_connections[2] = {0, 0}, most_on_one[2] = {0, 0};

  // Slow clients: headers a byte a second; a cut-off or refused one comes back.
  std::thread slow([&] {
    std::vector<int> fds(static_cast<size_t>(slow_clients), -1);
    while (!stop) {
      for (size_t i = 0; i < fds.size() && !stop; ++i) {
        if (fds[i] < 0) {
          fds[i] = connect_from("127.0.0." + std::to_string(2 + i % 8), port);
          if (fds[i] < 0 || !send_all(fds[i], "GET /killswitch HTTP/1.1\r\nHost: x\r\nX-Slow: ")) {
            ++slow_refused;
            if (fds[i] >= 0) ::close(fds[i]);
            fds[i] = -1;
          }
          continue;
        }
        if (!send_all(fds[i], "a")) {
          ++slow_cut;
          ::close(fds[i]);
          fds[i] = -1;
        }
      }
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    for (int fd : fds) {
      if (fd >= 0) ::close(fd);
    }
  });

  // Two 1 GiB chunked uploads, as fast as the server takes them; each starts
  // again when cut off, until its GiB is sent or the time is up.
  const uint64_t total = static_cast<uint64_t>(upload_mib) << 20;
  std::vector<std::thread> uploads;
  for (int who = 0; who < 2; ++who) {
    uploads.emplace_back([&, who] {
      std::string chunk(64 * 1024, 'x');
      char size[16];
      std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
      std::string framed = size + chunk + "\r\n";
      std::string auth = who == 1 ? "Authorization: Bearer " + kSheriff + "\r\n" : "";
      while (!stop && uploaded[who] < total) {
        int fd = connect_from("127.0.0.1" + std::to_string(who), port);  // 127.0.0.10 and .11
        if (fd < 0) break;
        if (!send_all(fd, "PUT /killswitch HTTP/1.1\r\nHost: x\r\n" + auth + "Transfer-Encoding: chunked\r\n\r\n")) {
          ::close(fd);
          continue;
        }
        ++upload_connections[who];
        uint64_t on_this = 0;
        while (!stop && uploaded[who] < total && send_all(fd, framed)) {
          uploaded[who] += chunk.size();
          on_this += chunk.size();
        }
        if (on_this > most_on_one[who]) most_on_one[who] = on_this;
        ::close(fd);
      }
    });
  }

  std::thread sampler([&] {
    while (!stop) {
      long r = rss_kib(child, "VmRSS:");
      if (r > peak_rss) peak_rss = r;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });

  std::this_thread::sleep_for(std::chrono::seconds(2));  // let the flood build up
  auto attack_started = Steady::now();
  Latencies flooded = measure(port, 300);
  while (Steady::now() - attack_started < std::chrono::seconds(std::max(1, seconds - 2))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop = true;
  slow.join();
  for (std::thread& t : uploads) t.join();
  sampler.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  long rss_after = rss_kib(child, "VmRSS:");
  bool alive = ::kill(child, 0) == 0;

  std::printf("api flood: %d slow clients (a byte a second, 8 addresses), two %ld MiB chunked uploads, %d s\n",
              slow_clients, upload_mib, seconds);
  std::printf("  GET /killswitch (sheriff)  baseline p50 %.2f ms  p99 %.2f ms  (%d of %d failed)\n", baseline.p50,
              baseline.p99, baseline.failed, baseline.count);
  std::printf("  GET /killswitch (sheriff)  flooded  p50 %.2f ms  p99 %.2f ms  (%d of %d failed)  p99 ratio %.2f\n",
              flooded.p50, flooded.p99, flooded.failed, flooded.count,
              baseline.p99 > 0 ? flooded.p99 / baseline.p99 : 0.0);
  std::printf("  server memory: %ld KiB before, %ld KiB at the peak, %ld KiB after\n", rss_before, peak_rss.load(),
              rss_after);
  std::printf("  slow connections cut off %llu times, refused %llu times\n",
              static_cast<unsigned long long>(slow_cut.load()), static_cast<unsigned long long>(slow_refused.load()));
  for (int who = 0; who < 2; ++who) {
    // What a client manages to send includes what the kernels buffer before the reset arrives.
    std::printf("  upload %s: %.1f MiB sent over %llu connections, at most %.1f KiB on one before it was cut off\n",
                who == 0 ? "without a token" : "as a sheriff  ", static_cast<double>(uploaded[who]) / (1 << 20),
                static_cast<unsigned long long>(upload_connections[who].load()),
                static_cast<double>(most_on_one[who]) / 1024);
  }
  bool ok = alive && flooded.failed == 0 && baseline.failed == 0;
  std::printf("api flood: %s\n", ok ? "the server stayed up and answered every sheriff" : "FAILED");
  return finish(ok ? 0 : 1);
}
