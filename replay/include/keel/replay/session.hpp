// Session: assembles a paper session over recorded data from a validated Config (CSV source,
// the four stages, the simulated venue, the thread plan) and runs it to the end of the data or
// until stop is set. The same assembly runs fused (backtest, replay) or threaded (paper, live).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "keel/engine/account.hpp"
#include "keel/engine/config.hpp"
#include "keel/engine/ingest.hpp"
#include "keel/engine/order_book.hpp"
#include "keel/engine/risk_limits.hpp"
#include "keel/engine/runner.hpp"
#include "keel/engine/stage.hpp"
#include "keel/engine/stage_metrics.hpp"
#include "keel/engine/state_snapshot.hpp"
#include "keel/engine/symbol_table.hpp"
#include "keel/engine/thread_plan.hpp"
#include "keel/journal/writer.hpp"

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

// One data file: rows loaded and skipped as malformed (data.skip_bad_rows), the first skipped
// one named "file:line:col: why".
struct DataFileReport {
    std::string name;
    std::uint64_t rows = 0;
    std::uint64_t skipped_rows = 0;
    std::string first_skipped;
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
    engine::Money max_drawdown{};
    std::uint64_t round_trip_count = 0;
    std::uint64_t winning_round_trips = 0;
    std::vector<engine::RoundTrip> round_trips;    // as many as the account kept
    std::vector<engine::OrderRecord> open_orders;  // the gateway's live orders at the end
    std::uint8_t risk_flags = 0;                   // kRiskKilled | kRiskPaused | kRiskHalted
    engine::RiskLimits risk_limits{};              // in force at the end
    std::uint64_t round_trips_dropped = 0;         // closed but beyond the account's capacity
    // Per symbol (by id), the round trip still open at the end (side none when flat).
    std::vector<engine::RoundTrip> open_round_trips;
    // The gateway account's equity samples (at every fill and bar), as many as it kept.
    std::vector<engine::EquityPoint> equity_curve;
    std::uint64_t equity_points_dropped = 0;
    // Event time of the first and last market data event the last stage saw (0 when none).
    std::int64_t first_market_ts_ns = 0;
    std::int64_t last_market_ts_ns = 0;
    std::vector<DataFileReport> data_files;  // empty when re-running journaled inputs
    std::uint64_t skipped_rows = 0;
    std::vector<SymbolReport> symbols;
    std::vector<StageReport> stages;
    std::vector<std::string> threads;  // "feed[ingest] cpu0 backoff"
    std::string journal_dir;           // empty when the session wrote no journal
    std::string journal_durability;
    std::vector<StreamReport> streams;
    std::string journal_error;  // first journal failure; the session stopped on it
    double elapsed_s = 0;
};

class Restart;

// What a live session's adapters may look at while the pipeline runs (live_session.hpp):
// read-only views, readable from any thread (the runner's metrics are relaxed atomics, the
// writers' published counters too). Valid until the session returns.
// Journaled input events to re-run, in journal order, and what a session must know of them
// before it starts: their symbol definitions (the strategies bind to symbol ids) and how many
// are market data. Kept as the events are read (read_session, replay.hpp), so a replay does not
// walk them again before it runs.
class JournaledInputs {
  public:
    void push_back(const engine::Event& e);
    [[nodiscard]] const std::vector<engine::Event>& events() const noexcept { return events_; }
    [[nodiscard]] const std::vector<engine::Event>& symbol_defs() const noexcept {
        return symbol_defs_;
    }
    [[nodiscard]] std::uint64_t market_events() const noexcept { return market_events_; }
    // The gateway_records of each session_resume among them, in order: where the restarts
    // this session went through held the gateway's sends (GatewayStage::hold_sends_from).
    [[nodiscard]] const std::vector<std::uint64_t>& resume_holds() const noexcept {
        return resume_holds_;
    }
    [[nodiscard]] bool empty() const noexcept { return events_.empty(); }
    [[nodiscard]] std::size_t size() const noexcept { return events_.size(); }

  private:
    std::vector<engine::Event> events_;
    std::vector<engine::Event> symbol_defs_;
    std::vector<std::uint64_t> resume_holds_;
    std::uint64_t market_events_ = 0;
};

struct SessionView {
    const engine::Runner* runner = nullptr;
    std::vector<const journal::StreamWriter*> writers;  // input, strategy, risk, gateway; or none
    const engine::SymbolTable* symbols = nullptr;
    const Restart* restart = nullptr;  // set when the session continued a journal
};

struct SessionOptions {
    // Overrides the config's thread plan when set (tests compare fused and threaded plans).
    std::optional<engine::ThreadPlan> plan;
    // Receives the last stage's output on the last stage's thread; must not allocate.
    engine::Emit* tap = nullptr;
    // Where to write the journal. A new or empty directory starts a session; one that holds
    // a journal continues its session (restart recovery, recovery.hpp). Empty: no journal.
    std::filesystem::path journal_dir;
    // Called once the data is loaded and the pipeline is about to start (cold thread).
    void (*on_running)(void* ctx) = nullptr;
    // Re-run these journaled input events (in journal order) instead of the config's data
    // files, with the venue disconnected (their venue replies are among them). Must outlive the
    // call. See read_session (replay.hpp).
    const JournaledInputs* replay_inputs = nullptr;
    // With replay_inputs: a what-if. The configuration may differ from the journal's, the
    // venue is connected (the simulated one, seeded as configured), and the journal's venue
    // replies and echoes are left out of the inputs: the changed session makes its own.
    bool what_if = false;
    void* on_running_ctx = nullptr;

    // Hooks for the latency harness (latency_harness.hpp); all cold, called once before the
    // pipeline starts.
    //
    // Replaces the config's data files with another input source (the latency harness's
    // generator, a live session's queue). Called with the empty symbol table: it interns the
    // symbols its events define (a symbol_def each, first) and returns the source, which must
    // outlive the call; nullptr with error set to refuse. Not with replay_inputs. With a
    // journal to continue, the source gives only what comes after it (a live queue).
    std::function<engine::InputSource*(engine::SymbolTable& symbols, std::string& error)> input;
    // Wraps each downstream stage before the runner gets it (index 1 strategy, 2 risk,
    // 3 gateway). The returned stage must forward every call to the one given.
    std::function<engine::Stage&(std::size_t index, engine::Stage& stage)> wrap_stage;
    // Wraps the venue the gateway hands orders to; the returned venue must forward every call.
    std::function<engine::Venue&(engine::Venue& venue)> wrap_venue;
    // The input is live (a queue the adapters write to): a journal to continue is continued,
    // and the input has nothing in it to skip.
    bool live = false;
    // State queries (control API): ingest sends them down, the runner publishes them.
    engine::SnapshotExchange* snapshots = nullptr;
    // Called just before the pipeline starts (after any restart rebuild), on the calling
    // thread; an error refuses to start (nothing ran). Then on_stopped after it has stopped.
    std::function<bool(const SessionView&, std::string& error)> on_start;
    std::function<void()> on_stopped;
};

// Runs the session; on failure to start returns nullopt with error set (exit code 2 material).
// stop: set by a signal handler to end the session; the session also sets it itself when the
// journal fails.
[[nodiscard]] std::optional<SessionReport> run_session(const engine::Config& config,
                                                       std::atomic<bool>& stop,
                                                       const SessionOptions& options,
                                                       std::string& error);

}  // namespace keel::replay
