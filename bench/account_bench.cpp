// account_bench: the cost of the Account's per-event calls (a fill, a mark, an equity sample)
// and of a sizing decision, on preallocated state.
#include <cstdint>

#include <benchmark/benchmark.h>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/strategy/sizing.hpp"

namespace {

using namespace keel::engine;

constexpr SymbolId kSymbols = 64;

// A cycle of five fills per symbol (open, add, partial close, reversal, close to flat) so every
// branch of apply_fill is in the mix and round trips keep completing.
struct Step {
    Side side;
    std::int64_t units;
};
constexpr Step kCycle[] = {
    {Side::buy, 100}, {Side::buy, 100}, {Side::sell, 50}, {Side::sell, 300}, {Side::buy, 150}};

void BM_AccountApplyFill(benchmark::State& state) {
    Account account(Money::from_units(1'000'000'000), kSymbols, 1u << 10, 1u << 10);
    std::int64_t ts = 0;
    std::uint32_t i = 0;
    for (auto _ : state) {
        const SymbolId s = i % kSymbols;
        const Step& step = kCycle[(i / kSymbols) % 5];
        account.apply_fill(s, step.side, Price::from_raw(10'000'000'000 + (i & 1023)),
                           Quantity::from_units(step.units), Money::from_raw(1'000'000), ++ts);
        ++i;
    }
    benchmark::DoNotOptimize(account.realized());
}
BENCHMARK(BM_AccountApplyFill);

void BM_AccountMark(benchmark::State& state) {
    Account account(Money::from_units(1'000'000), kSymbols);
    for (SymbolId s = 0; s < kSymbols; ++s)
        account.apply_fill(s, Side::buy, Price::from_units(10), Quantity::from_units(10), Money{},
                           1);
    std::int64_t ts = 1;
    std::uint32_t i = 0;
    for (auto _ : state) {
        account.mark(i % kSymbols, Price::from_raw(10'000'000'000 + (i & 1023)), ++ts);
        ++i;
    }
    benchmark::DoNotOptimize(account.equity());
}
BENCHMARK(BM_AccountMark);

void BM_AccountSampleEquity(benchmark::State& state) {
    Account account(Money::from_units(1'000'000), kSymbols, 16, 1u << 12);
    std::int64_t ts = 0;
    for (auto _ : state)
        account.sample_equity(++ts);  // past the capacity it keeps counting: the steady state
    benchmark::DoNotOptimize(account.max_drawdown());
}
BENCHMARK(BM_AccountSampleEquity);

void BM_SizingPercentRisk(benchmark::State& state) {
    const SizingPolicy policy =
        SizingPolicy::percent_risk(Ratio::from_raw(10'000'000), Ratio::from_units(2));
    std::int64_t atr = 2'500'000'000;
    for (auto _ : state) {
        benchmark::DoNotOptimize(policy.quantity_for(
            Price::from_units(100), Money::from_units(100'000), Price::from_raw(atr)));
        atr = atr == 2'500'000'000 ? 2'500'000'001 : 2'500'000'000;
    }
}
BENCHMARK(BM_SizingPercentRisk);

}  // namespace

BENCHMARK_MAIN();
