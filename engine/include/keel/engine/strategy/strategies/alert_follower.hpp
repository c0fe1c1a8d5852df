// alert_follower: trades external alerts (e.g. TradingView) on its symbols.
//
//   buy          flat -> buy; short -> close the short, then open long;
//                already long -> skipped, reason already_long
//   sell         mirrors buy (long -> close, then open short; already short -> already_short);
//                with allow_short = false a sell only closes a long
//   close        flattens (already flat -> already_flat)
//   close_long   flattens a long (flat -> already_flat, short -> already_short)
//   close_short  flattens a short (flat -> already_flat, long -> already_long)
//   target_long  TradingView's {{strategy.market_position}} "long": the position becomes +size.
//                From flat or short it acts as buy (the opening order is the alert's); from
//                another long size a market order makes up the difference; at +size already
//                -> already_long
//   target_short mirrors target_long (-size; at -size -> already_short); with allow_short =
//                false it closes a long (flat -> already_flat)
//   target_flat  as close (already flat -> already_flat)
//
// Size: the alert's quantity, else its notional at the alert's price (or the last price),
// else the per-(symbol, timeframe) configuration (quantity or notional), else the default
// sizing policy (which gets no ATR: percent-of-equity risk sizing needs a strategy with bars).
// No size -> the opening part is skipped, reason no_size (a short is still closed by a buy).
// Order: the opening order is the one the alert's body asks for (order_type, limit_price or
// price, stop_price or trail, time_in_force or tif, and a bracket: strategy/alert_order.hpp),
// read from its journaled tail, over the strategy's defaults for the symbol (config
// `defaults`: what the body leaves out); market DAY when neither names one. A bracket's exits
// are priced from the entry (exit_prices) and placed with it: the gateway sends them once the
// entry has filled, and cancels one when the other fills. Closing a position (a reversal's
// first half, close*, target_flat, a target's adjustment) is always a market order. An order
// that does not go together (the webhook refuses a body that does not; defaults can make one,
// e.g. a default limit order for an alert with no price), or an exit not beyond the entry,
// places nothing, reason invalid_order; a relative exit with no entry price at all,
// no_reference_price.
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

// The order fields an alert about `symbol` gets when its body leaves them out (config
// `strategies[].defaults`): order_type, time_in_force, trail and the relative bracket exits.
struct AlertOrderDefaults {
    SymbolId symbol = kNoSymbol;
    AlertOrder order{};
};

struct AlertFollowerParams {
    std::vector<SymbolId> symbols;
    std::vector<AlertSizeRule> sizes;  // first match wins: exact timeframe before "any"
    SizingPolicy sizing{};             // the default when neither the alert nor a rule sizes it
    Quantity lot{Quantity::from_units(1)};  // notional sizes are floored to a multiple of this
    bool allow_short = true;
    std::vector<AlertOrderDefaults> defaults;  // at most one per symbol
};

class AlertFollower final : public Strategy {
  public:
    explicit AlertFollower(AlertFollowerParams params);

    [[nodiscard]] std::string_view type() const noexcept override { return "alert_follower"; }
    void on_signal(const Event& alert, Intents& out) noexcept override;

  private:
    // What an alert asks of the position: skipped (and why), a target to move to with market
    // orders, or an opening order on `side` (after closing what is on the other side).
    struct Plan {
        Reason skipped = Reason::none;
        std::int64_t target = 0;
        bool move = false;  // a target to reach with market orders
        bool opens = false;
        Side side = Side::none;
    };
    [[nodiscard]] Plan plan(const Event& alert, std::int64_t expected, Quantity size) const noexcept;
    // The opening order, bracket included; Reason::none or why it cannot be placed.
    [[nodiscard]] Reason opening_order(const Event& alert, const StrategyView& view, Side side,
                                       Quantity size, OrderIntent& open) noexcept;
    [[nodiscard]] const AlertOrder* defaults_for(SymbolId symbol) const noexcept;
    [[nodiscard]] Quantity size_for(const Event& alert, Price price, Money equity) const noexcept;

    AlertFollowerParams params_;
    AlertOrderParser parser_;  // allocated here: reading a body allocates nothing
};

}  // namespace keel::engine
