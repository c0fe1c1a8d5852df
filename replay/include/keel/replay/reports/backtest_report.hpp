// BacktestReport: the performance of a backtest, computed from its SessionReport (the gateway
// account's totals, round trips and equity curve), as JSON (`keel backtest --report/--json`) and
// as a short human summary. Money stays exact (decimal strings); ratios are doubles. Every field
// is defined in replay/README.md. Cold path: runs once, after the session.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "keel/engine/core/fixed_point.hpp"
#include "keel/replay/assembly/session_report.hpp"
#include "keel/replay/assembly/run_metrics.hpp"

namespace keel::replay {

struct BacktestSymbolReport {
    std::string symbol;
    std::int64_t position_raw = 0;
    engine::Money realized_pnl{};  // after fees
    engine::Money unrealized_pnl{};
    engine::Money total_pnl{};
    engine::Money fees{};
    std::uint64_t fills = 0;
    std::uint64_t round_trips = 0;  // closed, among those the account kept
    std::uint64_t winning_round_trips = 0;
    double win_rate = 0;  // winning / round_trips, 0 when none
};

struct BacktestReport {
    std::string session_name;
    std::string journal_dir;
    std::int64_t first_ts_ns = 0;  // first and last market data event (event time)
    std::int64_t last_ts_ns = 0;
    std::uint64_t events_in = 0;  // input events sequenced
    std::uint64_t market_events = 0;
    std::uint64_t orders_requested = 0;  // by the strategies
    std::uint64_t risk_rejects = 0;
    std::uint64_t orders = 0;  // order messages sent to the venue (new, cancel, replace)
    std::uint64_t venue_rejects = 0;
    std::uint64_t fills = 0;
    std::uint64_t round_trips = 0;  // closed round trips
    std::uint64_t winning_round_trips = 0;
    engine::Money starting_cash{};
    engine::Money realized_pnl{};  // after fees
    engine::Money unrealized_pnl{};
    engine::Money fees{};
    engine::Money total_pnl{};  // realized + unrealized == final_equity - starting_cash
    engine::Money final_equity{};
    engine::Money max_drawdown{};  // from the equity curve samples (metrics.max_drawdown)
    double return_pct = 0;
    double max_drawdown_pct = 0;
    double sharpe = 0;
    std::uint64_t sharpe_days = 0;  // daily returns the Sharpe ratio is computed from
    RunMetrics metrics;             // every figure of the curve and the trips (run_metrics.hpp)
    double win_rate = 0;
    double exposure_pct = 0;
    double elapsed_s = 0;
    double events_per_s = 0;
    std::vector<BacktestSymbolReport> symbols;
    std::vector<engine::RoundTrip> trades;        // every closed round trip, in the order closed
    std::vector<engine::EquityPoint> equity;      // the samples the figures are computed from
    std::vector<DataFileReport> data_files;
    std::uint64_t skipped_rows = 0;
    // What the account could not keep: 0 in a backtest, whose records are sized from its data
    // (Account, assembly's size_records).
    std::uint64_t round_trips_dropped = 0;
    std::uint64_t equity_points_dropped = 0;
    std::string journal_error;  // the journal failed: the session stopped early
    // Several accounts (config `accounts`): each account's report (session_name = its name),
    // the figures above being every account's together. Empty with one account.
    std::vector<BacktestReport> accounts;
    // Each strategy's P&L from its own fills (reports/strategy_pnl.hpp); in the JSON report and
    // the summary when there are several strategies.
    std::vector<StrategyPnlReport> strategies;
};

// The report of a finished session (see replay/README.md for each definition).
[[nodiscard]] BacktestReport make_backtest_report(const SessionReport& session);

// The report as pretty-printed JSON (2-space indent, keys in a fixed order, trailing newline).
[[nodiscard]] std::string backtest_report_json(const BacktestReport& report);

// A few lines for a person: P&L, return, drawdown, trades, ratios, data and journal.
void print_backtest_summary(std::ostream& out, const BacktestReport& report);

}  // namespace keel::replay
