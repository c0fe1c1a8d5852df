// indicator_bench: ns per update for each incremental indicator and for time-bar aggregation
// (BarAggregator::on_trade, MultiTimeframeBars::on_trade with five intervals), on a seeded
// random walk. A benchmark whose indicator ends without a finite value reports an error, and
// the binary then exits 1, so the smoke test also checks the indicators ran.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "bench_support.hpp"
#include "keel/engine/strategy/bar_aggregator.hpp"
#include "keel/engine/strategy/indicators/atr.hpp"
#include "keel/engine/strategy/indicators/ema.hpp"
#include "keel/engine/strategy/indicators/rolling_extreme.hpp"
#include "keel/engine/strategy/indicators/rsi.hpp"
#include "keel/engine/strategy/indicators/sma.hpp"
#include "keel/engine/strategy/indicators/vwap.hpp"
#include "keel/engine/core/trading_session.hpp"

namespace {

using namespace keel::engine;
using namespace keel::engine::indicators;

// Inputs cycle through a table that fits in L1, so the numbers are the indicator's own cost,
// not the cost of streaming prices from memory.
constexpr std::size_t kTable = 4096;
constexpr std::size_t kMask = kTable - 1;
constexpr std::uint32_t kPeriod = 50;

const std::vector<std::int64_t>& prices() {
    static const std::vector<std::int64_t> table = [] {
        std::mt19937_64 rng(12345);
        std::uniform_int_distribution<std::int64_t> step(-5, 5);
        std::vector<std::int64_t> v(kTable);
        std::int64_t p = 100 * kScale;
        for (auto& x : v) {
            p += step(rng) * 10'000'000;  // cents
            x = p;
        }
        return v;
    }();
    return table;
}

// Benchmarks warm their indicator up on the whole table first: the numbers are for the steady
// state (windows full, the rolling deque at its usual depth), and the value is defined even when
// the benchmark library runs a single iteration.
template <class Indicator>
void warm_up(Indicator& ind) {
    for (const std::int64_t x : prices())
        ind.update(x);
}

void check_finite(benchmark::State& state, double value) {
    if (!std::isfinite(value))
        state.SkipWithError("indicator has no finite value after the run");
}

template <class Indicator>
void bm_single_input(benchmark::State& state, Indicator ind) {
    const std::vector<std::int64_t>& p = prices();
    warm_up(ind);
    std::size_t i = 0;
    for (auto _ : state) {
        ind.update(p[i++ & kMask]);
        benchmark::DoNotOptimize(ind);
    }
    check_finite(state, ind.value());
}

void bm_sma(benchmark::State& state) {
    bm_single_input(state, Sma(kPeriod));
}
void bm_ema(benchmark::State& state) {
    bm_single_input(state, Ema(kPeriod));
}
void bm_rsi(benchmark::State& state) {
    bm_single_input(state, Rsi(14));
}
void bm_rolling_high(benchmark::State& state) {
    bm_single_input(state, RollingHigh(kPeriod));
}
void bm_rolling_low(benchmark::State& state) {
    bm_single_input(state, RollingLow(kPeriod));
}

void bm_atr(benchmark::State& state) {
    const std::vector<std::int64_t>& p = prices();
    Atr atr(14);
    for (const std::int64_t c : p)
        atr.update(c + kScale / 2, c - kScale / 2, c);
    std::size_t i = 0;
    for (auto _ : state) {
        const std::int64_t c = p[i++ & kMask];
        atr.update(c + kScale / 2, c - kScale / 2, c);
        benchmark::DoNotOptimize(atr);
    }
    check_finite(state, atr.value());
}

void bm_vwap_trade(benchmark::State& state) {
    const std::vector<std::int64_t>& p = prices();
    Vwap vwap;
    std::size_t i = 0;
    for (auto _ : state) {
        const std::size_t k = i++ & kMask;
        vwap.update_trade(Price::from_raw(p[k]),
                          Quantity::from_units(static_cast<std::int64_t>(1 + (k & 7))));
        benchmark::DoNotOptimize(vwap);
    }
    check_finite(state, vwap.value());
}

// Trades 100 ms apart on a round-the-clock session; bar_close timers fire as ingest would make
// them (before the first trade at or past the close), so their cost is included, amortised
// over the trades of a bar.
template <class Aggregator, class OnTimer>
void run_bars(benchmark::State& state, Aggregator& agg, const TradingSession& s,
              const std::vector<std::uint32_t>& intervals, OnTimer on_timer) {
    const std::vector<std::int64_t>& p = prices();
    std::vector<std::int64_t> next(intervals.size());
    std::int64_t ts = 0;
    for (std::size_t k = 0; k < intervals.size(); ++k)
        next[k] = next_bar_close_ns(s, intervals[k], ts);
    std::size_t i = 0;
    std::int64_t bars = 0;
    for (auto _ : state) {
        ts += 100'000'000;
        for (std::size_t k = 0; k < intervals.size(); ++k) {
            if (next[k] <= ts) {
                while (on_timer(intervals[k], next[k]))
                    ++bars;
                next[k] = next_bar_close_ns(s, intervals[k], next[k]);
            }
        }
        agg.on_trade(ts, Price::from_raw(p[i++ & kMask]), Quantity::from_units(1));
        benchmark::DoNotOptimize(agg);
    }
    benchmark::DoNotOptimize(bars);
    state.counters["bars"] = static_cast<double>(bars);
}

void bm_bar_aggregator_on_trade(benchmark::State& state) {
    const TradingSession s = TradingSession::all_day(0, kEveryDay);
    BarAggregator agg(s, 1);
    run_bars(state, agg, s, {1}, [&](std::uint32_t, std::int64_t t) { return agg.on_timer(t); });
}

void bm_multi_timeframe_on_trade(benchmark::State& state) {
    const TradingSession s = TradingSession::all_day(0, kEveryDay);
    const std::vector<std::uint32_t> intervals = {1, 5, 15, 60, 1440};
    MultiTimeframeBars bars(s, intervals);
    run_bars(state, bars, s, intervals,
             [&](std::uint32_t i, std::int64_t t) { return bars.on_timer(i, t); });
}

}  // namespace

BENCHMARK(bm_sma)->Name("indicator/sma50_update");
BENCHMARK(bm_ema)->Name("indicator/ema50_update");
BENCHMARK(bm_rsi)->Name("indicator/rsi14_update");
BENCHMARK(bm_atr)->Name("indicator/atr14_update");
BENCHMARK(bm_vwap_trade)->Name("indicator/vwap_update_trade");
BENCHMARK(bm_rolling_high)->Name("indicator/rolling_high50_update");
BENCHMARK(bm_rolling_low)->Name("indicator/rolling_low50_update");
BENCHMARK(bm_bar_aggregator_on_trade)->Name("bars/aggregator_1m_on_trade");
BENCHMARK(bm_multi_timeframe_on_trade)->Name("bars/multi_timeframe_5_intervals_on_trade");

// Exit status: 0 ran, 1 a benchmark reported an error, 2 bad command line.
int main(int argc, char** argv) {
    return keel::bench::run_counting_errors(argc, argv);
}
