// The simulated venue's frictions as pure functions of the fill: slippage (how far the fill
// price moves against the order) and commission (the fee charged per fill). Exact fixed-point
// arithmetic through 128 bits; every rounding goes against the trader, so a simulation never
// flatters a strategy by a nano-unit.
#pragma once

#include <cstdint>

#include "keel/adapters/sim_venue/sim_venue_config.hpp"
#include "keel/engine/core/event.hpp"

namespace keel::adapters {

namespace detail {

// ceil(num / den) for num >= 0, den > 0, saturated to int64.
[[nodiscard]] constexpr std::int64_t ceil_div(engine::i128 num, engine::i128 den) noexcept {
    if (num <= 0 || den <= 0)
        return 0;
    const engine::i128 q = (num + den - 1) / den;
    return q > INT64_MAX ? INT64_MAX : static_cast<std::int64_t>(q);
}

inline constexpr engine::i128 kBpsDenominator = static_cast<engine::i128>(10'000) * engine::kScale;

}  // namespace detail

// What the slippage models need to know about the market event a fill comes from.
struct SlippageInput {
    engine::Price price;    // the fill price before slippage
    engine::Quantity fill;  // the fill's quantity
    engine::Quantity
        volume;  // the event's volume (bar volume, trade size, quote size); 0 = unknown
    // Volatility: a bar's (high - low) and close, or a quote's (ask - bid) and mid; both 0 for a
    // trade, which carries no range.
    engine::Price range;
    engine::Price level;
};

// The slippage amount (>= 0) for one fill.
[[nodiscard]] constexpr engine::Price slippage_amount(const SimVenueConfig& c,
                                                      const SlippageInput& in) noexcept {
    using engine::i128;
    switch (c.slippage) {
        case SlippageModel::none:
            return {};
        case SlippageModel::fixed_bps:
            return engine::Price::from_raw(detail::ceil_div(
                static_cast<i128>(in.price.raw) * c.slippage_bps.raw, detail::kBpsDenominator));
        case SlippageModel::size_based: {
            // Participation in percent, capped at 100%: an unknown (zero) volume counts as all of
            // it, the conservative reading.
            i128 bps_raw = static_cast<i128>(c.slippage_bps_per_pct.raw) * 100;
            if (in.volume.raw > 0 && in.fill.raw < in.volume.raw)
                bps_raw = bps_raw * in.fill.raw / in.volume.raw;
            return engine::Price::from_raw(detail::ceil_div(
                static_cast<i128>(in.price.raw) * bps_raw, detail::kBpsDenominator));
        }
        case SlippageModel::volatility: {
            if (in.level.raw <= 0 || in.range.raw <= 0)
                return {};
            // price * k * range / level, in two steps to stay inside 128 bits.
            const i128 scaled = detail::ceil_div(
                static_cast<i128>(in.price.raw) * c.volatility_k.raw, engine::kScale);
            return engine::Price::from_raw(detail::ceil_div(scaled * in.range.raw, in.level.raw));
        }
    }
    return {};
}

// The fill price after slippage: higher for a buy, lower for a sell (never below zero).
[[nodiscard]] constexpr engine::Price slipped_price(engine::Side side, engine::Price price,
                                                    engine::Price slip) noexcept {
    if (side == engine::Side::buy)
        return price + slip;
    return slip > price ? engine::Price{} : price - slip;
}

// The commission for one fill of quantity at price.
[[nodiscard]] constexpr engine::Money commission(const SimVenueConfig& c, engine::Price price,
                                                 engine::Quantity quantity) noexcept {
    using engine::i128;
    std::int64_t fee = 0;
    switch (c.commission) {
        case CommissionModel::none:
            return {};
        case CommissionModel::per_share:
            fee = detail::ceil_div(static_cast<i128>(quantity.raw) * c.commission_per_share.raw,
                                   engine::kScale);
            break;
        case CommissionModel::bps: {
            const i128 notional = static_cast<i128>(price.raw) * quantity.raw / engine::kScale;
            fee = detail::ceil_div(notional * c.commission_bps.raw, detail::kBpsDenominator);
            break;
        }
    }
    return engine::Money::from_raw(fee < c.commission_min.raw ? c.commission_min.raw : fee);
}

}  // namespace keel::adapters
