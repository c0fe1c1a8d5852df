// alert_follower: trades external alerts (e.g. TradingView) on its symbols.
//
//   buy         flat -> buy; short -> close the short, then open long;
//               already long -> skipped, reason already_long
//   sell        mirrors buy (long -> close, then open short; already short -> already_short);
//               with allow_short = false a sell only closes a long
//   close       flattens (already flat -> already_flat)
//   close_long  flattens a long (flat -> already_flat, short -> already_short)
//   close_short flattens a short (flat -> already_flat, long -> already_long)
//
// Size: the alert's quantity, else its notional at the alert's price (or the last price),
// else the per-(symbol, timeframe) configuration (quantity or notional), else the default
// sizing policy (which gets no ATR: percent-of-equity risk sizing needs a strategy with bars).
// No size -> the opening part is skipped, reason no_size (a short is still closed by a buy).
// Order: the opening order is the one the alert's body asks for (order_type, limit_price,
// stop_price, time_in_force: strategy/alert_order.hpp), read from its journaled tail; market
// DAY when it names none. Closing a position (a reversal's first half, close*) is always a
// market order. A body whose order fields are wrong (the webhook refuses those; a tampered
// journal could hold one) places nothing, reason invalid_order.
// Every alert leaves a journaled signal
// recording what it asked and, when nothing was ordered, why.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/strategy/alert_order.hpp"
#include "keel/engine/strategy/sizing.hpp"
#include "keel/engine/strategy/strategy.hpp"

namespace keel::engine {

struct AlertSizeRule {
    SymbolId symbol = kNoSymbol;
    std::uint16_t timeframe_minutes = 0;  // 0: any timeframe
    Quantity quantity{};                  // one of quantity or notional
    Money notional{};
};

struct AlertFollowerParams {
    std::vector<SymbolId> symbols;
    std::vector<AlertSizeRule> sizes;  // first match wins: exact timeframe before "any"
    SizingPolicy sizing{};             // the default when neither the alert nor a rule sizes it
    Quantity lot{Quantity::from_units(1)};  // notional sizes are floored to a multiple of this
    bool allow_short = true;
};

class AlertFollower final : public Strategy {
  public:
    explicit AlertFollower(AlertFollowerParams params);

    [[nodiscard]] std::string_view type() const noexcept override { return "alert_follower"; }
    void on_signal(const Event& alert, Intents& out) noexcept override;

  private:
    [[nodiscard]] Quantity size_for(const Event& alert, Price price, Money equity) const noexcept;

    AlertFollowerParams params_;
    AlertOrderParser parser_;  // allocated here: reading a body allocates nothing
};

}  // namespace keel::engine
