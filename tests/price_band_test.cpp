// Proves the feed's sanity band (adapters/input/price_band.hpp): bounds and the jump from the
// last accepted price refuse a tick with its price, band and reason; K agreeing ticks outside
// re-anchor it (a real move), so do a quiet spell (a session's open) and a restart's seed.
#include <gtest/gtest.h>

#include "keel/adapters/input/price_band.hpp"

using namespace keel;
using engine::EventType;
using engine::Price;
using engine::TickRefusal;

namespace {

constexpr std::int64_t kMinute = 60'000'000'000;

Price px(const char* s) {
    Price p{};
    EXPECT_EQ(Price::parse(s, p), engine::DecimalError::ok) << s;
    return p;
}

engine::Event trade(const char* price, std::int64_t ts, engine::SymbolId symbol = 0) {
    engine::Event e = engine::make_event(EventType::trade, engine::Source::feed, 0, ts, symbol);
    e.payload.trade.price = px(price);
    return e;
}

adapters::PriceBand band(adapters::BandLimits limits = {}, adapters::BandOptions options = {}) {
    return adapters::PriceBand({limits}, options);
}

}  // namespace

TEST(PriceBand, AJumpPastTheDefaultIsRefusedWithItsBandAndAnchor) {
    auto b = band();
    EXPECT_FALSE(b.check(trade("1.2000", kMinute)));
    EXPECT_FALSE(b.check(trade("1.2500", 2 * kMinute)));  // +4%: inside 20%
    const auto r = b.check(trade("10000000", 3 * kMinute));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->reason, TickRefusal::jump);
    EXPECT_EQ(r->refused_type, EventType::trade);
    EXPECT_EQ(r->price, px("10000000"));
    EXPECT_EQ(r->anchor, px("1.25"));
    EXPECT_EQ(r->low, px("1.0"));
    EXPECT_EQ(r->high, px("1.5"));
    ASSERT_TRUE(b.check(trade("9200000000", 4 * kMinute)));
    EXPECT_FALSE(b.check(trade("1.2600", 5 * kMinute)));  // the anchor did not move
    EXPECT_EQ(b.refused(), 2u);
}

TEST(PriceBand, BoundsRefuseAndAreNeverReanchored) {
    auto b = band({px("0.5"), px("2"), engine::Ratio::from_units(0)});
    EXPECT_EQ(b.check(trade("0", kMinute))->reason, TickRefusal::below_min);
    EXPECT_EQ(b.check(trade("-1", kMinute))->reason, TickRefusal::below_min);
    EXPECT_EQ(b.check(trade("0.4", kMinute))->reason, TickRefusal::below_min);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(b.check(trade("2.1", (2 + i) * kMinute))->reason, TickRefusal::above_max);
    EXPECT_FALSE(b.check(trade("1.9", 20 * kMinute)));
    EXPECT_FALSE(b.check(trade("0.6", 21 * kMinute)));  // jump check off (0)
    // Even with no limits at all, a price must be positive.
    auto none = band();
    EXPECT_EQ(none.check(trade("0", kMinute))->reason, TickRefusal::below_min);
}

TEST(PriceBand, AgreeingTicksOutsideReanchorOnTheKth) {
    adapters::BandOptions o;
    o.reanchor_after = 3;
    auto b = band({}, o);
    EXPECT_FALSE(b.check(trade("100", kMinute)));
    // A 2:1 split: the first two ticks at the new level are refused, the third accepted.
    EXPECT_TRUE(b.check(trade("50.1", 2 * kMinute)));
    EXPECT_TRUE(b.check(trade("50.2", 3 * kMinute)));
    EXPECT_FALSE(b.check(trade("50.3", 4 * kMinute)));
    EXPECT_EQ(b.reanchored(), 1u);
    EXPECT_FALSE(b.check(trade("50.0", 5 * kMinute)));
    // Ticks outside that disagree with each other never re-anchor.
    for (int i = 0; i < 20; ++i)
        EXPECT_TRUE(b.check(trade(i % 2 ? "9999" : "1", (6 + i) * kMinute)));
}

TEST(PriceBand, AQuietSpellReanchorsAtTheNextTick) {
    auto b = band();
    EXPECT_FALSE(b.check(trade("100", kMinute)));
    EXPECT_TRUE(b.check(trade("130", 30 * kMinute)));
    EXPECT_FALSE(b.check(trade("130", 30 * kMinute + 60 * kMinute)));  // the open after an hour
    EXPECT_FALSE(b.check(trade("131", 92 * kMinute)));
}

TEST(PriceBand, ASeedAnchorsTheFirstTickAfterARestart) {
    auto b = band();
    b.seed(0, px("1.2"), kMinute);
    EXPECT_TRUE(b.check(trade("10000000", 2 * kMinute)));
    EXPECT_FALSE(b.check(trade("1.21", 3 * kMinute)));
}

// A restart replays its journal's market data into the band: the last accepted event's price
// (a quote's mid) anchors the first tick after it; other events seed nothing.
TEST(PriceBand, SeedingFromTheJournalsEventsAnchorsAtTheLastOnesPrice) {
    auto b = band();
    b.seed(trade("100", kMinute));
    engine::Event q = engine::make_event(EventType::quote, engine::Source::feed, 0, 2 * kMinute, 0);
    q.payload.quote.bid = px("1.19");
    q.payload.quote.ask = px("1.21");
    b.seed(q);
    engine::Event alert = engine::make_event(EventType::alert, engine::Source::webhook, 0,
                                             3 * kMinute, 0);
    b.seed(alert);
    EXPECT_TRUE(b.check(trade("100", 4 * kMinute)));  // the quote's 1.2 is the anchor, not 100
    EXPECT_FALSE(b.check(trade("1.22", 5 * kMinute)));
}

TEST(PriceBand, QuotesAndBarsAreHeldByEveryPriceTheyCarry) {
    auto b = band({px("0.5"), px("2"), engine::Ratio::from_raw(-1)});
    engine::Event q = engine::make_event(EventType::quote, engine::Source::feed, 0, kMinute, 0);
    q.payload.quote.bid = px("1.0");
    q.payload.quote.ask = px("2.5");
    EXPECT_EQ(b.check(q)->reason, TickRefusal::above_max);
    q.payload.quote.ask = px("1.02");
    EXPECT_FALSE(b.check(q));
    engine::Event bar = engine::make_event(EventType::bar, engine::Source::feed, 0, 2 * kMinute, 0);
    bar.payload.bar.open = px("1.0");
    bar.payload.bar.high = px("1.05");
    bar.payload.bar.low = px("0.1");
    bar.payload.bar.close = px("1.01");
    const auto r = b.check(bar);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->reason, TickRefusal::below_min);
    EXPECT_EQ(r->refused_type, EventType::bar);
    // Other input types and symbols outside the table pass untouched.
    EXPECT_FALSE(b.check(trade("10000000", 3 * kMinute, 5)));
}
