// Position sizing: how many units an entry order asks for. Pure, noexcept and fixed-point: the
// same inputs give the same quantity on every machine, so a replay sizes exactly as live did.
//
// Every policy floors its result to the lot size (the quantity increment: 1 share for stocks,
// 1 unit for FX, 0.001 for some crypto), so an order never asks for a fraction the venue would
// reject. A zero result means "do not trade" (the strategy skips with reason no_size). A result
// past what a Quantity can hold saturates at the largest whole number of lots that fits, so a
// runaway size reaches the risk stage's maximum-quantity check instead of wrapping around.
#pragma once

#include <cstdint>
#include <string_view>

#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine {

// The largest multiple of lot not above quantity_raw (clamped to Quantity's range); zero for
// zero or negative quantities. lot must be positive.
[[nodiscard]] Quantity floor_to_lot(i128 quantity_raw, Quantity lot) noexcept;

// Always quantity, floored to the lot.
[[nodiscard]] Quantity size_fixed_quantity(Quantity quantity, Quantity lot) noexcept;

// notional / price, floored to the lot; zero when price or notional is not positive.
[[nodiscard]] Quantity size_fixed_notional(Money notional, Price price, Quantity lot) noexcept;

// Risks risk_fraction of equity on a stop atr_multiple ATRs away:
//   quantity = (equity * risk_fraction) / (atr_multiple * atr), floored to the lot.
// Zero when the ATR is not ready (the caller passes zero) or not positive, when equity, the
// fraction or the multiple is not positive, or when the stop distance is below 1e-9. The two
// products are each truncated to 9 decimals before the division (all in 128 bits, so nothing
// overflows for any int64 inputs).
[[nodiscard]] Quantity size_percent_risk(Money equity, Ratio risk_fraction, Ratio atr_multiple,
                                         Price atr, Quantity lot) noexcept;

// Converts an indicator's double (an ATR) to a Price, rounded to the nearest 1e-9. NaN,
// infinities, non-positive values and values of 9e9 or more give zero, which the sizing above
// treats as "not ready".
[[nodiscard]] Price indicator_price(double value) noexcept;

enum class SizingKind : std::uint8_t {
    fixed_quantity = 1,
    fixed_notional = 2,
    percent_risk_atr = 3,
};

[[nodiscard]] std::string_view to_string(SizingKind k) noexcept;

// What a strategy holds: the kind and its parameters (only those of the kind are read).
struct SizingPolicy {
    SizingKind kind = SizingKind::fixed_quantity;
    Quantity quantity{};                     // fixed_quantity: the order size
    Money notional{};                        // fixed_notional: money per entry
    Ratio risk_fraction{};                   // percent_risk_atr: 0.01 risks 1% of equity
    Ratio atr_multiple{};                    // percent_risk_atr: stop distance in ATRs
    Quantity lot = Quantity::from_units(1);  // the quantity increment

    [[nodiscard]] static SizingPolicy fixed(Quantity q,
                                            Quantity lot = Quantity::from_units(1)) noexcept;
    [[nodiscard]] static SizingPolicy fixed_value(Money notional,
                                                  Quantity lot = Quantity::from_units(1)) noexcept;
    [[nodiscard]] static SizingPolicy percent_risk(Ratio risk_fraction, Ratio atr_multiple,
                                                   Quantity lot = Quantity::from_units(1)) noexcept;

    // The entry quantity at this price, account equity and ATR (zero when not ready); zero
    // means skip with reason no_size.
    [[nodiscard]] Quantity quantity_for(Price price, Money equity, Price atr) const noexcept;

    // Empty when the parameters make sense, else what is wrong, for config validation at
    // start-up (a lot that is not positive, a zero size, a risk fraction outside (0, 1], ...).
    [[nodiscard]] std::string_view problem() const noexcept;
};

}  // namespace keel::engine
