// What a session reports when it ends: counts, the account, stages, threads, the journal.
// Filled by SessionAssembly::report (assembly.hpp) and, for a restart, by the session that
// continued a journal (session/session.hpp); printed by reports/summary.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/account.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/pipeline/ingest.hpp"
#include "keel/engine/risk/risk_limits.hpp"
#include "keel/replay/assembly/run_metrics.hpp"

namespace keel::replay {

struct StageReport {
    std::string name;
    std::uint64_t events_in = 0;
    std::uint64_t events_out = 0;
    std::uint64_t ring_full_waits = 0;
    std::uint64_t ring_high_water = 0;
    std::uint64_t p50_ns = 0, p99_ns = 0, p999_ns = 0, max_ns = 0;
};

struct SymbolReport {
    std::string symbol;
    std::int64_t position_raw = 0;
    engine::Money realized{};
    engine::Money unrealized{};
    std::uint64_t fills = 0;
    engine::Money fees{};
};

// One configured strategy's P&L from its own fills (strategy stage, strategy_book), its
// positions marked at its account's last prices: realized is after fees, total = realized +
// unrealized. The strategies' totals sum to their account's (risk's own flatten fills are
// attributed to the strategies of the symbol too; README, Several strategies on one symbol).
struct StrategyPnlReport {
    std::string name;  // "strategies[0]"
    std::string type;
    std::vector<std::string> symbols;
    std::uint64_t fills = 0;
    std::int64_t position_raw = 0;  // summed over its symbols (signed)
    engine::Money realized{};
    engine::Money unrealized{};
    engine::Money fees{};
    engine::Money total{};
};

// One data file: rows loaded and skipped as malformed (data.skip_bad_rows), the first skipped
// one named "file:line:col: why".
struct DataFileReport {
    std::string name;
    std::uint64_t rows = 0;
    std::uint64_t skipped_rows = 0;
    std::string first_skipped;
    std::uint64_t sorted_rows = 0;        // out of time order, sorted into place (data.sort)
    std::uint64_t unknown_size_rows = 0;  // trades or quotes without a size (kSizeUnknown)
};

struct StreamReport {
    std::string name;
    std::uint64_t records = 0;
    std::uint64_t durable_records = 0;
    std::uint64_t segments = 0;
};

struct SessionReport {
    std::string session_name;
    engine::StopReason stop_reason = engine::StopReason::none;
    std::uint64_t events_sequenced = 0;  // input events given a sequence number
    std::uint64_t last_seq = 0;
    std::uint64_t market_events = 0;
    std::uint64_t orders_requested = 0;
    std::uint64_t orders_sent = 0;
    std::uint64_t risk_rejects = 0;
    std::uint64_t venue_rejects = 0;
    std::uint64_t fills = 0;
    std::uint64_t reply_ring_full_waits = 0;
    std::uint64_t inputs_seen_by_last_stage = 0;
    // New-order ids the simulated venue was sent more than once (a restart must keep it 0).
    std::uint64_t venue_duplicate_order_ids = 0;
    // venue.threaded: the adapter thread's seam (engine/pipeline/venue_channel.hpp). Requests
    // handed over, wakes of the parked adapter, waits on a full request ring or reply queue,
    // and what the venue still owed at stop after the drain (in doubt).
    bool venue_threaded = false;
    std::uint64_t venue_requests = 0;
    std::uint64_t venue_wakes = 0;
    std::uint64_t venue_request_full_waits = 0;
    std::uint64_t venue_reply_full_waits = 0;
    std::uint64_t venue_in_doubt = 0;
    // Restart recovery (recovery.hpp): the session continued a journal. Journaled inputs
    // re-run, replies posted for in-doubt orders, orders dropped because the crash kept them
    // from being sent, derived records journaled for inputs the crash kept from being fully
    // processed, torn bytes cut.
    bool restarted = false;
    std::uint64_t restart_inputs = 0;
    std::uint64_t restart_in_doubt_replies = 0;
    std::uint64_t restart_unsent_dropped = 0;  // derived before the crash, never sent
    std::uint64_t restart_reconciled = 0;      // open at the engine, unknown to the venue
    std::uint64_t restart_rederived_records = 0;
    std::uint64_t restart_torn_bytes = 0;
    engine::Money realized{};  // after fees
    engine::Money unrealized{};
    engine::Money fees{};
    engine::Money starting_cash{};
    engine::Money cash{};
    engine::Money equity{};
    engine::Money max_drawdown{};  // metrics.max_drawdown
    std::uint64_t round_trip_count = 0;
    std::uint64_t winning_round_trips = 0;
    std::vector<engine::RoundTrip> round_trips;    // every closed one, in the order closed
    std::vector<engine::OrderRecord> open_orders;  // the gateway's live orders at the end
    std::uint8_t risk_flags = 0;                   // kRiskKilled | kRiskPaused | kRiskHalted
    engine::RiskLimits risk_limits{};              // in force at the end
    // Closed beyond the account's capacity: 0 unless a strategy closed more round trips than
    // the data has events or a live session's record keeper fell thousands of records behind.
    std::uint64_t round_trips_dropped = 0;
    // Per symbol (by id), the round trip still open at the end (side none when flat).
    std::vector<engine::RoundTrip> open_round_trips;
    // The gateway account's equity samples (Account::closed_curve: at bar times or daily, and
    // the end of the run), every one; and the figures computed from them and round_trips.
    std::vector<engine::EquityPoint> equity_curve;
    std::uint64_t equity_points_dropped = 0;  // 0 unless a record keeper fell far behind
    RunMetrics metrics;
    // Event time of the first and last market data event the last stage saw (0 when none).
    std::int64_t first_market_ts_ns = 0;
    std::int64_t last_market_ts_ns = 0;
    std::vector<DataFileReport> data_files;  // empty when re-running journaled inputs
    std::uint64_t skipped_rows = 0;
    std::vector<SymbolReport> symbols;
    // Every configured strategy's own P&L, in config order (empty when re-running a journal).
    std::vector<StrategyPnlReport> strategy_pnl;
    // Several accounts (config `accounts`): each account's own report (session_name = the
    // account's name; its counts, money, positions, round trips, equity curve, risk flags and
    // open orders). The fields above are then every account's together: counts, cash, equity
    // and P&L summed, positions summed per symbol, round trips by exit time, and the equity
    // curve merged (at each sample time, the sum of every account's latest equity), which
    // max_drawdown is measured on. Empty with one account.
    std::vector<SessionReport> accounts;
    std::vector<StageReport> stages;
    std::vector<std::string> threads;  // "feed[ingest] cpu0 backoff"
    std::string journal_dir;           // empty when the session wrote no journal
    std::string journal_durability;
    std::vector<StreamReport> streams;
    std::string journal_error;  // first journal failure; the session stopped on it
    // A live session's stop policy (config `shutdown`, session/stop_policy.hpp) when a signal
    // ran it: what it was ("" when it did not run), whether every account ended with no open
    // order (and flat, with flatten) by its deadline, how long it took, and what was left.
    std::string shutdown_policy;
    bool shutdown_complete = false;
    std::int64_t shutdown_ms = 0;
    std::vector<std::string> shutdown_unfinished;
    double elapsed_s = 0;
};

}  // namespace keel::replay
