// venue_bench: the simulated venue's cost per order matched (submit plus the market event that
// fills it) and per market event that passes N resting orders without filling any, in both
// matching modes. Every benchmark checks what the venue posted and fails (exit 1) if it differs.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "bench_support.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/engine/core/event.hpp"

namespace {

using keel::adapters::MatchMode;
using keel::adapters::SimVenue;
using keel::adapters::SimVenueConfig;
using keel::engine::Event;
using keel::engine::EventType;
using keel::engine::OrderAction;
using keel::engine::OrderType;
using keel::engine::Price;
using keel::engine::Quantity;
using keel::engine::Side;
using keel::engine::TimeInForce;

// Counts what the venue posts; the virtual call stays, as in the runner's reply ring.
class CountingSink final : public keel::engine::ReplySink {
  public:
    void post(const Event& e) noexcept override {
        fills += e.header.type == EventType::venue_fill ? 1 : 0;
        ++posted;
    }
    std::uint64_t posted = 0;
    std::uint64_t fills = 0;
};

Event order_event(std::uint64_t id, Side side, OrderType type, Price price, std::int64_t ts) {
    Event e =
        keel::engine::make_event(EventType::order_sent, keel::engine::Source::gateway, 0, ts, 0);
    e.payload.order.order_id = id;
    e.payload.order.side = side;
    e.payload.order.order_type = type;
    e.payload.order.price = price;
    e.payload.order.quantity = Quantity::from_units(10);
    e.payload.order.tif = TimeInForce::gtc;
    e.payload.order.action = OrderAction::new_order;
    return e;
}

Event market_event(MatchMode mode, std::int64_t ts, Price price) {
    const EventType type = mode == MatchMode::bars ? EventType::bar : EventType::trade;
    Event e = keel::engine::make_event(type, keel::engine::Source::feed, 0, ts, 0);
    if (type == EventType::bar) {
        e.payload.bar = {price, price + Price::from_units(1), price - Price::from_units(1), price,
                         Quantity::from_units(1'000'000)};
    } else {
        e.payload.trade.price = price;
        e.payload.trade.size = Quantity::from_units(1'000'000);
    }
    return e;
}

SimVenueConfig config_for(MatchMode mode, std::size_t capacity) {
    SimVenueConfig c;
    c.mode = mode;
    c.resting_capacity = capacity;
    c.max_fills_per_event = capacity;
    c.buying_power = keel::engine::Money::from_units(1'000'000'000);
    return c;
}

// One iteration: a market order submitted and the next market event filling it. Buys and
// sells alternate so the venue's position and cash stay bounded.
void bm_order_matched(benchmark::State& state, MatchMode mode) {
    CountingSink sink;
    SimVenue venue(sink, config_for(mode, 256), 1);
    const Price px = Price::from_units(100);
    std::uint64_t id = 4;
    std::int64_t ts = 1;
    for (auto _ : state) {
        venue.submit(order_event(id, (id & 4) ? Side::buy : Side::sell, OrderType::market, {}, ts));
        venue.on_market_data(market_event(mode, ts + 1, px));
        id += 4;
        ts += 2;
    }
    const auto n = static_cast<std::uint64_t>(state.iterations());
    if (sink.fills != n || sink.posted != 2 * n || venue.resting() != 0)
        state.SkipWithError("not every order was acknowledged and filled once");
    state.SetItemsProcessed(state.iterations());
}

// One iteration: a market event that N resting buy limits (far below it) see and pass.
void bm_event_no_fill(benchmark::State& state, MatchMode mode) {
    const auto resting = static_cast<std::size_t>(state.range(0));
    CountingSink sink;
    SimVenue venue(sink, config_for(mode, resting), 1);
    for (std::size_t i = 0; i < resting; ++i) {
        venue.submit(
            order_event(4 * (i + 1), Side::buy, OrderType::limit, Price::from_units(1), 0));
    }
    const Event md = market_event(mode, 10, Price::from_units(100));
    Event e = md;
    for (auto _ : state) {
        venue.on_market_data(e);
        ++e.header.ts_ns;
    }
    if (sink.fills != 0 || venue.resting() != resting || sink.posted != resting)
        state.SkipWithError("a resting order filled or went missing");
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
    for (const auto& [name, mode] :
         {std::pair{"bars", MatchMode::bars}, std::pair{"ticks", MatchMode::ticks}}) {
        benchmark::RegisterBenchmark((std::string("order_matched/") + name).c_str(),
                                     bm_order_matched, mode);
        benchmark::RegisterBenchmark((std::string("event_no_fill/") + name).c_str(),
                                     bm_event_no_fill, mode)
            ->Arg(1)
            ->Arg(16)
            ->Arg(256);
    }
    return keel::bench::run_counting_errors(argc, argv);
}
