// SmaCross: the moving-average crossover strategy for one symbol, in exact integer arithmetic.
// On each closing price (bar close or trade price) it updates SMA(fast) and SMA(slow) over the
// prices including this one. A cross up is fast[t-1] <= slow[t-1] and fast[t] > slow[t], with
// both averages defined at t-1 and t; a cross down mirrors it. Cross up when flat buys; cross
// down when long sells to flat (or reverses to short when allow_short, and symmetrically).
//
// Averages are compared without division: fast_sum * slow_n vs slow_sum * fast_n in 128 bits.
// The position used for decisions is filled position plus orders in flight, so the decision
// does not depend on when a fill arrives.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/event.hpp"

namespace keel::engine {

struct SmaCrossParams {
    SymbolId symbol = kNoSymbol;
    std::uint32_t fast = 0;
    std::uint32_t slow = 0;
    Quantity quantity{};
    bool allow_short = false;
};

struct OrderIntent {
    Side side = Side::none;
    Quantity quantity{};
};

class SmaCross {
  public:
    explicit SmaCross(const SmaCrossParams& params);

    // Feeds one closing price; returns the order to place (side none = nothing).
    [[nodiscard]] OrderIntent on_price(Price price) noexcept;
    void on_order_placed(Side side, Quantity q) noexcept { in_flight_ += signed_qty(side, q); }
    void on_fill(Side side, Quantity q) noexcept {
        position_ += signed_qty(side, q);
        in_flight_ -= signed_qty(side, q);
    }
    void on_order_dead(Side side, Quantity leaves) noexcept {
        in_flight_ -= signed_qty(side, leaves);
    }

    [[nodiscard]] const SmaCrossParams& params() const noexcept { return params_; }
    // +1 if the last price crossed up, -1 down, 0 neither (whether or not it ordered).
    [[nodiscard]] int last_cross() const noexcept { return last_cross_; }
    [[nodiscard]] std::int64_t position_raw() const noexcept { return position_; }
    [[nodiscard]] std::int64_t in_flight_raw() const noexcept { return in_flight_; }

  private:
    SmaCrossParams params_;
    std::vector<std::int64_t> window_;  // last `slow` prices, allocated once in the constructor
    std::uint64_t count_ = 0;
    i128 fast_sum_ = 0;
    i128 slow_sum_ = 0;
    int prev_cmp_ = 0;
    bool prev_defined_ = false;
    int last_cross_ = 0;
    std::int64_t position_ = 0;
    std::int64_t in_flight_ = 0;
};

}  // namespace keel::engine
