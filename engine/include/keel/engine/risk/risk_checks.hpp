// The pure parts of the pre-trade checks: each is a function of plain values, so it is tested
// on its own and the stage only gathers the inputs. All arithmetic is on raw fixed-point
// integers through 128 bits; limits are inclusive maxima (equal passes).
#pragma once

#include <cstdint>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/risk/risk_limits.hpp"

namespace keel::engine {

[[nodiscard]] constexpr bool has_limit_price(OrderType t) noexcept {
    return t == OrderType::limit || t == OrderType::stop_limit;
}
[[nodiscard]] constexpr bool has_stop_price(OrderType t) noexcept {
    return t == OrderType::stop || t == OrderType::stop_limit || t == OrderType::trailing_stop;
}
[[nodiscard]] constexpr bool valid_order_type(OrderType t) noexcept {
    return t >= OrderType::market && t <= OrderType::trailing_stop;
}

// The shape of one order: side, type and the prices its type needs. Quantity and symbol are
// checked separately (they have their own reasons).
[[nodiscard]] constexpr Reason check_order_shape(Side side, OrderType type, Price price,
                                                 Price stop_price) noexcept {
    if (side != Side::buy && side != Side::sell)
        return Reason::invalid_order;
    if (!valid_order_type(type))
        return Reason::invalid_order;
    if (has_limit_price(type) && price.raw <= 0)
        return Reason::invalid_order;
    if (has_stop_price(type) && stop_price.raw <= 0)
        return Reason::invalid_order;
    return Reason::none;
}

// A price is on tick when it is a whole multiple of the tick size; tick 0 = no tick rule.
[[nodiscard]] constexpr bool on_tick(Price price, std::int64_t tick_raw) noexcept {
    return tick_raw <= 0 || price.raw % tick_raw == 0;
}

// |limit - ref| / ref > collar_bps / 10'000, without division. ref must be positive.
[[nodiscard]] constexpr bool outside_collar(Price limit, Price ref,
                                            std::int64_t collar_bps) noexcept {
    const i128 diff = static_cast<i128>(limit.raw) - ref.raw;
    const i128 distance = diff < 0 ? -diff : diff;
    return distance * 10'000 > static_cast<i128>(collar_bps) * ref.raw;
}

// price * quantity in Money raw, through 128 bits (no overflow clamp: callers compare).
[[nodiscard]] constexpr i128 notional_raw(std::int64_t price_raw,
                                          std::int64_t quantity_raw) noexcept {
    return static_cast<i128>(price_raw) * quantity_raw / kScale;
}

// The worst-case position if every open order on the order's side and the order itself fill.
// open_same_side_raw is the unsigned leaves on that side.
[[nodiscard]] constexpr i128 worst_case_position(std::int64_t position_raw,
                                                 std::int64_t open_same_side_raw, Side side,
                                                 std::int64_t quantity_raw) noexcept {
    const i128 add = static_cast<i128>(open_same_side_raw) + quantity_raw;
    return side == Side::sell ? static_cast<i128>(position_raw) - add
                              : static_cast<i128>(position_raw) + add;
}
[[nodiscard]] constexpr bool over_position(std::int64_t position_raw,
                                           std::int64_t open_same_side_raw, Side side,
                                           std::int64_t quantity_raw,
                                           std::int64_t max_raw) noexcept {
    const i128 worst = worst_case_position(position_raw, open_same_side_raw, side, quantity_raw);
    return (worst < 0 ? -worst : worst) > max_raw;
}

// Drawdown from peak in fixed-point percent (raw, 9 decimals). peak must be positive.
[[nodiscard]] constexpr std::int64_t drawdown_pct_raw(Money peak, Money equity) noexcept {
    const i128 fall = static_cast<i128>(peak.raw) - equity.raw;
    if (fall <= 0)
        return 0;
    const i128 pct = fall * 100 * kScale / peak.raw;
    return pct > INT64_MAX ? INT64_MAX : static_cast<std::int64_t>(pct);
}

// Whether ts falls inside the trading hours of limits (a session: its weekdays, offset or zone,
// and calendar).
[[nodiscard]] inline bool within_trading_hours(std::int64_t ts_ns,
                                               const RiskLimits& limits) noexcept {
    return in_session(limits.trading_hours, ts_ns);
}

}  // namespace keel::engine
