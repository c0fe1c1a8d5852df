// Timestamp parsing for recorded data: ISO-8601 dates and date-times (UTC, 'Z' or +00:00
// accepted) and epoch integers in s, ms, us or ns (told apart by magnitude).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace keel::adapters {

// Nanoseconds since the Unix epoch, or nullopt when text is not a timestamp we accept.
[[nodiscard]] std::optional<std::int64_t> parse_timestamp_ns(std::string_view text) noexcept;

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
[[nodiscard]] constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m,
                                                     unsigned d) noexcept {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace keel::adapters
