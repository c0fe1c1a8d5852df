#include "keel/replay/ops/memory_lock.hpp"

#include <sys/mman.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

namespace keel::replay {
namespace {

std::string limit_text(rlim_t v) {
    return v == RLIM_INFINITY ? "unlimited" : std::to_string(v) + " bytes";
}

}  // namespace

std::string lock_memory() {
    if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
        return {};
    const int err = errno;
    std::string why =
        "mlockall(MCL_CURRENT | MCL_FUTURE) failed: " + std::string(std::strerror(err));
    rlimit limit{};
    if (getrlimit(RLIMIT_MEMLOCK, &limit) == 0) {
        why += "; RLIMIT_MEMLOCK is " + limit_text(limit.rlim_cur) + " (hard " +
               limit_text(limit.rlim_max) + ")";
    } else {
        why += "; RLIMIT_MEMLOCK cannot be read";
    }
    // Without CAP_IPC_LOCK a process locks at most RLIMIT_MEMLOCK bytes.
    return why +
           ", and without CAP_IPC_LOCK no more may be locked: raise it (systemd "
           "LimitMEMLOCK=infinity, ulimit -l unlimited, prlimit --memlock=unlimited) or set "
           "memory.lock false";
}

}  // namespace keel::replay
