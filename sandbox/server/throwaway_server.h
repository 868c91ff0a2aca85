// What every throwaway server of the sandbox and the tests (slapd,
// PostgreSQL) needs while it starts: to know when its port answers, and
// its own last words when it does not.
#pragma once

#include <chrono>
#include <string>

namespace autoland::sandbox {

// True once something accepts a TCP connection on 127.0.0.1:`port`, polled
// every 50 ms for up to `patience`.
bool wait_until_answers(int port, std::chrono::milliseconds patience);

// The last 2000 bytes of a server's log file ("" when it has none), for an
// error message.
std::string log_tail(const std::string& path);

}  // namespace autoland::sandbox
