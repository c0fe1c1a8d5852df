// Proves the runner's thread plans are equivalent and its shutdown loses nothing: the fused
// plan and threaded plans produce identical order and fill sequences for the same input; a
// fused run is byte-for-byte repeatable; a stop request mid-run drains every sequenced event
// to the last stage and every stage sees the shutdown event; a bad CPU fails before start.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/risk/risk_stage.hpp"
#include "keel/engine/pipeline/runner.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "keel/journal/reader.hpp"
#include "keel/replay/session/session.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

Config demo_config() {
    ConfigResult r = load_config(std::string(KEEL_SOURCE_DIR) + "/config/demo.json", {});
    KEEL_ASSERT(r.ok(), "demo config must be valid");
    return r.config;
}

ThreadPlan plan_of(std::initializer_list<std::pair<std::size_t, std::size_t>> groups, IdleKind idle,
                   std::size_t ring_capacity) {
    ThreadPlan p;
    p.ring_capacity = ring_capacity;
    int i = 0;
    for (auto [first, last] : groups) {
        p.threads.push_back({"t" + std::to_string(i++), first, last, std::nullopt, idle});
    }
    return p;
}

// What must not depend on the thread plan: the sequence of orders and the sequence of fills,
// each in order, minus the global sequence numbers. Where a fill lands among market data and
// orders is timing (it comes back through the reply ring), so the two lists are compared apart,
// and a fill's sequencing stamps (seq and the engine time ingest gives it when it arrives) are
// left out: its content (side, price, quantity) must match exactly. Client order ids are left
// out too: they derive from the cause's sequence number, which is where the plans differ.
struct Trade {
    EventType type;
    SymbolId symbol;
    std::int64_t ts_ns;
    std::uint64_t order_id;
    Side side;
    std::int64_t price_raw;
    std::int64_t qty_raw;
    bool operator==(const Trade&) const = default;
};

std::vector<Trade> of_type(const test::Recorder& rec, EventType type) {
    std::vector<Trade> out;
    for (const Event& e : rec.events()) {
        if (e.header.type != type)
            continue;
        if (e.header.type == EventType::order_sent) {
            const OrderPayload& o = e.payload.order;
            out.push_back({e.header.type, e.header.symbol, e.header.ts_ns, 0, o.side, o.price.raw,
                           o.quantity.raw});
        } else if (e.header.type == EventType::venue_fill) {
            const FillPayload& f = e.payload.fill;
            out.push_back(
                {e.header.type, e.header.symbol, 0, 0, f.side, f.price.raw, f.quantity.raw});
        }
    }
    return out;
}

struct DemoRun {
    std::unique_ptr<test::Recorder> rec;
    replay::SessionReport report;
};

DemoRun run_demo(const ThreadPlan& plan) {
    DemoRun run{std::make_unique<test::Recorder>(1 << 18), {}};
    std::atomic<bool> stop{false};
    replay::SessionOptions opts;
    opts.plan = plan;
    opts.tap = run.rec.get();
    std::string error;
    auto report = replay::run_session(demo_config(), stop, opts, error);
    EXPECT_TRUE(report) << error;
    if (report)
        run.report = *report;
    return run;
}

}  // namespace

TEST(Runner, FusedAndThreadedPlansProduceIdenticalOrdersAndFills) {
    const DemoRun fused = run_demo(ThreadPlan::fused(kStageCount, IdleKind::yield));
    const auto orders = of_type(*fused.rec, EventType::order_sent);
    const auto fills = of_type(*fused.rec, EventType::venue_fill);
    ASSERT_GT(fused.report.orders_sent, 100u);  // the demo data really trades
    ASSERT_EQ(fused.report.fills, fused.report.orders_sent);
    ASSERT_EQ(orders.size(), fused.report.orders_sent);
    // Two threads as on a 2-core box; every stage on its own thread with tiny rings so
    // back-pressure is constant; park idling.
    for (const ThreadPlan& plan : {plan_of({{0, 0}, {1, 3}}, IdleKind::yield, 4096),
                                   plan_of({{0, 0}, {1, 1}, {2, 2}, {3, 3}}, IdleKind::yield, 8),
                                   plan_of({{0, 1}, {2, 3}}, IdleKind::park, 64)}) {
        const DemoRun threaded = run_demo(plan);
        EXPECT_TRUE(of_type(*threaded.rec, EventType::order_sent) == orders);
        EXPECT_TRUE(of_type(*threaded.rec, EventType::venue_fill) == fills);
        EXPECT_EQ(threaded.report.realized, fused.report.realized);
        EXPECT_EQ(threaded.report.events_sequenced, fused.report.events_sequenced);
        EXPECT_EQ(threaded.report.inputs_seen_by_last_stage, threaded.report.events_sequenced);
    }
}

TEST(Runner, FusedRunIsByteForByteRepeatable) {
    const DemoRun a = run_demo(ThreadPlan::fused(kStageCount));
    const DemoRun b = run_demo(ThreadPlan::fused(kStageCount));
    ASSERT_EQ(a.rec->events().size(), b.rec->events().size());
    EXPECT_EQ(std::memcmp(a.rec->events().data(), b.rec->events().data(),
                          a.rec->events().size() * sizeof(Event)),
              0);
}

namespace {

// An endless source of trades on symbols 0 and 1, alternating, with prices that step up and
// down so the SMAs keep crossing.
class EndlessSource final : public InputSource {
  public:
    Poll poll(Event& out) noexcept override {
        // Risk refuses orders on a symbol it has seen no symbol_def for: define both first.
        if (defined_ < 2) {
            out = make_event(EventType::symbol_def, Source::feed, 0, 0, defined_++);
            return Poll::event;
        }
        ++n_;
        // Bars (sma_cross acts on bar closes) whose closes alternate every 14 events.
        out = test::bar(static_cast<SymbolId>(n_ % 2), static_cast<std::int64_t>(n_) * 1000,
                        100 + static_cast<std::int64_t>((n_ / 14) % 2) * 10);
        return Poll::event;
    }

  private:
    std::uint64_t n_ = 0;
    SymbolId defined_ = 0;
};

// Wraps a stage to record what it saw last and whether on_close ran.
class Probe final : public Stage {
  public:
    explicit Probe(Stage& inner) : inner_(inner) {}
    std::string_view name() const noexcept override { return inner_.name(); }
    void on_event(const Event& e, Emit& out) noexcept override {
        last_ = e.header.type;
        inner_.on_event(e, out);
    }
    void on_close() noexcept override { closed_ = true; }
    EventType last_ = EventType::none;
    bool closed_ = false;

  private:
    Stage& inner_;
};

// Sets the stop flag once the last stage has seen `after` input events.
class StopAfter final : public Emit {
  public:
    StopAfter(std::atomic<bool>& stop, std::uint64_t after) : stop_(stop), after_(after) {
        seqs_.reserve(1 << 22);
    }
    void emit(const Event& e) noexcept override {
        if (!is_input(e.header.type))
            return;
        if (e.header.type == EventType::venue_ack)
            ++acks_;
        if (e.header.type == EventType::order_denied)
            ++denials_;
        KEEL_ASSERT(seqs_.size() < seqs_.capacity(), "StopAfter full");
        seqs_.push_back(e.header.seq);
        if (seqs_.size() == after_)
            stop_.store(true, std::memory_order_relaxed);
    }
    std::vector<std::uint64_t> seqs_;
    std::uint64_t acks_ = 0;
    std::uint64_t denials_ = 0;

  private:
    std::atomic<bool>& stop_;
    std::uint64_t after_;
};

}  // namespace

TEST(Runner, StopMidRunDrainsEverySequencedEventAndClosesEveryStage) {
    std::uint64_t max_flush_rounds = 0;
    for (const ThreadPlan& plan : {plan_of({{0, 0}, {1, 3}}, IdleKind::yield, 256),
                                   plan_of({{0, 0}, {1, 1}, {2, 2}, {3, 3}}, IdleKind::backoff, 16),
                                   ThreadPlan::fused(kStageCount)}) {
        std::atomic<bool> stop{false};
        EndlessSource source;
        ReplyRing replies(Runner::reply_capacity_for(plan, kStageCount, 1024));
        adapters::SimVenueConfig venue_config;
        venue_config.mode = adapters::MatchMode::bars;
        venue_config.resting_capacity = 1024;
        adapters::SimVenue venue(replies, venue_config);
        // Symbol 0 is long-only (every order passes risk); symbol 1 may reverse, and its
        // reversals (qty 2) exceed the limit, so risk denials flow back through ingest too.
        StrategyStage strategy = test::sma_stage({{0, false}, {1, true}}, 2, 5, 1);
        RiskStage risk(RiskLimits{Quantity::from_units(1)});
        GatewayStage gateway(venue, replies, 4);
        Probe ps(strategy), pr(risk), pg(gateway);
        Ingest ingest(source, replies.ring(), stop, {});
        StopAfter sink(stop, 200'000);
        Runner runner(ingest, {&ps, &pr, &pg}, replies, sink, plan, 1024);
        ASSERT_EQ(runner.run(), "");

        EXPECT_EQ(ingest.stop_reason(), StopReason::stop_requested);
        ASSERT_GE(sink.seqs_.size(), 200'000u);
        // Every sequenced input reached the last stage, in order, with no gap.
        EXPECT_EQ(sink.seqs_.size(), ingest.last_seq());
        for (std::size_t i = 0; i < sink.seqs_.size(); ++i)
            ASSERT_EQ(sink.seqs_[i], i + 1);
        for (Probe* p : {&ps, &pr, &pg}) {
            EXPECT_EQ(p->last_, EventType::shutdown) << p->name();
            EXPECT_TRUE(p->closed_) << p->name();
        }
        // Nothing was left behind on the reply path: every order the gateway sent was
        // acknowledged through ingest, every risk reject came back as a denial, and the reply
        // ring is empty.
        Event leftover;
        EXPECT_FALSE(replies.ring().try_pop(leftover));
        EXPECT_GT(gateway.orders_sent(), 1000u);
        EXPECT_GT(gateway.risk_rejects(), 1000u);
        EXPECT_EQ(sink.acks_, gateway.orders_sent());
        EXPECT_EQ(sink.denials_, gateway.risk_rejects());
        // Orders are only ever filled by their symbol's next trade: at most one per symbol is
        // still resting at the venue.
        EXPECT_GE(gateway.fills() + 2, gateway.orders_sent());
        EXPECT_EQ(venue.resting(), gateway.orders_sent() - gateway.fills());
        max_flush_rounds = std::max(max_flush_rounds, ingest.flush_rounds());
    }
    EXPECT_GE(max_flush_rounds, 1u);
}

TEST(Runner, APinToAMissingCpuFailsBeforeAnyEventFlows) {
    std::atomic<bool> stop{false};
    test::VectorSource source({test::trade(0, 1, 1)});
    ThreadPlan plan = plan_of({{0, 0}, {1, 3}}, IdleKind::yield, 64);
    plan.threads[1].cpu = CPU_SETSIZE - 1;  // exists in no test machine's affinity mask
    ReplyRing replies(Runner::reply_capacity_for(plan, kStageCount, 0));
    test::RecordingVenue venue;
    StrategyStage strategy({}, {4, Money::from_units(1), 16});
    RiskStage risk(RiskLimits{Quantity::from_units(1)});
    GatewayStage gateway(venue, replies, 4);
    Ingest ingest(source, replies.ring(), stop, {});
    test::Recorder sink(16);
    Runner runner(ingest, {&strategy, &risk, &gateway}, replies, sink, plan, 0);
    const std::string error = runner.run();
    EXPECT_NE(error.find("cannot pin to CPU"), std::string::npos) << error;
    EXPECT_EQ(ingest.last_seq(), 0u);
    EXPECT_TRUE(sink.events().empty());
}

namespace {

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(Runner, AFusedSessionWritesByteIdenticalJournalsTwice) {
    const auto base =
        std::filesystem::temp_directory_path() / ("keel_journal_det_" + std::to_string(::getpid()));
    std::filesystem::remove_all(base);
    std::vector<replay::SessionReport> reports;
    for (const char* run : {"a", "b"}) {
        std::atomic<bool> stop{false};
        replay::SessionOptions opts;
        opts.plan = ThreadPlan::fused(kStageCount);
        opts.journal_dir = base / run;
        std::string error;
        auto report = replay::run_session(demo_config(), stop, opts, error);
        ASSERT_TRUE(report) << error;
        ASSERT_EQ(report->journal_error, "");
        reports.push_back(*report);
    }
    ASSERT_EQ(reports[0].streams.size(), 4u);
    EXPECT_EQ(reports[0].streams[0].records, reports[0].events_sequenced);  // every input
    journal::StreamScan strategy;
    ASSERT_TRUE(journal::scan_stream(base / "a", "strategy", strategy, {}).ok());
    const auto count = [&](EventType t) {
        const auto it = strategy.records_by_type.find(static_cast<std::uint16_t>(t));
        return it == strategy.records_by_type.end() ? 0u : it->second;
    };
    EXPECT_EQ(count(EventType::order_request), reports[0].orders_requested);
    EXPECT_GE(count(EventType::signal), reports[0].orders_requested);  // every order had a cross
    EXPECT_EQ(strategy.records, count(EventType::order_request) + count(EventType::signal) +
                                    count(EventType::state_hash));
    EXPECT_EQ(count(EventType::state_hash), reports[0].events_sequenced / kStateHashEvery);
    for (const char* stream : {"input", "strategy", "risk", "gateway"}) {
        const std::string name = std::string(stream) + ".000000.seg";
        const std::string a = read_file(base / "a" / name);
        ASSERT_GT(a.size(), 64u) << stream;
        EXPECT_TRUE(a == read_file(base / "b" / name)) << stream << " differs between runs";
    }
    std::filesystem::remove_all(base);
}

namespace {

// Forwards every event and derives one signal from each trade: what a stage saw downstream is
// then known exactly (the inputs, plus one event per trade per deriving stage upstream).
class SignalPerTrade final : public Stage {
  public:
    explicit SignalPerTrade(std::string_view name) : name_(name) {}
    [[nodiscard]] std::string_view name() const noexcept override { return name_; }
    void on_event(const Event& e, Emit& out) noexcept override {
        out.emit(e);
        if (e.header.type == EventType::trade)
            out.emit(make_event(EventType::signal, Source::strategy, e.header.seq, e.header.ts_ns,
                                e.header.symbol));
    }

  private:
    std::string_view name_;
};

class PassThrough final : public Stage {
  public:
    [[nodiscard]] std::string_view name() const noexcept override { return "pass"; }
    void on_event(const Event& e, Emit& out) noexcept override { out.emit(e); }
};

class Discard final : public Emit {
  public:
    void emit(const Event&) noexcept override {}
};

}  // namespace

// A stage's "events in" is what it saw: every input ingest sequenced plus every event the
// stages before it derived; the runner's control events (flush, shutdown, state queries) pass
// through every stage too but are not counted, nor are they in "events out".
TEST(Runner, EventsInAreTheSequencedInputsPlusWhatUpstreamStagesDerived) {
    constexpr std::uint64_t kTrades = 7;
    for (const ThreadPlan& plan :
         {ThreadPlan::fused(kStageCount), plan_of({{0, 0}, {1, 1}, {2, 3}}, IdleKind::yield, 64)}) {
        std::vector<Event> trades;
        for (std::uint64_t i = 0; i < kTrades; ++i)
            trades.push_back(test::trade(0, static_cast<std::int64_t>(i + 1), 1));
        test::VectorSource source(trades);
        std::atomic<bool> stop{false};
        ReplyRing replies(Runner::reply_capacity_for(plan, kStageCount, 16));
        Ingest ingest(source, replies.ring(), stop, {});
        SignalPerTrade first("first"), second("second");
        PassThrough last;
        Discard sink;
        Runner runner(ingest, {&first, &second, &last}, replies, sink, plan, 16);
        ASSERT_EQ(runner.run(), "");

        const std::uint64_t sequenced = kTrades + 1;  // and the session start
        EXPECT_EQ(ingest.last_seq(), sequenced);
        EXPECT_GE(ingest.flush_rounds(), 1u);  // control events did travel the stages
        EXPECT_EQ(runner.metrics(0).events_in.get(), sequenced);
        EXPECT_EQ(runner.metrics(0).events_out.get(), sequenced);
        EXPECT_EQ(runner.metrics(1).events_in.get(), sequenced);
        EXPECT_EQ(runner.metrics(1).events_out.get(), sequenced + kTrades);
        EXPECT_EQ(runner.metrics(2).events_in.get(), sequenced + kTrades);
        EXPECT_EQ(runner.metrics(2).events_out.get(), sequenced + 2 * kTrades);
        EXPECT_EQ(runner.metrics(3).events_in.get(), sequenced + 2 * kTrades);
        EXPECT_EQ(runner.metrics(3).events_out.get(), sequenced + 2 * kTrades);
    }
}
