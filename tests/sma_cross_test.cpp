// Proves the SMA crossover fires exactly on crosses as defined (both averages defined at t-1
// and t), buys when flat, sells to flat when long, and reverses only with allow_short.
#include <gtest/gtest.h>

#include <vector>

#include "keel/engine/sma_cross.hpp"

using namespace keel::engine;

namespace {

SmaCrossParams params(bool allow_short) {
    return {0, 2, 3, Quantity::from_units(10), allow_short};
}

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

}  // namespace

TEST(SmaCross, SignalsMatchTheDefinitionOnASeries) {
    const std::vector<int> prices = {10, 11, 12, 11, 9, 8, 9, 12, 13, 13, 13, 10, 9, 12, 15, 11};
    const auto expected = reference_crosses(prices, 2, 3);
    SmaCross s(params(true));
    for (std::size_t t = 0; t < prices.size(); ++t) {
        const OrderIntent i = s.on_price(Price::from_units(prices[t]));
        const int got = i.side == Side::buy ? 1 : (i.side == Side::sell ? -1 : 0);
        ASSERT_EQ(got, expected[t]) << "t=" << t;
        if (i.side != Side::none)
            s.on_order_placed(i.side, i.quantity);
    }
}

TEST(SmaCross, LongOnlySellsToFlatAndIgnoresCrossDownWhenFlat) {
    SmaCross s(params(false));
    for (int p : {10, 10, 10})
        EXPECT_EQ(s.on_price(Price::from_units(p)).side, Side::none);
    EXPECT_EQ(s.on_price(Price::from_units(7)).side, Side::none);  // cross down while flat
    const OrderIntent buy = s.on_price(Price::from_units(20));     // cross up
    ASSERT_EQ(buy.side, Side::buy);
    EXPECT_EQ(buy.quantity, Quantity::from_units(10));
    s.on_order_placed(buy.side, buy.quantity);
    s.on_fill(Side::buy, buy.quantity);
    EXPECT_EQ(s.on_price(Price::from_units(20)).side, Side::none);
    const OrderIntent sell = s.on_price(Price::from_units(1));  // cross down while long
    ASSERT_EQ(sell.side, Side::sell);
    EXPECT_EQ(sell.quantity, Quantity::from_units(10));  // to flat, not short
}

TEST(SmaCross, DecisionsCountOrdersInFlightNotJustFills) {
    SmaCross s(params(true));
    for (int p : {10, 10, 10, 7})
        (void)s.on_price(Price::from_units(p));
    // cross up from the short the allow_short cross-down opened
    s.on_order_placed(Side::sell, Quantity::from_units(10));  // pretend it was placed
    const OrderIntent up = s.on_price(Price::from_units(30));
    ASSERT_EQ(up.side, Side::buy);
    EXPECT_EQ(up.quantity, Quantity::from_units(20));  // cover 10 in flight + open 10
    s.on_order_dead(Side::sell, Quantity::from_units(10));
    EXPECT_EQ(s.in_flight_raw(), 0);
}
