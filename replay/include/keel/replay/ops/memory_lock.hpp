// lock_memory: config `memory.lock: true` at the start of `keel run`, before any pipeline
// thread or ring exists: mlockall(MCL_CURRENT | MCL_FUTURE), so no page of the session (its
// rings, arenas, stacks, the journal's buffers) is ever paged out under memory pressure.
// config/keel.service grants the limit (LimitMEMLOCK=infinity); a box that does not gets an
// error naming RLIMIT_MEMLOCK, never a session that quietly runs unlocked.
#pragma once

#include <string>

namespace keel::replay {

// Empty when every current and future page is locked; else why not: the errno text, the
// current RLIMIT_MEMLOCK (soft and hard) and how to raise it.
[[nodiscard]] std::string lock_memory();

}  // namespace keel::replay
