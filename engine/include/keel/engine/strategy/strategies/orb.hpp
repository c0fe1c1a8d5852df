// orb: opening-range breakout on one symbol.
//
// The range is the high and low of the base-interval bars in the first range_minutes of each
// session. After it, the first base bar that closes above the range high goes long (below the
// low goes short, when allow_short), if both filters agree:
//   trend:  the last higher-timeframe close is above (short: below) its EMA(trend_ema);
//   volume: the breakout bar's volume >= volume_factor * SMA(volume_sma) of base-bar volumes.
// The entry is a market order with an engine-side bracket: stop-loss stop_atr * ATR away and
// take-profit target_atr * ATR away (ATR Wilder over base bars). At most one entry per
// session. At the before_close timer (flat_before_close_minutes ahead of the session close)
// it cancels its open orders and flattens; a fill that arrives after that point (an entry
// filled before its cancel reached the venue) is flattened at once.
//
// Bars are aggregated from the symbol's trades or quotes at both intervals (base and trend),
// closed by ingest's timers.
#pragma once

#include <cstdint>

#include "keel/engine/strategy/indicators/atr.hpp"
#include "keel/engine/strategy/indicators/ema.hpp"
#include "keel/engine/strategy/indicators/sma.hpp"
#include "keel/engine/strategy/sizing.hpp"
#include "keel/engine/strategy/strategy.hpp"

namespace keel::engine {

struct OrbParams {
    SymbolId symbol = kNoSymbol;
    std::uint32_t interval_minutes = 5;
    std::uint32_t range_minutes = 30;
    std::uint32_t trend_interval_minutes = 60;
    std::uint32_t trend_ema = 20;
    std::uint32_t volume_sma = 20;
    std::int64_t volume_factor_raw = 1'000'000'000;  // fixed-point, 9 decimals (1.0)
    std::uint32_t atr_period = 14;
    std::int64_t stop_atr_raw = 1'000'000'000;    // stop distance in ATRs (1.0)
    std::int64_t target_atr_raw = 2'000'000'000;  // target distance in ATRs (2.0)
    std::uint32_t flat_before_close_minutes = 5;
    bool allow_short = false;
    SizingPolicy sizing{};
};

class OrbStrategy final : public Strategy {
  public:
    explicit OrbStrategy(const OrbParams& params);

    [[nodiscard]] std::string_view type() const noexcept override { return "orb"; }
    [[nodiscard]] std::vector<std::uint32_t> bar_intervals() const override;
    void on_bar(const BarView& bar, Intents& out) noexcept override;
    void on_timer(const Event& timer, Intents& out) noexcept override;
    void on_fill(const Event& fill, Intents& out) noexcept override;

    [[nodiscard]] const OrbParams& params() const noexcept { return params_; }
    [[nodiscard]] bool range_complete() const noexcept { return range_done_; }
    [[nodiscard]] Price range_high() const noexcept { return range_high_; }
    [[nodiscard]] Price range_low() const noexcept { return range_low_; }

  private:
    void on_base_bar(const BarView& bar, Intents& out) noexcept;

    OrbParams params_;
    indicators::Ema trend_ema_;
    Price trend_close_{};
    indicators::Sma volume_sma_;
    indicators::Atr atr_;
    std::int64_t day_ = INT64_MIN;
    Price range_high_{};
    Price range_low_{};
    bool range_seen_ = false;
    bool range_done_ = false;
    bool entered_today_ = false;
    bool closing_ = false;  // past today's before_close: stay flat
};

}  // namespace keel::engine
