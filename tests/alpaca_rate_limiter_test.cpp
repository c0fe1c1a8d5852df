// alpaca::RateLimiter with time passed in: the bucket lets a burst of per_minute / 10 go at
// once and then paces, so that no 60-second window ever holds more than per_minute requests;
// a 429 blocks every priority until Reset + 250 ms, and so does Remaining 0 (without counting
// a 429); a 429 without a usable Reset backs off 1 s doubling to 30 s, and an ordinary answer
// starts the backoff over; a Reset past the local clock is no guide and one far ahead is
// capped at a minute; below 20% of Limit only cancels, orders and lookups go, until Reset.
#include "keel/adapters/alpaca/rate_limiter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <deque>

namespace keel::adapters::alpaca {
namespace {

using namespace std::chrono_literals;
using SteadyTime = RateLimiter::SteadyTime;
using WallTime = RateLimiter::WallTime;

// One instant on both clocks: wall 2026-12-07 15:30:00 UTC, steady an arbitrary point.
const WallTime kWall{std::chrono::seconds(1796657400)};
const SteadyTime kNow = SteadyTime{} + 1000h;
constexpr std::int64_t kWallS = 1796657400;

constexpr Priority kAll[] = {Priority::cancel, Priority::order, Priority::lookup, Priority::list,
                             Priority::account};

// One answer, at kNow.
void answer(RateLimiter& rl, unsigned status, std::optional<std::int64_t> limit,
            std::optional<std::int64_t> remaining, std::optional<std::int64_t> reset) {
    rl.on_answer(status, limit, remaining, reset, kWall, kNow);
}

TEST(AlpacaRateLimiter, ABurstGoesAtOnceThenRequestsArePaced) {
    RateLimiter rl(200);
    EXPECT_EQ(rl.burst(), 20u);
    for (int i = 0; i < 20; ++i)
        EXPECT_TRUE(rl.try_acquire(Priority::order, kNow)) << i;
    EXPECT_FALSE(rl.try_acquire(Priority::cancel, kNow));
    // The sustained rate is 180 a minute: a token every 60 s / 180, rounded up to the ns.
    const auto interval = std::chrono::nanoseconds(333'333'334);
    EXPECT_EQ(rl.next_try(Priority::cancel, kNow), kNow + interval);
    EXPECT_FALSE(rl.try_acquire(Priority::cancel, kNow + interval - 1ns));
    EXPECT_TRUE(rl.try_acquire(Priority::cancel, kNow + interval));
    EXPECT_FALSE(rl.try_acquire(Priority::cancel, kNow + interval));
}

TEST(AlpacaRateLimiter, NoMinuteEverHoldsMoreThanPerMinute) {
    // Asking every 10 ms for ten minutes, with pauses, never puts more than 200 requests in
    // any 60-second window, and keeps up the sustained rate.
    RateLimiter rl(200);
    std::deque<SteadyTime> window;
    std::size_t granted = 0, most = 0;
    for (int step = 0; step < 60'000; ++step) {
        const SteadyTime now = kNow + step * 10ms;
        if ((step / 3000) % 3 == 2)
            continue;  // a 30 s pause every 90 s lets the bucket refill
        if (!rl.try_acquire(Priority::order, now))
            continue;
        ++granted;
        window.push_back(now);
        while (now - window.front() >= 60s)
            window.pop_front();
        most = std::max(most, window.size());
    }
    EXPECT_LE(most, 200u);
    EXPECT_GE(most, 190u);  // the limit is used, not wasted
    EXPECT_GE(granted, 1300u);
}

TEST(AlpacaRateLimiter, A429BlocksEveryPriorityUntilResetPlusAMargin) {
    RateLimiter rl(200);
    answer(rl, 429, 200, 0, kWallS + 5);
    EXPECT_EQ(rl.throttled(), 1u);
    const SteadyTime until = kNow + 5s + 250ms;
    EXPECT_EQ(rl.blocked_until(), until);
    for (const Priority p : kAll) {
        EXPECT_FALSE(rl.try_acquire(p, until - 1ns)) << to_string(p);
        EXPECT_EQ(rl.next_try(p, kNow), until) << to_string(p);
    }
    EXPECT_TRUE(rl.try_acquire(Priority::cancel, until));
}

TEST(AlpacaRateLimiter, RemainingZeroBlocksUntilResetWithoutCountingA429) {
    RateLimiter rl(200);
    answer(rl, 200, 200, 0, kWallS + 12);
    EXPECT_EQ(rl.throttled(), 0u);
    EXPECT_EQ(rl.blocked_until(), kNow + 12s + 250ms);
    EXPECT_FALSE(rl.try_acquire(Priority::cancel, kNow + 12s));
    EXPECT_TRUE(rl.try_acquire(Priority::cancel, kNow + 12s + 250ms));
    // A later answer never shortens a block.
    RateLimiter again(200);
    answer(again, 429, 200, 0, kWallS + 20);
    answer(again, 200, 200, 150, kWallS + 3);
    EXPECT_EQ(again.blocked_until(), kNow + 20s + 250ms);
}

TEST(AlpacaRateLimiter, LowRemainingLetsOnlyCancelsOrdersAndLookupsGo) {
    RateLimiter rl(200);
    answer(rl, 200, 200, 39, kWallS + 30);  // below 20% of 200
    EXPECT_TRUE(rl.try_acquire(Priority::cancel, kNow));
    EXPECT_TRUE(rl.try_acquire(Priority::order, kNow));
    EXPECT_TRUE(rl.try_acquire(Priority::lookup, kNow));
    EXPECT_FALSE(rl.try_acquire(Priority::list, kNow));
    EXPECT_FALSE(rl.try_acquire(Priority::account, kNow));
    EXPECT_EQ(rl.next_try(Priority::account, kNow), kNow + 30s + 250ms);
    // The window resets: the polls go again.
    EXPECT_TRUE(rl.try_acquire(Priority::account, kNow + 30s + 250ms));

    RateLimiter back(200);
    answer(back, 200, 200, 39, kWallS + 30);
    answer(back, 200, 200, 40, kWallS + 30);  // 20% exactly is not low
    EXPECT_TRUE(back.try_acquire(Priority::list, kNow));
    // Without a Limit header the configured rate stands in for it.
    RateLimiter no_limit(100);
    no_limit.on_answer(200, std::nullopt, 19, std::nullopt, kWall, kNow);
    EXPECT_FALSE(no_limit.try_acquire(Priority::account, kNow));
    EXPECT_FALSE(no_limit.try_acquire(Priority::account, kNow + 59s));
    EXPECT_TRUE(no_limit.try_acquire(Priority::account, kNow + 60s));  // a window later
}

TEST(AlpacaRateLimiter, WithoutResetA429BacksOffDoublingUpToThirtySeconds) {
    RateLimiter rl(200);
    const std::chrono::seconds expected[] = {1s, 2s, 4s, 8s, 16s, 30s, 30s};
    SteadyTime now = kNow;
    for (const auto delay : expected) {
        rl.on_answer(429, 200, std::nullopt, std::nullopt, kWall, now);
        EXPECT_EQ(rl.blocked_until(), now + delay);
        now = rl.blocked_until();
    }
    EXPECT_EQ(rl.throttled(), 7u);
    // An ordinary answer starts the backoff over.
    rl.on_answer(200, 200, 150, std::nullopt, kWall, now);
    rl.on_answer(429, 200, std::nullopt, std::nullopt, kWall, now);
    EXPECT_EQ(rl.blocked_until(), now + 1s);
}

TEST(AlpacaRateLimiter, AResetPastTheClockBacksOffAndOneFarAheadIsCapped) {
    RateLimiter past(200);
    answer(past, 429, 200, 0, kWallS - 2);  // a local clock ahead of Alpaca's
    EXPECT_EQ(past.blocked_until(), kNow + 1s);
    RateLimiter far(200);
    answer(far, 429, 200, 0, kWallS + 3600);  // a local clock an hour behind
    EXPECT_EQ(far.blocked_until(), kNow + 60s + 250ms);
}

TEST(AlpacaRateLimiter, NoAnswerTeachesNothing) {
    RateLimiter rl(200);
    rl.on_answer(0, std::nullopt, std::nullopt, std::nullopt, kWall, kNow);
    EXPECT_EQ(rl.throttled(), 0u);
    EXPECT_TRUE(rl.try_acquire(Priority::account, kNow));
    EXPECT_LE(rl.blocked_until(), kNow);
}

}  // namespace
}  // namespace keel::adapters::alpaca
