// A TCP port on 127.0.0.1 that nothing listens on right now (the kernel's
// pick, released at once): for servers a test or the sandbox starts. 0 when
// none could be had.
#pragma once

namespace autoland::util {

int unused_local_port();

}  // namespace autoland::util
