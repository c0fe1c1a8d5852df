// RiskPositions: the little of an account the risk checks need (signed position per symbol,
// cash, marks, equity, the day's P&L), kept by the risk stage from fills and market data. Its
// method names follow Account's (account.hpp), so the stage can switch to Account once that is
// implemented; it is also cheaper per event than a full account: equity is kept incrementally,
// as exact 128-bit sums, instead of being recomputed over every symbol.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "keel/engine/event.hpp"
#include "keel/engine/fixed_point.hpp"

namespace keel::engine {

struct RiskPosition {
    std::int64_t quantity_raw = 0;  // signed, 9 decimals
    Price mark{};                   // last market-data price, or the last fill's price
};

class RiskPositions {
  public:
    RiskPositions(Money starting_cash, std::size_t symbol_capacity)
        : cash_product_(static_cast<i128>(starting_cash.raw) * kScale),
          day_start_equity_(starting_cash),
          positions_(symbol_capacity) {}

    // A fill moves cash by price * quantity plus the fee, and marks the symbol at the fill.
    void apply_fill(SymbolId symbol, Side side, Price price, Quantity quantity, Money fee,
                    std::int64_t /*ts_ns*/) noexcept {
        RiskPosition& p = positions_[symbol];
        const std::int64_t q = signed_qty(side, quantity);
        cash_product_ -= static_cast<i128>(q) * price.raw + static_cast<i128>(fee.raw) * kScale;
        value_product_ -= static_cast<i128>(p.quantity_raw) * p.mark.raw;
        p.quantity_raw += q;
        p.mark = price;
        value_product_ += static_cast<i128>(p.quantity_raw) * p.mark.raw;
    }
    void mark(SymbolId symbol, Price price, std::int64_t /*ts_ns*/) noexcept {
        RiskPosition& p = positions_[symbol];
        value_product_ +=
            static_cast<i128>(p.quantity_raw) * (static_cast<i128>(price.raw) - p.mark.raw);
        p.mark = price;
    }
    // Starts a trading day: day_pnl() counts from here.
    void start_day(std::int64_t /*ts_ns*/) noexcept { day_start_equity_ = equity(); }

    // cash + the market value of every position, truncated once to 9 decimals.
    [[nodiscard]] Money equity() const noexcept {
        const i128 e = (cash_product_ + value_product_) / kScale;
        return Money::from_raw(e > INT64_MAX   ? INT64_MAX
                               : e < INT64_MIN ? INT64_MIN
                                               : static_cast<std::int64_t>(e));
    }
    [[nodiscard]] Money day_pnl() const noexcept { return equity() - day_start_equity_; }
    [[nodiscard]] const RiskPosition& position(SymbolId symbol) const noexcept {
        return positions_[symbol];
    }
    [[nodiscard]] std::size_t symbol_capacity() const noexcept { return positions_.size(); }

  private:
    // Both sums are kept as exact products (scale 1e18) so that no order of updates rounds
    // differently from another.
    i128 cash_product_;
    i128 value_product_ = 0;
    Money day_start_equity_;
    std::vector<RiskPosition> positions_;
};

}  // namespace keel::engine
