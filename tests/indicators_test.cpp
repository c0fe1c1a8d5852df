// Proves the incremental indicators (SMA, EMA, Wilder RSI and ATR, session VWAP, rolling
// high/low, MACD, Bollinger bands, Donchian channels) match pandas golden values on real MSFT
// daily bars row by row, including when each becomes ready, and behave as defined at the edges
// (n = 1, flat prices, zero volume).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/strategy/indicators/atr.hpp"
#include "keel/engine/strategy/indicators/bollinger.hpp"
#include "keel/engine/strategy/indicators/donchian.hpp"
#include "keel/engine/strategy/indicators/ema.hpp"
#include "keel/engine/strategy/indicators/macd.hpp"
#include "keel/engine/strategy/indicators/rolling_extreme.hpp"
#include "keel/engine/strategy/indicators/rsi.hpp"
#include "keel/engine/strategy/indicators/sma.hpp"
#include "keel/engine/strategy/indicators/vwap.hpp"

using namespace keel::engine;
using namespace keel::engine::indicators;

namespace {

std::vector<std::vector<std::string>> read_csv(const std::string& path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, ','))
            fields.push_back(field);
        if (!line.empty() && line.back() == ',')
            fields.emplace_back();  // a trailing empty field
        rows.push_back(fields);
    }
    return rows;
}

template <class Tag>
Fixed<Tag> parse(const std::string& text) {
    Fixed<Tag> out{};
    EXPECT_EQ(Fixed<Tag>::parse(text, out), DecimalError::ok) << text;
    return out;
}

Price px(double units) {
    return Price::from_raw(std::llround(units * 1e9));
}
Quantity qty(std::int64_t units) {
    return Quantity::from_units(units);
}

struct DailyBar {
    std::string date;
    Price open, high, low, close;
    Quantity volume;
};

std::vector<DailyBar> load_msft() {
    std::vector<DailyBar> bars;
    for (const auto& r : read_csv(std::string(KEEL_SOURCE_DIR) + "/data/msft_daily.csv")) {
        EXPECT_EQ(r.size(), 6u);
        bars.push_back({r[0], parse<PriceTag>(r[1]), parse<PriceTag>(r[2]), parse<PriceTag>(r[3]),
                        parse<PriceTag>(r[4]), parse<QuantityTag>(r[5])});
    }
    return bars;
}

// Compares one indicator reading (value() unless `got` is given) with a golden field: empty
// means "not ready".
template <class Indicator>
void expect_matches(const Indicator& ind, const std::string& golden, const std::string& what,
                    const std::string& date, std::optional<double> reading = std::nullopt) {
    if (golden.empty()) {
        EXPECT_FALSE(ind.ready()) << what << " ready too early on " << date;
        return;
    }
    ASSERT_TRUE(ind.ready()) << what << " not ready on " << date;
    const double want = std::strtod(golden.c_str(), nullptr);
    const double got = reading.value_or(ind.value());
    EXPECT_LE(std::abs(got - want), 1e-9 * std::max(1.0, std::abs(want)))
        << what << " on " << date << ": ours " << got << " golden " << want;
}

}  // namespace

TEST(IndicatorsGolden, EveryRowMatchesPandasOnMsftDaily) {
    const std::vector<DailyBar> bars = load_msft();
    const auto golden =
        read_csv(std::string(KEEL_SOURCE_DIR) + "/tests/golden/indicators_msft.csv");
    ASSERT_EQ(bars.size(), golden.size());
    ASSERT_GT(bars.size(), 200u);

    Sma sma10(10), sma30(30);
    Ema ema10(10);
    Rsi rsi14(14);
    Atr atr14(14);
    RollingHigh high20(20);
    RollingLow low20(20);
    Vwap vwap;
    int month_resets = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const DailyBar& b = bars[i];
        const auto& g = golden[i];
        ASSERT_EQ(g.size(), 9u) << "row " << i;
        ASSERT_EQ(g[0], b.date);
        sma10.update(b.close);
        sma30.update(b.close);
        ema10.update(b.close);
        rsi14.update(b.close);
        atr14.update(b.high, b.low, b.close);
        high20.update(b.high);
        low20.update(b.low);
        // Sessions are calendar months: the key is yyyymm.
        const std::int64_t month =
            std::stoll(b.date.substr(0, 4)) * 100 + std::stoll(b.date.substr(5, 2));
        if (i > 0 && bars[i - 1].date.substr(0, 7) != b.date.substr(0, 7))
            ++month_resets;
        vwap.begin_session(month);
        vwap.update_bar(b.high, b.low, b.close, b.volume);

        expect_matches(sma10, g[1], "sma10", b.date);
        expect_matches(sma30, g[2], "sma30", b.date);
        expect_matches(ema10, g[3], "ema10", b.date);
        expect_matches(rsi14, g[4], "rsi14", b.date);
        expect_matches(atr14, g[5], "atr14", b.date);
        expect_matches(high20, g[6], "high20", b.date);
        expect_matches(low20, g[7], "low20", b.date);
        expect_matches(vwap, g[8], "vwap_month", b.date);
    }
    EXPECT_GE(month_resets, 10);  // the VWAP reset path really ran
}

TEST(IndicatorsGolden, MacdBollingerAndDonchianMatchPandasOnMsftDaily) {
    const std::vector<DailyBar> bars = load_msft();
    const auto golden =
        read_csv(std::string(KEEL_SOURCE_DIR) + "/tests/golden/indicators_msft_bands.csv");
    ASSERT_EQ(bars.size(), golden.size());
    Macd macd;     // 12/26/9
    Bollinger bb;  // 20, 2
    Donchian dc(20);
    std::size_t macd_ready = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const DailyBar& b = bars[i];
        const auto& g = golden[i];
        ASSERT_EQ(g.size(), 10u) << "row " << i;
        ASSERT_EQ(g[0], b.date);
        macd.update(b.close);
        bb.update(b.close);
        dc.update(b.high, b.low);
        if (macd.ready() && macd_ready == 0)
            macd_ready = i + 1;
        expect_matches(macd, g[1], "macd", b.date);
        expect_matches(macd, g[2], "macd_signal", b.date, macd.signal());
        expect_matches(macd, g[3], "macd_hist", b.date, macd.histogram());
        expect_matches(bb, g[4], "bb_mid", b.date);
        expect_matches(bb, g[5], "bb_upper", b.date, bb.upper());
        expect_matches(bb, g[6], "bb_lower", b.date, bb.lower());
        expect_matches(dc, g[7], "dc_upper", b.date, dc.upper());
        expect_matches(dc, g[8], "dc_lower", b.date, dc.lower());
        expect_matches(dc, g[9], "dc_mid", b.date);
    }
    EXPECT_EQ(macd_ready, 34u);  // 26 + 9 - 1 closes
}

TEST(Macd, OneInputLineIsZeroAndAJumpPullsTheFastAverageFirst) {
    Macd macd(1, 3, 1);  // fast = the last value, slow alpha 0.5, signal = the MACD line
    macd.update(px(10));
    EXPECT_FALSE(macd.ready());
    EXPECT_TRUE(std::isnan(macd.value()));
    macd.update(px(10));
    macd.update(px(10));
    ASSERT_TRUE(macd.ready());  // 3 + 1 - 1 inputs
    EXPECT_DOUBLE_EQ(macd.value(), 0.0);
    macd.update(px(20));  // slow 10 -> 15, fast 20
    EXPECT_DOUBLE_EQ(macd.value(), 5.0);
    EXPECT_DOUBLE_EQ(macd.signal(), 5.0);
    EXPECT_DOUBLE_EQ(macd.histogram(), 0.0);
    macd.reset();
    EXPECT_FALSE(macd.ready());
}

TEST(Bollinger, FlatPricesHaveNoWidthAndPopulationDeviationByHand) {
    Bollinger bb(4, 2.0);
    for (int i = 0; i < 4; ++i)
        bb.update(px(50));
    ASSERT_TRUE(bb.ready());
    EXPECT_DOUBLE_EQ(bb.stddev(), 0.0);
    EXPECT_DOUBLE_EQ(bb.upper(), 50.0);
    EXPECT_TRUE(std::isnan(bb.percent_b(50.0)));
    // Window 2, 4, 4, 4 after sliding: mean 3.5, population variance 0.75.
    Bollinger w(4, 2.0);
    for (double v : {9.0, 2.0, 4.0, 4.0, 4.0})
        w.update(px(v));
    EXPECT_DOUBLE_EQ(w.value(), 3.5);
    EXPECT_NEAR(w.stddev(), std::sqrt(0.75), 1e-15);
    EXPECT_NEAR(w.upper(), 3.5 + 2 * std::sqrt(0.75), 1e-12);
    EXPECT_NEAR(w.percent_b(w.lower()), 0.0, 1e-12);
}

TEST(Bollinger, StaysExactAtAMillionUnitPricesOverAMillionUpdates) {
    // Tiny moves on a huge price: a running double variance would lose them.
    Bollinger bb(20);
    for (int i = 0; i < 1'000'000; ++i)
        bb.update(Price::from_units(1'000'000) + Price::from_raw((i % 3) * 1'000));
    Bollinger fresh(20);
    for (int i = 1'000'000 - 20; i < 1'000'000; ++i)
        fresh.update(Price::from_units(1'000'000) + Price::from_raw((i % 3) * 1'000));
    EXPECT_EQ(bb.stddev(), fresh.stddev());
    EXPECT_GT(bb.stddev(), 0.0);
}

TEST(Donchian, ChannelsFollowTheWindowExactly) {
    Donchian dc(2);
    dc.update(px(12), px(10));
    EXPECT_FALSE(dc.ready());
    dc.update(px(11), px(9));
    ASSERT_TRUE(dc.ready());
    EXPECT_DOUBLE_EQ(dc.upper(), 12.0);
    EXPECT_DOUBLE_EQ(dc.lower(), 9.0);
    EXPECT_DOUBLE_EQ(dc.value(), 10.5);
    dc.update(px(10.5), px(10));  // the 12 high leaves
    EXPECT_EQ(dc.upper_raw(), px(11).raw);
    EXPECT_EQ(dc.lower_raw(), px(9).raw);
}

TEST(Sma, SlidesAnExactWindowAndResets) {
    Sma sma(3);
    sma.update(px(1));
    sma.update(px(2));
    EXPECT_FALSE(sma.ready());
    EXPECT_TRUE(std::isnan(sma.value()));
    sma.update(px(3));
    ASSERT_TRUE(sma.ready());
    EXPECT_DOUBLE_EQ(sma.value(), 2.0);
    sma.update(px(10));
    EXPECT_DOUBLE_EQ(sma.value(), 5.0);
    EXPECT_EQ(sma.sum_raw(), static_cast<i128>(15) * kScale);
    sma.reset();
    EXPECT_FALSE(sma.ready());
    sma.update(px(4));
    sma.update(px(4));
    sma.update(px(4));
    EXPECT_DOUBLE_EQ(sma.value(), 4.0);
}

TEST(Sma, PeriodOneIsTheLastValue) {
    Sma sma(1);
    for (double v : {5.0, 7.25, 1.5}) {
        sma.update(px(v));
        ASSERT_TRUE(sma.ready());
        EXPECT_DOUBLE_EQ(sma.value(), v);
    }
}

TEST(Sma, StaysExactOverAMillionUpdates) {
    // A floating running sum would drift here; the integer sum returns exactly to the window.
    Sma sma(7);
    for (int i = 0; i < 1'000'000; ++i)
        sma.update(Price::from_raw(123'456'789'123 + std::int64_t{i % 13} * 1'000'000'007));
    Sma fresh(7);
    for (int i = 1'000'000 - 7; i < 1'000'000; ++i)
        fresh.update(Price::from_raw(123'456'789'123 + std::int64_t{i % 13} * 1'000'000'007));
    EXPECT_EQ(sma.sum_raw(), fresh.sum_raw());
}

TEST(Ema, SeedsWithTheFirstValueAndIsReadyAfterN) {
    Ema ema(3);  // alpha = 0.5
    ema.update(px(10));
    ema.update(px(20));
    EXPECT_FALSE(ema.ready());
    ema.update(px(40));
    ASSERT_TRUE(ema.ready());
    // 10 -> 15 -> 27.5
    EXPECT_DOUBLE_EQ(ema.value(), 27.5);
    ema.update(px(0));
    EXPECT_DOUBLE_EQ(ema.value(), 13.75);
}

TEST(Ema, PeriodOneIsTheLastValue) {
    Ema ema(1);
    for (double v : {3.0, 9.5, -2.0}) {
        ema.update(px(v));
        ASSERT_TRUE(ema.ready());
        EXPECT_DOUBLE_EQ(ema.value(), v);
    }
}

TEST(Rsi, FlatPricesReadOneHundredByDefinition) {
    Rsi rsi(3);
    for (int i = 0; i < 3; ++i)
        rsi.update(px(50));
    EXPECT_FALSE(rsi.ready());  // two changes so far
    rsi.update(px(50));
    ASSERT_TRUE(rsi.ready());
    EXPECT_EQ(rsi.average_loss(), 0.0);
    EXPECT_EQ(rsi.value(), 100.0);
}

TEST(Rsi, OnlyFallingPricesReadZero) {
    Rsi rsi(2);
    for (double v : {10.0, 9.0, 8.0, 7.5})
        rsi.update(px(v));
    ASSERT_TRUE(rsi.ready());
    EXPECT_EQ(rsi.value(), 0.0);
}

TEST(Rsi, WilderRecurrenceByHand) {
    Rsi rsi(2);
    // changes +2, -1: avg gain 1, avg loss 0.5 -> RS 2 -> RSI 66.67
    for (double v : {10.0, 12.0, 11.0})
        rsi.update(px(v));
    ASSERT_TRUE(rsi.ready());
    EXPECT_NEAR(rsi.value(), 100.0 - 100.0 / 3.0, 1e-12);
    // change +3: gain (1*1 + 3)/2 = 2, loss (0.5*1 + 0)/2 = 0.25 -> RS 8 -> RSI 88.89
    rsi.update(px(14));
    EXPECT_DOUBLE_EQ(rsi.average_gain(), 2.0);
    EXPECT_DOUBLE_EQ(rsi.average_loss(), 0.25);
    EXPECT_NEAR(rsi.value(), 100.0 - 100.0 / 9.0, 1e-12);
}

TEST(Rsi, PeriodOneFollowsTheLastChange) {
    Rsi rsi(1);
    rsi.update(px(10));
    EXPECT_FALSE(rsi.ready());
    rsi.update(px(11));
    EXPECT_EQ(rsi.value(), 100.0);
    rsi.update(px(10.5));
    EXPECT_EQ(rsi.value(), 0.0);
}

TEST(Atr, FirstBarIsItsRangeThenGapsCountThroughThePreviousClose) {
    Atr atr(1);
    atr.update(px(12), px(10), px(11));
    ASSERT_TRUE(atr.ready());
    EXPECT_DOUBLE_EQ(atr.value(), 2.0);
    // A gap up: high - prev close = 15 - 11 = 4 beats h - l = 1.
    atr.update(px(15), px(14), px(14.5));
    EXPECT_DOUBLE_EQ(atr.value(), 4.0);
    // A gap down: |low - prev close| = |12 - 14.5| = 2.5.
    atr.update(px(13), px(12), px(12.5));
    EXPECT_DOUBLE_EQ(atr.value(), 2.5);
}

TEST(Atr, FirstValueIsTheMeanOfNRangesThenWilder) {
    Atr atr(2);
    atr.update(px(12), px(10), px(11));  // TR 2
    EXPECT_FALSE(atr.ready());
    atr.update(px(12), px(11), px(11));  // TR 1
    ASSERT_TRUE(atr.ready());
    EXPECT_DOUBLE_EQ(atr.value(), 1.5);
    atr.update(px(14), px(11), px(12));  // TR 3 -> (1.5 + 3) / 2
    EXPECT_DOUBLE_EQ(atr.value(), 2.25);
    atr.reset();
    EXPECT_FALSE(atr.ready());
}

TEST(Vwap, ZeroVolumeIsNotReady) {
    Vwap vwap;
    EXPECT_FALSE(vwap.ready());
    vwap.update_trade(px(100), Quantity{});
    EXPECT_FALSE(vwap.ready());
    EXPECT_TRUE(std::isnan(vwap.value()));
    vwap.update_trade(px(100), qty(1));
    EXPECT_TRUE(vwap.ready());
}

TEST(Vwap, WeighsTradesByVolumeAndBarsByTypicalPrice) {
    Vwap vwap;
    vwap.update_trade(px(10), qty(1));
    vwap.update_trade(px(20), qty(3));
    EXPECT_DOUBLE_EQ(vwap.value(), 17.5);
    vwap.reset();
    // Typical price (3 + 1 + 1) / 3 = 5/3, which no fixed-point price holds exactly.
    vwap.update_bar(px(3), px(1), px(1), qty(2));
    EXPECT_DOUBLE_EQ(vwap.value(), 5.0 / 3.0);
}

TEST(Vwap, ANewSessionKeyResetsAndTheSameKeyDoesNot) {
    Vwap vwap;
    vwap.begin_session(1);
    vwap.update_trade(px(10), qty(1));
    vwap.begin_session(1);
    vwap.update_trade(px(20), qty(1));
    EXPECT_DOUBLE_EQ(vwap.value(), 15.0);
    vwap.begin_session(2);
    EXPECT_FALSE(vwap.ready());
    vwap.update_trade(px(30), qty(1));
    EXPECT_DOUBLE_EQ(vwap.value(), 30.0);
}

TEST(Vwap, NegativeVolumeIsRejectedAndCounted) {
    Vwap vwap;
    vwap.update_trade(px(10), qty(2));
    vwap.update_trade(px(99), Quantity::from_raw(-1));
    EXPECT_EQ(vwap.rejected(), 1u);
    EXPECT_DOUBLE_EQ(vwap.value(), 10.0);
}

TEST(Vwap, AMonthOfHeavyVolumeDoesNotOverflow) {
    // 30 days of 5e8 shares at $500: 1.5e10 shares = 1.5e19 raw, beyond int64.
    Vwap vwap;
    for (int i = 0; i < 30; ++i)
        vwap.update_trade(px(500), qty(500'000'000));
    EXPECT_GT(vwap.volume_raw(), static_cast<i128>(INT64_MAX));
    EXPECT_DOUBLE_EQ(vwap.value(), 500.0);
}

TEST(RollingExtreme, MatchesABruteForceWindowOnRandomPrices) {
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int64_t> dist(-50, 50);
    for (std::uint32_t n : {1u, 2u, 5u, 20u}) {
        RollingHigh high(n);
        RollingLow low(n);
        std::vector<std::int64_t> seen;
        for (int i = 0; i < 2000; ++i) {
            // Few distinct values, so ties (equal values in the window) are common.
            const std::int64_t v = dist(rng) * kScale / 4;
            seen.push_back(v);
            high.update(v);
            low.update(v);
            ASSERT_EQ(high.ready(), seen.size() >= n);
            const auto first = seen.end() - std::min<std::ptrdiff_t>(n, std::ssize(seen));
            ASSERT_EQ(high.value_raw(), *std::max_element(first, seen.end())) << n << " " << i;
            ASSERT_EQ(low.value_raw(), *std::min_element(first, seen.end())) << n << " " << i;
        }
    }
}

TEST(RollingExtreme, AnOldExtremeLeavesTheWindow) {
    RollingHigh high(3);
    for (double v : {9.0, 1.0, 2.0})
        high.update(px(v));
    EXPECT_DOUBLE_EQ(high.value(), 9.0);
    high.update(px(3));
    EXPECT_DOUBLE_EQ(high.value(), 3.0);
    high.reset();
    EXPECT_FALSE(high.ready());
}

TEST(Indicators, UpdatesDoNotAllocate) {
    Sma sma(50);
    Ema ema(50);
    Rsi rsi(14);
    Atr atr(14);
    Vwap vwap;
    RollingHigh high(50);
    RollingLow low(50);
    Macd macd;
    Bollinger bb;
    Donchian dc(50);
    double sink = 0;
    {
        // In builds with the allocation guard, any allocation here aborts the test.
        HotScope hot;
        for (int i = 0; i < 1000; ++i) {
            const Price p = Price::from_raw(100 * kScale + (i * 7919 % 1000) * 1'000'000);
            sma.update(p);
            ema.update(p);
            rsi.update(p);
            atr.update(p + Price::from_units(1), p - Price::from_units(1), p);
            vwap.update_trade(p, qty(10));
            high.update(p);
            low.update(p);
            macd.update(p);
            bb.update(p);
            dc.update(p + Price::from_units(1), p - Price::from_units(1));
        }
        sink = sma.value() + ema.value() + rsi.value() + atr.value() + vwap.value() + high.value() +
               low.value() + macd.histogram() + bb.upper() + dc.value();
    }
    EXPECT_TRUE(std::isfinite(sink));
}
