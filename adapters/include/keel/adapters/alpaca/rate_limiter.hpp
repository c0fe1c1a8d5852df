// RateLimiter: when the Alpaca adapter may send its next REST request. Alpaca allows 200
// requests a minute per account and tells where a client stands in every answer's
// X-Ratelimit-Limit / -Remaining / -Reset (epoch seconds) headers; over the limit it answers
// 429. Three rules, checked in this order:
//   1. Blocked: after a 429, or an answer with Remaining 0, nothing at all is sent until
//      Reset + 250 ms (the margin covers Reset's whole seconds and a little clock skew). A
//      Reset that is missing, or already past by the local clock (a clock ahead of Alpaca's),
//      is no guide: then the wait is a backoff, 1 s doubling per consecutive such answer up to
//      30 s. A Reset more than a minute ahead (a clock behind) is capped at a minute, the
//      length of Alpaca's window. A block only ever lengthens.
//   2. Low: while Remaining is below 20% of Limit (until Reset, or a minute without one, or
//      an answer above it), only cancel, order and lookup requests go; list and account polls
//      wait, so the last requests of a window are kept for the ones that move money.
//   3. Pace: a token bucket (a GCRA: one "theoretical arrival time", exact integer time) of
//      burst = per_minute / 10 (at least 1) at a sustained per_minute - burst a minute. With
//      those two, no 60-second window ever holds more than per_minute requests (burst + the
//      sustained rate times a minute), so rules 1 and 2 are a backstop for what keel cannot
//      see (other clients of the same account), not the usual brake. The burst lets the kill
//      switch's cancels, or a reconciliation's lookups, leave at once.
// The limiter says whether a request may go now; which one goes first is the caller's: it
// offers its queued requests in Priority order (cancel first). Time is passed in, never read
// here, so the tests drive it without a clock. Not thread-safe: the adapter's thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace keel::adapters::alpaca {

// Highest first: the order a caller offers its queued requests in.
enum class Priority : std::uint8_t { cancel, order, lookup, list, account };
[[nodiscard]] std::string_view to_string(Priority p) noexcept;

class RateLimiter {
  public:
    using SteadyTime = std::chrono::steady_clock::time_point;
    using WallTime = std::chrono::system_clock::time_point;

    static constexpr std::chrono::milliseconds kResetMargin{250};
    static constexpr std::chrono::milliseconds kBackoffInitial{1000};
    static constexpr std::chrono::milliseconds kBackoffMax{30000};
    static constexpr std::chrono::seconds kWindow{60};
    static constexpr std::int64_t kLowPercent = 20;

    // per_minute >= 1 (a programmer error otherwise; config validates it first).
    explicit RateLimiter(std::uint32_t per_minute = 200);

    // Takes a token and says yes when a request of priority p may be sent at now.
    [[nodiscard]] bool try_acquire(Priority p, SteadyTime now);

    // What an answer said (status 0 and no headers: no answer, nothing learned). wall_now and
    // now are the same instant on the two clocks: Reset is converted through them.
    void on_answer(unsigned status, std::optional<std::int64_t> limit,
                   std::optional<std::int64_t> remaining, std::optional<std::int64_t> reset_epoch_s,
                   WallTime wall_now, SteadyTime now);

    // Before this, nothing at all goes (rule 1); in the past when not blocked.
    [[nodiscard]] SteadyTime blocked_until() const noexcept { return blocked_until_; }
    // The earliest time try_acquire(p, ...) can say yes (all three rules), at least now: when
    // to wake up for the next queued request.
    [[nodiscard]] SteadyTime next_try(Priority p, SteadyTime now) const noexcept;
    [[nodiscard]] std::uint64_t throttled() const noexcept { return throttled_; }  // 429s seen
    [[nodiscard]] std::uint32_t burst() const noexcept { return burst_; }

  private:
    [[nodiscard]] static bool may_wait(Priority p) noexcept { return p >= Priority::list; }
    [[nodiscard]] std::chrono::nanoseconds backoff() const noexcept;

    std::uint32_t per_minute_;
    std::uint32_t burst_;
    std::chrono::nanoseconds interval_;   // between tokens at the sustained rate
    std::chrono::nanoseconds tolerance_;  // how far ahead of now tat_ may run: (burst - 1) tokens
    std::optional<SteadyTime> tat_;       // the theoretical arrival time of the next token
    SteadyTime blocked_until_{};
    SteadyTime low_until_{};
    std::uint32_t blocks_ = 0;  // consecutive blocking answers (429 or Remaining 0)
    std::uint64_t throttled_ = 0;
};

}  // namespace keel::adapters::alpaca
