// Proves recorded-data timestamps parse to exact UTC nanoseconds and bad ones are refused.
#include <gtest/gtest.h>

#include "keel/adapters/parse/timestamp.hpp"

using keel::adapters::parse_timestamp_ns;

TEST(Timestamp, ParsesIsoDatesAndDateTimes) {
    EXPECT_EQ(parse_timestamp_ns("1970-01-01"), 0);
    EXPECT_EQ(parse_timestamp_ns("2000-09-27"), 970'012'800LL * 1'000'000'000);
    EXPECT_EQ(parse_timestamp_ns("1996-04-01T00:30:00Z"), 828'318'600LL * 1'000'000'000);
    EXPECT_EQ(parse_timestamp_ns("1996-04-01 00:30:00"), 828'318'600LL * 1'000'000'000);
    EXPECT_EQ(parse_timestamp_ns("1996-04-01T00:30"), 828'318'600LL * 1'000'000'000);
    EXPECT_EQ(parse_timestamp_ns("2024-02-29T23:59:59.123456789+00:00"),
              1'709'251'199'123'456'789LL);
}

TEST(Timestamp, TellsEpochUnitsApartByMagnitude) {
    EXPECT_EQ(parse_timestamp_ns("1700000000"), 1'700'000'000'000'000'000LL);
    EXPECT_EQ(parse_timestamp_ns("1700000000123"), 1'700'000'000'123'000'000LL);
    EXPECT_EQ(parse_timestamp_ns("1700000000123456"), 1'700'000'000'123'456'000LL);
    EXPECT_EQ(parse_timestamp_ns("1700000000123456789"), 1'700'000'000'123'456'789LL);
}

TEST(Timestamp, RefusesWhatItCannotReadExactly) {
    for (const char* bad : {"", "2023-02-29", "2023-13-01", "2023-01-32", "2023-1-01",
                            "2023-01-01T25:00", "2023-01-01T10:00:00+02:00", "yesterday", "1.5",
                            "-5", "2023-01-01T10:00:00.1234567891"}) {
        EXPECT_FALSE(parse_timestamp_ns(bad).has_value()) << bad;
    }
}
