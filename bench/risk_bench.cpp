// risk_bench: the cost of one pre-trade decision in RiskStage, with every control enabled and
// with only the always-on input sanity checks, over a book of resting orders and positions.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include <benchmark/benchmark.h>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/risk/risk_stage.hpp"

namespace {

using namespace keel::engine;

constexpr std::int64_t kSecond = 1'000'000'000;
// Monday 2024-01-08 14:30 UTC: inside the trading hours configured below.
constexpr std::int64_t kStart = 19730LL * 86'400 * kSecond + (14 * 60 + 30) * 60 * kSecond;
constexpr SymbolId kSymbols = 8;

// Counts what risk emits, so the decision cannot be optimised away.
class CountingEmit final : public Emit {
  public:
    void emit(const Event& e) noexcept override {
        approved += e.header.type == EventType::order_request;
        rejected += e.header.type == EventType::risk_reject;
    }
    std::uint64_t approved = 0;
    std::uint64_t rejected = 0;
};

RiskLimits every_control() {
    RiskLimits l;
    l.max_order_qty = Quantity::from_units(1000);
    l.max_order_notional = Money::from_units(1'000'000);
    l.collar_bps = 500;
    l.max_reference_age_ns = 60 * kSecond;
    l.max_position = Quantity::from_units(100'000);
    l.max_gross_exposure = Money::from_units(100'000'000);
    l.max_open_orders = 1000;
    l.throttle_per_s = 1'000'000'000;
    l.throttle_burst = 1'000'000'000;
    l.duplicate_window_ns = kSecond;
    l.max_daily_loss = Money::from_units(1'000'000);
    l.max_drawdown_pct = 50 * kScale;
    l.max_fills_in_window = 30;
    l.fill_window_ns = kSecond;
    l.trading_hours.open_s = 9 * 3600;
    l.trading_hours.close_s = 17 * 3600;
    l.max_market_data_age_ns = 60 * kSecond;
    l.pdt_equity_threshold = Money::from_units(25'000);
    return l;
}

// A session's worth of state: symbols defined and priced, a position in each, and two resting
// limit orders per symbol, so the exposure sums have something to add up.
struct Session {
    explicit Session(const RiskLimits& limits)
        : risk(limits, RiskStageOptions{64, 4096, Money::from_units(10'000'000)}) {
        for (SymbolId s = 0; s < kSymbols; ++s) {
            Event d = next(EventType::symbol_def, s);
            d.payload.symbol_def.tick_size = Price::from_raw(10'000'000);
            risk.on_event(d, out);
            Event t = next(EventType::trade, s);
            t.payload.trade.price = Price::from_units(100);
            risk.on_event(t, out);
        }
        for (SymbolId s = 0; s < kSymbols; ++s) {
            for (int k = 0; k < 3; ++k) {
                const Event o = order(s, Quantity::from_units(10 + k), Price::from_units(99 - k));
                risk.on_event(o, out);
                Event ack = next(EventType::venue_ack, s);
                ack.payload.order.order_id = o.payload.order.order_id;
                risk.on_event(ack, out);
                if (k == 0) {  // the first becomes a position
                    Event f = next(EventType::venue_fill, s);
                    f.payload.fill.order_id = o.payload.order.order_id;
                    f.payload.fill.side = Side::buy;
                    f.payload.fill.price = Price::from_units(99);
                    f.payload.fill.quantity = Quantity::from_units(10);
                    f.payload.fill.flags = kFillFinal;
                    risk.on_event(f, out);
                }
            }
        }
    }
    Event next(EventType type, SymbolId s) { return make_event(type, Source::feed, ++seq, ts, s); }
    Event order(SymbolId s, Quantity q, Price limit) {
        Event o = make_event(EventType::order_request, Source::strategy, ++seq, ts, s);
        o.payload.order.order_id = make_order_id(seq, 0);
        o.payload.order.side = Side::buy;
        o.payload.order.quantity = q;
        o.payload.order.order_type = OrderType::limit;
        o.payload.order.price = limit;
        o.payload.order.tif = TimeInForce::day;
        o.payload.order.action = OrderAction::new_order;
        return o;
    }

    RiskStage risk;
    CountingEmit out;
    std::uint64_t seq = 0;
    std::int64_t ts = kStart;
};

// One approved order and the venue's refusal that takes it out of the book again (so the book
// stays the same size): two events per iteration, the decision is most of it.
void run_approve_and_remove(benchmark::State& state, const RiskLimits& limits) {
    Session s(limits);
    const std::uint64_t approved_before = s.out.approved;
    std::int64_t i = 0;
    for (auto _ : state) {
        const SymbolId sym = static_cast<SymbolId>(i % kSymbols);
        // Vary the quantity so the duplicate filter (64 entries) never matches.
        const Event o = s.order(sym, Quantity::from_units(1 + i % 100), Price::from_units(100));
        s.risk.on_event(o, s.out);
        Event r = s.next(EventType::venue_reject, sym);
        r.payload.order.order_id = o.payload.order.order_id;
        s.risk.on_event(r, s.out);
        ++s.ts;
        ++i;
    }
    const std::uint64_t approved = s.out.approved - approved_before;
    if (approved != static_cast<std::uint64_t>(state.iterations())) {
        std::fprintf(stderr, "risk_bench: %llu of %lld orders approved\n",
                     static_cast<unsigned long long>(approved),
                     static_cast<long long>(state.iterations()));
        std::exit(1);
    }
}

void BM_ApproveEveryControl(benchmark::State& state) {
    run_approve_and_remove(state, every_control());
}
BENCHMARK(BM_ApproveEveryControl);

void BM_ApproveSanityOnly(benchmark::State& state) {
    run_approve_and_remove(state, RiskLimits{});
}
BENCHMARK(BM_ApproveSanityOnly);

// Every control runs and the last one (the throttle, emptied first) refuses: one event per
// iteration, the full check without the book insert.
void BM_CheckEveryControlRefusedByTheLast(benchmark::State& state) {
    RiskLimits limits = every_control();
    limits.throttle_per_s = 1;
    limits.throttle_burst = 1;
    Session s(limits);
    // Take the only token.
    s.risk.on_event(s.order(0, Quantity::from_units(5), Price::from_units(100)), s.out);
    const std::uint64_t rejected_before = s.out.rejected;
    std::int64_t i = 0;
    for (auto _ : state) {
        const SymbolId sym = static_cast<SymbolId>(i % kSymbols);
        s.risk.on_event(s.order(sym, Quantity::from_units(1 + i % 100), Price::from_units(100)),
                        s.out);
        ++i;
    }
    if (s.out.rejected - rejected_before != static_cast<std::uint64_t>(state.iterations())) {
        std::fprintf(stderr, "risk_bench: an order got past the throttle\n");
        std::exit(1);
    }
}
BENCHMARK(BM_CheckEveryControlRefusedByTheLast);

}  // namespace

BENCHMARK_MAIN();
