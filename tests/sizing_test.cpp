// Proves the sizing policies (fixed quantity, fixed notional, percent-of-equity risk on an ATR
// stop): exact fixed-point results floored to the lot, zero when not ready or not sensible,
// saturation instead of overflow at the extremes, and the policy's parameter checks.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "keel/engine/strategy/sizing.hpp"

using namespace keel::engine;

namespace {

template <class T>
T dec(const char* s) {
    T v{};
    EXPECT_EQ(T::parse(s, v), DecimalError::ok) << s;
    return v;
}
Price px(const char* s) {
    return dec<Price>(s);
}
Quantity qty(const char* s) {
    return dec<Quantity>(s);
}
Money usd(const char* s) {
    return dec<Money>(s);
}
Ratio ratio(const char* s) {
    return dec<Ratio>(s);
}
const Quantity kOne = Quantity::from_units(1);
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

}  // namespace

TEST(Sizing, FloorToLotRoundsDownToWholeLotsAndClamps) {
    EXPECT_EQ(floor_to_lot(qty("2.999999999").raw, kOne).to_string(), "2");
    EXPECT_EQ(floor_to_lot(qty("3").raw, kOne).to_string(), "3");
    EXPECT_EQ(floor_to_lot(qty("0.0379").raw, qty("0.001")).to_string(), "0.037");
    EXPECT_EQ(floor_to_lot(-5, kOne).raw, 0);
    EXPECT_EQ(floor_to_lot(static_cast<i128>(kMax) * 1000, kOne).to_string(), "9223372036");
}

TEST(Sizing, FixedQuantityIsTheConfiguredSizeFlooredToTheLot) {
    const SizingPolicy p = SizingPolicy::fixed(qty("100"));
    EXPECT_EQ(p.quantity_for(px("10"), usd("1000"), Price{}).to_string(), "100");
    EXPECT_EQ(p.quantity_for(px("99999"), Money{}, px("5")).to_string(), "100");
    EXPECT_EQ(SizingPolicy::fixed(qty("150"), qty("100"))
                  .quantity_for(px("1"), Money{}, Price{})
                  .to_string(),
              "100");
    EXPECT_EQ(size_fixed_quantity(Quantity{}, kOne).raw, 0);
}

TEST(Sizing, FixedNotionalDividesByPriceAndFloorsToTheLot) {
    EXPECT_EQ(size_fixed_notional(usd("10000"), px("33"), kOne).to_string(), "303");  // 303.03
    EXPECT_EQ(size_fixed_notional(usd("10000"), px("33"), qty("100")).to_string(), "300");
    EXPECT_EQ(size_fixed_notional(usd("10000"), px("25"), kOne).to_string(), "400");  // exact
    EXPECT_EQ(size_fixed_notional(usd("10000"), px("25.000000001"), kOne).to_string(), "399");
    EXPECT_EQ(size_fixed_notional(usd("10"), px("33"), kOne).raw, 0);  // under one lot
    // FX: one-unit lots.
    EXPECT_EQ(size_fixed_notional(usd("100000"), px("1.0853"), kOne).to_string(), "92140");
    // Crypto: 0.001 lots; 1000 / 27000.5 = 0.03703...
    EXPECT_EQ(size_fixed_notional(usd("1000"), px("27000.5"), qty("0.001")).to_string(), "0.037");
    const SizingPolicy p = SizingPolicy::fixed_value(usd("5000"));
    EXPECT_EQ(p.quantity_for(px("20"), Money{}, Price{}).to_string(), "250");
}

TEST(Sizing, FixedNotionalIsZeroForNonPositiveInputsAndSaturatesWhenHuge) {
    EXPECT_EQ(size_fixed_notional(usd("10000"), Price{}, kOne).raw, 0);
    EXPECT_EQ(size_fixed_notional(usd("10000"), px("-1"), kOne).raw, 0);
    EXPECT_EQ(size_fixed_notional(Money{}, px("10"), kOne).raw, 0);
    EXPECT_EQ(size_fixed_notional(usd("-5"), px("10"), kOne).raw, 0);
    EXPECT_EQ(size_fixed_notional(Money::from_raw(kMax), Price::from_raw(1), kOne).to_string(),
              "9223372036");
    EXPECT_EQ(size_fixed_notional(Money::from_raw(kMax), Price::from_raw(1), qty("0.001")).raw,
              9'223'372'036'854'000'000);
    EXPECT_EQ(size_fixed_notional(usd("1"), Price::from_raw(kMax), kOne).raw, 0);
}

TEST(Sizing, PercentRiskSizesTheStopToRiskTheFraction) {
    // 1% of 100000 = 1000 at risk over a stop of 2 * 2.5 = 5: 200 units.
    EXPECT_EQ(
        size_percent_risk(usd("100000"), ratio("0.01"), ratio("2"), px("2.5"), kOne).to_string(),
        "200");
    // 1000 over 3 * 1.3 = 3.9: 256.41 -> 256, or 200 in lots of 100.
    EXPECT_EQ(
        size_percent_risk(usd("100000"), ratio("0.01"), ratio("3"), px("1.3"), kOne).to_string(),
        "256");
    EXPECT_EQ(size_percent_risk(usd("100000"), ratio("0.01"), ratio("3"), px("1.3"), qty("100"))
                  .to_string(),
              "200");
    // 308.6419725 over 1.0965 = 281.47922708... -> 281.479 in lots of 0.001.
    EXPECT_EQ(size_percent_risk(usd("123456.789"), ratio("0.0025"), ratio("1.5"), px("0.731"),
                                qty("0.001"))
                  .to_string(),
              "281.479");
    const SizingPolicy p = SizingPolicy::percent_risk(ratio("0.01"), ratio("2"));
    EXPECT_EQ(p.quantity_for(px("123"), usd("100000"), px("2.5")).to_string(), "200");
}

TEST(Sizing, PercentRiskIsZeroWhenTheAtrIsNotReadyOrInputsAreNotPositive) {
    const Money equity = usd("100000");
    EXPECT_EQ(size_percent_risk(equity, ratio("0.01"), ratio("2"), Price{}, kOne).raw, 0);
    EXPECT_EQ(size_percent_risk(equity, ratio("0.01"), ratio("2"), px("-1"), kOne).raw, 0);
    EXPECT_EQ(size_percent_risk(Money{}, ratio("0.01"), ratio("2"), px("1"), kOne).raw, 0);
    EXPECT_EQ(size_percent_risk(usd("-10"), ratio("0.01"), ratio("2"), px("1"), kOne).raw, 0);
    EXPECT_EQ(size_percent_risk(equity, Ratio{}, ratio("2"), px("1"), kOne).raw, 0);
    EXPECT_EQ(size_percent_risk(equity, ratio("0.01"), Ratio{}, px("1"), kOne).raw, 0);
    // A stop of 0.5e-9 truncates to nothing: no size rather than a division by zero.
    EXPECT_EQ(size_percent_risk(equity, ratio("0.01"), ratio("0.5"), Price::from_raw(1), kOne).raw,
              0);
    // Risking less than one lot's worth gives zero.
    EXPECT_EQ(size_percent_risk(usd("100"), ratio("0.01"), ratio("2"), px("1"), kOne).raw, 0);
}

TEST(Sizing, PercentRiskNeverOverflowsAtTheExtremes) {
    const Money max_equity = Money::from_raw(kMax);
    const Ratio max_ratio = Ratio::from_raw(kMax);
    // Every input at its largest: the products cancel exactly, one unit.
    EXPECT_EQ(size_percent_risk(max_equity, max_ratio, max_ratio, Price::from_raw(kMax), kOne)
                  .to_string(),
              "1");
    // Huge risk over a one-nano stop saturates at the largest whole number of lots.
    EXPECT_EQ(
        size_percent_risk(max_equity, max_ratio, ratio("1"), Price::from_raw(1), kOne).to_string(),
        "9223372036");
}

TEST(Sizing, IndicatorDoublesBecomePricesOrNotReady) {
    EXPECT_EQ(indicator_price(1.25).to_string(), "1.25");
    EXPECT_EQ(indicator_price(0.1).to_string(), "0.1");
    EXPECT_EQ(indicator_price(2.0000000004).to_string(), "2");  // nearest 1e-9
    EXPECT_EQ(indicator_price(2.0000000006).to_string(), "2.000000001");
    EXPECT_EQ(indicator_price(std::nan("")).raw, 0);
    EXPECT_EQ(indicator_price(std::numeric_limits<double>::infinity()).raw, 0);
    EXPECT_EQ(indicator_price(-1.0).raw, 0);
    EXPECT_EQ(indicator_price(0.0).raw, 0);
    EXPECT_EQ(indicator_price(1e10).raw, 0);
}

TEST(Sizing, PolicyProblemsNameWhatIsWrong) {
    EXPECT_TRUE(SizingPolicy::fixed(qty("10")).problem().empty());
    EXPECT_TRUE(SizingPolicy::fixed_value(usd("1000"), qty("0.001")).problem().empty());
    EXPECT_TRUE(SizingPolicy::percent_risk(ratio("1"), ratio("2")).problem().empty());
    EXPECT_EQ(SizingPolicy::fixed(qty("10"), Quantity{}).problem(), "lot size must be positive");
    EXPECT_EQ(SizingPolicy::fixed(qty("50"), qty("100")).problem(),
              "quantity must be at least one lot");
    EXPECT_EQ(SizingPolicy::fixed_value(Money{}).problem(), "notional must be positive");
    EXPECT_EQ(SizingPolicy::percent_risk(ratio("1.01"), ratio("2")).problem(),
              "risk fraction must be in (0, 1]");
    EXPECT_EQ(SizingPolicy::percent_risk(Ratio{}, ratio("2")).problem(),
              "risk fraction must be in (0, 1]");
    EXPECT_EQ(SizingPolicy::percent_risk(ratio("0.01"), Ratio{}).problem(),
              "ATR multiple must be positive");
    EXPECT_EQ(to_string(SizingKind::percent_risk_atr), "percent_risk_atr");
}
