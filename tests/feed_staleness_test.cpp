// The feed client's pure parts: the reconnect backoff schedule doubles up to its cap, and the
// staleness tracker reports each symbol's stale and fresh transitions exactly once, by the
// clock it is given.
#include "keel/adapters/feed/backoff.hpp"
#include "keel/adapters/feed/staleness_tracker.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace keel::adapters::feed {
namespace {

constexpr std::int64_t kMs = 1'000'000;

TEST(FeedBackoff, DoublesFromInitialUpToTheCap) {
    const BackoffPolicy p{100, 5000};
    const std::uint32_t expected[] = {100, 200, 400, 800, 1600, 3200, 5000, 5000};
    for (std::uint32_t attempt = 0; attempt < 8; ++attempt)
        EXPECT_EQ(backoff_delay_ms(p, attempt), expected[attempt]) << "attempt " << attempt;
}

TEST(FeedBackoff, HugeAttemptNumbersStayAtTheCapWithoutOverflow) {
    const BackoffPolicy p{100, 5000};
    EXPECT_EQ(backoff_delay_ms(p, 1000), 5000u);
    EXPECT_EQ(backoff_delay_ms(p, 0xFFFFFFFFu), 5000u);
    const BackoffPolicy wide{0xFFFFFFFFu, 0xFFFFFFFFu};
    EXPECT_EQ(backoff_delay_ms(wide, 40), 0xFFFFFFFFu);
}

TEST(FeedBackoff, InitialAboveTheCapIsCappedAndZeroIsOneMillisecond) {
    EXPECT_EQ(backoff_delay_ms({8000, 5000}, 0), 5000u);
    EXPECT_EQ(backoff_delay_ms({0, 5000}, 0), 1u);
    EXPECT_EQ(backoff_delay_ms({0, 5000}, 3), 8u);
    EXPECT_EQ(backoff_delay_ms({100, 0}, 3), 1u);
}

TEST(FeedStaleness, SymbolGoesStaleOnceAfterTheThresholdAndFreshOnItsNextMessage) {
    StalenessTracker t(2, 1000);
    t.start(0);
    std::vector<StalenessChange> out;
    EXPECT_FALSE(t.on_data(0, 100 * kMs, 42));
    t.check(1000 * kMs, out);  // symbol 1: exactly 1000 ms old is not yet stale
    EXPECT_TRUE(out.empty());
    t.check(1001 * kMs, out);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].symbol, 1u);
    EXPECT_EQ(out[0].state, engine::FeedState::stale);
    EXPECT_EQ(out[0].last_data_ts_ns, 0);
    out.clear();
    t.check(1101 * kMs, out);  // symbol 0's last message was at 100 ms
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].symbol, 0u);
    EXPECT_EQ(out[0].last_data_ts_ns, 42);
    out.clear();
    t.check(9000 * kMs, out);  // already stale: not reported again
    EXPECT_TRUE(out.empty());
    EXPECT_TRUE(t.stale(0));
    EXPECT_TRUE(t.on_data(0, 9001 * kMs, 43));  // fresh again: reported once
    EXPECT_FALSE(t.stale(0));
    EXPECT_FALSE(t.on_data(0, 9002 * kMs, 44));
    EXPECT_EQ(t.last_data_ts_ns(0), 44);
    t.check(9500 * kMs, out);
    EXPECT_TRUE(out.empty());
}

TEST(FeedStaleness, SteadyMessagesKeepASymbolFresh) {
    StalenessTracker t(1, 500);
    t.start(0);
    std::vector<StalenessChange> out;
    for (std::int64_t ms = 0; ms < 10'000; ms += 400) {
        EXPECT_FALSE(t.on_data(0, ms * kMs, ms));
        t.check((ms + 399) * kMs, out);
    }
    EXPECT_TRUE(out.empty());
}

TEST(FeedStaleness, ZeroThresholdNeverGoesStale) {
    StalenessTracker t(1, 0);
    t.start(0);
    std::vector<StalenessChange> out;
    t.check(1'000'000 * kMs, out);
    EXPECT_TRUE(out.empty());
}

TEST(FeedStaleness, DataForASymbolOutsideTheTableIsIgnored) {
    StalenessTracker t(1, 10);
    t.start(0);
    EXPECT_FALSE(t.on_data(5, 1, 1));
    EXPECT_FALSE(t.stale(5));
    EXPECT_EQ(t.last_data_ts_ns(5), 0);
}

}  // namespace
}  // namespace keel::adapters::feed
