// Proves compute_run_metrics' figures on a small hand-worked run: drawdown from the starting
// cash's peak, daily returns, CAGR and Calmar, and every trade statistic (means truncated to
// 9 decimals, a trip at 0 neither a win nor a loss and ending a losing streak).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "keel/replay/assembly/run_metrics.hpp"

using namespace keel;
using engine::Money;

namespace {

constexpr std::int64_t kDay = 86'400'000'000'000;

engine::RoundTrip trip(const char* pnl, std::int64_t entry_s, std::int64_t exit_s) {
    engine::RoundTrip t;
    EXPECT_EQ(Money::parse(pnl, t.pnl), engine::DecimalError::ok);
    t.entry_ns = entry_s * 1'000'000'000;
    t.exit_ns = exit_s * 1'000'000'000;
    return t;
}

}  // namespace

TEST(RunMetrics, HandWorkedRun) {
    // Two samples on day 0 (the later is its close), then days 1 and 365.25 * 2 later.
    const std::vector<engine::EquityPoint> curve = {{0, Money::from_units(105)},
                                                    {kDay / 2, Money::from_units(110)},
                                                    {kDay, Money::from_units(99)},
                                                    {2 * kDay, Money::from_units(121)}};
    const std::vector<engine::RoundTrip> trips = {trip("10", 0, 10),  trip("-5", 0, 20),
                                                  trip("-5", 0, 30),  trip("20", 0, 40),
                                                  trip("0", 0, 50),   trip("-1", 0, 60)};
    const replay::RunMetrics m = replay::compute_run_metrics(curve, trips, Money::from_units(100));
    EXPECT_EQ(m.max_drawdown, Money::from_units(11));  // 110 -> 99
    EXPECT_DOUBLE_EQ(m.max_drawdown_pct, 10.0);
    // Daily closes 110, 99, 121 against the starting 100: returns 0.1, -0.1, 2/9.
    ASSERT_EQ(m.return_days, 3u);
    const double r[] = {0.1, -0.1, 121.0 / 99.0 - 1};
    const double mean = (r[0] + r[1] + r[2]) / 3;
    double var = 0;
    for (const double x : r)
        var += (x - mean) * (x - mean);
    EXPECT_NEAR(m.sharpe, mean / std::sqrt(var / 2) * std::sqrt(252.0), 1e-12);
    EXPECT_NEAR(m.sortino, mean / std::sqrt(0.01 / 3) * std::sqrt(252.0), 1e-12);
    // Two days of the curve's span: 121 / 100 over 2 / 365.25 years.
    const double cagr = (std::pow(1.21, 365.25 / 2) - 1) * 100;
    EXPECT_NEAR(m.cagr_pct / cagr, 1.0, 1e-12);
    EXPECT_NEAR(m.calmar, m.cagr_pct / 10.0, 1e-9 * std::abs(m.calmar));

    EXPECT_EQ(m.trades, 6u);
    EXPECT_EQ(m.wins, 2u);
    EXPECT_EQ(m.losses, 3u);
    EXPECT_DOUBLE_EQ(m.profit_factor, 30.0 / 11.0);
    EXPECT_EQ(m.expectancy.to_string(), "3.166666666");  // 19 / 6, truncated
    EXPECT_EQ(m.average_win.to_string(), "15");
    EXPECT_EQ(m.average_loss.to_string(), "-3.666666666");
    EXPECT_EQ(m.best_trade.to_string(), "20");
    EXPECT_EQ(m.worst_trade.to_string(), "-5");
    EXPECT_DOUBLE_EQ(m.average_holding_s, 35.0);
    EXPECT_EQ(m.max_consecutive_losses, 2u);  // -5, -5; the 0 ends the -1's run
}

TEST(RunMetrics, UndefinedRatiosAreZero) {
    const Money cash = Money::from_units(100);
    const replay::RunMetrics none = replay::compute_run_metrics({}, {}, cash);
    EXPECT_EQ(none.max_drawdown.raw, 0);
    EXPECT_EQ(none.sharpe, 0.0);
    EXPECT_EQ(none.cagr_pct, 0.0);
    EXPECT_EQ(none.profit_factor, 0.0);
    // Only winning trips and a rising curve: no loss, no drawdown, no downside.
    const replay::RunMetrics up = replay::compute_run_metrics(
        {{0, Money::from_units(101)}, {kDay, Money::from_units(103)}, {2 * kDay, cash + cash}},
        {trip("1", 0, 1)}, cash);
    EXPECT_EQ(up.profit_factor, 0.0);
    EXPECT_EQ(up.sortino, 0.0);
    EXPECT_EQ(up.calmar, 0.0);
    EXPECT_GT(up.sharpe, 0.0);
    EXPECT_EQ(up.average_loss.raw, 0);
    EXPECT_EQ(up.max_consecutive_losses, 0u);
}
