// The reconnect schedule: capped exponential backoff as a pure function of the attempt number,
// so the schedule is tested without a clock or a socket.
#pragma once

#include <cstdint>

namespace keel::adapters::feed {

struct BackoffPolicy {
    std::uint32_t initial_ms = 100;  // the wait before the first reconnect attempt
    std::uint32_t max_ms = 5000;     // the cap the doubling stops at
};

// The wait before reconnect attempt number attempt (0 = the first after a disconnect):
// initial_ms doubled attempt times, never more than max_ms (nor less than 1 ms).
[[nodiscard]] constexpr std::uint32_t backoff_delay_ms(const BackoffPolicy& policy,
                                                       std::uint32_t attempt) noexcept {
    const std::uint64_t cap = policy.max_ms == 0 ? 1 : policy.max_ms;
    std::uint64_t delay = policy.initial_ms == 0 ? 1 : policy.initial_ms;
    // 32 doublings take any 32-bit start past any 32-bit cap: the loop is bounded.
    for (std::uint32_t i = 0; i < attempt && i < 32 && delay < cap; ++i)
        delay *= 2;
    return static_cast<std::uint32_t>(delay < cap ? delay : cap);
}

}  // namespace keel::adapters::feed
