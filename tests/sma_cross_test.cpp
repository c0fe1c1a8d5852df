// Proves the SMA crossover fires exactly on crosses as defined (both averages defined at t-1
// and t), and that the strategy buys when flat, sells to flat when long, reverses only with
// allow_short, and decides on the expected position (fills plus orders in flight).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/strategy/strategies/sma_cross.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

// Reference: the definition computed naively with doubles on small integers (exact here).
std::vector<int> reference_crosses(const std::vector<int>& prices, std::size_t f, std::size_t s) {
    std::vector<int> out(prices.size(), 0);
    auto sma = [&](std::size_t t, std::size_t n) {
        double sum = 0;
        for (std::size_t i = t + 1 - n; i <= t; ++i)
            sum += prices[i];
        return sum / static_cast<double>(n);
    };
    for (std::size_t t = s; t < prices.size(); ++t) {
        const double f0 = sma(t - 1, f), s0 = sma(t - 1, s), f1 = sma(t, f), s1 = sma(t, s);
        if (f0 <= s0 && f1 > s1)
            out[t] = 1;
        if (f0 >= s0 && f1 < s1)
            out[t] = -1;
    }
    return out;
}

StrategyStage stage(bool allow_short) {
    SmaCrossParams p;
    p.symbol = 0;
    p.fast = 2;
    p.slow = 3;
    p.sizing = SizingPolicy::fixed(Quantity::from_units(10));
    p.allow_short = allow_short;
    std::vector<std::unique_ptr<Strategy>> v;
    v.push_back(std::make_unique<SmaCrossStrategy>(p));
    return StrategyStage(std::move(v), {4, Money::from_units(100'000), 64});
}

std::vector<Event> orders_of(const test::Recorder& rec) {
    return rec.of_type(EventType::order_request);
}

}  // namespace

TEST(SmaCrossSignal, FiresExactlyOnTheDefinedCrosses) {
    const std::vector<int> prices = {10, 11, 12, 11, 9, 8, 9, 12, 13, 13, 13, 10, 9, 12, 15, 11};
    const auto expected = reference_crosses(prices, 2, 3);
    SmaCrossSignal s(2, 3);
    for (std::size_t t = 0; t < prices.size(); ++t)
        ASSERT_EQ(s.update(Price::from_units(prices[t])), expected[t]) << "t=" << t;
}

TEST(SmaCrossStrategy, LongOnlyBuysOnCrossUpSellsToFlatAndIgnoresCrossDownWhenFlat) {
    StrategyStage st = stage(false);
    test::Recorder out;
    std::int64_t ts = 0;
    for (int p : {10, 10, 10, 7})  // cross down while flat: a signal, no order
        st.on_event(test::bar(0, ++ts, p), out);
    EXPECT_TRUE(orders_of(out).empty());
    ASSERT_EQ(out.of_type(EventType::signal).size(), 1u);
    EXPECT_EQ(out.of_type(EventType::signal)[0].payload.signal.reason, Reason::already_flat);
    st.on_event(test::bar(0, ++ts, 20), out);  // cross up
    ASSERT_EQ(orders_of(out).size(), 1u);
    const Event buy = orders_of(out)[0];
    EXPECT_EQ(buy.payload.order.side, Side::buy);
    EXPECT_EQ(buy.payload.order.quantity, Quantity::from_units(10));
    EXPECT_EQ(buy.payload.order.order_id, make_order_id(buy.header.seq, 0));
    st.on_event(test::fill_of(buy, 20), out);
    st.on_event(test::bar(0, ++ts, 20), out);
    st.on_event(test::bar(0, ++ts, 1), out);  // cross down while long
    ASSERT_EQ(orders_of(out).size(), 2u);
    EXPECT_EQ(orders_of(out)[1].payload.order.side, Side::sell);
    EXPECT_EQ(orders_of(out)[1].payload.order.quantity, Quantity::from_units(10));  // to flat
}

TEST(SmaCrossStrategy, ReversesWithAllowShortCountingOrdersInFlight) {
    StrategyStage st = stage(true);
    test::Recorder out;
    std::int64_t ts = 0;
    for (int p : {10, 10, 10, 7})  // cross down while flat: opens a short
        st.on_event(test::bar(0, ++ts, p), out);
    ASSERT_EQ(orders_of(out).size(), 1u);
    EXPECT_EQ(orders_of(out)[0].payload.order.side, Side::sell);
    // Not filled yet: the cross up covers the 10 in flight and opens 10 long.
    st.on_event(test::bar(0, ++ts, 30), out);
    ASSERT_EQ(orders_of(out).size(), 2u);
    EXPECT_EQ(orders_of(out)[1].payload.order.side, Side::buy);
    EXPECT_EQ(orders_of(out)[1].payload.order.quantity, Quantity::from_units(20));
}

TEST(SmaCrossStrategy, EveryCrossIsJournaledAsASignalBeforeItsOrder) {
    StrategyStage st = stage(false);
    test::Recorder out;
    std::int64_t ts = 0;
    for (int p : {10, 10, 10, 20})
        st.on_event(test::bar(0, ++ts, p), out);
    const auto& ev = out.events();
    ASSERT_GE(ev.size(), 2u);
    EXPECT_EQ(ev[ev.size() - 2].header.type, EventType::signal);
    EXPECT_EQ(ev[ev.size() - 2].payload.signal.direction, 1);
    EXPECT_EQ(ev.back().header.type, EventType::order_request);
}
