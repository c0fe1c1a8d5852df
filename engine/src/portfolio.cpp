#include "keel/engine/portfolio.hpp"

#include "keel/engine/assert.hpp"

namespace keel::engine {
namespace {

std::int64_t abs64(std::int64_t v) noexcept {
    return v < 0 ? -v : v;
}

// (a - b) * q / kScale, exact in 128 bits, truncated toward zero.
std::int64_t price_diff_times_qty(std::int64_t a, std::int64_t b, std::int64_t q) noexcept {
    const i128 v = (static_cast<i128>(a) - b) * q / kScale;
    KEEL_ASSERT(v <= INT64_MAX && v >= INT64_MIN, "P&L out of range");
    return static_cast<std::int64_t>(v);
}

}  // namespace

Money Position::unrealized() const noexcept {
    if (quantity_raw == 0)
        return Money{};
    return Money::from_raw(price_diff_times_qty(last_price.raw, average_price.raw, quantity_raw));
}

void Portfolio::apply_fill(SymbolId symbol, Side side, Price price, Quantity quantity,
                           Money fee) noexcept {
    KEEL_ASSERT(symbol < positions_.size(), "fill for a symbol outside the table");
    Position& p = positions_[symbol];
    const std::int64_t delta = signed_qty(side, quantity);
    const std::int64_t before = p.quantity_raw;
    ++p.fills;
    p.fees += fee;
    p.realized -= fee;
    p.last_price = price;
    if (before == 0 || (before > 0) == (delta > 0)) {
        // Opening or adding: volume-weighted average cost.
        const i128 cost = static_cast<i128>(p.average_price.raw) * abs64(before) +
                          static_cast<i128>(price.raw) * abs64(delta);
        p.quantity_raw = before + delta;
        p.average_price = Price::from_raw(static_cast<std::int64_t>(cost / abs64(p.quantity_raw)));
        return;
    }
    // Reducing, closing or reversing.
    const std::int64_t closed = abs64(delta) < abs64(before) ? abs64(delta) : abs64(before);
    const std::int64_t direction = before > 0 ? 1 : -1;
    p.realized +=
        Money::from_raw(price_diff_times_qty(price.raw, p.average_price.raw, closed * direction));
    p.quantity_raw = before + delta;
    if (p.quantity_raw == 0) {
        p.average_price = Price{};
    } else if ((p.quantity_raw > 0) != (before > 0)) {
        p.average_price = price;  // reversed: the remainder opened at this price
    }
}

void Portfolio::mark(SymbolId symbol, Price price) noexcept {
    if (symbol < positions_.size())
        positions_[symbol].last_price = price;
}

}  // namespace keel::engine
