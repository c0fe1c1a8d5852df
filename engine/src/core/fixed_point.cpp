#include "keel/engine/core/fixed_point.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

std::string_view to_string(DecimalError e) noexcept {
    switch (e) {
        case DecimalError::ok:
            return "ok";
        case DecimalError::empty:
            return "empty number";
        case DecimalError::invalid_character:
            return "invalid character in number";
        case DecimalError::missing_digits:
            return "missing digits around '.' or after '-'";
        case DecimalError::too_many_decimals:
            return "more than 9 decimal places (value would be inexact)";
        case DecimalError::out_of_range:
            return "number out of range";
    }
    return "unknown decimal error";
}

DecimalError parse_decimal(std::string_view text, std::int64_t& raw) noexcept {
    if (text.empty())
        return DecimalError::empty;
    std::size_t i = 0;
    const bool negative = text[0] == '-';
    if (negative)
        i = 1;
    // Accumulate the magnitude as unsigned so that INT64_MIN (whose magnitude exceeds
    // INT64_MAX) parses exactly.
    constexpr std::uint64_t kLimit = static_cast<std::uint64_t>(INT64_MAX) + 1;
    std::uint64_t whole = 0;
    std::size_t int_digits = 0;
    for (; i < text.size() && text[i] != '.'; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9')
            return DecimalError::invalid_character;
        whole = whole * 10 + static_cast<std::uint64_t>(c - '0');
        if (whole > kLimit / kScale)
            return DecimalError::out_of_range;
        ++int_digits;
    }
    if (int_digits == 0)
        return DecimalError::missing_digits;
    std::uint64_t frac = 0;
    if (i < text.size()) {  // text[i] == '.'
        ++i;
        std::size_t frac_digits = 0;
        for (; i < text.size(); ++i, ++frac_digits) {
            const char c = text[i];
            if (c < '0' || c > '9')
                return DecimalError::invalid_character;
            if (frac_digits < kDecimals) {
                frac = frac * 10 + static_cast<std::uint64_t>(c - '0');
            } else if (c != '0') {
                return DecimalError::too_many_decimals;
            }
        }
        if (frac_digits == 0)
            return DecimalError::missing_digits;
        for (; frac_digits < kDecimals; ++frac_digits)
            frac *= 10;
    }
    const std::uint64_t magnitude = whole * kScale + frac;
    if (magnitude > kLimit || (!negative && magnitude == kLimit))
        return DecimalError::out_of_range;
    raw =
        negative ? static_cast<std::int64_t>(0 - magnitude) : static_cast<std::int64_t>(magnitude);
    return DecimalError::ok;
}

int format_decimal(std::int64_t raw, char* out) noexcept {
    // Work on the unsigned magnitude so that INT64_MIN formats correctly.
    const bool negative = raw < 0;
    const std::uint64_t magnitude =
        negative ? 0 - static_cast<std::uint64_t>(raw) : static_cast<std::uint64_t>(raw);
    std::uint64_t whole = magnitude / kScale;
    std::uint64_t frac = magnitude % kScale;
    char digits[24];
    int n = 0;
    do {
        digits[n++] = static_cast<char>('0' + whole % 10);
        whole /= 10;
    } while (whole != 0);
    int len = 0;
    if (negative)
        out[len++] = '-';
    while (n > 0)
        out[len++] = digits[--n];
    if (frac != 0) {
        out[len++] = '.';
        char fd[kDecimals];
        for (int k = kDecimals - 1; k >= 0; --k) {
            fd[k] = static_cast<char>('0' + frac % 10);
            frac /= 10;
        }
        int last = kDecimals - 1;
        while (fd[last] == '0')
            --last;
        for (int k = 0; k <= last; ++k)
            out[len++] = fd[k];
    }
    KEEL_ASSERT(len < kMaxDecimalChars, "decimal buffer overflow");
    out[len] = '\0';
    return len;
}

std::string decimal_string(std::int64_t raw) {
    char buf[kMaxDecimalChars];
    const int n = format_decimal(raw, buf);
    return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace keel::engine
