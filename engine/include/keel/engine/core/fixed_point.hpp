// Fixed-point Price, Quantity and Money: int64 with 9 implied decimals.
// Doubles never hold order, position, P&L or risk state; products go through i128.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace keel::engine {

// 128-bit intermediates for products (notional, P&L, averages); __extension__ keeps
// -Wpedantic quiet about the GNU type.
__extension__ typedef __int128 i128;

inline constexpr int kDecimals = 9;
inline constexpr std::int64_t kScale = 1'000'000'000;

enum class DecimalError : std::uint8_t {
    ok = 0,
    empty,
    invalid_character,
    missing_digits,     // "-", "1.", ".5"
    too_many_decimals,  // more than 9 significant fraction digits: the value would be inexact
    out_of_range,
};

[[nodiscard]] std::string_view to_string(DecimalError e) noexcept;

// Parses an exact decimal ("-12.5", "0.000000001", "100") into a raw scaled integer.
// Trailing zeros past the 9th fraction digit are accepted; any other digit there is an error.
[[nodiscard]] DecimalError parse_decimal(std::string_view text, std::int64_t& raw) noexcept;

// Writes the shortest exact decimal for raw (no trailing zeros, no exponent) into out, which
// must hold kMaxDecimalChars; returns the length.
inline constexpr int kMaxDecimalChars = 32;
int format_decimal(std::int64_t raw, char* out) noexcept;
[[nodiscard]] std::string decimal_string(std::int64_t raw);

// A fixed-point value with a distinct type per Tag so that a Price cannot be passed as a
// Quantity.
template <class Tag>
struct Fixed {
    // No default member initialiser: Fixed must stay trivial to live in the Event union.
    // Value-initialise ("Price p{}") for zero.
    std::int64_t raw;

    [[nodiscard]] static constexpr Fixed from_raw(std::int64_t r) noexcept { return Fixed{r}; }
    [[nodiscard]] static constexpr Fixed from_units(std::int64_t units) noexcept {
        return Fixed{units * kScale};
    }
    [[nodiscard]] static DecimalError parse(std::string_view text, Fixed& out) noexcept {
        return parse_decimal(text, out.raw);
    }
    [[nodiscard]] std::string to_string() const { return decimal_string(raw); }

    friend constexpr auto operator<=>(Fixed, Fixed) = default;
    friend constexpr Fixed operator+(Fixed a, Fixed b) noexcept { return Fixed{a.raw + b.raw}; }
    friend constexpr Fixed operator-(Fixed a, Fixed b) noexcept { return Fixed{a.raw - b.raw}; }
    constexpr Fixed operator-() const noexcept { return Fixed{-raw}; }
    constexpr Fixed& operator+=(Fixed b) noexcept {
        raw += b.raw;
        return *this;
    }
    constexpr Fixed& operator-=(Fixed b) noexcept {
        raw -= b.raw;
        return *this;
    }
};

struct PriceTag {};
struct QuantityTag {};
struct MoneyTag {};
using Price = Fixed<PriceTag>;
using Quantity = Fixed<QuantityTag>;
using Money = Fixed<MoneyTag>;
// Folds one 64-bit value into a running hash (multiply-xorshift; the state hashes a replay
// compares): order-sensitive, cheap, and the same on every machine.
[[nodiscard]] constexpr std::uint64_t hash_mix(std::uint64_t h, std::uint64_t v) noexcept {
    h = (h ^ v) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}
inline constexpr std::uint64_t kHashSeed = 14695981039346656037ull;

// A dimensionless factor (rates, fractions, basis points, multipliers): 0.01 is one percent.
struct RatioTag {};
using Ratio = Fixed<RatioTag>;

// price * quantity, exact through a 128-bit intermediate; truncates toward zero below 1e-9.
// Returns false (out untouched) when the result does not fit in Money.
[[nodiscard]] inline bool notional(Price p, Quantity q, Money& out) noexcept {
    const i128 product = static_cast<i128>(p.raw) * q.raw / kScale;
    if (product > INT64_MAX || product < INT64_MIN)
        return false;
    out.raw = static_cast<std::int64_t>(product);
    return true;
}

}  // namespace keel::engine
