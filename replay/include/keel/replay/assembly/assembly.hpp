// SessionAssembly: builds one session from a validated Config, step by step, and runs it. The
// same assembly runs fused (backtest, replay) or threaded (paper, live). A session is built
// in this order, each step a member function:
//   1. open_inputs   the input source (the config's CSV files, journaled inputs, a generator or
//                    a live queue: SessionInput) and the symbols it defines;
//   2. lock_journal  the journal directory's writer lock (one writer per journal), and whether
//                    the directory holds a journal to continue;
//   3. build_stages  the strategies and their timers, the venue and its reply ring, the
//                    strategy, risk and gateway stages;
//   4. open_streams  one journal stream per writer, each stage given its log;
//      (a journal being continued is recovered here instead: replay/recovery.hpp, which
//      opens the streams itself and rebuilds the stages' state from the journal)
//   5. run           ingest and the runner on the thread plan, until the input ends or stop;
//   6. report        the SessionReport, the journal sealed.
// The layers above compose the steps: session/session.hpp (run_session, with restart
// recovery), replay/replay.hpp (re-running a journal's inputs), ops/latency_harness.hpp.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/pipeline/account_stages.hpp"
#include "keel/engine/pipeline/derived_event_tap.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/pipeline/ingest.hpp"
#include "keel/engine/pipeline/runner.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/state_snapshot.hpp"
#include "keel/engine/pipeline/thread_plan.hpp"
#include "keel/engine/pipeline/timer_schedule.hpp"
#include "keel/engine/risk/risk_stage.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/journal/manifest.hpp"
#include "keel/journal/writer.hpp"
#include "keel/journal/writer_lock.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/assembly/record_keeper.hpp"
#include "keel/replay/assembly/session_report.hpp"

namespace keel::adapters {
class CsvSource;
class SimVenue;
struct SimVenueConfig;
struct VenueThreading;
namespace fix {
class FixVenue;
struct FixVenueCounters;
}
namespace alpaca {
class AlpacaVenue;
struct AlpacaVenueCounters;
}
}  // namespace keel::adapters

namespace keel::replay {

// Where a session's input events come from: exactly one of these (SessionOptions::input).
//
// The config's data files (CSV), loaded and checked at open. The default.
struct DataFilesInput {};
// A journal's input events re-run in journal order (a replay), with the venue disconnected:
// its replies are among the inputs. The configuration and seed must be the journal's.
struct RerunInput {
    const JournaledInputs* inputs = nullptr;  // must outlive the session
};
// A what-if: a journal's inputs under a configuration that may differ, against the simulated
// venue (seeded as configured); the journal's venue replies and echoes are left out, the
// changed session makes its own.
struct WhatIfInput {
    const JournaledInputs* inputs = nullptr;  // must outlive the session
};
// Another input source, made once the symbol table exists: it interns the symbols its events
// define (a symbol_def each, first) and returns the source (which must outlive the session),
// or nullptr with error set to refuse.
using MakeSource =
    std::function<engine::InputSource*(engine::SymbolTable& symbols, std::string& error)>;
// A generated input (the latency harness's): a directory holding a journal is refused.
struct GeneratedInput {
    MakeSource make;
};
// A live input (a queue the adapters write to): a journal the directory holds is continued,
// and the source has nothing in it to skip.
struct LiveInput {
    MakeSource make;
};
using SessionInput = std::variant<DataFilesInput, RerunInput, WhatIfInput, GeneratedInput, LiveInput>;

// What a live session's adapters may look at while the pipeline runs (live_session.hpp):
// read-only views, readable from any thread (the runner's metrics are relaxed atomics, the
// writers' published counters too). Valid until the session returns.
struct SessionView {
    const engine::Runner* runner = nullptr;
    std::vector<const journal::StreamWriter*> writers;  // input, strategy, risk, gateway; or none
    const engine::SymbolTable* symbols = nullptr;
    // The journaled inputs of the journal this session continues; null for a new session.
    const JournaledInputs* continued = nullptr;
    // Where the stages read input events' tails (engine/pipeline/tail_arena.hpp).
    const engine::TailArena* tails = nullptr;
    // The threaded venues' seams (venue.threaded), one per account whose venue is threaded:
    // their counters.
    std::vector<const engine::VenueChannel*> venues;
    // The FIX adapters (venue.type "fix"), one per such account: their counters.
    std::vector<const adapters::fix::FixVenueCounters*> fix_venues;
    // The Alpaca adapters (venue.type "alpaca"), one per such account: their counters.
    std::vector<const adapters::alpaca::AlpacaVenueCounters*> alpaca_venues;
};

struct SessionOptions {
    SessionInput input = DataFilesInput{};
    // Overrides the config's thread plan when set (tests compare fused and threaded plans).
    std::optional<engine::ThreadPlan> plan;
    // Receives the last stage's output on the last stage's thread; must not allocate.
    engine::Emit* tap = nullptr;
    // The derived-event taps (engine/pipeline/derived_event_tap.hpp; the first of their
    // chain): offered, on the last stage's thread, each event of a type one of them wants. Any
    // other event costs one inline bit test, and none with no tap: cold consumers (the
    // notification outbox) cost the pipeline next to nothing.
    engine::DerivedEventTap* derived_tap = nullptr;
    // Where to write the journal. A new or empty directory starts a session; one that holds
    // a journal continues its session (run_session: restart recovery). Empty: no journal.
    std::filesystem::path journal_dir;
    // State queries (control API): ingest sends them down, the runner publishes them.
    engine::SnapshotExchange* snapshots = nullptr;
    // A live session in wall time (live.time "wall", live_session.hpp): a new session's
    // session_start is stamped start_ts_ns (the wall clock the session read), and threaded
    // venues stamp each reply with the wall clock as it enters ingest's queue. A replay takes
    // the journaled session_start's time instead, and reads no clock.
    bool wall_time = false;
    std::int64_t start_ts_ns = 0;

    // Hooks, all cold, called on the caller's thread.
    // Wraps each downstream stage before the runner gets it (index 1 strategy, 2 risk,
    // 3 gateway). The returned stage must forward every call to the one given.
    std::function<engine::Stage&(std::size_t index, engine::Stage& stage)> wrap_stage;
    // Wraps the venue the gateway hands orders to; the returned venue must forward every call.
    // Called once per account, each returning a venue of its own.
    std::function<engine::Venue&(engine::Venue& venue)> wrap_venue;
    // Where a real venue's adapter logs (connects, disconnects, bad reports); null: nowhere.
    std::function<void(std::string_view)> venue_log;
    // Called just before the pipeline starts (after any restart rebuild); an error refuses to
    // start (nothing ran). Then on_running, right before the runner starts; on_stopped after
    // it has stopped.
    std::function<bool(const SessionView&, std::string& error)> on_start;
    std::function<void()> on_running;
    std::function<void()> on_stopped;
};

// The reply path of the venue and the gateway while a continued journal is re-run: captured
// (cold, allocates), then forwarded to the live sink after go_live(). A new session's venue
// posts to the reply ring directly.
class ReplyCapture final : public engine::ReplySink {
  public:
    explicit ReplyCapture(engine::ReplySink& live) : live_(live) {}
    void post(const engine::Event& event) noexcept override;
    void go_live() noexcept { live_mode_ = true; }
    [[nodiscard]] const std::vector<engine::Event>& captured() const noexcept { return captured_; }

  private:
    engine::ReplySink& live_;
    bool live_mode_ = false;
    std::vector<engine::Event> captured_;
};

// Where a continued journal left off: ingest continues after it without a new session start.
struct ResumePoint {
    std::uint64_t last_seq = 0;
    std::int64_t last_ts_ns = 0;
    engine::SessionResumePayload payload{};
    const JournaledInputs* inputs = nullptr;  // the journaled inputs (SessionView::continued)
};

// The journal's streams: the input, then one per stage that derives events, in pipeline order
// (the order logs are opened, attached and reported in).
inline constexpr const char* kStreams[] = {"input", "strategy", "risk", "gateway"};
inline constexpr std::size_t kStreamCount = 4;

class SessionAssembly {
  public:
    // config and options must outlive the assembly. stop: set by a signal handler to end the
    // session; the session also sets it itself when the journal fails.
    SessionAssembly(const engine::Config& config, std::atomic<bool>& stop,
                    const SessionOptions& options);
    ~SessionAssembly();
    SessionAssembly(const SessionAssembly&) = delete;
    SessionAssembly& operator=(const SessionAssembly&) = delete;

    // The steps, in order (see the top of this file). Each returns false with error set when
    // the session cannot start (kExitUsage material); nothing has run then.
    [[nodiscard]] bool open_inputs(std::string& error);
    [[nodiscard]] bool lock_journal(std::string& error);
    [[nodiscard]] bool build_stages(std::string& error);
    [[nodiscard]] bool open_streams(std::string& error);
    // Writes the journal's manifest as open (open_streams' last step; journal/manifest.hpp).
    [[nodiscard]] bool open_manifest(std::string& error);
    [[nodiscard]] bool run(const ResumePoint* resume, std::string& error);
    [[nodiscard]] SessionReport report();

    // The session's venue id prefix (engine/orders/venue_id.hpp), set by open_inputs: a
    // re-run's is its journal's; a live session draws one per journal (a continued journal
    // keeps its own, set by run); a backtest's is derived from its config hash and seed.
    [[nodiscard]] std::uint64_t venue_id_prefix() const noexcept { return venue_id_prefix_; }

    // After lock_journal: the directory holds a journal this session is to continue.
    [[nodiscard]] bool continues_journal() const noexcept { return continues_journal_; }

    // For restart recovery (replay/recovery.hpp), between build_stages and run.
    [[nodiscard]] const engine::Config& config() const noexcept { return config_; }
    [[nodiscard]] const std::filesystem::path& journal_dir() const noexcept {
        return options_.journal_dir;
    }
    // The configuration text the journal records (secrets masked) and its hash.
    [[nodiscard]] const std::string& config_text() const noexcept { return config_text_; }
    [[nodiscard]] const engine::SymbolTable& symbols() const noexcept { return symbols_; }
    [[nodiscard]] engine::StrategyStage& strategy() noexcept { return *strategy_; }
    // The accounts (config `accounts`; one without): account k's risk and gateway stage and
    // its venue before wrap_venue (the open-order query goes to it).
    [[nodiscard]] std::size_t account_count() const noexcept { return accounts_.size(); }
    [[nodiscard]] engine::RiskStage& risk(std::size_t k = 0) noexcept { return *accounts_[k].risk; }
    [[nodiscard]] engine::GatewayStage& gateway(std::size_t k = 0) noexcept {
        return *accounts_[k].gateway;
    }
    [[nodiscard]] const engine::Venue& plain_venue(std::size_t k = 0) const noexcept {
        return *accounts_[k].plain_venue;
    }
    // Account k's FIX adapter (venue.type "fix"), or null.
    [[nodiscard]] adapters::fix::FixVenue* fix_venue(std::size_t k = 0) noexcept {
        return accounts_[k].fix_venue.get();
    }
    // Whether account k's venue is a real one (its replies are journaled inputs that a
    // restart feeds back, not answers a rebuilt simulator gives again).
    [[nodiscard]] bool real_venue(std::size_t k) const noexcept {
        return config_.accounts[k].venue_type != "sim";
    }
    // A restart's re-run hands every journaled input (and its tail) to the real venues, so
    // their adapters rebuild their ids and order state (cold, before their threads start).
    void restore_venues(const engine::Event& input, std::string_view tail);
    // The risk and gateway stages the pipeline runs: account 0's, or with several accounts
    // one AccountStages over all of them.
    [[nodiscard]] engine::Stage& risk_stage() noexcept;
    [[nodiscard]] engine::Stage& gateway_stage() noexcept;
    [[nodiscard]] ReplyCapture& reply_capture() noexcept { return *capture_; }
    [[nodiscard]] engine::SpscRing<engine::Event>& reply_ring() noexcept { return replies_->ring(); }
    // After build_stages: where the stages read input events' tails (pipeline/tail_arena.hpp);
    // restart recovery files the journaled ones there.
    [[nodiscard]] engine::TailArena& tails() noexcept { return *tails_; }
    // The CSV source when the input is the config's data files, else null.
    [[nodiscard]] adapters::CsvSource* csv() noexcept;
    // The timers ingest makes, null when there are none.
    [[nodiscard]] engine::TimerSchedule* timers() noexcept;
    // After open_streams: the journal log of stream i (kStreams), and the logs the strategy,
    // risk and gateway stages journal through (a restart wraps the stream logs).
    [[nodiscard]] engine::JournalLog& stream_log(std::size_t i) noexcept { return *logs_[i]; }
    void set_stage_logs(engine::EventLog* strategy, engine::EventLog* risk,
                        engine::EventLog* gateway) noexcept;

  private:
    [[nodiscard]] bool open_rerun(const RerunInput* rerun, const WhatIfInput* what_if,
                                  std::string& error);
    [[nodiscard]] bool open_data_files(std::string& error);
    [[nodiscard]] bool build_venue(std::string& error);
    struct AccountParts;
    void build_account_venue(const adapters::SimVenueConfig& venue_config,
                             const adapters::VenueThreading& threading, AccountParts& a);
    bool build_real_venue(std::size_t k, const adapters::VenueThreading& threading,
                          std::string& error);
    bool build_fix_venue(std::size_t k, AccountParts& a, std::string& error);
    bool build_alpaca_venue(std::size_t k, AccountParts& a, std::string& error);
    // Where venue and gateway replies go: the restart's capture while a journal is continued,
    // else the reply ring.
    [[nodiscard]] engine::ReplySink& live_replies() noexcept;
    // Account a's venue channel and adapter thread (the session's wall clock set in options).
    void build_threaded(AccountParts& a, adapters::ThreadedVenue::Options options);
    void build_pipeline_stages();
    void size_records();  // the accounts' equity samples and round trips, from the data
    // The report's counts, money, positions and orders: one account's, or every account's
    // summed and each apart.
    void report_accounts(SessionReport& r);
    // Each strategy's P&L from its own fills (StrategyPnlReport).
    void report_strategies(SessionReport& r);

    const engine::Config& config_;
    std::atomic<bool>& stop_;
    const SessionOptions& options_;
    const std::string config_text_;
    journal::Manifest manifest_;  // as written when the streams opened
    // Keeps the manifest's seals current as writers roll; declared before the logs (below),
    // so it outlives the writers that tell it.
    journal::ManifestKeeper manifest_keeper_;
    engine::SymbolTable symbols_;

    // open_inputs
    std::unique_ptr<adapters::CsvSource> csv_;
    class ReplaySource;       // journaled inputs as a source (assembly.cpp)
    class DisconnectedVenue;  // a replay's venue: its replies are among the inputs
    class NullReplies;
    std::unique_ptr<ReplaySource> rerun_source_;
    engine::InputSource* source_ = nullptr;
    const JournaledInputs* rerun_inputs_ = nullptr;  // rerun and what-if
    bool venue_disconnected_ = false;                // a rerun: replies are among the inputs
    std::uint64_t market_events_ = 0;
    std::uint64_t venue_id_prefix_ = 0;

    // lock_journal: held until every stream is closed (declared before the logs, destroyed
    // after them).
    journal::WriterLock writer_lock_;
    bool continues_journal_ = false;

    // build_stages
    std::vector<std::unique_ptr<engine::Strategy>> strategies_;
    std::unique_ptr<engine::TimerSchedule> timer_schedule_;
    engine::ThreadPlan plan_;
    std::size_t venue_once_ = 0;
    std::size_t venue_fills_ = 0;
    std::unique_ptr<engine::ReplyRing> replies_;
    std::unique_ptr<engine::TailArena> tails_;  // input events' tails in flight
    std::unique_ptr<ReplyCapture> capture_;
    std::unique_ptr<NullReplies> no_replies_;
    // One per account: its venue (the simulator, behind the asynchronous seam when
    // venue.threaded; disconnected in a replay) and its risk and gateway stages.
    struct AccountParts {
        AccountParts();
        AccountParts(AccountParts&&) noexcept;
        ~AccountParts();
        std::unique_ptr<adapters::SimVenue> sim_venue;
        std::unique_ptr<adapters::fix::FixVenue> fix_venue;  // venue.type "fix"
        std::unique_ptr<adapters::alpaca::AlpacaVenue> alpaca_venue;  // venue.type "alpaca"
        std::unique_ptr<engine::VenueChannel> channel;
        std::unique_ptr<adapters::ThreadedVenue> threaded;
        std::unique_ptr<DisconnectedVenue> disconnected;
        engine::Venue* plain_venue = nullptr;
        engine::Venue* venue = nullptr;  // after wrap_venue
        std::int64_t drain_ms = 0;
        std::unique_ptr<engine::RiskStage> risk;
        std::unique_ptr<engine::GatewayStage> gateway;
    };
    std::vector<AccountParts> accounts_;
    std::unique_ptr<engine::AccountStages> risk_stages_;     // several accounts only
    std::unique_ptr<engine::AccountStages> gateway_stages_;  // several accounts only
    std::uint64_t gateway_records_ = 0;  // the gateway stream's records, every account's
    class ChannelsBatchEnd;  // wakes every threaded venue at the end of a batch
    std::unique_ptr<ChannelsBatchEnd> batch_end_;
    std::unique_ptr<engine::StrategyStage> strategy_;

    // open_streams
    std::vector<std::unique_ptr<engine::JournalLog>> logs_;  // input, strategy, risk, gateway

    // run
    std::unique_ptr<engine::Ingest> ingest_;
    class CountingSink;  // counts what reaches the end of the pipeline (assembly.cpp)
    std::unique_ptr<CountingSink> sink_;
    std::unique_ptr<engine::Runner> runner_;
    // Input of unknown span (live, generated): the cold thread keeping the accounts' records
    // (record_keeper.hpp); null in a backtest, which reserves them all up front.
    std::unique_ptr<RecordKeeper> records_;
    double elapsed_s_ = 0;
};

}  // namespace keel::replay
