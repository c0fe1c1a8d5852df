// sma_cross: the moving-average crossover strategy for one symbol, in exact integer arithmetic.
//
// On each bar close of its timeframe it updates SMA(fast) and SMA(slow) over the closes
// including this bar. A cross up is fast[t-1] <= slow[t-1] and fast[t] > slow[t], with both
// averages defined at t-1 and t; a cross down mirrors it. Cross up when flat buys; cross down
// when long sells to flat, or reverses to short when allow_short (and symmetrically from
// short). Every cross is journaled as a signal, whether or not it ordered.
//
// Averages are compared without division: fast_sum * slow_n vs slow_sum * fast_n in 128 bits.
// Decisions use the expected position (filled plus orders in flight), so they do not depend
// on when a fill arrives.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/strategy/indicators/atr.hpp"
#include "keel/engine/strategy/sizing.hpp"
#include "keel/engine/strategy/strategy.hpp"

namespace keel::engine {

// The crossover of two simple moving averages over one price series.
class SmaCrossSignal {
  public:
    SmaCrossSignal(std::uint32_t fast, std::uint32_t slow);
    // Feeds one close; returns +1 on a cross up, -1 on a cross down, 0 otherwise.
    int update(Price close) noexcept;
    [[nodiscard]] std::uint64_t count() const noexcept { return count_; }

  private:
    std::uint32_t fast_;
    std::uint32_t slow_;
    std::vector<std::int64_t> window_;  // last `slow` closes, allocated once
    std::uint64_t count_ = 0;
    i128 fast_sum_ = 0;
    i128 slow_sum_ = 0;
    int prev_cmp_ = 0;
    bool prev_defined_ = false;
};

struct SmaCrossParams {
    SymbolId symbol = kNoSymbol;
    std::uint32_t fast = 0;
    std::uint32_t slow = 0;
    SizingPolicy sizing{};
    bool allow_short = false;
    std::uint16_t interval_minutes = 0;  // 0: every bar of the symbol
    std::uint32_t atr_period = 14;       // the ATR that percent-of-equity sizing reads
};

class SmaCrossStrategy final : public Strategy {
  public:
    explicit SmaCrossStrategy(const SmaCrossParams& params);

    [[nodiscard]] std::string_view type() const noexcept override { return "sma_cross"; }
    [[nodiscard]] std::vector<std::uint32_t> bar_intervals() const override;
    void on_bar(const BarView& bar, Intents& out) noexcept override;

    [[nodiscard]] const SmaCrossParams& params() const noexcept { return params_; }

  private:
    SmaCrossParams params_;
    SmaCrossSignal signal_;
    indicators::Atr atr_;  // for percent-of-equity sizing with an ATR stop
};

}  // namespace keel::engine
