// Portfolio: positions, average cost and realised P&L per symbol from fills, marked to the
// last price seen. Fixed-point throughout; products through 128 bits.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/event.hpp"

namespace keel::engine {

struct Position {
    std::int64_t quantity_raw = 0;  // signed, 9 decimals
    Price average_price{};
    Money realized{};
    Money fees{};
    Price last_price{};
    std::uint64_t fills = 0;

    [[nodiscard]] Money unrealized() const noexcept;
};

class Portfolio {
  public:
    explicit Portfolio(std::size_t symbol_capacity) : positions_(symbol_capacity) {}

    void apply_fill(SymbolId symbol, Side side, Price price, Quantity quantity, Money fee) noexcept;
    void mark(SymbolId symbol, Price price) noexcept;

    [[nodiscard]] const Position& position(SymbolId symbol) const noexcept {
        return positions_[symbol];
    }
    [[nodiscard]] std::size_t size() const noexcept { return positions_.size(); }

  private:
    std::vector<Position> positions_;
};

}  // namespace keel::engine
