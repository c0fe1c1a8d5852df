// Proves position, average cost and realised/unrealised P&L from fills, in exact fixed point.
#include <gtest/gtest.h>

#include "keel/engine/portfolio.hpp"

using namespace keel::engine;

namespace {
Price px(const char* s) {
    Price p{};
    EXPECT_EQ(Price::parse(s, p), DecimalError::ok);
    return p;
}
}  // namespace

TEST(Portfolio, AveragesUpAndRealisesOnReduction) {
    Portfolio pf(4);
    pf.apply_fill(0, Side::buy, px("10"), Quantity::from_units(100), Money{});
    pf.apply_fill(0, Side::buy, px("12"), Quantity::from_units(100), Money{});
    EXPECT_EQ(pf.position(0).average_price.to_string(), "11");
    pf.apply_fill(0, Side::sell, px("13.5"), Quantity::from_units(50), Money::from_units(1));
    const Position& p = pf.position(0);
    EXPECT_EQ(decimal_string(p.quantity_raw), "150");
    EXPECT_EQ(p.realized.to_string(), "124");  // 2.5 * 50 - 1 fee
    pf.mark(0, px("10"));
    EXPECT_EQ(pf.position(0).unrealized().to_string(), "-150");
}

TEST(Portfolio, ReversesThroughFlatAndTracksShorts) {
    Portfolio pf(1);
    pf.apply_fill(0, Side::buy, px("1.193"), Quantity::from_units(100'000), Money{});
    pf.apply_fill(0, Side::sell, px("1.2"), Quantity::from_units(300'000), Money{});
    const Position& p = pf.position(0);
    EXPECT_EQ(p.realized.to_string(), "700");
    EXPECT_EQ(decimal_string(p.quantity_raw), "-200000");
    EXPECT_EQ(p.average_price.to_string(), "1.2");
    pf.apply_fill(0, Side::buy, px("1.1"), Quantity::from_units(200'000), Money{});
    EXPECT_EQ(pf.position(0).realized.to_string(), "20700");
    EXPECT_EQ(pf.position(0).quantity_raw, 0);
    EXPECT_EQ(pf.position(0).unrealized().raw, 0);
}
