// Proves fixed-point Price/Quantity parse exactly, print shortest-exact, round-trip, and reject
// malformed or inexact numbers with a specific error.
#include <gtest/gtest.h>

#include <random>

#include "keel/engine/core/fixed_point.hpp"

using namespace keel::engine;

namespace {
std::int64_t parsed(std::string_view s) {
    std::int64_t raw = 0;
    EXPECT_EQ(parse_decimal(s, raw), DecimalError::ok) << s;
    return raw;
}
DecimalError error_of(std::string_view s) {
    std::int64_t raw = 0;
    return parse_decimal(s, raw);
}
}  // namespace

TEST(FixedPoint, ParsesExactDecimals) {
    EXPECT_EQ(parsed("0"), 0);
    EXPECT_EQ(parsed("1"), 1'000'000'000);
    EXPECT_EQ(parsed("-1.5"), -1'500'000'000);
    EXPECT_EQ(parsed("63.4375"), 63'437'500'000);
    EXPECT_EQ(parsed("0.000000001"), 1);
    EXPECT_EQ(parsed("1.1930000000"), 1'193'000'000);  // trailing zeros beyond 9 places are exact
    EXPECT_EQ(parsed("9223372036.854775807"), INT64_MAX);
    EXPECT_EQ(parsed("-9223372036.854775808"), INT64_MIN);
}

TEST(FixedPoint, RejectsMalformedNumbersWithTheReason) {
    EXPECT_EQ(error_of(""), DecimalError::empty);
    EXPECT_EQ(error_of("-"), DecimalError::missing_digits);
    EXPECT_EQ(error_of(".5"), DecimalError::missing_digits);
    EXPECT_EQ(error_of("1."), DecimalError::missing_digits);
    EXPECT_EQ(error_of("1e5"), DecimalError::invalid_character);
    EXPECT_EQ(error_of("+1"), DecimalError::invalid_character);
    EXPECT_EQ(error_of("1,5"), DecimalError::invalid_character);
    EXPECT_EQ(error_of(" 1"), DecimalError::invalid_character);
    EXPECT_EQ(error_of("1.2.3"), DecimalError::invalid_character);
    EXPECT_EQ(error_of("0.0000000001"), DecimalError::too_many_decimals);
    EXPECT_EQ(error_of("9223372036.854775808"), DecimalError::out_of_range);
    EXPECT_EQ(error_of("99999999999"), DecimalError::out_of_range);
}

TEST(FixedPoint, PrintsShortestExactDecimal) {
    EXPECT_EQ(decimal_string(0), "0");
    EXPECT_EQ(decimal_string(1'193'000'000), "1.193");
    EXPECT_EQ(decimal_string(-1), "-0.000000001");
    EXPECT_EQ(decimal_string(100'000'000'000'000), "100000");
    EXPECT_EQ(decimal_string(INT64_MIN), "-9223372036.854775808");
    EXPECT_EQ(Price::from_units(42).to_string(), "42");
}

TEST(FixedPoint, PrintThenParseRoundTripsEveryValue) {
    std::mt19937_64 rng(12345);
    std::vector<std::int64_t> values = {0, 1, -1, INT64_MAX, INT64_MIN, kScale, -kScale};
    for (int i = 0; i < 200'000; ++i) {
        // Mix full-range values with ones that have few significant digits.
        const auto v = static_cast<std::int64_t>(rng());
        values.push_back(i % 2 == 0 ? v : v % 1'000'000 * 1000);
    }
    for (const std::int64_t v : values) {
        std::int64_t back = 0;
        ASSERT_EQ(parse_decimal(decimal_string(v), back), DecimalError::ok) << v;
        ASSERT_EQ(back, v);
    }
}

TEST(FixedPoint, NotionalUses128BitIntermediates) {
    Money m{};
    // 50,000.5 * 150,000: the raw product (5e13 * 1.5e14) overflows 64 bits.
    ASSERT_TRUE(notional(Price::from_raw(parsed("50000.5")), Quantity::from_units(150'000), m));
    EXPECT_EQ(m.to_string(), "7500075000");
    EXPECT_FALSE(notional(Price::from_units(1'000'000), Quantity::from_units(1'000'000), m));
}
