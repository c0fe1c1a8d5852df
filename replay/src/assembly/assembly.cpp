#include "keel/replay/assembly/assembly.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <random>
#include <tuple>

#include "keel/adapters/alpaca/alpaca_venue.hpp"
#include "keel/adapters/csv/csv_source.hpp"
#include "keel/adapters/fix/fix_venue.hpp"
#include "keel/adapters/fix/fix_venue_config.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/adapters/sim_venue/venue_config.hpp"
#include "keel/engine/config/secrets.hpp"
#include "keel/engine/orders/venue_id.hpp"
#include "keel/engine/strategy/strategies/alert_follower.hpp"
#include "keel/engine/strategy/strategies/orb.hpp"
#include "keel/engine/strategy/strategies/sma_cross.hpp"

namespace keel::replay {

// Counts what reaches the end of the pipeline and passes it on to the optional tap.
class SessionAssembly::CountingSink final : public engine::Emit {
  public:
    CountingSink(engine::Emit* tap, engine::DerivedEventTap* derived)
        : tap_(tap), derived_(derived) {
        const engine::EventTypeSet types =
            derived != nullptr ? derived->chain_types() : engine::EventTypeSet{};
        for (std::size_t t = 0; t < derived_wants_.size(); ++t)
            derived_wants_[t] = types.contains(static_cast<engine::EventType>(t));
    }
    void emit(const engine::Event& e) noexcept override {
        if (derived_wants_[static_cast<std::uint8_t>(e.header.type)])
            derived_->offer(e);
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
    [[nodiscard]] std::uint64_t market() const noexcept { return market_; }
    [[nodiscard]] std::int64_t first_market_ts_ns() const noexcept { return first_market_ts_ns_; }
    [[nodiscard]] std::int64_t last_market_ts_ns() const noexcept { return last_market_ts_ns_; }

  private:
    engine::Emit* tap_;
    engine::DerivedEventTap* derived_;
    // The chain's types as a byte per type, held here: one compare per event, no pointer
    // chase (the instruction-count gate measured the bit test at ~7 instructions per event).
    std::array<bool, 256> derived_wants_{};
    std::uint64_t inputs_ = 0;
    std::uint64_t market_ = 0;
    std::int64_t first_market_ts_ns_ = 0;
    std::int64_t last_market_ts_ns_ = 0;
};

// Journaled inputs (session_start excluded: ingest makes its own) as an input source.
class SessionAssembly::ReplaySource final : public engine::InputSource {
  public:
    // without_replies: leave out what the venue and the gateway answered (a what-if's venue
    // answers its own orders).
    ReplaySource(const JournaledInputs& inputs, bool without_replies)
        : inputs_(inputs), events_(inputs.events()), without_replies_(without_replies) {}
    Poll poll(engine::Event& out) noexcept override {
        engine::TailOut none;
        return poll(out, none);
    }
    // An input's journaled tail goes back with it, so the re-run journals the same record.
    Poll poll(engine::Event& out, engine::TailOut& tail) noexcept override {
        tail.length = 0;
        while (next_ < events_.size() && skipped(events_[next_]))
            ++next_;
        if (next_ == events_.size())
            return Poll::exhausted;
        if (const std::string_view bytes = inputs_.tail_of(next_); !bytes.empty()) {
            const bool fits = tail.put(bytes);
            KEEL_ASSERT(fits, "a journaled tail with no room to re-run");
        }
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

    const JournaledInputs& inputs_;
    const std::vector<engine::Event>& events_;
    bool without_replies_;
    std::size_t next_ = 0;
};

class SessionAssembly::DisconnectedVenue final : public engine::Venue {
  public:
    void submit(const engine::Event&) noexcept override {}
};

class SessionAssembly::NullReplies final : public engine::ReplySink {
  public:
    void post(const engine::Event&) noexcept override {}
};

namespace {

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

// One configured strategy on its symbols' ids; before_close: its flat-before-close minutes
// (0: none).
std::unique_ptr<engine::Strategy> make_strategy(const engine::StrategyConfig& s,
                                                const std::vector<engine::SymbolId>& ids,
                                                const engine::SymbolTable& symbols,
                                                std::uint32_t& before_close) {
    before_close = 0;
    if (s.type == "sma_cross") {
        engine::SmaCrossParams p;
        p.symbol = ids.front();
        p.fast = s.fast;
        p.slow = s.slow;
        p.sizing = s.sizing;
        p.allow_short = s.allow_short;
        p.interval_minutes = static_cast<std::uint16_t>(s.timeframe_minutes);
        return std::make_unique<engine::SmaCrossStrategy>(p);
    }
    if (s.type == "orb") {
        engine::OrbParams p = s.orb;
        p.symbol = ids.front();
        before_close = p.flat_before_close_minutes;
        return std::make_unique<engine::OrbStrategy>(p);
    }
    engine::AlertFollowerParams p;
    p.symbols = ids;
    p.sizing = s.sizing;
    p.lot = s.sizing.lot;
    p.allow_short = s.allow_short;
    for (const engine::AlertSizeConfig& a : s.alert_sizes) {
        p.sizes.push_back({*symbols.find(a.symbol), static_cast<std::uint16_t>(a.timeframe_minutes),
                           a.quantity, a.notional});
    }
    for (const engine::AlertDefaultsConfig& d : s.alert_defaults)
        p.defaults.push_back({*symbols.find(d.symbol), d.order});
    return std::make_unique<engine::AlertFollower>(std::move(p));
}

// Strategies sharing a symbol ask for its timers once: a second bar_close for the same bar
// would close nothing (the strategy stage hands each closed bar to every strategy that asked).
void add_timer(std::vector<engine::TimerSpec>& timers, const engine::TimerSpec& spec) {
    for (const engine::TimerSpec& t : timers) {
        if (t.symbol == spec.symbol && t.kind == spec.kind &&
            t.interval_minutes == spec.interval_minutes &&
            t.before_close_minutes == spec.before_close_minutes)
            return;
    }
    timers.push_back(spec);
}

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
        std::uint32_t before_close = 0;
        std::unique_ptr<engine::Strategy> strategy = make_strategy(s, ids, symbols, before_close);
        const engine::TradingSession session = engine::session_for(config, s.symbols.front());
        if (before_close > 0 &&
            static_cast<std::int32_t>(before_close) * 60 >= session.close_s - session.open_s) {
            error = "strategies[" + std::to_string(i) +
                    "].flat_before_close: " + std::to_string(before_close) +
                    " minutes is not shorter than the session of " + s.symbols.front();
            return false;
        }
        strategy->set_session(session);
        strategy->set_account(s.account);
        for (const engine::SymbolId id : ids) {
            for (const std::uint32_t interval : strategy->bar_intervals())
                add_timer(timers, {id, session, engine::TimerKind::bar_close, interval, 0});
            if (before_close > 0) {
                add_timer(timers, {id, session, engine::TimerKind::session_open, 0, before_close});
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

void ReplyCapture::post(const engine::Event& event) noexcept {
    if (live_mode_) {
        live_.post(event);
        return;
    }
    captured_.push_back(event);
}

SessionAssembly::SessionAssembly(const engine::Config& config, std::atomic<bool>& stop,
                                 const SessionOptions& options)
    : config_(config),
      stop_(stop),
      options_(options),
      config_text_(engine::mask_secrets(config.effective).dump()),
      symbols_(config.symbol_capacity) {}

SessionAssembly::~SessionAssembly() = default;

adapters::CsvSource* SessionAssembly::csv() noexcept {
    return csv_.get();
}

engine::TimerSchedule* SessionAssembly::timers() noexcept {
    return timer_schedule_ && !timer_schedule_->empty() ? timer_schedule_.get() : nullptr;
}

namespace {

// A live journal's venue id prefix: the start time and a random value, drawn once (the
// session_start that journals it is what replays and restarts read). 35 random bits: two
// journals share a prefix with odds of one in 34 billion.
std::uint64_t draw_venue_id_prefix() {
    std::random_device device;
    const auto now_ns = static_cast<std::uint64_t>(
        std::chrono::system_clock::now().time_since_epoch() / std::chrono::nanoseconds(1));
    const std::uint64_t random = (std::uint64_t{device()} << 32) ^ device();
    return engine::derived_venue_id_prefix(now_ns, random);
}

}  // namespace

bool SessionAssembly::open_inputs(std::string& error) {
    const auto* rerun = std::get_if<RerunInput>(&options_.input);
    const auto* what_if = std::get_if<WhatIfInput>(&options_.input);
    if (rerun != nullptr || what_if != nullptr)
        return open_rerun(rerun, what_if, error);
    venue_id_prefix_ = engine::derived_venue_id_prefix(engine::fnv1a64(config_text_), config_.seed);
    const MakeSource* make = nullptr;
    if (const auto* g = std::get_if<GeneratedInput>(&options_.input))
        make = &g->make;
    if (const auto* l = std::get_if<LiveInput>(&options_.input)) {
        make = &l->make;
        venue_id_prefix_ = draw_venue_id_prefix();
    }
    if (make != nullptr) {
        source_ = (*make)(symbols_, error);
        return source_ != nullptr;
    }
    return open_data_files(error);
}

bool SessionAssembly::open_rerun(const RerunInput* rerun, const WhatIfInput* what_if,
                                 std::string& error) {
    rerun_inputs_ = rerun != nullptr ? rerun->inputs : what_if->inputs;
    KEEL_ASSERT(rerun_inputs_ != nullptr, "journaled inputs to re-run");
    venue_disconnected_ = rerun != nullptr;
    // The journal records the configuration and seed it ran with (session start): a re-run
    // under anything else would not be the same session.
    const auto& in = rerun_inputs_->events();
    if (in.empty() || in.front().header.type != engine::EventType::session_start) {
        error = "journaled inputs do not begin with a session start";
        return false;
    }
    if (rerun != nullptr && (in.front().payload.session.config_hash != engine::fnv1a64(config_text_) ||
                             in.front().payload.session.seed != config_.seed)) {
        error =
            "the journal was written with another configuration or seed than the one "
            "given (compare its session_start record)";
        return false;
    }
    venue_id_prefix_ = in.front().payload.session.venue_id_prefix;
    // Re-running journaled inputs: their symbol definitions name the symbols.
    for (const engine::Event& e : rerun_inputs_->symbol_defs()) {
        const auto& d = e.payload.symbol_def;
        const auto id = symbols_.intern(std::string_view(d.name, strnlen(d.name, sizeof d.name)));
        if (!id || *id != e.header.symbol) {
            error = "journaled symbol definitions do not match a fresh symbol table";
            return false;
        }
    }
    rerun_source_ = std::make_unique<ReplaySource>(*rerun_inputs_, what_if != nullptr);
    source_ = rerun_source_.get();
    market_events_ = rerun_inputs_->market_events();
    return true;
}

bool SessionAssembly::open_data_files(std::string& error) {
    std::vector<adapters::CsvFileSpec> files;
    for (const engine::DataFileConfig& f : config_.data_files) {
        files.push_back({f.resolved, f.path, f.symbol, f.bar_interval_s, f.columns, f.time_format,
                         f.tz, f.delimiter, f.skip_rows, f.adjusted});
    }
    adapters::CsvReadOptions csv_options;
    csv_options.skip_bad_rows = config_.skip_bad_rows;
    csv_options.sort = config_.sort_rows;
    csv_options.max_spread_pct = config_.max_spread_pct;
    for (const engine::SymbolConfig& s : config_.symbols) {
        if (s.min_price.raw > 0 || s.max_price.raw > 0)
            csv_options.bands.push_back({s.name, s.min_price, s.max_price});
    }
    for (const engine::AccountConfig& a : config_.accounts)
        csv_options.accounts.push_back(a.name);
    std::optional<adapters::CsvSource> csv =
        adapters::CsvSource::open(files, symbols_, config_.pace_events_per_s, error, csv_options);
    if (!csv)
        return false;
    csv_ = std::make_unique<adapters::CsvSource>(std::move(*csv));
    for (const engine::SymbolConfig& s : config_.symbols) {
        if (const auto id = symbols_.find(s.name); id && s.tick_size.raw > 0)
            csv_->set_tick_size(*id, s.tick_size);
    }
    source_ = csv_.get();
    market_events_ = csv_->stats().trades + csv_->stats().quotes + csv_->stats().bars;
    return true;
}

bool SessionAssembly::lock_journal(std::string& error) {
    if (options_.journal_dir.empty())
        return true;
    std::error_code ec;
    std::filesystem::create_directories(options_.journal_dir, ec);
    if (ec) {
        error = "cannot create journal directory " + options_.journal_dir.string() + ": " +
                ec.message();
        return false;
    }
    // Taken before anything looks at what the directory holds: another writer's record in
    // progress is not a torn tail for recovery to cut, and two writers would interleave their
    // sequences.
    if (const journal::Status st = journal::WriterLock::acquire(options_.journal_dir, writer_lock_);
        !st.ok()) {
        error = std::string(st.what());
        return false;
    }
    continues_journal_ =
        rerun_inputs_ == nullptr && !journal::fresh_journal_dir(options_.journal_dir);
    if (continues_journal_ && csv_ == nullptr && !std::holds_alternative<LiveInput>(options_.input)) {
        error = "journal directory " + options_.journal_dir.string() +
                " holds a journal: continuing one needs the config's data files; give a new or "
                "empty directory";
        return false;
    }
    return true;
}

bool SessionAssembly::build_stages(std::string& error) {
    std::vector<engine::TimerSpec> timers;
    if (!build_strategies(config_, symbols_, strategies_, timers, error))
        return false;
    timer_schedule_ = std::make_unique<engine::TimerSchedule>(timers);
    plan_ = options_.plan ? *options_.plan : config_.plan;
    if (!build_venue(error))
        return false;
    build_pipeline_stages();
    size_records();
    return true;
}

namespace {

// What the data tells the sizing of the accounts' records: its bars, its events and its span.
struct DataShape {
    std::uint64_t bars = 0;
    std::uint64_t events = 0;
    std::int64_t first_ns = 0;
    std::int64_t last_ns = 0;
};

DataShape shape_of(const JournaledInputs& inputs) {
    DataShape d;
    for (const engine::Event& e : inputs.events()) {
        if (e.header.type == engine::EventType::session_start ||
            e.header.type == engine::EventType::symbol_def)
            continue;
        d.bars += e.header.type == engine::EventType::bar ? 1 : 0;
        if (d.events++ == 0)
            d.first_ns = e.header.ts_ns;
        d.last_ns = std::max(d.last_ns, e.header.ts_ns);
    }
    return d;
}

}  // namespace

// A backtest's samples and round trips all fit in memory reserved now (the pipeline never
// allocates): an equity point per bar time (at most one per bar) or per UTC day of the data's
// span, and a round trip per input event (a trip closes at a fill, and strategies trade on
// inputs). Data of unknown span (live, generated) reserves nothing for its whole run: each
// account hands its records to the record keeper's cold thread (record_keeper.hpp), started
// here because a continued journal's re-run already closes points and trips.
void SessionAssembly::size_records() {
    const engine::EquitySampling sampling = config_.metrics.equity_sampling;
    DataShape d;
    if (csv_) {
        d.bars = csv_->stats().bars;
        d.events = csv_->event_count();
        std::tie(d.first_ns, d.last_ns) = csv_->time_span();
    } else if (rerun_inputs_ != nullptr) {
        d = shape_of(*rerun_inputs_);
    } else {
        records_ = std::make_unique<RecordKeeper>(accounts_.size());
        for (std::size_t k = 0; k < accounts_.size(); ++k)
            records_->attach(k, accounts_[k].gateway->account_for_records(), sampling);
        records_->start();
        return;
    }
    const std::uint64_t days =
        static_cast<std::uint64_t>(std::max<std::int64_t>(d.last_ns - d.first_ns, 0) /
                                   engine::kNsPerDay) +
        2;
    std::uint64_t points = days + 1;
    if (sampling != engine::EquitySampling::daily)
        points = std::max(points, d.bars + 1);
    const std::uint64_t trips = d.events + config_.symbol_capacity + 1;
    for (AccountParts& a : accounts_)
        a.gateway->reserve_records(sampling, trips, points);
}

SessionAssembly::AccountParts::AccountParts() = default;
SessionAssembly::AccountParts::AccountParts(AccountParts&&) noexcept = default;
SessionAssembly::AccountParts::~AccountParts() = default;

class SessionAssembly::ChannelsBatchEnd final : public engine::BatchEnd {
  public:
    void end_batch() noexcept override {
        for (engine::VenueChannel* c : channels)
            c->end_batch();
    }
    std::vector<engine::VenueChannel*> channels;
};

engine::Stage& SessionAssembly::risk_stage() noexcept {
    return risk_stages_ ? static_cast<engine::Stage&>(*risk_stages_) : *accounts_.front().risk;
}

engine::Stage& SessionAssembly::gateway_stage() noexcept {
    return gateway_stages_ ? static_cast<engine::Stage&>(*gateway_stages_)
                           : *accounts_.front().gateway;
}

bool SessionAssembly::build_venue(std::string& error) {
    // Each account's venue config first: its replies bound the reply ring.
    std::vector<adapters::SimVenueConfig> venue_configs;
    std::vector<adapters::VenueThreading> threadings;
    for (std::size_t k = 0; k < config_.accounts.size(); ++k) {
        std::vector<engine::ConfigError> venue_errors;
        // A real venue's replies are bounded like the simulator's at its defaults (the reply
        // ring's size); its settings are its own (build_real_venue).
        venue_configs.push_back(
            real_venue(k) ? adapters::SimVenueConfig{}
                          : adapters::sim_venue_config_from_json(
                                config_.accounts[k].venue_json, config_.symbol_capacity,
                                venue_errors, config_.accounts[k].starting_cash));
        // A webhook-only session: only alerts can price its symbols (sim_venue.hpp).
        venue_configs.back().no_market_data =
            config_.data_files.empty() && config_.feed_json.is_null();
        threadings.push_back(
            adapters::venue_threading_from_json(config_.accounts[k].venue_json, venue_errors));
        if (!venue_errors.empty()) {
            const std::string where =
                config_.accounts.size() > 1 ? "accounts[" + std::to_string(k) + "]." : "";
            error = where + venue_errors.front().path + ": " + venue_errors.front().message;
            return false;
        }
        // Replies each venue sends at most once per resting order, and fills per market
        // event: every venue sees every market event, so the bounds add up.
        venue_once_ += adapters::SimVenue::max_replies_per_event(venue_configs.back());
        venue_fills_ += venue_configs.back().max_fills_per_event;
    }
    const std::size_t n = config_.accounts.size();
    replies_ = std::make_unique<engine::ReplyRing>(engine::Runner::reply_capacity_for(
        plan_, engine::kStageCount, venue_once_, venue_fills_, n));
    // Room for every input in flight, and the one ingest holds before sequencing it.
    tails_ = std::make_unique<engine::TailArena>(
        engine::Runner::in_flight_bound(plan_, engine::kStageCount, n) + 2);
    // A restart captures the venue's and gateway's replies while it re-runs the journal, and
    // passes them to the ring afterwards (replay/recovery.hpp).
    capture_ = std::make_unique<ReplyCapture>(*replies_);
    if (!continues_journal_)
        capture_->go_live();
    if (venue_disconnected_)
        no_replies_ = std::make_unique<NullReplies>();
    accounts_.resize(n);
    for (std::size_t k = 0; k < n; ++k) {
        if (real_venue(k) && !venue_disconnected_) {
            if (!build_real_venue(k, threadings[k], error))
                return false;
            continue;
        }
        build_account_venue(venue_configs[k], threadings[k], accounts_[k]);
    }
    return true;
}

// A real venue's account (FIX, Alpaca): always on its own thread, whose adapter polls its
// sockets there; only in a live session.
bool SessionAssembly::build_real_venue(std::size_t k, const adapters::VenueThreading& threading,
                                       std::string& error) {
    const std::string& type = config_.accounts[k].venue_type;
    if (!std::holds_alternative<LiveInput>(options_.input)) {
        error = "venue.type \"" + type +
                "\" trades a real venue: run it with `keel run` (a backtest trades the "
                "simulated venue)";
        return false;
    }
    AccountParts& a = accounts_[k];
    a.drain_ms = threading.drain_ms;
    adapters::ThreadedVenue::Options threaded_options;
    threaded_options.idle = threading.idle;
    threaded_options.park_ns = 100'000;  // the adapter's sockets are looked at this often idle
    threaded_options.market_data = false;
    threaded_options.hot = false;  // FIX messages and JSON are strings
    build_threaded(a, threaded_options);
    if (!(type == "alpaca" ? build_alpaca_venue(k, a, error) : build_fix_venue(k, a, error)))
        return false;
    a.plain_venue = a.threaded.get();
    a.venue = options_.wrap_venue ? &options_.wrap_venue(*a.plain_venue) : a.plain_venue;
    return true;
}

// A FIX account: the QuickFIX session's sequence numbers in the journal's fix/<account>
// directory.
bool SessionAssembly::build_fix_venue(std::size_t k, AccountParts& a, std::string& error) {
    std::vector<engine::ConfigError> errors;
    const adapters::fix::FixVenueConfig fc =
        adapters::fix::fix_venue_config_from_json(config_.accounts[k].venue_json, errors);
    if (!errors.empty()) {
        error = errors.front().path + ": " + errors.front().message;
        return false;
    }
    adapters::fix::FixVenueOptions fo;
    fo.session = fc.session;
    fo.session.store_dir = (options_.journal_dir / "fix" / std::to_string(k)).string();
    fo.max_resend_age_ms = fc.max_resend_age_ms;
    fo.status_retry_ms = fc.status_retry_ms;
    fo.mass_status = fc.mass_status;
    fo.adopt_unknown = fc.adopt_unknown;
    fo.venue_id_prefix = venue_id_prefix_;
    fo.account = static_cast<std::uint8_t>(k);
    for (std::size_t id = 0; id < symbols_.size(); ++id)
        fo.symbols.emplace_back(symbols_.name(static_cast<engine::SymbolId>(id)));
    fo.order_capacity = engine::GatewayStage::kDefaultOrderCapacity;
    a.fix_venue = std::make_unique<adapters::fix::FixVenue>(
        std::move(fo), a.threaded->replies(), options_.venue_log);
    a.threaded->set_inner(static_cast<adapters::PolledVenue&>(*a.fix_venue));
    return true;
}

// An Alpaca account: REST and the trade_updates stream on the adapter's thread.
bool SessionAssembly::build_alpaca_venue(std::size_t k, AccountParts& a, std::string& error) {
    std::vector<engine::ConfigError> errors;
    adapters::alpaca::AlpacaVenueOptions ao;
    ao.config = adapters::alpaca::alpaca_venue_config_from_json(config_.accounts[k].venue_json,
                                                                errors);
    if (!errors.empty()) {
        error = errors.front().path + ": " + errors.front().message;
        return false;
    }
    ao.venue_id_prefix = venue_id_prefix_;
    ao.account = static_cast<std::uint8_t>(k);
    for (std::size_t id = 0; id < symbols_.size(); ++id)
        ao.symbols.emplace_back(symbols_.name(static_cast<engine::SymbolId>(id)));
    ao.order_capacity = engine::GatewayStage::kDefaultOrderCapacity;
    a.alpaca_venue = std::make_unique<adapters::alpaca::AlpacaVenue>(
        std::move(ao), a.threaded->replies(), options_.venue_log);
    a.threaded->set_inner(static_cast<adapters::PolledVenue&>(*a.alpaca_venue));
    return true;
}

void SessionAssembly::restore_venues(const engine::Event& input, std::string_view tail) {
    for (AccountParts& a : accounts_) {
        if (a.fix_venue)
            a.fix_venue->restore(input, tail);
        if (a.alpaca_venue)
            a.alpaca_venue->restore(input, tail);
    }
}

engine::ReplySink& SessionAssembly::live_replies() noexcept {
    return continues_journal_ ? static_cast<engine::ReplySink&>(*capture_)
                              : static_cast<engine::ReplySink&>(*replies_);
}

void SessionAssembly::build_threaded(AccountParts& a, adapters::ThreadedVenue::Options options) {
    a.channel = std::make_unique<engine::VenueChannel>(
        engine::Runner::venue_request_capacity_for(plan_, engine::kStageCount, accounts_.size()),
        engine::Runner::venue_reply_capacity_for(plan_, engine::kStageCount, venue_once_,
                                                 venue_fills_, accounts_.size()));
    options.wall_clock = options_.wall_time;
    a.threaded = std::make_unique<adapters::ThreadedVenue>(*a.channel, live_replies(), options);
}

void SessionAssembly::build_account_venue(const adapters::SimVenueConfig& venue_config,
                                          const adapters::VenueThreading& threading,
                                          AccountParts& a) {
    a.drain_ms = threading.drain_ms;
    if (threading.threaded && !venue_disconnected_) {
        adapters::ThreadedVenue::Options threaded_options;
        threaded_options.idle = threading.idle;
        threaded_options.hot = true;  // the simulator allocates nothing once built
        build_threaded(a, threaded_options);
    }
    a.sim_venue = std::make_unique<adapters::SimVenue>(
        a.threaded ? a.threaded->replies() : live_replies(), venue_config, config_.seed);
    if (a.threaded)
        a.threaded->set_inner(*a.sim_venue);
    // A replay re-runs journaled inputs, venue replies included: the venue is disconnected and
    // the gateway's own replies (risk denials, dropped bracket children) are already in them.
    if (venue_disconnected_) {
        a.disconnected = std::make_unique<DisconnectedVenue>();
        a.plain_venue = a.disconnected.get();
    } else if (a.threaded) {
        a.plain_venue = a.threaded.get();
    } else {
        a.plain_venue = a.sim_venue.get();
    }
    a.venue = options_.wrap_venue ? &options_.wrap_venue(*a.plain_venue) : a.plain_venue;
}

void SessionAssembly::build_pipeline_stages() {
    engine::ReplySink& gateway_replies =
        venue_disconnected_ ? static_cast<engine::ReplySink&>(*no_replies_) : live_replies();
    engine::StrategyStageOptions strategy_options;
    strategy_options.symbol_capacity = config_.symbol_capacity;
    strategy_options.starting_cash = config_.starting_cash;
    strategy_options.tails = tails_.get();
    for (const engine::AccountConfig& a : config_.accounts)
        strategy_options.account_cash.push_back(a.starting_cash);
    strategy_ = std::make_unique<engine::StrategyStage>(std::move(strategies_), strategy_options);
    engine::RiskLimits limits = config_.risk;
    for (const std::string& name : config_.restricted_symbols) {
        // A restricted symbol that is not in the data has nothing to restrict.
        if (const auto id = symbols_.find(name))
            (void)limits.set(engine::RiskLimit::restricted_symbol, 1, *id);
    }
    // Each symbol's configured band holds the alert prices risk takes as references.
    std::vector<engine::SymbolPriceBand> bands(config_.symbol_capacity);
    for (const engine::SymbolConfig& s : config_.symbols) {
        if (const auto id = symbols_.find(s.name); id && *id < bands.size())
            bands[*id] = {s.min_price, s.max_price};
    }
    std::vector<engine::Stage*> risks, gateways;
    for (std::size_t k = 0; k < accounts_.size(); ++k) {
        AccountParts& a = accounts_[k];
        engine::RiskStageOptions risk_options;
        risk_options.symbol_capacity = config_.symbol_capacity;
        risk_options.starting_cash = config_.accounts[k].starting_cash;
        risk_options.account = static_cast<std::uint8_t>(k);
        risk_options.bands = bands;
        risk_options.venue_reports_status = real_venue(k);
        a.risk = std::make_unique<engine::RiskStage>(limits, risk_options);
        a.gateway = std::make_unique<engine::GatewayStage>(
            *a.venue, gateway_replies, config_.symbol_capacity,
            engine::GatewayStage::kDefaultOrderCapacity, engine::GatewayStage::kMaxHeldChildren,
            config_.accounts[k].starting_cash);
        a.gateway->set_account(static_cast<std::uint8_t>(k));
        a.gateway->share_record_count(&gateway_records_);
        // A journal that went through restarts: the gateway holds and refuses the same unsent
        // orders again (a what-if's changed session has its own).
        if (venue_disconnected_)
            a.gateway->hold_sends_from(rerun_inputs_->resume_holds());
        risks.push_back(a.risk.get());
        gateways.push_back(a.gateway.get());
    }
    if (accounts_.size() > 1) {
        risk_stages_ = std::make_unique<engine::AccountStages>(std::move(risks));
        gateway_stages_ = std::make_unique<engine::AccountStages>(std::move(gateways));
    }
}

bool SessionAssembly::open_streams(std::string& error) {
    if (options_.journal_dir.empty())
        return true;
    // Each segment a writer seals by rolling gets its seal in the manifest (manifest_keeper_).
    journal::WriterOptions writer_options = config_.journal;
    writer_options.on_sealed = &manifest_keeper_;
    for (const char* stream : kStreams) {
        std::unique_ptr<journal::StreamWriter> writer;
        const journal::Status st =
            journal::StreamWriter::open(options_.journal_dir, stream, writer_options, writer);
        if (!st.ok()) {
            error = "cannot open journal stream " + std::string(stream) + ": " +
                    std::string(st.what());
            return false;
        }
        logs_.push_back(std::make_unique<engine::JournalLog>(std::move(writer), stop_));
    }
    set_stage_logs(logs_[1].get(), logs_[2].get(), logs_[3].get());
    return open_manifest(error);
}

bool SessionAssembly::open_manifest(std::string& error) {
    // Every stream's first segment exists now, so the manifest never lists a stream a crash
    // kept from being created. Written (open) before the first append: a journal that was
    // closed cleanly and is continued no longer matches its seals.
    std::optional<journal::Manifest> existing;
    if (const journal::Status st = journal::read_manifest(options_.journal_dir, existing);
        !st.ok()) {
        error = std::string(st.what());
        return false;
    }
    manifest_ = existing.value_or(journal::Manifest{});
    if (!existing) {
        char id[48];
        std::snprintf(id, sizeof id, "%016llx-%llu",
                      static_cast<unsigned long long>(engine::fnv1a64(config_text_)),
                      static_cast<unsigned long long>(config_.seed));
        manifest_.session = id;
        for (const char* stream : kStreams)
            manifest_.streams.emplace_back(stream);
    }
    manifest_.closed = false;
    // The seals of segments the writers have moved past stay; the segment each writer
    // continues in is no longer sealed (a journal closed cleanly sealed its last segments).
    for (auto& [stream, seals] : manifest_.seals) {
        for (std::size_t i = 0; i < logs_.size(); ++i) {
            if (stream == kStreams[i] && seals.size() > logs_[i]->writer().segment_index())
                seals.resize(logs_[i]->writer().segment_index());
        }
    }
    if (const journal::Status st = manifest_keeper_.start(options_.journal_dir, manifest_);
        !st.ok()) {
        error = "cannot write the journal manifest: " + std::string(st.what());
        return false;
    }
    return true;
}

void SessionAssembly::set_stage_logs(engine::EventLog* strategy, engine::EventLog* risk,
                                     engine::EventLog* gateway) noexcept {
    strategy_->set_log(strategy);
    for (AccountParts& a : accounts_) {
        a.risk->set_log(risk);
        a.gateway->set_log(gateway);
    }
}

bool SessionAssembly::run(const ResumePoint* resume, std::string& error) {
    engine::Ingest::Options ingest_options;
    ingest_options.config_hash = engine::fnv1a64(config_text_);
    ingest_options.seed = config_.seed;  // the simulated venue's latency jitter draws from it
    // A replay's journaled inputs hold the timers already.
    ingest_options.timers = rerun_inputs_ != nullptr ? nullptr : timers();
    ingest_options.symbol_capacity = config_.symbol_capacity;
    // A continued journal keeps the prefix its session_start holds.
    if (resume != nullptr && resume->inputs != nullptr && !resume->inputs->events().empty() &&
        resume->inputs->events().front().header.type == engine::EventType::session_start)
        venue_id_prefix_ = resume->inputs->events().front().payload.session.venue_id_prefix;
    ingest_options.venue_id_prefix = venue_id_prefix_;
    // A re-run journals the session_start its journal holds, time included.
    ingest_options.start_ts_ns = rerun_inputs_ != nullptr
                                     ? rerun_inputs_->events().front().header.ts_ns
                                     : options_.start_ts_ns;
    ingest_options.log = logs_.empty() ? nullptr : logs_[0].get();
    ingest_options.config_text = config_text_;
    if (resume != nullptr) {
        ingest_options.resume_seq = resume->last_seq;
        ingest_options.resume_ts_ns = resume->last_ts_ns;
        ingest_options.resume = resume->payload;
    }
    ingest_options.snapshots = options_.snapshots;
    ingest_options.tails = tails_.get();
    batch_end_ = std::make_unique<ChannelsBatchEnd>();
    for (const AccountParts& a : accounts_) {
        if (!a.channel)
            continue;
        ingest_options.venues.push_back(a.channel.get());
        batch_end_->channels.push_back(a.channel.get());
        // One thread: the stages wait for the venue as they do for the synchronous one.
        ingest_options.venue_lockstep = plan_.threads.size() == 1;
        ingest_options.venue_drain_ns =
            std::max(ingest_options.venue_drain_ns, a.drain_ms * 1'000'000);
    }
    ingest_ = std::make_unique<engine::Ingest>(*source_, replies_->ring(), stop_, ingest_options);
    sink_ = std::make_unique<CountingSink>(options_.tap, options_.derived_tap);
    std::vector<engine::Stage*> downstream{strategy_.get(), &risk_stage(), &gateway_stage()};
    if (options_.wrap_stage) {
        for (std::size_t i = 0; i < downstream.size(); ++i)
            downstream[i] = &options_.wrap_stage(i + 1, *downstream[i]);
    }
    runner_ = std::make_unique<engine::Runner>(*ingest_, downstream, *replies_, *sink_, plan_,
                                               venue_once_, venue_fills_);
    runner_->set_snapshots(options_.snapshots);
    if (!batch_end_->channels.empty())
        runner_->set_batch_end(batch_end_.get());
    if (options_.on_start) {
        SessionView view;
        view.runner = runner_.get();
        for (const auto& l : logs_)
            view.writers.push_back(&l->writer());
        view.symbols = &symbols_;
        view.continued = resume != nullptr ? resume->inputs : nullptr;
        view.tails = tails_.get();
        for (const AccountParts& a : accounts_) {
            if (a.channel)
                view.venues.push_back(a.channel.get());
            if (a.fix_venue)
                view.fix_venues.push_back(&a.fix_venue->counters());
            if (a.alpaca_venue)
                view.alpaca_venues.push_back(&a.alpaca_venue->counters());
        }
        if (!options_.on_start(view, error))
            return false;
    }
    if (options_.on_running)
        options_.on_running();
    const auto t0 = std::chrono::steady_clock::now();
    for (AccountParts& a : accounts_) {
        if (a.threaded)
            a.threaded->start();
    }
    error = runner_->run();
    for (AccountParts& a : accounts_) {
        if (a.threaded)
            a.threaded->stop();
    }
    // Every account has stopped: the keeper drains the rings and gives each its whole record.
    if (records_) {
        records_->stop();
        records_->give_back();
    }
    const auto t1 = std::chrono::steady_clock::now();
    elapsed_s_ = std::chrono::duration<double>(t1 - t0).count();
    if (options_.on_stopped)
        options_.on_stopped();
    return error.empty();
}

namespace {

// One account's figures into r (a session's report or an account's own).
void report_account(SessionReport& r, const engine::RiskStage& risk,
                    const engine::GatewayStage& gateway, const engine::SymbolTable& symbols) {
    const engine::Account& account = gateway.account();
    r.orders_sent = gateway.orders_sent();
    r.risk_rejects = risk.rejects();
    r.venue_rejects = gateway.venue_rejects();
    r.fills = gateway.fills();
    for (engine::SymbolId id = 0; id < symbols.size(); ++id) {
        const engine::PositionState& p = account.position(id);
        r.symbols.push_back({std::string(symbols.name(id)), p.quantity_raw, p.realized,
                             p.unrealized(), p.fills, p.fees});
        r.open_round_trips.push_back(account.open_round_trip(id));
    }
    r.realized = account.realized();
    r.unrealized = account.unrealized();
    r.fees = account.fees();
    r.cash = account.cash();
    r.equity = account.equity();
    r.starting_cash = account.starting_cash();
    r.round_trip_count = account.round_trip_count();
    r.winning_round_trips = account.winning_round_trips();
    r.round_trips = account.round_trips();
    r.round_trips_dropped = account.round_trips_dropped();
    r.open_orders = gateway.orders().open_orders();
    r.risk_flags = risk.flags();
    r.risk_limits = risk.limits();
    r.equity_curve = account.closed_curve();
    r.equity_points_dropped = account.equity_points_dropped();
    r.metrics = compute_run_metrics(r.equity_curve, r.round_trips, r.starting_cash);
    r.max_drawdown = r.metrics.max_drawdown;
}

// Several accounts' equity curves as one (merge_equity_curves, journal_read.hpp).
std::vector<engine::EquityPoint> merged_equity(const std::vector<SessionReport>& accounts) {
    std::vector<engine::Money> cash;
    std::vector<std::vector<engine::EquityPoint>> curves;
    for (const SessionReport& a : accounts) {
        cash.push_back(a.starting_cash);
        curves.push_back(a.equity_curve);
    }
    return merge_equity_curves(cash, curves);
}

}  // namespace

void SessionAssembly::report_strategies(SessionReport& r) {
    for (std::size_t i = 0; i < config_.strategies.size(); ++i) {
        const engine::StrategyConfig& c = config_.strategies[i];
        const engine::Account& book = strategy_->strategy_book(i);
        const engine::Account& record = accounts_[c.account].gateway->account();
        StrategyPnlReport s{"strategies[" + std::to_string(i) + "]", c.type, c.symbols};
        for (const std::string& name : c.symbols) {
            const auto id = symbols_.find(name);
            if (!id)
                continue;
            // The strategy's position at the account's last price, as the account is valued.
            engine::PositionState p = book.position(*id);
            p.last_price = record.position(*id).last_price;
            s.fills += p.fills;
            s.position_raw += p.quantity_raw;
            s.realized.raw += p.realized.raw;
            s.unrealized.raw += p.unrealized().raw;
            s.fees.raw += p.fees.raw;
        }
        s.total.raw = s.realized.raw + s.unrealized.raw;
        r.strategy_pnl.push_back(std::move(s));
    }
}

void SessionAssembly::report_accounts(SessionReport& r) {
    for (AccountParts& a : accounts_) {
        if (a.sim_venue)  // a real venue (FIX) counts duplicates at its end, not here
            r.venue_duplicate_order_ids += a.sim_venue->duplicate_order_ids();
        if (a.channel) {
            r.venue_threaded = true;
            r.venue_wakes += a.channel->wakes();
            r.venue_requests += a.channel->requests_pushed();
            r.venue_request_full_waits += a.channel->request_full_waits();
            r.venue_reply_full_waits += a.channel->reply_full_waits();
        }
    }
    if (r.venue_threaded)
        r.venue_in_doubt = ingest_->in_doubt_at_stop();
    if (accounts_.size() == 1) {
        report_account(r, *accounts_.front().risk, *accounts_.front().gateway, symbols_);
        return;
    }
    for (std::size_t k = 0; k < accounts_.size(); ++k) {
        SessionReport a;
        a.session_name = config_.accounts[k].name;
        a.first_market_ts_ns = sink_->first_market_ts_ns();
        a.last_market_ts_ns = sink_->last_market_ts_ns();
        report_account(a, *accounts_[k].risk, *accounts_[k].gateway, symbols_);
        r.accounts.push_back(std::move(a));
    }
    // Together: summed, positions per symbol, round trips by exit time, one equity curve.
    r.symbols = r.accounts.front().symbols;
    r.open_round_trips = r.accounts.front().open_round_trips;
    r.risk_limits = r.accounts.front().risk_limits;
    for (std::size_t k = 0; k < r.accounts.size(); ++k) {
        const SessionReport& a = r.accounts[k];
        r.orders_sent += a.orders_sent;
        r.risk_rejects += a.risk_rejects;
        r.venue_rejects += a.venue_rejects;
        r.fills += a.fills;
        r.realized.raw += a.realized.raw;
        r.unrealized.raw += a.unrealized.raw;
        r.fees.raw += a.fees.raw;
        r.cash.raw += a.cash.raw;
        r.equity.raw += a.equity.raw;
        r.starting_cash.raw += a.starting_cash.raw;
        r.round_trip_count += a.round_trip_count;
        r.winning_round_trips += a.winning_round_trips;
        r.round_trips_dropped += a.round_trips_dropped;
        r.equity_points_dropped += a.equity_points_dropped;
        r.round_trips.insert(r.round_trips.end(), a.round_trips.begin(), a.round_trips.end());
        r.open_orders.insert(r.open_orders.end(), a.open_orders.begin(), a.open_orders.end());
        r.risk_flags |= a.risk_flags;
        for (std::size_t id = 0; k > 0 && id < r.symbols.size(); ++id) {
            SymbolReport& s = r.symbols[id];
            s.position_raw += a.symbols[id].position_raw;
            s.realized.raw += a.symbols[id].realized.raw;
            s.unrealized.raw += a.symbols[id].unrealized.raw;
            s.fills += a.symbols[id].fills;
            s.fees.raw += a.symbols[id].fees.raw;
            if (r.open_round_trips[id].side == engine::Side::none)
                r.open_round_trips[id] = a.open_round_trips[id];
        }
    }
    std::stable_sort(r.round_trips.begin(), r.round_trips.end(),
                     [](const engine::RoundTrip& x, const engine::RoundTrip& y) {
                         return x.exit_ns < y.exit_ns;
                     });
    r.equity_curve = merged_equity(r.accounts);
    r.metrics = compute_run_metrics(r.equity_curve, r.round_trips, r.starting_cash);
    r.max_drawdown = r.metrics.max_drawdown;
}

SessionReport SessionAssembly::report() {
    SessionReport r;
    r.session_name = config_.session_name;
    r.stop_reason = ingest_->stop_reason();
    r.last_seq = ingest_->last_seq();
    r.events_sequenced = runner_->metrics(0).events_in.get();
    // Loaded (data files) or journaled (a re-run) when known up front; a live or generated
    // input's are counted as they pass: the market data this run sequenced.
    r.market_events = csv_ || rerun_inputs_ != nullptr ? market_events_ : sink_->market();
    r.orders_requested = strategy_->orders_requested();
    r.reply_ring_full_waits = replies_->full_waits();
    r.inputs_seen_by_last_stage = sink_->inputs();
    report_accounts(r);
    report_strategies(r);
    r.first_market_ts_ns = sink_->first_market_ts_ns();
    r.last_market_ts_ns = sink_->last_market_ts_ns();
    if (csv_) {
        for (const adapters::CsvFileStats& f : csv_->stats().files)
            r.data_files.push_back({f.name, f.rows, f.skipped_rows, f.first_skipped, f.sorted_rows,
                                    f.unknown_size_rows});
        r.skipped_rows = csv_->stats().skipped_rows;
    }
    for (std::size_t i = 0; i < runner_->stage_count(); ++i) {
        const engine::StageMetrics& m = runner_->metrics(i);
        r.stages.push_back({std::string(runner_->stage_name(i)), m.events_in.get(),
                            m.events_out.get(), m.ring_full_waits.get(), m.ring_high_water.get(),
                            m.service_ns.value_at(0.50), m.service_ns.value_at(0.99),
                            m.service_ns.value_at(0.999), m.service_ns.max()});
    }
    for (const engine::ThreadSpec& t : plan_.threads)
        r.threads.push_back(describe_thread(t));
    if (!logs_.empty()) {
        r.journal_dir = options_.journal_dir.string();
        r.journal_durability = std::string(journal::to_string(config_.journal.durability));
        for (std::size_t i = 0; i < logs_.size(); ++i) {
            const journal::Status st = logs_[i]->close();
            if (!st.ok() && r.journal_error.empty())
                r.journal_error = std::string(kStreams[i]) + ": " + std::string(st.what());
            const journal::StreamWriter& w = logs_[i]->writer();
            r.streams.push_back(
                {kStreams[i], w.appended_records(), w.durable_records(), w.segment_index() + 1});
        }
        // Closed cleanly: seal every segment in the manifest, so that from now on damage
        // anywhere is corruption, never a torn tail.
        if (r.journal_error.empty()) {
            if (const journal::Status st =
                    journal::close_manifest(options_.journal_dir, manifest_keeper_.manifest());
                !st.ok())
                r.journal_error = "manifest: " + std::string(st.what());
        }
    }
    r.elapsed_s = elapsed_s_;
    return r;
}

}  // namespace keel::replay
