// RunMetrics: the figures a run is judged by (drawdown, Sharpe, Sortino, CAGR, Calmar, profit
// factor, expectancy, trade statistics), computed from one equity curve and one list of round
// trips. The session summary, the JSON report, the SQLite export and the HTML report all call
// compute_run_metrics on the same samples (Account::closed_curve), so one run has one set of
// figures. Definitions and formulas: replay/README.md, "Metrics". Cold path.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/account.hpp"

namespace keel::replay {

struct RunMetrics {
    // From the equity curve.
    engine::Money max_drawdown{};  // the largest fall from a peak (the peak starts at the cash)
    double max_drawdown_pct = 0;   // the largest fall as a share of its peak, in percent
    double sharpe = 0;             // daily returns, sample deviation, * sqrt(252)
    double sortino = 0;            // daily returns over their downside deviation, * sqrt(252)
    std::uint64_t return_days = 0;  // the daily returns both are computed from
    double cagr_pct = 0;            // compound annual growth over the curve's span, percent
    double calmar = 0;              // cagr_pct / max_drawdown_pct
    // From the round trips (closed), in the order they closed.
    std::uint64_t trades = 0;
    std::uint64_t wins = 0;    // pnl > 0
    std::uint64_t losses = 0;  // pnl < 0
    engine::Money gross_profit{};
    engine::Money gross_loss{};  // negative or zero
    double profit_factor = 0;    // gross_profit / -gross_loss, 0 without a loss
    engine::Money expectancy{};  // mean pnl per trade (truncated toward zero)
    engine::Money average_win{};
    engine::Money average_loss{};  // negative or zero
    engine::Money best_trade{};
    engine::Money worst_trade{};
    double average_holding_s = 0;
    std::uint64_t max_consecutive_losses = 0;
};

[[nodiscard]] RunMetrics compute_run_metrics(const std::vector<engine::EquityPoint>& curve,
                                             const std::vector<engine::RoundTrip>& trips,
                                             engine::Money starting_cash);

// The closing equity of each UTC day of the curve (the last sample of the day), in order.
[[nodiscard]] std::vector<engine::EquityPoint> daily_closes(
    const std::vector<engine::EquityPoint>& curve);

}  // namespace keel::replay
