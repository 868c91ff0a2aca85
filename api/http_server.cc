#include "api/http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "util/log.h"
#include "util/mutex.h"
#include "util/strings.h"

namespace autoland::api {

bool HttpRequest::has_param(std::string_view key) const { return param_count(key) > 0; }

size_t HttpRequest::param_count(std::string_view key) const {
  size_t n = 0;
  for (const auto& [k, v] : query) n += k == key;
  return n;
}

std::string HttpRequest::get_param_value(std::string_view key) const {
  for (const auto& [k, v] : query) {
    if (k == key) return v;
  }
  return "";
}

std::string HttpRequest::get_header_value(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (util::iequals(k, name)) return v;
  }
  return "";
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// A fixed set of threads taking jobs in order; `max_queued` 0: no bound.
class WorkerPool {
 public:
  WorkerPool(unsigned threads, size_t max_queued) : max_queued_(max_queued) {
    for (unsigned i = 0; i < std::max(1u, threads); ++i) threads_.emplace_back([this] { work(); });
  }
  ~WorkerPool() { stop(); }

  // false: the queue is full (or the pool stopped); the job was not taken.
  bool submit(std::function<void()> job) {
    MutexLock lock(mu_);
    if (stopping_ || (max_queued_ > 0 && jobs_.size() >= max_queued_)) return false;
    jobs_.push_back(std::move(job));
    cv_.notify_one();
    return true;
  }

  // Runs what is queued, then ends the threads.
  void stop() {
    {
      MutexLock lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void work() {
    while (true) {
      std::function<void()> job;
      {
        MutexLock lock(mu_);
        while (!stopping_ && jobs_.empty()) cv_.wait(mu_);
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  Mutex mu_;
  std::condition_variable_any cv_;
  std::deque<std::function<void()>> jobs_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_;  // made in the constructor, joined by stop()
  size_t max_queued_;
  bool stopping_ GUARDED_BY(mu_) = false;
};

// Where a connection is, for its deadlines.
enum class Phase { head, body, busy };

struct ConnectionState {
  int fd = -1;
  Phase phase = Phase::head;
  SteadyClock::time_point since = SteadyClock::now();
  bool cut = false;
};

struct Route {
  std::string method;
  std::regex pattern;
  HttpServer::Gate gate;
  HttpServer::Handler handler;
};

// One request, from its headers to its answer.
struct RequestState {
  HttpRequest request;
  const Route* route = nullptr;
  bool urgent = false;
  bool over_limit = false;
  std::optional<HttpResponse> answer;  // set by a worker; queued when the connection resumes
};

std::string client_address(MHD_Connection* c) {
  const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  char text[INET6_ADDRSTRLEN] = {0};
  const sockaddr* a = info->client_addr;
  if (a->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a)->sin_addr, text, sizeof text);
  } else if (a->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, text, sizeof text);
  }
  return text;
}

// Decodes %XX in a path or a query in place, as libmicrohttpd's own does,
// except %00: libmicrohttpd hands the result on as a C string, so a NUL
// would cut it short ("/branches/a%00b" would name branch "a"). It stays
// "%00", which no name or number accepts.
size_t unescape_keeping_nul(void*, MHD_Connection*, char* s) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  char* out = s;
  for (const char* in = s; *in;) {
    if (in[0] == '%' && in[1] && in[2] && hex(in[1]) >= 0 && hex(in[2]) >= 0 && (in[1] != '0' || in[2] != '0')) {
      *out++ = static_cast<char>(hex(in[1]) * 16 + hex(in[2]));
      in += 3;
    } else {
      *out++ = *in++;
    }
  }
  *out = '\0';
  return static_cast<size_t>(out - s);
}

// With their lengths: a NUL inside a header value must not cut it short
// ("Bearer TOKEN\0junk" is not the token).
MHD_Result collect(void* cls, MHD_ValueKind, const char* key, size_t key_size, const char* value, size_t value_size) {
  static_cast<std::vector<std::pair<std::string, std::string>>*>(cls)->emplace_back(
      key ? std::string(key, key_size) : std::string(), value ? std::string(value, value_size) : std::string());
  return MHD_YES;
}

// libmicrohttpd (0.9.75) parses header lines in place, NUL-terminating each
// value, and hands a value on only up to its first NUL: "Bearer T\0junk"
// arrives as "Bearer T". What follows a value in that buffer shows whether
// its line went on: only the line's end (CR, LF, now NULs) may come before
// the next header's name, or, after the last header, the blank line's.
struct RawHeader {
  const char* key = nullptr;
  const char* value = nullptr;
  size_t value_size = 0;
};

MHD_Result collect_raw(void* cls, MHD_ValueKind, const char* key, size_t, const char* value, size_t value_size) {
  static_cast<std::vector<RawHeader>*>(cls)->push_back({key, value, value_size});
  return MHD_YES;
}

// The name of the first header whose line held a NUL, or "". Between one
// value's end and the next header's name only the line's end may stand (1
// NUL for LF, 2 for CRLF). After the last value, the line's end and the
// blank line: 4 NULs in a CRLF request; in a request of one header, or of
// bare LF lines, at least the next byte (what follows the blank line is the
// body, which cannot be told from junk).
// REQUIRES: `raw` in buffer order, as libmicrohttpd lists its headers.
std::string header_cut_at_a_nul(const std::vector<RawHeader>& raw) {
  bool crlf = false;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!raw[i].value || !raw[i].key) continue;
    const char* end = raw[i].value + raw[i].value_size;  // the NUL libmicrohttpd wrote
    const char* next = i + 1 < raw.size() ? raw[i + 1].key : nullptr;
    if (next && next > end && next - end <= ptrdiff_t{64} * 1024) {
      for (const char* p = end; p < next; ++p) {
        if (*p != '\0') return raw[i].key;
      }
      crlf = crlf || next - end == 2;
    } else if (end[1] != '\0' || (crlf && (end[2] != '\0' || end[3] != '\0'))) {
      return raw[i].key;
    }
  }
  return "";
}

// The name of the first header holding a control character (a tab aside), or "".
std::string header_with_control_character(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    for (char ch : name + value) {
      auto u = static_cast<unsigned char>(ch);
      if ((u < 0x20 && u != '\t') || u == 0x7f) return name;
    }
  }
  return "";
}

}  // namespace

struct HttpServer::Impl {
  HttpLimits limits;
  ErrorBody error_body;
  std::vector<Route> routes;
  MHD_Daemon* daemon = nullptr;
  int port = 0;

  std::unique_ptr<WorkerPool> workers, urgent_workers;

  mutable Mutex conn_mu;
  std::map<MHD_Connection*, ConnectionState> connections GUARDED_BY(conn_mu);
  std::atomic<uint64_t> cutoffs{0};
  std::thread watchdog;
  Mutex watch_mu;
  std::condition_variable_any watch_cv;
  bool watching GUARDED_BY(watch_mu) = false;

  HttpResponse error(int status, const std::string& detail) const {
    HttpResponse r;
    r.status = status;
    error_body(r, detail);
    return r;
  }

  static MHD_Result send(MHD_Connection* c, const HttpResponse& r) {
    MHD_Response* response =
        MHD_create_response_from_buffer(r.body.size(), const_cast<char*>(r.body.data()), MHD_RESPMEM_MUST_COPY);
    if (!response) return MHD_NO;
    MHD_add_response_header(response, "Content-Type", r.content_type.c_str());
    MHD_Result queued = MHD_queue_response(c, static_cast<unsigned>(r.status), response);
    MHD_destroy_response(response);
    return queued;
  }

  void set_phase(MHD_Connection* c, Phase phase) {
    MutexLock lock(conn_mu);
    auto it = connections.find(c);
    if (it == connections.end()) return;
    it->second.phase = phase;
    it->second.since = SteadyClock::now();
  }

  // The route for a request's head: the first whose method and pattern
  // match; 404 when no pattern matches, 405 when only other methods do.
  std::variant<const Route*, HttpResponse> find_route(HttpRequest& head) const {
    bool path_known = false;
    for (const Route& r : routes) {
      std::smatch m;
      if (!std::regex_match(head.path, m, r.pattern)) continue;
      path_known = true;
      if (r.method != head.method) continue;
      head.matches.assign(m.begin(), m.end());
      return &r;
    }
    if (path_known)
      return error(
          405, "method " + util::printable(head.method, 20) + " is not allowed on " + util::printable(head.path, 200));
    return error(404, "no route " + util::printable(head.method, 20) + " " + util::printable(head.path, 200));
  }

  // The first call for a request: its headers are in, no byte of its body read.
  MHD_Result on_head(MHD_Connection* c, const char* url, const char* method, RequestState* st) {
    HttpRequest& req = st->request;
    req.method = method ? method : "";
    req.path = url ? url : "";
    req.client = client_address(c);
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect, &req.headers);
    MHD_get_connection_values_n(c, MHD_GET_ARGUMENT_KIND, collect, &req.query);
    set_phase(c, Phase::body);
    std::vector<RawHeader> raw;
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect_raw, &raw);
    std::string bad = header_cut_at_a_nul(raw);
    if (bad.empty()) bad = header_with_control_character(req.headers);
    if (!bad.empty()) {
      return send(c, error(400, "header " + util::printable(bad, 100) + " holds a control character"));
    }
    auto found = find_route(req);
    if (auto* refused = std::get_if<HttpResponse>(&found)) return send(c, *refused);
    st->route = std::get<const Route*>(found);
    GateDecision decision = st->route->gate(req);
    if (decision.refusal) return send(c, *decision.refusal);
    st->urgent = decision.urgent;
    std::string length = req.get_header_value("Content-Length");
    // A body is framed one way: chunked, or by its length (RFC 9112 §6.1).
    // libmicrohttpd reads an unknown transfer coding as no body at all, and
    // the bytes that follow as the next request.
    // Present, even empty, counts: libmicrohttpd frames by any Transfer-Encoding.
    size_t codings = 0, lengths = 0;
    for (const auto& [name, value] : req.headers) {
      codings += util::iequals(name, "Transfer-Encoding") ? 1 : 0;
      lengths += util::iequals(name, "Content-Length") ? 1 : 0;
    }
    std::string coding = req.get_header_value("Transfer-Encoding");
    if (codings > 1 || lengths > 1) {
      return send(c, error(400, "Transfer-Encoding or Content-Length is given twice"));
    }
    if (codings == 1 && !util::iequals(coding, "chunked")) {
      return send(
          c, error(400, "Transfer-Encoding '" + util::printable(coding, 50) + "' is not supported (only chunked)"));
    }
    if (codings == 1 && lengths == 1) {
      return send(c, error(400, "a request has Content-Length or Transfer-Encoding: chunked, not both"));
    }
    if (!length.empty()) {
      auto declared = util::parse_uint(length);
      if (!declared) return send(c, error(400, "Content-Length is not a number"));
      if (*declared > limits.max_body_bytes) {
        return send(c, error(413, "the body is " + length + " bytes, over the limit of " +
                                      std::to_string(limits.max_body_bytes)));
      }
    }
    return MHD_YES;
  }

  // The body, as it arrives (chunked or not): never more than the limit kept.
  MHD_Result on_body(RequestState* st, const char* data, size_t* size) {
    if (!st->over_limit && st->request.body.size() + *size <= limits.max_body_bytes) {
      st->request.body.append(data, *size);
    } else {
      st->over_limit = true;
    }
    *size = 0;
    // Over the limit: stop reading now. libmicrohttpd cannot answer in the
    // middle of a body, so the connection is closed without one.
    return st->over_limit ? MHD_NO : MHD_YES;
  }

  // The body is in: the handler runs on a worker, the connection waits suspended.
  MHD_Result on_complete(MHD_Connection* c, RequestState* st) {
    if (st->answer) return send(c, *st->answer);
    set_phase(c, Phase::busy);
    WorkerPool& pool = st->urgent ? *urgent_workers : *workers;
    MHD_suspend_connection(c);
    bool taken = pool.submit([this, c, st] {
      HttpResponse response;
      try {
        st->route->handler(st->request, response);
      } catch (const std::exception& e) {
        LOG_ERROR("api", st->request.method + " " + st->request.path + ": " + e.what());
        response = error(500, "the request could not be handled (see the log)");
      }
      st->answer = std::move(response);
      MHD_resume_connection(c);
    });
    if (taken) return MHD_YES;
    MHD_resume_connection(c);
    st->answer = error(503, "the API is busy; try again shortly");
    return MHD_YES;
  }

  static MHD_Result on_request(void* cls, MHD_Connection* c, const char* url, const char* method, const char*,
                               const char* upload_data, size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<Impl*>(cls);
    auto* st = static_cast<RequestState*>(*con_cls);
    if (!st) {
      st = new RequestState;
      *con_cls = st;
      return self->on_head(c, url, method, st);
    }
    if (*upload_data_size > 0) return self->on_body(st, upload_data, upload_data_size);
    return self->on_complete(c, st);
  }

  static void on_completed(void* cls, MHD_Connection* c, void** con_cls, MHD_RequestTerminationCode) {
    delete static_cast<RequestState*>(*con_cls);
    *con_cls = nullptr;
    static_cast<Impl*>(cls)->set_phase(c, Phase::head);  // a kept-alive connection waits for its next request
  }

  static void on_connection(void* cls, MHD_Connection* c, void**, MHD_ConnectionNotificationCode code) {
    auto* self = static_cast<Impl*>(cls);
    MutexLock lock(self->conn_mu);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      const MHD_ConnectionInfo* info = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
      self->connections[c] = ConnectionState{info ? info->connect_fd : -1};
    } else {
      // libmicrohttpd closes the socket only after this: no fd of ours is reused while listed.
      self->connections.erase(c);
    }
  }

  // Cuts off connections past their deadline: the socket is shut down, and
  // libmicrohttpd, reading its end, closes the connection.
  void watch() {
    MutexLock wait_lock(watch_mu);
    while (watching) {
      watch_cv.wait_for(watch_mu, std::chrono::milliseconds(200));
      auto now = SteadyClock::now();
      MutexLock lock(conn_mu);
      for (auto& [c, state] : connections) {
        if (state.cut || state.fd < 0 || state.phase == Phase::busy) continue;
        auto deadline = state.phase == Phase::head ? limits.header_deadline : limits.body_deadline;
        if (now - state.since < deadline) continue;
        ::shutdown(state.fd, SHUT_RDWR);
        state.cut = true;
        ++cutoffs;
      }
    }
  }
};

HttpServer::HttpServer(HttpLimits limits, ErrorBody error_body) : impl_(std::make_unique<Impl>()) {
  impl_->limits = limits;
  impl_->error_body = std::move(error_body);
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(std::string method, const std::string& pattern, Gate gate, Handler handler) {
  impl_->routes.push_back(Route{std::move(method), std::regex(pattern), std::move(gate), std::move(handler)});
}

Status HttpServer::start(const std::string& host, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr) != 1) {
    return invalid_input("the API cannot listen on '" + host + "': not an IPv4 address");
  }
  impl_->workers = std::make_unique<WorkerPool>(impl_->limits.workers, impl_->limits.max_queued);
  impl_->urgent_workers = std::make_unique<WorkerPool>(impl_->limits.urgent_workers, 0);
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
  impl_->daemon = MHD_start_daemon(
      flags, static_cast<uint16_t>(port), nullptr, nullptr, &Impl::on_request, impl_.get(), MHD_OPTION_SOCK_ADDR,
      reinterpret_cast<sockaddr*>(&addr), MHD_OPTION_THREAD_POOL_SIZE, std::max(1u, impl_->limits.event_threads),
      MHD_OPTION_CONNECTION_LIMIT, impl_->limits.max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      impl_->limits.max_connections_per_client,
      // An idle connection (nothing sent or read) is closed after the header deadline too.
      MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(std::max<int64_t>(
          1, std::chrono::duration_cast<std::chrono::seconds>(impl_->limits.header_deadline).count())),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(32 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE, 256u,
      MHD_OPTION_UNESCAPE_CALLBACK, &unescape_keeping_nul, nullptr, MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed,
      impl_.get(), MHD_OPTION_NOTIFY_CONNECTION, &Impl::on_connection, impl_.get(), MHD_OPTION_END);
  if (!impl_->daemon) {
    impl_->workers.reset();
    impl_->urgent_workers.reset();
    return transient("the API cannot listen on " + host + ":" + std::to_string(port) +
                     " (in use, or not an address here)");
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl_->port = info ? info->port : port;
  {
    MutexLock lock(impl_->watch_mu);
    impl_->watching = true;
  }
  impl_->watchdog = std::thread([this] { impl_->watch(); });
  return {};
}

void HttpServer::stop() {
  if (!impl_ || !impl_->daemon) return;
  // Handlers under way finish and resume their connections before the daemon
  // stops (it must not stop with a connection suspended).
  impl_->workers->stop();
  impl_->urgent_workers->stop();
  MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
  {
    MutexLock lock(impl_->watch_mu);
    impl_->watching = false;
  }
  impl_->watch_cv.notify_all();
  if (impl_->watchdog.joinable()) impl_->watchdog.join();
}

int HttpServer::port() const { return impl_->port; }

size_t HttpServer::open_connections() const {
  MutexLock lock(impl_->conn_mu);
  return impl_->connections.size();
}

uint64_t HttpServer::deadline_cutoffs() const { return impl_->cutoffs; }

}  // namespace autoland::api
