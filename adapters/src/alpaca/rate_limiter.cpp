#include "keel/adapters/alpaca/rate_limiter.hpp"

#include <algorithm>

#include "keel/assert.hpp"

namespace keel::adapters::alpaca {

std::string_view to_string(Priority p) noexcept {
    switch (p) {
        case Priority::cancel:
            return "cancel";
        case Priority::order:
            return "order";
        case Priority::lookup:
            return "lookup";
        case Priority::list:
            return "list";
        case Priority::account:
            return "account";
    }
    return "unknown";
}

RateLimiter::RateLimiter(std::uint32_t per_minute)
    : per_minute_(per_minute), burst_(std::max<std::uint32_t>(1, per_minute / 10)) {
    KEEL_ASSERT(per_minute >= 1, "RateLimiter: per_minute must be at least 1");
    const std::uint32_t sustained = std::max<std::uint32_t>(1, per_minute - burst_);
    // Rounded up, so that rounding never lets a window hold one request more than per_minute.
    const std::int64_t window_ns = std::chrono::nanoseconds(kWindow).count();
    interval_ = std::chrono::nanoseconds((window_ns + sustained - 1) / sustained);
    tolerance_ = interval_ * (burst_ - 1);
}

bool RateLimiter::try_acquire(Priority p, SteadyTime now) {
    if (now < blocked_until_)
        return false;
    if (may_wait(p) && now < low_until_)
        return false;
    const SteadyTime tat = tat_.value_or(now);
    if (tat - now > tolerance_)
        return false;
    tat_ = std::max(tat, now) + interval_;
    return true;
}

std::chrono::nanoseconds RateLimiter::backoff() const noexcept {
    // blocks_ counts this block already: the first waits kBackoffInitial.
    std::chrono::nanoseconds delay = kBackoffInitial;
    for (std::uint32_t i = 1; i < blocks_ && delay < kBackoffMax; ++i)
        delay *= 2;
    return std::min<std::chrono::nanoseconds>(delay, kBackoffMax);
}

void RateLimiter::on_answer(unsigned status, std::optional<std::int64_t> limit,
                            std::optional<std::int64_t> remaining,
                            std::optional<std::int64_t> reset_epoch_s, WallTime wall_now,
                            SteadyTime now) {
    // Reset on the steady clock: only a Reset still ahead of the local clock is a guide, and
    // never more than a window ahead.
    std::optional<SteadyTime> reset_at;
    if (reset_epoch_s) {
        const WallTime reset_wall{std::chrono::seconds(*reset_epoch_s)};
        const auto ahead =
            std::chrono::duration_cast<std::chrono::nanoseconds>(reset_wall - wall_now);
        if (ahead > std::chrono::nanoseconds::zero())
            reset_at = now + std::min<std::chrono::nanoseconds>(ahead, kWindow);
    }
    const bool too_many = status == 429;
    const bool exhausted = remaining && *remaining <= 0;
    if (too_many)
        ++throttled_;
    if (too_many || exhausted) {
        ++blocks_;
        const SteadyTime until = reset_at ? *reset_at + kResetMargin : now + backoff();
        blocked_until_ = std::max(blocked_until_, until);
    } else if (status != 0) {
        blocks_ = 0;  // an answer that is neither: the backoff starts over
    }
    if (!remaining)
        return;
    const std::int64_t window_limit = limit.value_or(per_minute_);
    if (*remaining * 100 < window_limit * kLowPercent)
        low_until_ = reset_at ? *reset_at + kResetMargin : now + kWindow;
    else
        low_until_ = SteadyTime{};
}

RateLimiter::SteadyTime RateLimiter::next_try(Priority p, SteadyTime now) const noexcept {
    SteadyTime t = std::max(now, blocked_until_);
    if (may_wait(p))
        t = std::max(t, low_until_);
    if (tat_)
        t = std::max(t, *tat_ - tolerance_);
    return t;
}

}  // namespace keel::adapters::alpaca
