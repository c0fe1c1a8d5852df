// Proves venue ids (engine/orders/venue_id.hpp) round-trip to keel's order ids, stay within 20
// characters of [0-9a-v], are refused when another session or client made them, and never
// repeat across two prefixes; and that a backtest's prefix is a function of config and seed.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/orders/venue_id.hpp"

using namespace keel::engine;

namespace {

const std::vector<std::uint64_t> kOrderIds = {
    0,
    1,
    31,
    32,
    make_order_id(1, 0),
    make_order_id(123'456, 3),
    make_order_id(std::uint64_t{1} << 40, 2),
    kRiskOrderIdBit | make_order_id(77, 1),
    UINT64_MAX,
};

bool venue_digit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'v');
}

}  // namespace

TEST(VenueId, RoundTripsEveryOrderIdWithinTwentyCharacters) {
    for (const std::uint64_t prefix : {std::uint64_t{0}, std::uint64_t{1}, kVenueIdPrefixMask,
                                       derived_venue_id_prefix(42, 7)}) {
        for (const std::uint64_t order_id : kOrderIds) {
            const VenueId id = make_venue_id(prefix, order_id);
            EXPECT_LE(id.view().size(), 20u);
            EXPECT_GT(id.view().size(), kVenueIdPrefixChars);
            for (const char c : id.view())
                EXPECT_TRUE(venue_digit(c)) << id.view();
            const auto back = parse_venue_id(prefix, id.view());
            ASSERT_TRUE(back.has_value()) << id.view();
            EXPECT_EQ(*back, order_id) << id.view();
        }
    }
    EXPECT_EQ(make_venue_id(0, UINT64_MAX).view().size(), 20u);
    EXPECT_EQ(make_venue_id(1, 0).view(), "00000010");
    EXPECT_EQ(make_venue_id(kVenueIdPrefixMask, 32).view(), "vvvvvvv10");
}

TEST(VenueId, RefusesIdsItDidNotMake) {
    const std::uint64_t prefix = derived_venue_id_prefix(1, 2);
    const std::string good(make_venue_id(prefix, 1234).view());
    const std::string other(make_venue_id(prefix ^ 1, 1234).view());
    EXPECT_FALSE(parse_venue_id(prefix, other).has_value()) << "another session's id";
    const std::string head = good.substr(0, kVenueIdPrefixChars);
    for (const std::string& bad : {std::string(), head, head + "01", head + "W", head + "w",
                                   head + "1-", head + "g000000000000",
                                   head + "10000000000000", good + " ", "x" + good}) {
        EXPECT_FALSE(parse_venue_id(prefix, bad).has_value()) << "'" << bad << "'";
    }
    // 13 digits whose first is at most f still fit 64 bits (ids with bit 63 set).
    EXPECT_EQ(parse_venue_id(prefix, head + "f000000000000"), std::uint64_t{15} << 60);
}

TEST(VenueId, TwoPrefixesNeverShareAnId) {
    const std::uint64_t a = derived_venue_id_prefix(std::uint64_t{0x5EED}, 0);
    const std::uint64_t b = derived_venue_id_prefix(std::uint64_t{0x5EED} + 1, 0);
    ASSERT_NE(a, b);
    std::set<std::string> seen;
    for (std::uint64_t seq = 1; seq <= 5000; ++seq) {
        for (std::uint32_t k = 0; k < 4; ++k)
            EXPECT_TRUE(seen.insert(std::string(make_venue_id(a, make_order_id(seq, k)).view())).second);
    }
    for (std::uint64_t seq = 1; seq <= 5000; ++seq) {
        for (std::uint32_t k = 0; k < 4; ++k)
            EXPECT_TRUE(seen.insert(std::string(make_venue_id(b, make_order_id(seq, k)).view())).second)
                << "session b repeated an id of session a";
    }
}

TEST(VenueId, BacktestPrefixIsAFunctionOfConfigHashAndSeed) {
    EXPECT_EQ(derived_venue_id_prefix(0xABCDEF, 9), derived_venue_id_prefix(0xABCDEF, 9));
    EXPECT_NE(derived_venue_id_prefix(0xABCDEF, 9), derived_venue_id_prefix(0xABCDEF, 10));
    EXPECT_NE(derived_venue_id_prefix(0xABCDEF, 9), derived_venue_id_prefix(0xABCDEE, 9));
    for (std::uint64_t s = 0; s < 1000; ++s)
        EXPECT_EQ(derived_venue_id_prefix(s * 0x1234567, s) & ~kVenueIdPrefixMask, 0u);
}
