#include "keel/engine/strategy/sizing.hpp"

#include <cmath>

#include "keel/assert.hpp"

namespace keel::engine {

Quantity floor_to_lot(i128 quantity_raw, Quantity lot) noexcept {
    KEEL_ASSERT(lot.raw > 0, "lot size must be positive");
    if (quantity_raw <= 0)
        return Quantity{};
    const i128 clamped = quantity_raw > INT64_MAX ? static_cast<i128>(INT64_MAX) : quantity_raw;
    return Quantity::from_raw(static_cast<std::int64_t>(clamped / lot.raw * lot.raw));
}

Quantity size_fixed_quantity(Quantity quantity, Quantity lot) noexcept {
    return floor_to_lot(quantity.raw, lot);
}

Quantity size_fixed_notional(Money notional, Price price, Quantity lot) noexcept {
    if (price.raw <= 0 || notional.raw <= 0)
        return floor_to_lot(0, lot);
    return floor_to_lot(static_cast<i128>(notional.raw) * kScale / price.raw, lot);
}

Quantity size_percent_risk(Money equity, Ratio risk_fraction, Ratio atr_multiple, Price atr,
                           Quantity lot) noexcept {
    if (equity.raw <= 0 || risk_fraction.raw <= 0 || atr_multiple.raw <= 0 || atr.raw <= 0)
        return floor_to_lot(0, lot);
    // Each product of two int64 raws is below 2^126, and the money at risk (below 2^96 after
    // the division) times kScale stays below 2^126: no step can overflow 128 bits.
    const i128 at_risk_raw = static_cast<i128>(equity.raw) * risk_fraction.raw / kScale;
    const i128 stop_raw = static_cast<i128>(atr_multiple.raw) * atr.raw / kScale;
    if (stop_raw <= 0)
        return floor_to_lot(0, lot);
    return floor_to_lot(at_risk_raw * kScale / stop_raw, lot);
}

Price indicator_price(double value) noexcept {
    // The bound keeps value * kScale well inside int64 so llround cannot overflow.
    if (!std::isfinite(value) || value <= 0.0 || value >= 9e9)
        return Price{};
    return Price::from_raw(std::llround(value * static_cast<double>(kScale)));
}

std::string_view to_string(SizingKind k) noexcept {
    switch (k) {
        case SizingKind::fixed_quantity:
            return "fixed_quantity";
        case SizingKind::fixed_notional:
            return "fixed_notional";
        case SizingKind::percent_risk_atr:
            return "percent_risk_atr";
    }
    return "unknown";
}

SizingPolicy SizingPolicy::fixed(Quantity q, Quantity lot) noexcept {
    SizingPolicy p;
    p.kind = SizingKind::fixed_quantity;
    p.quantity = q;
    p.lot = lot;
    return p;
}

SizingPolicy SizingPolicy::fixed_value(Money notional, Quantity lot) noexcept {
    SizingPolicy p;
    p.kind = SizingKind::fixed_notional;
    p.notional = notional;
    p.lot = lot;
    return p;
}

SizingPolicy SizingPolicy::percent_risk(Ratio risk_fraction, Ratio atr_multiple,
                                        Quantity lot) noexcept {
    SizingPolicy p;
    p.kind = SizingKind::percent_risk_atr;
    p.risk_fraction = risk_fraction;
    p.atr_multiple = atr_multiple;
    p.lot = lot;
    return p;
}

Quantity SizingPolicy::quantity_for(Price price, Money equity, Price atr) const noexcept {
    switch (kind) {
        case SizingKind::fixed_quantity:
            return size_fixed_quantity(quantity, lot);
        case SizingKind::fixed_notional:
            return size_fixed_notional(notional, price, lot);
        case SizingKind::percent_risk_atr:
            return size_percent_risk(equity, risk_fraction, atr_multiple, atr, lot);
    }
    KEEL_ASSERT(false, "unknown sizing kind");
    return Quantity{};
}

std::string_view SizingPolicy::problem() const noexcept {
    if (lot.raw <= 0)
        return "lot size must be positive";
    switch (kind) {
        case SizingKind::fixed_quantity:
            if (quantity.raw < lot.raw)
                return "quantity must be at least one lot";
            return {};
        case SizingKind::fixed_notional:
            if (notional.raw <= 0)
                return "notional must be positive";
            return {};
        case SizingKind::percent_risk_atr:
            if (risk_fraction.raw <= 0 || risk_fraction.raw > kScale)
                return "risk fraction must be in (0, 1]";
            if (atr_multiple.raw <= 0)
                return "ATR multiple must be positive";
            return {};
    }
    return "unknown sizing kind";
}

}  // namespace keel::engine
