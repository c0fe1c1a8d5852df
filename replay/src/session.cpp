#include "keel/replay/session.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "keel/adapters/csv_source.hpp"
#include "keel/adapters/sim_venue.hpp"
#include "keel/adapters/venue_config.hpp"
#include "keel/engine/event_log.hpp"
#include "keel/engine/gateway_stage.hpp"
#include "keel/engine/risk_stage.hpp"
#include "keel/engine/runner.hpp"
#include "keel/engine/strategies/alert_follower.hpp"
#include "keel/engine/strategies/orb.hpp"
#include "keel/engine/strategies/sma_cross.hpp"
#include "keel/engine/strategy_stage.hpp"
#include "keel/engine/symbol_table.hpp"
#include "keel/engine/timer_schedule.hpp"
#include "keel/journal/cursor.hpp"
#include "keel/journal/reader.hpp"
#include "keel/journal/writer_lock.hpp"
#include "keel/replay/recovery.hpp"

namespace keel::replay {
namespace {

// The journal's streams: the input, then one per stage that derives events, in pipeline order
// (the order logs are opened, attached and reported in).
constexpr const char* kStreams[] = {"input", "strategy", "risk", "gateway"};

// Counts what reaches the end of the pipeline and passes it on to the optional tap.
class CountingSink final : public engine::Emit {
  public:
    explicit CountingSink(engine::Emit* tap) : tap_(tap) {}
    void emit(const engine::Event& e) noexcept override {
        if (engine::is_input(e.header.type))
            ++inputs_;
        if (engine::is_market_data(e.header.type)) {
            if (market_ == 0)
                first_market_ts_ns_ = e.header.ts_ns;
            last_market_ts_ns_ = e.header.ts_ns;
            ++market_;
        }
        if (tap_ != nullptr)
            tap_->emit(e);
    }
    [[nodiscard]] std::uint64_t inputs() const noexcept { return inputs_; }
    [[nodiscard]] std::int64_t first_market_ts_ns() const noexcept { return first_market_ts_ns_; }
    [[nodiscard]] std::int64_t last_market_ts_ns() const noexcept { return last_market_ts_ns_; }

  private:
    engine::Emit* tap_;
    std::uint64_t inputs_ = 0;
    std::uint64_t market_ = 0;
    std::int64_t first_market_ts_ns_ = 0;
    std::int64_t last_market_ts_ns_ = 0;
};

std::string describe_thread(const engine::ThreadSpec& t) {
    std::string s = t.name + "[";
    for (std::size_t k = t.first_stage; k <= t.last_stage; ++k) {
        if (k > t.first_stage)
            s += ",";
        s += engine::kStageNames[k];
    }
    s += "] ";
    s += t.cpu ? "cpu" + std::to_string(*t.cpu) : std::string("unpinned");
    s += " ";
    s += engine::to_string(t.idle);
    return s;
}

// Journaled inputs (session_start excluded: ingest makes its own) as an input source.
class ReplaySource final : public engine::InputSource {
  public:
    // without_replies: leave out what the venue and the gateway answered (a what-if's venue
    // answers its own orders).
    ReplaySource(const std::vector<engine::Event>& events, bool without_replies)
        : events_(events), without_replies_(without_replies) {}
    Poll poll(engine::Event& out) noexcept override {
        while (next_ < events_.size() && skipped(events_[next_]))
            ++next_;
        if (next_ == events_.size())
            return Poll::exhausted;
        out = events_[next_++];
        return Poll::event;
    }

  private:
    [[nodiscard]] bool skipped(const engine::Event& e) const noexcept {
        if (e.header.type == engine::EventType::session_start)
            return true;
        if (!without_replies_)
            return false;
        switch (e.header.type) {
            case engine::EventType::venue_ack:
            case engine::EventType::venue_fill:
            case engine::EventType::venue_reject:
            case engine::EventType::venue_cancel:
            case engine::EventType::order_denied:
                return true;
            default:
                return false;
        }
    }

    const std::vector<engine::Event>& events_;
    bool without_replies_;
    std::size_t next_ = 0;
};

class DisconnectedVenue final : public engine::Venue {
  public:
    void submit(const engine::Event&) noexcept override {}
};

class NullReplies final : public engine::ReplySink {
  public:
    void post(const engine::Event&) noexcept override {}
};

// Builds the configured strategies on their symbols' ids, and the timers they need: bar
// closes for the intervals they aggregate, and the session events of symbols with a session.
bool build_strategies(const engine::Config& config, const engine::SymbolTable& symbols,
                      std::vector<std::unique_ptr<engine::Strategy>>& out,
                      std::vector<engine::TimerSpec>& timers, std::string& error) {
    std::vector<bool> session_timers(config.symbol_capacity, false);
    for (std::size_t i = 0; i < config.strategies.size(); ++i) {
        const engine::StrategyConfig& s = config.strategies[i];
        std::vector<engine::SymbolId> ids;
        for (const std::string& name : s.symbols) {
            const auto id = symbols.find(name);
            if (!id) {
                error = "strategies[" + std::to_string(i) + "]: symbol '" + name +
                        "' does not appear in any data file";
                return false;
            }
            ids.push_back(*id);
        }
        std::unique_ptr<engine::Strategy> strategy;
        std::uint32_t before_close = 0;
        if (s.type == "sma_cross") {
            engine::SmaCrossParams p;
            p.symbol = ids.front();
            p.fast = s.fast;
            p.slow = s.slow;
            p.sizing = s.sizing;
            p.allow_short = s.allow_short;
            p.interval_minutes = static_cast<std::uint16_t>(s.timeframe_minutes);
            strategy = std::make_unique<engine::SmaCrossStrategy>(p);
        } else if (s.type == "orb") {
            engine::OrbParams p = s.orb;
            p.symbol = ids.front();
            before_close = p.flat_before_close_minutes;
            strategy = std::make_unique<engine::OrbStrategy>(p);
        } else {
            engine::AlertFollowerParams p;
            p.symbols = ids;
            p.sizing = s.sizing;
            p.lot = s.sizing.lot;
            p.allow_short = s.allow_short;
            for (const engine::AlertSizeConfig& a : s.alert_sizes) {
                p.sizes.push_back({*symbols.find(a.symbol),
                                   static_cast<std::uint16_t>(a.timeframe_minutes), a.quantity,
                                   a.notional});
            }
            strategy = std::make_unique<engine::AlertFollower>(std::move(p));
        }
        const engine::TradingSession session = engine::session_for(config, s.symbols.front());
        if (before_close > 0 &&
            static_cast<std::int32_t>(before_close) >= session.close_minute - session.open_minute) {
            error = "strategies[" + std::to_string(i) +
                    "].flat_before_close: " + std::to_string(before_close) +
                    " minutes is not shorter than the session of " + s.symbols.front();
            return false;
        }
        strategy->set_session(session);
        for (const engine::SymbolId id : ids) {
            for (const std::uint32_t interval : strategy->bar_intervals())
                timers.push_back({id, session, engine::TimerKind::bar_close, interval, 0});
            if (before_close > 0) {
                timers.push_back({id, session, engine::TimerKind::session_open, 0, before_close});
                session_timers[id] = true;
            }
        }
        out.push_back(std::move(strategy));
    }
    // Every symbol with a configured session gets its open and close (risk resets the day's
    // P&L at the open; the venue expires DAY orders at the close).
    for (const engine::SymbolConfig& s : config.symbols) {
        const auto id = symbols.find(s.name);
        if (!id || s.session.empty() || session_timers[*id])
            continue;
        timers.push_back(
            {*id, engine::session_for(config, s.name), engine::TimerKind::session_open, 0, 0});
    }
    return true;
}

}  // namespace

void JournaledInputs::push_back(const engine::Event& e) {
    events_.push_back(e);
    if (e.header.type == engine::EventType::symbol_def)
        symbol_defs_.push_back(e);
    if (e.header.type == engine::EventType::session_resume)
        resume_holds_.push_back(e.payload.resume.gateway_records);
    market_events_ += engine::is_market_data(e.header.type) ? 1 : 0;
}

std::optional<SessionReport> run_session(const engine::Config& config, std::atomic<bool>& stop,
                                         const SessionOptions& options, std::string& error) {
    KEEL_ASSERT(!(options.input && options.replay_inputs != nullptr),
                "an input source override and journaled inputs exclude each other");
    engine::SymbolTable symbols(config.symbol_capacity);
    std::vector<adapters::CsvFileSpec> files;
    for (const engine::DataFileConfig& f : config.data_files) {
        files.push_back({f.resolved, f.path, f.symbol, f.bar_interval_s});
    }
    std::optional<adapters::CsvSource> csv;
    std::optional<ReplaySource> replayed;
    engine::InputSource* source = nullptr;
    std::uint64_t market_events = 0;
    if (options.replay_inputs != nullptr) {
        // The journal records the configuration and seed it ran with (session start): a
        // re-run under anything else would not be the same session.
        const std::string text = engine::mask_secrets(config.effective).dump();
        const auto& in = options.replay_inputs->events();
        if (in.empty() || in.front().header.type != engine::EventType::session_start) {
            error = "journaled inputs do not begin with a session start";
            return std::nullopt;
        }
        if (!options.what_if && (in.front().payload.session.config_hash != engine::fnv1a64(text) ||
                                 in.front().payload.session.seed != config.seed)) {
            error =
                "the journal was written with another configuration or seed than the one "
                "given (compare its session_start record)";
            return std::nullopt;
        }
        // Re-running journaled inputs: their symbol definitions name the symbols.
        for (const engine::Event& e : options.replay_inputs->symbol_defs()) {
            const auto& d = e.payload.symbol_def;
            const auto id =
                symbols.intern(std::string_view(d.name, strnlen(d.name, sizeof d.name)));
            if (!id || *id != e.header.symbol) {
                error = "journaled symbol definitions do not match a fresh symbol table";
                return std::nullopt;
            }
        }
        replayed.emplace(in, options.what_if);
        source = &*replayed;
        market_events = options.replay_inputs->market_events();
    } else if (options.input) {
        source = options.input(symbols, error);
        if (source == nullptr)
            return std::nullopt;
    } else {
        adapters::CsvReadOptions csv_options;
        csv_options.skip_bad_rows = config.skip_bad_rows;
        csv =
            adapters::CsvSource::open(files, symbols, config.pace_events_per_s, error, csv_options);
        if (!csv)
            return std::nullopt;
        for (const engine::SymbolConfig& s : config.symbols) {
            if (const auto id = symbols.find(s.name); id && s.tick_size.raw > 0)
                csv->set_tick_size(*id, s.tick_size);
        }
        source = &*csv;
        market_events = csv->stats().trades + csv->stats().quotes + csv->stats().bars;
    }
    std::vector<std::unique_ptr<engine::Strategy>> strategies;
    std::vector<engine::TimerSpec> timers;
    if (!build_strategies(config, symbols, strategies, timers, error))
        return std::nullopt;
    engine::TimerSchedule timer_schedule(timers);

    const engine::ThreadPlan plan = options.plan ? *options.plan : config.plan;
    std::vector<engine::ConfigError> venue_errors;
    const adapters::SimVenueConfig venue_config = adapters::sim_venue_config_from_json(
        config.venue_json, config.symbol_capacity, venue_errors);
    if (!venue_errors.empty()) {
        error = venue_errors.front().path + ": " + venue_errors.front().message;
        return std::nullopt;
    }
    // Replies the venue sends at most once per resting order, and fills per market event.
    const std::size_t venue_once = adapters::SimVenue::max_replies_per_event(venue_config);
    const std::size_t venue_fills = venue_config.max_fills_per_event;
    engine::ReplyRing replies(
        engine::Runner::reply_capacity_for(plan, engine::kStageCount, venue_once, venue_fills));
    // A restart captures the venue's and gateway's replies while it re-runs the journal, and
    // passes them to the ring afterwards (recovery.hpp).
    RecoveryReplies recovery_replies(replies);
    // One writer per journal, held until every stream is closed (declared before them,
    // destroyed after). Taken before anything looks at what the directory holds: another
    // writer's record in progress is not a torn tail for recovery to cut, and two writers
    // would interleave their sequences.
    journal::WriterLock writer_lock;
    if (!options.journal_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(options.journal_dir, ec);
        if (ec) {
            error = "cannot create journal directory " + options.journal_dir.string() + ": " +
                    ec.message();
            return std::nullopt;
        }
        if (const journal::Status st =
                journal::WriterLock::acquire(options.journal_dir, writer_lock);
            !st.ok()) {
            error = std::string(st.what());
            return std::nullopt;
        }
    }
    const bool journal_exists = options.replay_inputs == nullptr && !options.journal_dir.empty() &&
                                !journal::fresh_journal_dir(options.journal_dir);
    engine::ReplySink& live_replies = journal_exists
                                          ? static_cast<engine::ReplySink&>(recovery_replies)
                                          : static_cast<engine::ReplySink&>(replies);
    adapters::SimVenue sim_venue(live_replies, venue_config, config.seed);
    // A replay re-runs journaled inputs, venue replies included: the venue is disconnected and
    // the gateway's own replies (risk denials, dropped bracket children) are already in them.
    DisconnectedVenue disconnected;
    NullReplies no_replies;
    const bool disconnected_venue = options.replay_inputs != nullptr && !options.what_if;
    engine::Venue& plain_venue = disconnected_venue ? static_cast<engine::Venue&>(disconnected)
                                                    : static_cast<engine::Venue&>(sim_venue);
    engine::Venue& venue = options.wrap_venue ? options.wrap_venue(plain_venue) : plain_venue;
    engine::ReplySink& gateway_replies =
        disconnected_venue ? static_cast<engine::ReplySink&>(no_replies) : live_replies;
    engine::StrategyStageOptions strategy_options;
    strategy_options.symbol_capacity = config.symbol_capacity;
    strategy_options.starting_cash = config.starting_cash;
    engine::StrategyStage strategy(std::move(strategies), strategy_options);
    engine::RiskLimits limits = config.risk;
    for (const std::string& name : config.restricted_symbols) {
        // A restricted symbol that is not in the data has nothing to restrict.
        if (const auto id = symbols.find(name))
            (void)limits.set(engine::RiskLimit::restricted_symbol, 1, *id);
    }
    engine::RiskStageOptions risk_options;
    risk_options.symbol_capacity = config.symbol_capacity;
    risk_options.starting_cash = config.starting_cash;
    engine::RiskStage risk(limits, risk_options);
    engine::GatewayStage gateway(venue, gateway_replies, config.symbol_capacity,
                                 engine::GatewayStage::kDefaultOrderCapacity,
                                 engine::GatewayStage::kMaxHeldChildren, config.starting_cash);
    // A journal that went through restarts: the gateway holds and refuses the same unsent
    // orders again (a what-if's changed session has its own).
    if (options.replay_inputs != nullptr && !options.what_if)
        gateway.hold_sends_from(options.replay_inputs->resume_holds());
    // The journal: one stream per writer, opened before anything runs.
    const std::string config_text = engine::mask_secrets(config.effective).dump();
    std::vector<std::unique_ptr<engine::JournalLog>> logs;  // input, strategy, risk, gateway
    std::optional<Restart> restart;
    if (journal_exists && !csv && !options.live) {
        error = "journal directory " + options.journal_dir.string() +
                " holds a journal: continuing one needs the config's data files; give a new or "
                "empty directory";
        return std::nullopt;
    }
    std::vector<std::unique_ptr<RecoveryLog>> recovery_logs;  // strategy, risk, gateway
    if (!options.journal_dir.empty()) {
        if (journal_exists) {
            // Continue the session this journal holds (recovery.hpp). Recovery cuts torn
            // tails and refuses corruption before anything is opened for writing.
            restart = Restart::open(options.journal_dir, error);
            if (!restart)
                return std::nullopt;
            if (!restart->empty()) {
                if (!restart->check_session(engine::fnv1a64(config_text), config.seed, error) ||
                    !restart->check_symbols(symbols, error))
                    return std::nullopt;
            }
        }
        for (const char* stream : kStreams) {
            std::unique_ptr<journal::StreamWriter> writer;
            const journal::Status st =
                journal::StreamWriter::open(options.journal_dir, stream, config.journal, writer);
            if (!st.ok()) {
                error = "cannot open journal stream " + std::string(stream) + ": " +
                        std::string(st.what());
                return std::nullopt;
            }
            logs.push_back(std::make_unique<engine::JournalLog>(std::move(writer), stop));
        }
        if (restart && !restart->empty()) {
            for (std::size_t i = 1; i < logs.size(); ++i) {
                recovery_logs.push_back(std::make_unique<RecoveryLog>(
                    kStreams[i], restart->take_derived(kStreams[i]), *logs[i]));
            }
            strategy.set_log(recovery_logs[0].get());
            risk.set_log(recovery_logs[1].get());
            gateway.set_log(recovery_logs[2].get());
        } else {
            strategy.set_log(logs[1].get());
            risk.set_log(logs[2].get());
            gateway.set_log(logs[3].get());
        }
    }
    bool resumed = false;
    if (restart && !restart->empty()) {
        std::vector<RecoveryLog*> checked;
        for (const auto& l : recovery_logs)
            checked.push_back(l.get());
        engine::TimerSchedule* due_timers = timer_schedule.empty() ? nullptr : &timer_schedule;
        if (!restart->rebuild(strategy, risk, gateway, checked, recovery_replies, replies.ring(),
                              error) ||
            !restart->reconcile(gateway, plain_venue, replies.ring(), error) ||
            !(csv ? restart->skip_journaled(*csv, due_timers, error)
                  : restart->skip_journaled_timers(due_timers, error)))
            return std::nullopt;
        resumed = true;
    } else {
        recovery_replies.go_live();
    }
    engine::Ingest::Options ingest_options;
    ingest_options.config_hash = engine::fnv1a64(config_text);
    ingest_options.seed = config.seed;  // the simulated venue's latency jitter draws from it
    // A replay's journaled inputs hold the timers already.
    ingest_options.timers =
        timer_schedule.empty() || options.replay_inputs != nullptr ? nullptr : &timer_schedule;
    ingest_options.symbol_capacity = config.symbol_capacity;
    ingest_options.log = logs.empty() ? nullptr : logs[0].get();
    ingest_options.config_text = config_text;
    if (resumed) {
        ingest_options.resume_seq = restart->last_seq();
        ingest_options.resume_ts_ns = restart->last_ts_ns();
        ingest_options.resume = restart->resume();
    }
    ingest_options.snapshots = options.snapshots;
    engine::Ingest ingest(*source, replies.ring(), stop, ingest_options);
    CountingSink sink(options.tap);
    std::vector<engine::Stage*> downstream{&strategy, &risk, &gateway};
    if (options.wrap_stage) {
        for (std::size_t i = 0; i < downstream.size(); ++i)
            downstream[i] = &options.wrap_stage(i + 1, *downstream[i]);
    }
    engine::Runner runner(ingest, downstream, replies, sink, plan, venue_once, venue_fills);

    runner.set_snapshots(options.snapshots);
    if (options.on_start) {
        SessionView view;
        view.runner = &runner;
        for (const auto& l : logs)
            view.writers.push_back(&l->writer());
        view.symbols = &symbols;
        view.restart = resumed ? &*restart : nullptr;
        if (!options.on_start(view, error))
            return std::nullopt;
    }
    if (options.on_running != nullptr)
        options.on_running(options.on_running_ctx);
    const auto t0 = std::chrono::steady_clock::now();
    error = runner.run();
    const auto t1 = std::chrono::steady_clock::now();
    if (options.on_stopped)
        options.on_stopped();
    if (!error.empty())
        return std::nullopt;

    SessionReport r;
    r.session_name = config.session_name;
    r.stop_reason = ingest.stop_reason();
    r.last_seq = ingest.last_seq();
    r.events_sequenced = runner.metrics(0).events_in.get();
    r.market_events = market_events;
    r.orders_requested = strategy.orders_requested();
    r.orders_sent = gateway.orders_sent();
    r.risk_rejects = risk.rejects();
    r.venue_rejects = gateway.venue_rejects();
    r.fills = gateway.fills();
    r.reply_ring_full_waits = replies.full_waits();
    r.inputs_seen_by_last_stage = sink.inputs();
    r.venue_duplicate_order_ids = sim_venue.duplicate_order_ids();
    if (resumed) {
        r.restarted = true;
        r.restart_inputs = restart->inputs();
        r.restart_in_doubt_replies = restart->in_doubt_replies();
        r.restart_unsent_dropped = restart->unsent_dropped();
        r.restart_reconciled = restart->reconciled();
        r.restart_torn_bytes = restart->torn_bytes_cut();
        r.restart_rederived_records = restart->rederived_records();
    }
    const engine::Account& account = gateway.account();
    for (engine::SymbolId id = 0; id < symbols.size(); ++id) {
        const engine::PositionState& p = account.position(id);
        SymbolReport s{std::string(symbols.name(id)),
                       p.quantity_raw,
                       p.realized,
                       p.unrealized(),
                       p.fills,
                       p.fees};
        r.symbols.push_back(std::move(s));
    }
    r.realized = account.realized();
    r.unrealized = account.unrealized();
    r.fees = account.fees();
    r.cash = account.cash();
    r.equity = account.equity();
    r.starting_cash = account.starting_cash();
    r.max_drawdown = account.max_drawdown();
    r.round_trip_count = account.round_trip_count();
    r.winning_round_trips = account.winning_round_trips();
    r.round_trips = account.round_trips();
    r.open_orders = gateway.orders().open_orders();
    r.risk_flags = risk.flags();
    r.risk_limits = risk.limits();
    r.round_trips_dropped = account.round_trips_dropped();
    for (engine::SymbolId id = 0; id < symbols.size(); ++id)
        r.open_round_trips.push_back(account.open_round_trip(id));
    r.equity_curve = account.equity_curve();
    r.equity_points_dropped = account.equity_points_dropped();
    r.first_market_ts_ns = sink.first_market_ts_ns();
    r.last_market_ts_ns = sink.last_market_ts_ns();
    if (csv) {
        for (const adapters::CsvFileStats& f : csv->stats().files)
            r.data_files.push_back({f.name, f.rows, f.skipped_rows, f.first_skipped});
        r.skipped_rows = csv->stats().skipped_rows;
    }
    for (std::size_t i = 0; i < runner.stage_count(); ++i) {
        const engine::StageMetrics& m = runner.metrics(i);
        r.stages.push_back({std::string(runner.stage_name(i)), m.events_in.get(),
                            m.events_out.get(), m.ring_full_waits.get(), m.ring_high_water.get(),
                            m.service_ns.value_at(0.50), m.service_ns.value_at(0.99),
                            m.service_ns.value_at(0.999), m.service_ns.max()});
    }
    for (const engine::ThreadSpec& t : plan.threads)
        r.threads.push_back(describe_thread(t));
    if (!logs.empty()) {
        r.journal_dir = options.journal_dir.string();
        r.journal_durability = std::string(journal::to_string(config.journal.durability));
        for (std::size_t i = 0; i < logs.size(); ++i) {
            const journal::Status st = logs[i]->close();
            if (!st.ok() && r.journal_error.empty()) {
                r.journal_error = std::string(kStreams[i]) + ": " + std::string(st.what());
            }
            const journal::StreamWriter& w = logs[i]->writer();
            r.streams.push_back(
                {kStreams[i], w.appended_records(), w.durable_records(), w.segment_index() + 1});
        }
    }
    r.elapsed_s = std::chrono::duration<double>(t1 - t0).count();
    return r;
}

}  // namespace keel::replay
