// strategy_bench: ns per input event through the StrategyStage for each shipped strategy:
// sma_cross on input bars (a cross now and then), orb on a stream of trades and timers (bars
// aggregated in the stage), alert_follower per alert. Orders are answered at once (a fill, or a
// cancel for a cancel request) inside the timed loop, as a venue would, so the stage's book
// stays small and positions keep moving; one iteration is one input event plus the replies it
// caused. A benchmark whose strategy placed no order reports an error and the binary exits 1,
// so the smoke test also checks the strategies traded.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "bench_support.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/strategy/strategies/alert_follower.hpp"
#include "keel/engine/strategy/strategies/orb.hpp"
#include "keel/engine/strategy/strategies/sma_cross.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"

namespace {

using namespace keel::engine;

constexpr SymbolId kSym = 0;

// Drops everything, except that it keeps the order requests of the event being handled so the
// driver can answer them (a truly null Emit would let the stage's book fill up).
class NullEmit final : public Emit {
  public:
    void emit(const Event& e) noexcept override {
        if (e.header.type == EventType::order_request && count < kept.size())
            kept[count++] = e;
    }
    std::array<Event, 2 * kMaxOrdersPerEvent> kept{};
    std::size_t count = 0;
};

// Feeds events with strictly increasing sequences and answers the orders they caused.
class Driver {
  public:
    explicit Driver(StrategyStage& stage) : stage_(stage) {}

    void feed(Event e) noexcept {
        e.header.seq = ++seq_;
        out_.count = 0;
        stage_.on_event(e, out_);
        const std::size_t n = out_.count;
        std::array<Event, 2 * kMaxOrdersPerEvent> orders = out_.kept;
        for (std::size_t i = 0; i < n; ++i)
            answer(orders[i]);
    }
    [[nodiscard]] std::uint64_t orders() const noexcept { return orders_; }
    [[nodiscard]] std::uint64_t entries() const noexcept { return entries_; }

  private:
    void answer(const Event& o) noexcept {
        ++orders_;
        const OrderPayload& p = o.payload.order;
        if (p.role == OrderRole::entry)
            ++entries_;
        Event r;
        if (p.action == OrderAction::cancel) {
            r = make_event(EventType::venue_cancel, Source::venue, ++seq_, o.header.ts_ns,
                           o.header.symbol);
            r.payload.order = p;
            r.payload.order.reason = Reason::canceled_on_request;
        } else if (p.role == OrderRole::stop_loss || p.role == OrderRole::take_profit) {
            return;  // bracket exits rest until orb cancels them before the close
        } else {
            r = make_event(EventType::venue_fill, Source::venue, ++seq_, o.header.ts_ns,
                           o.header.symbol);
            r.payload.fill.order_id = p.order_id;
            r.payload.fill.side = p.side;
            r.payload.fill.quantity = p.quantity;
            const Price last = stage_.account().position(o.header.symbol).last_price;
            r.payload.fill.price = last.raw > 0 ? last : Price::from_units(100);
            r.payload.fill.flags = kFillFinal;
        }
        r.header.aux = o.header.aux;
        out_.count = 0;
        stage_.on_event(r, out_);
    }

    StrategyStage& stage_;
    NullEmit out_;
    std::uint64_t seq_ = 0;
    std::uint64_t orders_ = 0;
    std::uint64_t entries_ = 0;
};

StrategyStage stage_of(std::unique_ptr<Strategy> s) {
    std::vector<std::unique_ptr<Strategy>> v;
    v.push_back(std::move(s));
    return StrategyStage(std::move(v), {1, Money::from_units(1'000'000), 1024});
}

void report(benchmark::State& state, const Driver& d, std::uint64_t inputs, const char* what) {
    if (d.orders() == 0)
        state.SkipWithError("the strategy placed no order");
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["orders_per_1k_events"] =
        benchmark::Counter(1000.0 * static_cast<double>(d.orders()) / static_cast<double>(inputs));
    state.SetLabel(what);
}

// --- sma_cross on input bars ---

void bm_sma_cross_on_bar(benchmark::State& state) {
    SmaCrossParams p;
    p.symbol = kSym;
    p.fast = 10;
    p.slow = 30;
    p.allow_short = true;
    p.sizing = SizingPolicy::fixed(Quantity::from_units(10));
    StrategyStage stage = stage_of(std::make_unique<SmaCrossStrategy>(p));
    // Closes on a slow sine with a little zigzag: the averages cross every hundred bars or so.
    constexpr std::size_t kBars = 4096;
    std::vector<Event> bars(kBars);
    for (std::size_t i = 0; i < kBars; ++i) {
        const double x =
            100.0 + 10.0 * std::sin(static_cast<double>(i) / 30.0) + (i % 2 == 0 ? 0.25 : -0.25);
        const Price px = Price::from_raw(std::llround(x * 1e9));
        Event e = make_event(EventType::bar, Source::feed, 0, 0, kSym);
        e.header.aux = 1;
        e.payload.bar = {px, px, px, px, Quantity::from_units(1000)};
        bars[i] = e;
    }
    Driver d(stage);
    std::int64_t ts = 0;
    std::uint64_t inputs = 0;
    for (Event e : bars) {  // warm up: windows full, the steady state
        e.header.ts_ns = ++ts;
        d.feed(e);
        ++inputs;
    }
    std::size_t i = 0;
    for (auto _ : state) {
        Event e = bars[i++ & (kBars - 1)];
        e.header.ts_ns = ++ts;
        d.feed(e);
        ++inputs;
    }
    report(state, d, inputs, "per bar");
}
BENCHMARK(bm_sma_cross_on_bar)->Name("strategy/sma_cross_on_bar");

// --- orb on trades and timers ---

constexpr TradingSession kSession{(9 * 60 + 30) * 60, 16 * 3600, 0, kMondayToFriday};

// One session's events, timed from its open: per minute four trades (a quiet 99-101 range for
// the first 15 minutes, then a climb with three times the volume), the 1-minute bar_close timer,
// the 5-minute one every fifth minute, and the before_close timer 5 minutes before the close.
std::vector<Event> orb_day() {
    std::vector<Event> v;
    const auto trade = [&](std::int64_t ts, double price, std::int64_t size) {
        Event e = make_event(EventType::trade, Source::feed, 0, ts, kSym);
        e.payload.trade.price = Price::from_raw(std::llround(price * 1e9));
        e.payload.trade.size = Quantity::from_units(size);
        v.push_back(e);
    };
    const auto timer = [&](std::int64_t ts, TimerKind kind, std::uint16_t interval) {
        Event e = make_event(EventType::timer, Source::engine, 0, ts, kSym);
        e.header.aux = interval;
        e.payload.timer.kind = kind;
        e.payload.timer.period_start_ns = ts - interval * kNsPerMinute;
        v.push_back(e);
    };
    constexpr std::int64_t kSecond = 1'000'000'000;
    for (int m = 0; m < 390; ++m) {
        const std::int64_t t = m * kNsPerMinute;
        const double base = m < 15 ? 100.0 : 100.0 + std::min(m - 14, 40);
        const std::int64_t volume = m < 15 ? 100 : 300;
        trade(t + 1 * kSecond, base, volume - 3);
        trade(t + 2 * kSecond, base + 1, 1);
        trade(t + 3 * kSecond, base - 1, 1);
        trade(t + 4 * kSecond, base, 1);
        if ((m + 1) % 5 == 0)
            timer(t + kNsPerMinute, TimerKind::bar_close, 5);
        timer(t + kNsPerMinute, TimerKind::bar_close, 1);
        if (m + 1 == 385)
            timer(t + kNsPerMinute, TimerKind::before_close, 0);
    }
    return v;
}

void bm_orb_stream(benchmark::State& state) {
    OrbParams p;
    p.symbol = kSym;
    p.interval_minutes = 1;
    p.range_minutes = 15;
    p.trend_interval_minutes = 5;
    p.trend_ema = 3;
    p.volume_sma = 5;
    p.atr_period = 5;
    p.sizing = SizingPolicy::fixed(Quantity::from_units(10));
    auto orb = std::make_unique<OrbStrategy>(p);
    orb->set_session(kSession);  // before the stage: its aggregators align to it
    StrategyStage stage = stage_of(std::move(orb));
    const std::vector<Event> day = orb_day();
    Driver d(stage);
    std::int64_t day_index = 4;  // a Monday
    std::int64_t open = session_open_ns(kSession, day_index);
    std::size_t i = 0;
    std::uint64_t inputs = 0;
    const auto next = [&]() noexcept {
        Event e = day[i];
        e.header.ts_ns += open;
        if (e.header.type == EventType::timer)
            e.payload.timer.period_start_ns += open;
        if (++i == day.size()) {
            i = 0;
            do {
                ++day_index;
            } while (!is_trading_day(kSession, day_index));
            open = session_open_ns(kSession, day_index);
        }
        d.feed(e);
        ++inputs;
    };
    for (std::size_t w = 0; w < 3 * day.size(); ++w)  // warm up: three sessions
        next();
    for (auto _ : state)
        next();
    report(state, d, inputs, "per trade or timer");
    state.counters["entries"] = static_cast<double>(d.entries());
    if (d.entries() == 0)
        state.SkipWithError("orb never entered");
}
BENCHMARK(bm_orb_stream)->Name("strategy/orb_trades_and_timers");

// --- alert_follower per alert ---

void bm_alert_follower(benchmark::State& state) {
    AlertFollowerParams p;
    p.symbols = {kSym};
    p.sizing = SizingPolicy::fixed(Quantity::from_units(5));
    p.sizes = {AlertSizeRule{kSym, 15, Quantity{}, Money::from_units(5000)},
               AlertSizeRule{kSym, 0, Quantity::from_units(3), Money{}}};
    StrategyStage stage = stage_of(std::make_unique<AlertFollower>(std::move(p)));
    // Every action, sized every way: reversals, skips (already_long, already_flat), closes.
    struct Step {
        AlertAction action;
        std::int64_t quantity_units;
        std::uint16_t timeframe;
    };
    constexpr Step kSteps[] = {
        {AlertAction::buy, 2, 0},         {AlertAction::buy, 0, 15},
        {AlertAction::sell, 0, 60},       {AlertAction::sell, 0, 0},
        {AlertAction::close, 0, 0},       {AlertAction::close, 0, 0},
        {AlertAction::buy, 0, 15},        {AlertAction::close_short, 0, 0},
        {AlertAction::close_long, 0, 0},  {AlertAction::sell, 4, 0},
        {AlertAction::close_short, 0, 0},
    };
    constexpr std::size_t kN = sizeof kSteps / sizeof kSteps[0];
    std::array<Event, kN> alerts{};
    for (std::size_t k = 0; k < kN; ++k) {
        Event e = make_event(EventType::alert, Source::webhook, 0, 0, kSym);
        e.payload.alert.action = kSteps[k].action;
        e.payload.alert.quantity = Quantity::from_units(kSteps[k].quantity_units);
        e.payload.alert.timeframe_minutes = kSteps[k].timeframe;
        e.payload.alert.price = Price::from_units(100);
        e.payload.alert.alert_key = k + 1;
        alerts[k] = e;
    }
    Driver d(stage);
    std::int64_t ts = 0;
    std::size_t i = 0;
    std::uint64_t inputs = 0;
    for (auto _ : state) {
        Event e = alerts[i];
        i = i + 1 == kN ? 0 : i + 1;
        e.header.ts_ns = ++ts;
        d.feed(e);
        ++inputs;
    }
    report(state, d, inputs, "per alert");
}
BENCHMARK(bm_alert_follower)->Name("strategy/alert_follower_per_alert");

}  // namespace

// Exit status: 0 ran, 1 a benchmark reported an error, 2 bad command line.
int main(int argc, char** argv) {
    return keel::bench::run_counting_errors(argc, argv);
}
