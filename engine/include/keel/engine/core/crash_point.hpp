// Crash points: named places where a test build can be told to die, so that restart tests hit
// the windows that matter (a few microseconds wide, never found by killing at random).
// KEEL_CRASH_AT=<point>[:N] kills the process with SIGKILL at the N-th pass (default 1) through
// the named point, exactly as `kill -9` would: no destructor, no flush, the journal's mapped
// pages left as the kernel holds them.
//
// Built in when KEEL_CRASH_POINTS is 1 (every preset but release and icount, like the
// allocation guard); elsewhere crash_point() is empty and a set KEEL_CRASH_AT is refused at
// start-up rather than ignored. A pass costs one relaxed load and a compare when a point is
// armed elsewhere, the same when none is.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keel::engine {

enum class CrashPoint : std::uint8_t {
    none = 0,
    // The gateway journaled order_sent; the venue has not been handed the order.
    order_sent,
    // The venue has the order (submit returned); nothing it answered is journaled yet.
    venue_sent,
    // Ingest took a venue reply off its queue; it is not journaled yet.
    reply_received,
    // Ingest journaled an input; no stage has seen it.
    input_journaled,
    // Restart recovery re-derived the session from the journal; no torn tail is cut yet.
    recovery_rederived,
};
inline constexpr CrashPoint kCrashPoints[] = {
    CrashPoint::order_sent,      CrashPoint::venue_sent,         CrashPoint::reply_received,
    CrashPoint::input_journaled, CrashPoint::recovery_rederived,
};

[[nodiscard]] std::string_view to_string(CrashPoint p) noexcept;

#ifndef KEEL_CRASH_POINTS
#define KEEL_CRASH_POINTS 0
#endif

namespace detail {
extern std::atomic<CrashPoint> g_armed_crash_point;
[[noreturn]] void crash_now(CrashPoint p) noexcept;
bool crash_countdown_done() noexcept;
}  // namespace detail

// The point passes: kills the process when it is the armed one and its count is reached.
inline void crash_point([[maybe_unused]] CrashPoint p) noexcept {
#if KEEL_CRASH_POINTS
    if (detail::g_armed_crash_point.load(std::memory_order_relaxed) == p) [[unlikely]] {
        if (detail::crash_countdown_done())
            detail::crash_now(p);
    }
#endif
}

// Reads KEEL_CRASH_AT (once, at start-up, before any pipeline thread runs) and arms the point
// it names. An error message when the value is malformed or this build has no crash points;
// nothing when it is unset.
[[nodiscard]] std::optional<std::string> arm_crash_point_from_env();
// For tests: arm `p` to fire at its n-th pass (CrashPoint::none disarms).
void arm_crash_point(CrashPoint p, std::uint64_t n) noexcept;

}  // namespace keel::engine
