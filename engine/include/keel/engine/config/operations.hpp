// Operations settings: how a session holds its memory and what it does when it is told to stop.
// Read from the config's `memory` and `shutdown` sections (src/config/operations.cpp); the session
// (replay/session) acts on them, the stages never see them.
#pragma once

#include <cstdint>

namespace keel::engine {

// `memory: {lock}`: lock: mlockall(MCL_CURRENT | MCL_FUTURE) at start, so no page of the
// session is ever paged out; a failure stops the start (RLIMIT_MEMLOCK, CAP_IPC_LOCK).
struct MemoryConfig {
    bool lock = false;
};

// `shutdown: {cancel_open_orders, flatten, deadline_ms}`: what a live session does on SIGINT or
// SIGTERM before it drains. Each is a journaled command (a kill: new orders blocked, open orders
// cancelled, and with flatten every position closed by a market order), for every account; the
// session waits up to deadline_ms for the orders to be gone and the positions flat, then
// reports what is not, lifts the kill it set (so a restart trades again) and drains.
struct ShutdownPolicy {
    bool cancel_open_orders = false;
    bool flatten = false;  // implies cancel_open_orders (a kill cancels before it flattens)
    std::int64_t deadline_ms = 5000;
    [[nodiscard]] bool any() const noexcept { return cancel_open_orders || flatten; }
};

}  // namespace keel::engine
