// Proves the simulated venue's rules: every order type in bar and tick mode (gaps included),
// each TIF, slippage, latency with seeded jitter, partial fills, commission, rejects, cancel,
// mass cancel, replace, the open-order query, and that a session replays byte for byte.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "keel/adapters/sim_venue/sim_costs.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/engine/core/alloc_guard.hpp"
#include "test_support.hpp"

namespace keel {
namespace {

using adapters::CommissionModel;
using adapters::MatchMode;
using adapters::Ratio;
using adapters::SimVenue;
using adapters::SimVenueConfig;
using adapters::SlippageModel;
using engine::Event;
using engine::EventType;
using engine::Money;
using engine::OrderAction;
using engine::OrderStatus;
using engine::OrderType;
using engine::Price;
using engine::Quantity;
using engine::Reason;
using engine::Side;
using engine::TimeInForce;
using engine::TimerKind;

constexpr std::uint16_t kStrategy = 3;

// Prices in cents keep the tables readable: P(1050) is 10.50.
Price P(std::int64_t cents) {
    return Price::from_raw(cents * 10'000'000);
}
Quantity Q(std::int64_t units) {
    return Quantity::from_units(units);
}
Money M(std::int64_t cents) {
    return Money::from_raw(cents * 10'000'000);
}
Ratio R(const char* text) {
    Ratio r{};
    EXPECT_EQ(Ratio::parse(text, r), engine::DecimalError::ok) << text;
    return r;
}

struct OrderSpec {
    std::uint64_t id;
    Side side = Side::buy;
    OrderType type = OrderType::market;
    std::int64_t qty = 10;
    Price price{};
    Price stop{};
    TimeInForce tif = TimeInForce::gtc;
    std::int64_t ts = 100;
    engine::SymbolId symbol = 0;
};

Event order(const OrderSpec& s) {
    Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, 0, s.ts, s.symbol);
    e.header.aux = kStrategy;
    e.payload.order.order_id = s.id;
    e.payload.order.side = s.side;
    e.payload.order.order_type = s.type;
    e.payload.order.quantity = Q(s.qty);
    e.payload.order.price = s.price;
    e.payload.order.stop_price = s.stop;
    e.payload.order.tif = s.tif;
    e.payload.order.action = OrderAction::new_order;
    e.payload.order.status = OrderStatus::sent;
    return e;
}
Event cancel_of(std::uint64_t id, std::int64_t ts, engine::SymbolId symbol = 0) {
    Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, 0, ts, symbol);
    e.header.aux = kStrategy;
    e.payload.order.order_id = id;
    e.payload.order.action = OrderAction::cancel;
    return e;
}
Event replace_of(std::uint64_t id, std::int64_t ts, Price price, std::int64_t qty) {
    Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, 0, ts, 0);
    e.header.aux = kStrategy;
    e.payload.order.order_id = id;
    e.payload.order.action = OrderAction::replace;
    e.payload.order.price = price;
    e.payload.order.quantity = Q(qty);
    return e;
}
Event bar(std::int64_t ts, Price o, Price h, Price l, Price c, std::int64_t volume = 1000,
          engine::SymbolId symbol = 0) {
    Event e = engine::make_event(EventType::bar, engine::Source::feed, 0, ts, symbol);
    e.payload.bar = {o, h, l, c, Q(volume)};
    return e;
}
Event trade(std::int64_t ts, Price price, std::int64_t size = 1000, engine::SymbolId symbol = 0) {
    Event e = engine::make_event(EventType::trade, engine::Source::feed, 0, ts, symbol);
    e.payload.trade.price = price;
    e.payload.trade.size = Q(size);
    return e;
}
Event quote(std::int64_t ts, Price bid, std::int64_t bid_size, Price ask, std::int64_t ask_size) {
    Event e = engine::make_event(EventType::quote, engine::Source::feed, 0, ts, 0);
    e.payload.quote = {bid, Q(bid_size), ask, Q(ask_size)};
    return e;
}
Event timer(std::int64_t ts, TimerKind kind) {
    Event e =
        engine::make_event(EventType::timer, engine::Source::engine, 0, ts, engine::kNoSymbol);
    e.payload.timer.kind = kind;
    return e;
}

SimVenueConfig bars_config() {
    SimVenueConfig c;
    c.mode = MatchMode::bars;
    return c;
}
SimVenueConfig ticks_config() {
    SimVenueConfig c;
    c.mode = MatchMode::ticks;
    return c;
}

// A venue with a recording sink and helpers to read what it posted.
class Harness {
  public:
    explicit Harness(const SimVenueConfig& config, std::uint64_t seed = 7)
        : venue(replies, config, seed) {}

    void submit(const OrderSpec& s) { venue.submit(order(s)); }
    void feed(const Event& e) { venue.on_market_data(e); }

    [[nodiscard]] std::vector<Event> of(EventType t) const {
        std::vector<Event> out;
        for (const Event& e : replies.posted) {
            if (e.header.type == t)
                out.push_back(e);
        }
        return out;
    }
    [[nodiscard]] std::vector<Event> fills() const { return of(EventType::venue_fill); }
    [[nodiscard]] const Event& last() const { return replies.posted.back(); }

    test::RecordingReplies replies;
    SimVenue venue;
};

void expect_fill(const Event& f, std::uint64_t id, Price price, std::int64_t qty, bool final) {
    EXPECT_EQ(f.header.type, EventType::venue_fill);
    EXPECT_EQ(f.header.source, engine::Source::venue);
    EXPECT_EQ(f.header.seq, 0u);
    EXPECT_EQ(f.header.aux, kStrategy);
    EXPECT_EQ(f.payload.fill.order_id, id);
    EXPECT_EQ(f.payload.fill.price, price) << f.payload.fill.price.to_string();
    EXPECT_EQ(f.payload.fill.quantity, Q(qty)) << f.payload.fill.quantity.to_string();
    EXPECT_EQ(f.payload.fill.flags, final ? engine::kFillFinal : 0);
}

// --- bar mode ---

TEST(SimVenueBars, MarketOrderFillsAtTheOpenOfTheNextBarStampedAfterItsSubmission) {
    Harness h(bars_config());
    h.submit({.id = 4, .ts = 100});
    ASSERT_EQ(h.replies.posted.size(), 1u);
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    EXPECT_EQ(h.last().header.aux, kStrategy);
    EXPECT_EQ(h.last().payload.order.status, OrderStatus::accepted);
    h.feed(bar(100, P(990), P(1010), P(980), P(1000)));  // same stamp: not after submission
    EXPECT_TRUE(h.fills().empty());
    h.feed(bar(200, P(1005), P(1020), P(1000), P(1010), 1000, 1));  // another symbol
    EXPECT_TRUE(h.fills().empty());
    h.feed(bar(200, P(1003), P(1020), P(1000), P(1010)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1003), 10, true);
    EXPECT_EQ(h.fills()[0].header.ts_ns, 200);
    EXPECT_EQ(h.venue.resting(), 0u);
}

TEST(SimVenueBars, LimitBuyFillsWhenTheLowReachesItAtTheLimitAndAGapDownFillsAtTheOpen) {
    Harness h(bars_config());
    h.submit({.id = 4, .type = OrderType::limit, .price = P(900)});
    h.submit({.id = 8, .type = OrderType::limit, .price = P(900)});
    h.feed(bar(200, P(1000), P(1010), P(901), P(950)));  // one cent short
    EXPECT_TRUE(h.fills().empty());
    h.feed(bar(300, P(950), P(960), P(900), P(955)));  // touches: fills at the limit
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(900), 10, true);
    Harness g(bars_config());
    g.submit({.id = 4, .type = OrderType::limit, .price = P(900)});
    g.feed(bar(200, P(850), P(870), P(840), P(860)));  // gap down through the limit
    ASSERT_EQ(g.fills().size(), 1u);
    expect_fill(g.fills()[0], 4, P(850), 10, true);
}

TEST(SimVenueBars, LimitSellFillsWhenTheHighReachesItAndAGapUpFillsAtTheOpen) {
    Harness h(bars_config());
    h.submit({.id = 4, .side = Side::sell, .type = OrderType::limit, .price = P(1100)});
    h.feed(bar(200, P(1000), P(1099), P(990), P(1050)));
    EXPECT_TRUE(h.fills().empty());
    h.feed(bar(300, P(1050), P(1100), P(1040), P(1090)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1100), 10, true);
    Harness g(bars_config());
    g.submit({.id = 4, .side = Side::sell, .type = OrderType::limit, .price = P(1100)});
    g.feed(bar(200, P(1150), P(1160), P(1120), P(1130)));
    ASSERT_EQ(g.fills().size(), 1u);
    expect_fill(g.fills()[0], 4, P(1150), 10, true);
}

TEST(SimVenueBars, StopsTriggerOnTheExtremeFillAtTheStopAndAGapThroughFillsAtTheWorseOpen) {
    Harness h(bars_config());
    h.submit({.id = 4, .type = OrderType::stop, .stop = P(1100)});
    h.submit({.id = 8, .side = Side::sell, .type = OrderType::stop, .stop = P(900)});
    h.feed(bar(200, P(1000), P(1099), P(901), P(1000)));  // neither reached
    EXPECT_TRUE(h.fills().empty());
    h.feed(bar(300, P(1000), P(1100), P(900), P(1000)));  // both reached inside the bar
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1100), 10, true);
    expect_fill(h.fills()[1], 8, P(900), 10, true);

    Harness g(bars_config());
    g.submit({.id = 4, .type = OrderType::stop, .stop = P(1100)});
    g.feed(bar(200, P(1150), P(1200), P(1140), P(1190)));  // gap up through the buy stop
    g.submit({.id = 8, .side = Side::sell, .type = OrderType::stop, .stop = P(900), .ts = 200});
    g.feed(bar(300, P(850), P(880), P(800), P(860)));  // gap down through the sell stop
    ASSERT_EQ(g.fills().size(), 2u);
    expect_fill(g.fills()[0], 4, P(1150), 10, true);
    expect_fill(g.fills()[1], 8, P(850), 10, true);
}

TEST(SimVenueBars, StopLimitTriggeredAtTheOpenFillsAsALimitOverTheWholeBar) {
    Harness h(bars_config());
    // Buy stop 10.00 limit 10.50. Opens at 10.20 (through the stop, inside the limit).
    h.submit({.id = 4, .type = OrderType::stop_limit, .price = P(1050), .stop = P(1000)});
    h.feed(bar(200, P(1020), P(1060), P(1010), P(1030)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1020), 10, true);
    // Opens above the limit; the later low comes back to it: fills at the limit.
    Harness g(bars_config());
    g.submit({.id = 4, .type = OrderType::stop_limit, .price = P(1050), .stop = P(1000)});
    g.feed(bar(200, P(1080), P(1100), P(1040), P(1060)));
    ASSERT_EQ(g.fills().size(), 1u);
    expect_fill(g.fills()[0], 4, P(1050), 10, true);
}

TEST(SimVenueBars, StopLimitTriggeredInsideTheBarFillsThereOnlyWhenTheLimitCoversTheStop) {
    Harness h(bars_config());
    // Limit at or beyond the stop: the trigger trade itself is inside the limit.
    h.submit({.id = 4, .type = OrderType::stop_limit, .price = P(1050), .stop = P(1000)});
    // Limit below the stop: the low may have come before the high, so not in the trigger bar.
    h.submit({.id = 8, .type = OrderType::stop_limit, .price = P(980), .stop = P(1000)});
    h.feed(bar(200, P(950), P(1100), P(900), P(1000)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 10, true);
    // Triggered, it now rests as a limit at 9.80.
    h.feed(bar(300, P(990), P(1000), P(985), P(995)));
    EXPECT_EQ(h.fills().size(), 1u);
    h.feed(bar(400, P(990), P(1000), P(970), P(975)));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[1], 8, P(980), 10, true);
    // A sell stop-limit mirrors it: stop 9.00, limit 8.90, triggered inside the bar.
    Harness s(bars_config());
    s.submit({.id = 4,
              .side = Side::sell,
              .type = OrderType::stop_limit,
              .price = P(890),
              .stop = P(900)});
    s.feed(bar(200, P(950), P(960), P(850), P(870)));
    ASSERT_EQ(s.fills().size(), 1u);
    expect_fill(s.fills()[0], 4, P(900), 10, true);
}

TEST(SimVenueBars, TrailingSellChecksTheLevelFromEarlierPricesBeforeRaisingIt) {
    Harness h(bars_config());
    h.submit({.id = 4, .side = Side::sell, .type = OrderType::trailing_stop, .stop = P(100)});
    // The open starts the extreme (10.00, level 9.00); the low 10.50 does not reach it. Had the
    // bar's high been used first (level 11.00), this bar would have triggered.
    h.feed(bar(200, P(1000), P(1200), P(1050), P(1150)));
    EXPECT_TRUE(h.fills().empty());
    // The level is now 12.00 - 1.00 = 11.00; the low 10.90 reaches it.
    h.feed(bar(300, P(1150), P(1180), P(1090), P(1100)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1100), 10, true);
}

TEST(SimVenueBars, TrailingSellGapsDownToTheOpenAndTrailingBuyMirrors) {
    Harness h(bars_config());
    h.submit({.id = 4, .side = Side::sell, .type = OrderType::trailing_stop, .stop = P(100)});
    h.feed(bar(200, P(1000), P(1200), P(1050), P(1150)));
    h.feed(bar(300, P(1000), P(1020), P(950), P(990)));  // opens below the 11.00 level
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 10, true);

    Harness b(bars_config());
    b.submit({.id = 4, .type = OrderType::trailing_stop, .stop = P(100)});
    b.feed(bar(200, P(1000), P(1050), P(800), P(850)));  // level 11.00 not reached; low 8.00
    EXPECT_TRUE(b.fills().empty());
    b.feed(bar(300, P(850), P(920), P(840), P(900)));  // level 9.00: the high 9.20 reaches it
    ASSERT_EQ(b.fills().size(), 1u);
    expect_fill(b.fills()[0], 4, P(900), 10, true);
}

TEST(SimVenueBars, TradesAndQuotesDoNotMatchInBarMode) {
    Harness h(bars_config());
    h.submit({.id = 4});
    h.feed(trade(200, P(1000)));
    h.feed(quote(300, P(999), 100, P(1001), 100));
    EXPECT_TRUE(h.fills().empty());
    EXPECT_EQ(h.venue.resting(), 1u);
}

// --- tick mode ---

TEST(SimVenueTicks, MarketFillsAtTheNextTradePrice) {
    Harness h(ticks_config());
    h.submit({.id = 4, .ts = 100});
    h.feed(trade(100, P(1000)));  // latency 0: a trade at the submit time is eligible
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 10, true);
}

TEST(SimVenueTicks, LimitsFillOnlyOnATradeThroughThemAtTheLimit) {
    Harness h(ticks_config());
    h.submit({.id = 4, .type = OrderType::limit, .price = P(1000)});
    h.submit({.id = 8, .side = Side::sell, .type = OrderType::limit, .price = P(1100)});
    h.feed(trade(200, P(1000)));  // at the buy limit: queue position unknown, no fill
    h.feed(trade(210, P(1100)));  // at the sell limit
    EXPECT_TRUE(h.fills().empty());
    h.feed(trade(300, P(999)));
    h.feed(trade(310, P(1101)));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1000), 10, true);
    expect_fill(h.fills()[1], 8, P(1100), 10, true);
}

TEST(SimVenueTicks, StopsTriggerWhenATradeReachesThemAndFillAtTheTradePrice) {
    Harness h(ticks_config());
    h.submit({.id = 4, .type = OrderType::stop, .stop = P(1100)});
    h.submit({.id = 8, .side = Side::sell, .type = OrderType::stop, .stop = P(900)});
    h.feed(trade(200, P(1099)));
    h.feed(trade(210, P(901)));
    EXPECT_TRUE(h.fills().empty());
    h.feed(trade(300, P(1120)));  // through the buy stop: fills at the trade
    h.feed(trade(310, P(900)));   // reaches the sell stop exactly
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1120), 10, true);
    expect_fill(h.fills()[1], 8, P(900), 10, true);
}

TEST(SimVenueTicks, StopLimitTriggersThenNeedsATradeThroughItsLimit) {
    Harness h(ticks_config());
    h.submit({.id = 4, .type = OrderType::stop_limit, .price = P(1020), .stop = P(1000)});
    h.feed(trade(200, P(1030)));  // triggers, above the limit
    EXPECT_TRUE(h.fills().empty());
    h.feed(trade(300, P(1010)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1020), 10, true);
}

TEST(SimVenueTicks, TrailingStopsFollowTradesAndFillAtTheTriggeringTrade) {
    Harness h(ticks_config());
    h.submit({.id = 4, .side = Side::sell, .type = OrderType::trailing_stop, .stop = P(100)});
    for (std::int64_t cents : {1000, 1150, 1060}) {
        h.feed(trade(200 + cents, P(cents)));
    }
    EXPECT_TRUE(h.fills().empty());  // level 10.50 after 11.50
    h.feed(trade(2000, P(1050)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1050), 10, true);

    Harness b(ticks_config());
    b.submit({.id = 4, .type = OrderType::trailing_stop, .stop = P(100)});
    for (std::int64_t cents : {1000, 850, 940}) {
        b.feed(trade(2000 - cents, P(cents)));
    }
    EXPECT_TRUE(b.fills().empty());  // level 9.50 after 8.50
    b.feed(trade(3000, P(960)));
    ASSERT_EQ(b.fills().size(), 1u);
    expect_fill(b.fills()[0], 4, P(960), 10, true);
}

TEST(SimVenueTicks, QuoteMarketOrdersTakeTheDisplayedSideBoundedByItsSize) {
    Harness h(ticks_config());
    h.submit({.id = 4});
    h.submit({.id = 8, .side = Side::sell, .qty = 3});
    h.feed(quote(200, P(999), 5, P(1001), 4));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1001), 4, false);
    expect_fill(h.fills()[1], 8, P(999), 3, true);
    h.feed(quote(300, P(1000), 5, P(1002), 10));
    ASSERT_EQ(h.fills().size(), 3u);
    expect_fill(h.fills()[2], 4, P(1002), 6, true);
}

TEST(SimVenueTicks, QuoteLimitsFillWhenTheDisplayedPriceIsAtOrBetterAtThatPrice) {
    Harness h(ticks_config());
    h.submit({.id = 4, .type = OrderType::limit, .price = P(1000)});
    h.submit({.id = 8, .side = Side::sell, .type = OrderType::limit, .price = P(1010)});
    h.feed(quote(200, P(1009), 50, P(1001), 50));
    EXPECT_TRUE(h.fills().empty());
    h.feed(quote(300, P(1012), 50, P(999), 50));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(999), 10, true);
    expect_fill(h.fills()[1], 8, P(1012), 10, true);
}

TEST(SimVenueTicks, QuoteStopsTriggerOnTheSideTheyWouldTake) {
    Harness h(ticks_config());
    h.submit({.id = 4, .side = Side::sell, .type = OrderType::stop, .stop = P(900)});
    h.feed(quote(200, P(901), 50, P(899), 50));  // the ask is below, but a sell hits the bid
    EXPECT_TRUE(h.fills().empty());
    h.feed(quote(300, P(895), 50, P(897), 50));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(895), 10, true);
}

TEST(SimVenueTicks, AOneSidedQuoteFillsNothingOnItsEmptySide) {
    Harness h(ticks_config());
    h.submit({.id = 4});
    h.feed(quote(200, P(999), 50, Price{}, 0));
    EXPECT_TRUE(h.fills().empty());
    h.feed(quote(300, P(999), 50, P(1001), 0));
    EXPECT_TRUE(h.fills().empty());
    EXPECT_EQ(h.venue.resting(), 1u);
}

// What a quote file without size columns gave before issue 18 (sizes 0): the market order rests
// for ever. With the "size unknown" marker it fills at the touch in full.
TEST(SimVenueTicks, AQuoteOfUnknownSizeFillsMarketOrdersAtTheTouchInFull) {
    Harness zero(ticks_config());
    zero.submit({.id = 4, .qty = 1'000'000});
    zero.feed(quote(200, P(999), 0, P(1001), 0));
    EXPECT_TRUE(zero.fills().empty());
    EXPECT_EQ(zero.venue.resting(), 1u);

    SimVenueConfig c = ticks_config();
    c.buying_power = Money::from_units(1'000'000'000);
    Harness h(c);
    h.submit({.id = 4, .qty = 1'000'000});
    h.submit({.id = 8, .side = Side::sell, .type = OrderType::limit, .qty = 7, .price = P(998)});
    Event q = quote(200, P(999), 0, P(1001), 0);
    q.payload.quote.bid_size = engine::kSizeUnknown;
    q.payload.quote.ask_size = engine::kSizeUnknown;
    h.feed(q);
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1001), 1'000'000, true);
    expect_fill(h.fills()[1], 8, P(999), 7, true);  // marketable: at the bid, in full
    EXPECT_EQ(h.venue.resting(), 0u);
}

TEST(SimVenueTicks, AParticipationCapCannotApplyToATradeOfUnknownSize) {
    SimVenueConfig c = ticks_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .qty = 50});
    Event t = trade(200, P(1000));
    t.payload.trade.size = engine::kSizeUnknown;
    h.feed(t);
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 50, true);
    // A size of 0 actually written still means none.
    h.submit({.id = 8, .qty = 5, .ts = 200});
    h.feed(trade(300, P(1000), 0));
    EXPECT_EQ(h.fills().size(), 1u);
}

// A bar file without volume: the marker, not 0, so a participation cap (which would make the
// pool 0 and leave the order resting for ever) cannot apply; 0 written still means none.
TEST(SimVenueBars, AParticipationCapCannotApplyToABarOfUnknownVolume) {
    SimVenueConfig c = bars_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .qty = 50});
    Event b = bar(200, P(1000), P(1010), P(990), P(1000));
    b.payload.bar.volume = engine::kSizeUnknown;
    h.feed(b);
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 50, true);
    h.submit({.id = 8, .qty = 5, .ts = 200});
    h.feed(bar(300, P(1000), P(1010), P(990), P(1000), 0));
    EXPECT_EQ(h.fills().size(), 1u);
}

TEST(SimVenueTicks, BarsDoNotMatchInTickMode) {
    Harness h(ticks_config());
    h.submit({.id = 4});
    h.feed(bar(200, P(1000), P(1010), P(990), P(1000)));
    EXPECT_TRUE(h.fills().empty());
}

TEST(SimVenueTicks, PerEventModeMatchesEachEventByItsOwnKind) {
    SimVenueConfig c;
    c.mode = MatchMode::per_event;
    Harness h(c);
    h.submit({.id = 4, .symbol = 0});
    h.submit({.id = 8, .symbol = 1});
    h.feed(bar(200, P(1000), P(1010), P(990), P(1000), 1000, 0));
    h.feed(trade(300, P(2000), 1000, 1));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1000), 10, true);
    expect_fill(h.fills()[1], 8, P(2000), 10, true);
}

// --- time in force ---

TEST(SimVenueTif, ASymbolsSessionCloseExpiresAndClosesThatSymbolOnly) {
    Harness h(bars_config());
    h.submit({.id = 4, .type = OrderType::limit, .price = P(500), .tif = TimeInForce::day});
    h.submit(
        {.id = 8, .type = OrderType::limit, .price = P(500), .tif = TimeInForce::day, .symbol = 1});
    Event close = timer(1000, TimerKind::session_close);
    close.header.symbol = 1;  // symbol 1's session ends; symbol 0 trades on
    h.feed(close);
    const auto cancels = h.of(EventType::venue_cancel);
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels[0].payload.order.order_id, 8u);
    EXPECT_FALSE(h.venue.is_open(1));
    EXPECT_TRUE(h.venue.is_open(0));
    h.submit({.id = 12, .ts = 1100});  // symbol 0: accepted
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    h.submit({.id = 16, .ts = 1100, .symbol = 1});  // symbol 1: closed
    EXPECT_EQ(h.last().payload.order.reason, Reason::venue_closed);
    Event open = timer(2000, TimerKind::session_open);
    open.header.symbol = 1;
    h.feed(open);
    h.submit({.id = 20, .ts = 2000, .symbol = 1});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
}

TEST(SimVenueTif, DayOrdersExpireAtSessionCloseAndGtcOrdersRest) {
    Harness h(bars_config());
    h.submit({.id = 4, .type = OrderType::limit, .price = P(500), .tif = TimeInForce::day});
    h.submit({.id = 8, .type = OrderType::limit, .price = P(500), .tif = TimeInForce::gtc});
    h.feed(timer(900, TimerKind::bar_close));  // other timers change nothing
    EXPECT_EQ(h.venue.resting(), 2u);
    h.feed(timer(1000, TimerKind::session_close));
    const auto cancels = h.of(EventType::venue_cancel);
    ASSERT_EQ(cancels.size(), 1u);
    EXPECT_EQ(cancels[0].payload.order.order_id, 4u);
    EXPECT_EQ(cancels[0].payload.order.reason, Reason::expired_day);
    EXPECT_EQ(cancels[0].payload.order.status, OrderStatus::expired);
    EXPECT_EQ(cancels[0].header.ts_ns, 1000);
    EXPECT_EQ(cancels[0].header.aux, kStrategy);
    ASSERT_EQ(h.venue.open_orders().size(), 1u);
    EXPECT_EQ(h.venue.open_orders()[0].order_id, 8u);
}

TEST(SimVenueTif, IocFillsWhatItCanOnItsFirstEligibleEventAndCancelsTheRest) {
    SimVenueConfig c = bars_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .tif = TimeInForce::ioc});
    h.submit({.id = 8, .type = OrderType::limit, .price = P(500), .tif = TimeInForce::ioc});
    h.feed(bar(200, P(1000), P(1010), P(990), P(1000), 40));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 4, false);
    const auto cancels = h.of(EventType::venue_cancel);
    ASSERT_EQ(cancels.size(), 2u);
    EXPECT_EQ(cancels[0].payload.order.order_id, 4u);
    EXPECT_EQ(cancels[0].payload.order.reason, Reason::ioc_remainder);
    EXPECT_EQ(cancels[1].payload.order.order_id, 8u);  // its limit was out of reach
    EXPECT_EQ(cancels[1].payload.order.reason, Reason::ioc_remainder);
    EXPECT_EQ(h.venue.resting(), 0u);
}

TEST(SimVenueTif, FokFillsCompletelyOnItsFirstEventOrIsCanceledEntirely) {
    SimVenueConfig c = bars_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .qty = 10, .tif = TimeInForce::fok});
    h.feed(bar(200, P(1000), P(1010), P(990), P(1000), 90));  // 9 available
    EXPECT_TRUE(h.fills().empty());
    ASSERT_EQ(h.of(EventType::venue_cancel).size(), 1u);
    EXPECT_EQ(h.last().payload.order.reason, Reason::fok_unfillable);
    h.submit({.id = 8, .qty = 9, .tif = TimeInForce::fok, .ts = 200});
    h.feed(bar(300, P(1000), P(1010), P(990), P(1000), 90));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 8, P(1000), 9, true);
    EXPECT_EQ(h.venue.resting(), 0u);
}

// --- slippage ---

TEST(SimVenueSlippage, FixedBpsMovesEveryFillAgainstTheOrder) {
    SimVenueConfig c = bars_config();
    c.slippage = SlippageModel::fixed_bps;
    c.slippage_bps = R("10");
    Harness h(c);
    h.submit({.id = 4});
    h.submit({.id = 8, .side = Side::sell});
    h.feed(bar(200, P(10000), P(10100), P(9900), P(10000)));
    ASSERT_EQ(h.fills().size(), 2u);
    EXPECT_EQ(h.fills()[0].payload.fill.price, P(10010));
    EXPECT_EQ(h.fills()[1].payload.fill.price, P(9990));
}

TEST(SimVenueSlippage, SizeBasedGrowsWithTheShareOfVolumeTaken) {
    SimVenueConfig c = bars_config();
    c.slippage = SlippageModel::size_based;
    c.slippage_bps_per_pct = R("2");
    Harness h(c);
    h.submit({.id = 4, .qty = 10});   // 1% of 1000: 2 bps
    h.submit({.id = 8, .qty = 100});  // 10%: 20 bps
    h.feed(bar(200, P(10000), P(10100), P(9900), P(10000), 1000));
    ASSERT_EQ(h.fills().size(), 2u);
    EXPECT_EQ(h.fills()[0].payload.fill.price, P(10002));
    EXPECT_EQ(h.fills()[1].payload.fill.price, P(10020));
}

TEST(SimVenueSlippage, VolatilityScalesTheBarsRangeOverItsClose) {
    SimVenueConfig c = bars_config();
    c.slippage = SlippageModel::volatility;
    c.volatility_k = R("0.1");
    Harness h(c);
    h.submit({.id = 4});
    // (102 - 98) / 100 = 4%; k 0.1 -> 0.4% of the 100.00 open = 0.40.
    h.feed(bar(200, P(10000), P(10200), P(9800), P(10000)));
    ASSERT_EQ(h.fills().size(), 1u);
    EXPECT_EQ(h.fills()[0].payload.fill.price, P(10040));
}

TEST(SimVenueSlippage, VolatilityInTickModeUsesTheQuoteSpreadAndIsZeroForTrades) {
    SimVenueConfig c = ticks_config();
    c.slippage = SlippageModel::volatility;
    c.volatility_k = R("0.5");
    Harness h(c);
    h.submit({.id = 4});
    h.feed(trade(200, P(10000)));
    ASSERT_EQ(h.fills().size(), 1u);
    EXPECT_EQ(h.fills()[0].payload.fill.price, P(10000));
    h.submit({.id = 8, .ts = 200});
    // Spread 2.00 over mid 100.00 = 2%; k 0.5 -> 1% of the 101.00 ask = 1.01.
    h.feed(quote(300, P(9900), 50, P(10100), 50));
    ASSERT_EQ(h.fills().size(), 2u);
    EXPECT_EQ(h.fills()[1].payload.fill.price, P(10201));
}

TEST(SimVenueSlippage, ASlippedLimitFillNeverCrossesItsLimit) {
    SimVenueConfig c = bars_config();
    c.slippage = SlippageModel::fixed_bps;
    c.slippage_bps = R("100");
    Harness h(c);
    h.submit({.id = 4, .type = OrderType::limit, .price = P(1000)});
    h.submit({.id = 8, .type = OrderType::limit, .price = P(1000)});
    h.feed(bar(200, P(995), P(1000), P(990), P(995), 1000, 1));  // symbol 1: nothing
    h.feed(bar(200, P(900), P(905), P(890), P(900)));            // gap: 9.00 + 1% = 9.09
    ASSERT_EQ(h.fills().size(), 2u);
    EXPECT_EQ(h.fills()[0].payload.fill.price, P(909));
    h.submit({.id = 12, .type = OrderType::limit, .price = P(1000), .ts = 200});
    h.feed(bar(300, P(995), P(1000), P(990), P(995)));  // 9.95 + 1% would cross 10.00
    ASSERT_EQ(h.fills().size(), 3u);
    EXPECT_EQ(h.fills()[2].payload.fill.price, P(1000));
}

// --- latency ---

TEST(SimVenueLatency, AnOrderIsEligibleExactlyFromSubmitPlusLatency) {
    SimVenueConfig c = ticks_config();
    c.latency_ns = 500;
    Harness h(c);
    h.submit({.id = 4, .ts = 1000});
    ASSERT_EQ(h.replies.posted.size(), 1u);
    EXPECT_EQ(h.last().header.ts_ns, 1500);  // the ack carries the latency
    h.feed(trade(1499, P(1000)));
    EXPECT_TRUE(h.fills().empty());
    h.feed(trade(1500, P(1001)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1001), 10, true);
}

TEST(SimVenueLatency, JitterComesFromTheSeedAndTheBoundaryFollowsIt) {
    SimVenueConfig c = ticks_config();
    c.latency_ns = 1000;
    c.latency_jitter_ns = 999;
    auto acks = [&](std::uint64_t seed) {
        Harness h(c, seed);
        std::vector<std::int64_t> latencies;
        for (std::uint64_t i = 1; i <= 32; ++i) {
            h.submit({.id = i * 4, .type = OrderType::limit, .price = P(1), .ts = 10'000});
            latencies.push_back(h.last().header.ts_ns - 10'000);
        }
        return latencies;
    };
    const auto a = acks(42);
    EXPECT_EQ(a, acks(42));
    EXPECT_NE(a, acks(43));
    for (std::int64_t l : a) {
        EXPECT_GE(l, 1000);
        EXPECT_LE(l, 1999);
    }
    // The boundary is the drawn latency, exactly.
    Harness h(c, 42);
    h.submit({.id = 4, .ts = 10'000});
    const std::int64_t eligible = h.last().header.ts_ns;
    EXPECT_EQ(eligible - 10'000, a[0]);
    h.feed(trade(eligible - 1, P(1000)));
    EXPECT_TRUE(h.fills().empty());
    h.feed(trade(eligible, P(1000)));
    EXPECT_EQ(h.fills().size(), 1u);
}

TEST(SimVenueLatency, InBarModeTheBarMustAlsoBeStampedAtOrAfterTheLatency) {
    SimVenueConfig c = bars_config();
    c.latency_ns = 5000;
    Harness h(c);
    h.submit({.id = 4, .ts = 1000});
    h.feed(bar(5999, P(1000), P(1010), P(990), P(1000)));
    EXPECT_TRUE(h.fills().empty());
    h.feed(bar(6000, P(1001), P(1010), P(990), P(1000)));
    ASSERT_EQ(h.fills().size(), 1u);
    EXPECT_EQ(h.fills()[0].payload.fill.price, P(1001));
}

// --- partial fills ---

TEST(SimVenuePartials, TheParticipationCapBoundsEachEventAndTheRemainderRests) {
    SimVenueConfig c = bars_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .type = OrderType::limit, .qty = 10, .price = P(1000)});
    h.feed(bar(200, P(1000), P(1010), P(990), P(1000), 30));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 3, false);
    ASSERT_EQ(h.venue.open_orders().size(), 1u);
    EXPECT_EQ(h.venue.open_orders()[0].filled, Q(3));
    h.feed(bar(300, P(1000), P(1010), P(990), P(1000), 0));  // no volume: nothing under a cap
    EXPECT_EQ(h.fills().size(), 1u);
    h.feed(bar(400, P(990), P(1010), P(980), P(1000), 1000));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[1], 4, P(990), 7, true);
    EXPECT_EQ(h.venue.resting(), 0u);
}

TEST(SimVenuePartials, OrdersFilledFromOneEventShareItsCap) {
    SimVenueConfig c = ticks_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .qty = 5});
    h.submit({.id = 8, .side = Side::sell, .qty = 5});
    h.feed(trade(200, P(1000), 60));  // 6 for everyone
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[0], 4, P(1000), 5, true);
    expect_fill(h.fills()[1], 8, P(1000), 1, false);
}

TEST(SimVenuePartials, AtMostMaxFillsPerEventOrdersFillFromOneEventInIdOrder) {
    SimVenueConfig c = bars_config();
    c.max_fills_per_event = 2;
    Harness h(c);
    h.submit({.id = 12});
    h.submit({.id = 4});
    h.submit({.id = 8});
    h.feed(bar(200, P(1000), P(1010), P(990), P(1000)));
    ASSERT_EQ(h.fills().size(), 2u);
    EXPECT_EQ(h.fills()[0].payload.fill.order_id, 4u);
    EXPECT_EQ(h.fills()[1].payload.fill.order_id, 8u);
    h.feed(bar(300, P(1005), P(1010), P(990), P(1000)));
    ASSERT_EQ(h.fills().size(), 3u);
    expect_fill(h.fills()[2], 12, P(1005), 10, true);
}

TEST(SimVenuePartials, MaxRepliesPerEventBoundsEveryCallAndCanBeReached) {
    SimVenueConfig c = ticks_config();
    c.resting_capacity = 4;
    c.max_fills_per_event = 2;
    Harness h(c);
    EXPECT_EQ(h.venue.max_replies_per_event(), 6u);
    EXPECT_EQ(SimVenue::max_replies_per_event(c), 6u);
    // Two IOC limits out of reach (two cancels), then two IOC market orders larger than the
    // quote (two partial fills and two remainder cancels): six replies from one quote.
    h.submit({.id = 4, .type = OrderType::limit, .price = P(1), .tif = TimeInForce::ioc});
    h.submit({.id = 8, .type = OrderType::limit, .price = P(1), .tif = TimeInForce::ioc});
    h.submit({.id = 12, .qty = 20, .tif = TimeInForce::ioc});
    h.submit({.id = 16, .side = Side::sell, .qty = 20, .tif = TimeInForce::ioc});
    std::size_t before = h.replies.posted.size();
    h.feed(quote(200, P(999), 15, P(1001), 15));
    EXPECT_EQ(h.replies.posted.size() - before, h.venue.max_replies_per_event());
    EXPECT_EQ(h.fills().size(), 2u);
    // A mass cancel posts one cancel per resting order: at most the capacity.
    for (std::uint64_t id : {20, 24, 28, 32})
        h.submit({.id = id, .type = OrderType::limit, .price = P(1), .ts = 200});
    before = h.replies.posted.size();
    h.venue.submit(cancel_of(0, 300, engine::kNoSymbol));
    EXPECT_EQ(h.replies.posted.size() - before, 4u);
}

// --- commission ---

TEST(SimVenueCommission, PerShareChargesAtLeastTheMinimumPerFill) {
    SimVenueConfig c = ticks_config();
    c.commission = CommissionModel::per_share;
    c.commission_per_share = Money::from_raw(5'000'000);  // 0.005
    c.commission_min = M(100);
    Harness h(c);
    h.submit({.id = 4, .qty = 100});
    h.submit({.id = 8, .qty = 1000});
    h.feed(trade(200, P(1000)));
    ASSERT_EQ(h.fills().size(), 2u);
    EXPECT_EQ(h.fills()[0].payload.fill.fee, M(100));  // 0.50 raised to the 1.00 minimum
    EXPECT_EQ(h.fills()[1].payload.fill.fee, M(500));
    // Cash pays for the shares and the fees.
    EXPECT_EQ(h.venue.cash(), c.buying_power - M(1'100'000) - M(600));
}

TEST(SimVenueCommission, BpsOfNotionalIsExact) {
    SimVenueConfig c = ticks_config();
    c.commission = CommissionModel::bps;
    c.commission_bps = R("1");
    Harness h(c);
    h.submit({.id = 4, .qty = 3});
    h.feed(trade(200, Price::from_raw(4'115'226'000'000)));  // 4115.226 x 3 = 12345.678
    ASSERT_EQ(h.fills().size(), 1u);
    EXPECT_EQ(h.fills()[0].payload.fill.fee, Money::from_raw(1'234'567'800));
    EXPECT_EQ(adapters::commission(c, P(100), Q(1)), Money::from_raw(100'000));  // 0.0001
}

// --- rejects ---

TEST(SimVenueRejects, ABuyBeyondCashLessRestingCommitmentsIsRejected) {
    SimVenueConfig c = ticks_config();
    c.buying_power = M(100'000);  // 1000.00
    Harness h(c);
    h.submit({.id = 4, .type = OrderType::limit, .qty = 10, .price = P(10000)});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    EXPECT_EQ(h.venue.buying_power(), Money{});
    h.submit({.id = 8, .type = OrderType::limit, .qty = 1, .price = P(1)});
    EXPECT_EQ(h.last().header.type, EventType::venue_reject);
    EXPECT_EQ(h.last().payload.order.reason, Reason::insufficient_buying_power);
    EXPECT_EQ(h.last().payload.order.order_id, 8u);
    EXPECT_EQ(h.last().header.aux, kStrategy);
    // Canceling the first frees its commitment.
    h.venue.submit(cancel_of(4, 200));
    EXPECT_EQ(h.venue.buying_power(), M(100'000));
    // A market buy is valued at the last price.
    h.feed(trade(300, P(20000), 1000, 0));
    h.submit({.id = 12, .qty = 6, .ts = 300});
    EXPECT_EQ(h.last().payload.order.reason, Reason::insufficient_buying_power);
    h.submit({.id = 16, .qty = 5, .ts = 300});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
}

TEST(SimVenueRejects, SellingALongIsAlwaysAllowedAndShortingIsBoundByBuyingPower) {
    SimVenueConfig c = ticks_config();
    c.buying_power = M(100'000);  // 1000.00
    Harness h(c);
    h.submit({.id = 4, .qty = 10});
    h.feed(trade(200, P(10000)));  // long 10 at 100: cash 0
    EXPECT_EQ(h.venue.cash(), Money{});
    h.submit({.id = 8, .side = Side::sell, .qty = 10, .ts = 200});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    // The long is claimed by order 8, so another sell would open a short: refused.
    h.submit({.id = 12, .side = Side::sell, .qty = 1, .ts = 200});
    EXPECT_EQ(h.last().payload.order.reason, Reason::insufficient_buying_power);
    h.feed(trade(300, P(10000)));  // flat again, cash 1000
    EXPECT_EQ(h.venue.position_raw(0), 0);
    // A short of 1000.00 fits; proceeds do not buy more: buying power is then 0.
    h.submit({.id = 16, .side = Side::sell, .qty = 10, .ts = 300});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    h.feed(trade(400, P(10000)));
    EXPECT_EQ(h.venue.buying_power(), Money{});
    h.submit({.id = 20, .side = Side::sell, .qty = 1, .ts = 400});
    EXPECT_EQ(h.last().payload.order.reason, Reason::insufficient_buying_power);
    // Covering is always allowed, and gives the buying power back.
    h.submit({.id = 24, .qty = 10, .ts = 400});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    h.feed(trade(500, P(9000)));
    EXPECT_EQ(h.venue.position_raw(0), 0);
    EXPECT_EQ(h.venue.buying_power(), M(110'000));  // 100.00 profit on the short
}

TEST(SimVenueRejects, OrdersBetweenSessionCloseAndTheNextOpenAreRejectedVenueClosed) {
    Harness h(bars_config());
    h.submit({.id = 4, .type = OrderType::limit, .price = P(500)});  // open before any timer
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    h.feed(timer(1000, TimerKind::session_close));
    EXPECT_FALSE(h.venue.is_open());
    h.submit({.id = 8, .ts = 1100});
    EXPECT_EQ(h.last().header.type, EventType::venue_reject);
    EXPECT_EQ(h.last().payload.order.reason, Reason::venue_closed);
    h.venue.submit(replace_of(4, 1100, P(600), 10));
    EXPECT_EQ(h.last().payload.order.reason, Reason::venue_closed);
    // Nothing matches while closed.
    h.feed(bar(1200, P(400), P(410), P(390), P(400)));
    EXPECT_TRUE(h.fills().empty());
    // Cancels are still served.
    h.venue.submit(cancel_of(4, 1300));
    EXPECT_EQ(h.last().payload.order.reason, Reason::canceled_on_request);
    h.feed(timer(2000, TimerKind::session_open));
    h.submit({.id = 12, .ts = 2000});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
}

TEST(SimVenueRejects, ANewOrderBeyondRestingCapacityIsRejectedVenueFull) {
    SimVenueConfig c = bars_config();
    c.resting_capacity = 2;
    Harness h(c);
    h.submit({.id = 4});
    h.submit({.id = 8});
    h.submit({.id = 12});
    EXPECT_EQ(h.last().header.type, EventType::venue_reject);
    EXPECT_EQ(h.last().payload.order.reason, Reason::venue_full);
    EXPECT_EQ(h.venue.resting(), 2u);
}

TEST(SimVenueRejects, CancelAndReplaceOfAnUnknownIdAreRejected) {
    Harness h(bars_config());
    h.venue.submit(cancel_of(44, 100));
    EXPECT_EQ(h.last().header.type, EventType::venue_reject);
    EXPECT_EQ(h.last().payload.order.reason, Reason::venue_unknown_order);
    EXPECT_EQ(h.last().payload.order.action, OrderAction::cancel);
    h.venue.submit(replace_of(44, 100, P(100), 1));
    EXPECT_EQ(h.last().payload.order.reason, Reason::venue_unknown_order);
    EXPECT_EQ(h.last().payload.order.action, OrderAction::replace);
}

TEST(SimVenueRejects, MalformedOrdersAreRejectedInvalid) {
    Harness h(bars_config());
    h.submit({.id = 4, .qty = 0});
    EXPECT_EQ(h.last().payload.order.reason, Reason::invalid_order);
    h.submit({.id = 8, .type = OrderType::limit});  // no limit price
    EXPECT_EQ(h.last().payload.order.reason, Reason::invalid_order);
    h.submit({.id = 12, .type = OrderType::trailing_stop});  // no trail
    EXPECT_EQ(h.last().payload.order.reason, Reason::invalid_order);
    h.submit({.id = 16, .symbol = 5000});
    EXPECT_EQ(h.last().payload.order.reason, Reason::unknown_symbol);
    EXPECT_EQ(h.venue.resting(), 0u);
}

// --- cancel, mass cancel, replace, open orders ---

TEST(SimVenueOrders, CancelRemovesTheOrderAndRepliesAfterTheLatency) {
    SimVenueConfig c = bars_config();
    c.latency_ns = 50;
    Harness h(c);
    h.submit({.id = 4, .type = OrderType::limit, .price = P(500)});
    h.venue.submit(cancel_of(4, 200));
    const Event& r = h.last();
    EXPECT_EQ(r.header.type, EventType::venue_cancel);
    EXPECT_EQ(r.header.ts_ns, 250);
    EXPECT_EQ(r.header.aux, kStrategy);
    EXPECT_EQ(r.payload.order.order_id, 4u);
    EXPECT_EQ(r.payload.order.reason, Reason::canceled_on_request);
    EXPECT_EQ(r.payload.order.status, OrderStatus::canceled);
    EXPECT_EQ(h.venue.resting(), 0u);
    h.feed(bar(300, P(400), P(410), P(390), P(400)));
    EXPECT_TRUE(h.fills().empty());
}

TEST(SimVenueOrders, MassCancelCancelsEveryRestingOrderInIdOrder) {
    Harness h(bars_config());
    h.submit({.id = 8, .type = OrderType::limit, .price = P(500), .symbol = 1});
    h.submit({.id = 4, .type = OrderType::limit, .price = P(500)});
    h.venue.submit(cancel_of(0, 200, engine::kNoSymbol));
    const auto cancels = h.of(EventType::venue_cancel);
    ASSERT_EQ(cancels.size(), 2u);
    EXPECT_EQ(cancels[0].payload.order.order_id, 4u);
    EXPECT_EQ(cancels[1].payload.order.order_id, 8u);
    EXPECT_EQ(cancels[1].header.symbol, 1u);
    EXPECT_EQ(h.venue.resting(), 0u);
    EXPECT_EQ(h.venue.buying_power(), h.venue.config().buying_power);
}

TEST(SimVenueOrders, ReplaceChangesPriceAndQuantityButNotBelowWhatFilled) {
    SimVenueConfig c = bars_config();
    c.participation = R("0.1");
    Harness h(c);
    h.submit({.id = 4, .type = OrderType::limit, .qty = 10, .price = P(900)});
    h.venue.submit(replace_of(4, 150, P(1000), 20));
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    EXPECT_EQ(h.last().payload.order.action, OrderAction::replace);
    EXPECT_EQ(h.last().payload.order.price, P(1000));
    EXPECT_EQ(h.last().payload.order.quantity, Q(20));
    h.feed(bar(200, P(1000), P(1010), P(950), P(1000), 50));  // reaches 10.00, not 9.00
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(1000), 5, false);
    h.venue.submit(replace_of(4, 250, P(1000), 5));  // not above what filled
    EXPECT_EQ(h.last().header.type, EventType::venue_reject);
    EXPECT_EQ(h.last().payload.order.reason, Reason::invalid_order);
    h.venue.submit(replace_of(4, 250, P(1000), 8));
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    h.feed(bar(300, P(1000), P(1010), P(950), P(1000), 1000));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[1], 4, P(1000), 3, true);
}

TEST(SimVenueOrders, ReplaceIsCheckedAgainstBuyingPowerAndKeepsTheOrderWhenRefused) {
    SimVenueConfig c = bars_config();
    c.buying_power = M(100'000);
    Harness h(c);
    h.submit({.id = 4, .type = OrderType::limit, .qty = 10, .price = P(5000)});
    h.venue.submit(replace_of(4, 150, P(5000), 21));
    EXPECT_EQ(h.last().payload.order.reason, Reason::insufficient_buying_power);
    ASSERT_EQ(h.venue.open_orders().size(), 1u);
    EXPECT_EQ(h.venue.open_orders()[0].quantity, Q(10));
    EXPECT_EQ(h.venue.buying_power(), M(50'000));
    h.venue.submit(replace_of(4, 150, P(5000), 20));
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    EXPECT_EQ(h.venue.buying_power(), Money{});
}

TEST(SimVenueOrders, OpenOrdersReportsEveryRestingOrderWithWhatFilled) {
    SimVenueConfig c = ticks_config();
    c.participation = R("0.5");
    Harness h(c);
    h.submit({.id = 8,
              .side = Side::sell,
              .type = OrderType::stop_limit,
              .qty = 7,
              .price = P(890),
              .stop = P(900),
              .symbol = 1});
    h.submit({.id = 4, .type = OrderType::limit, .qty = 10, .price = P(1000)});
    h.feed(trade(200, P(990), 8));  // 4 of the buy fill
    const auto open = h.venue.open_orders();
    ASSERT_EQ(open.size(), 2u);
    EXPECT_EQ(open[0].order_id, 4u);
    EXPECT_EQ(open[0].symbol, 0u);
    EXPECT_EQ(open[0].side, Side::buy);
    EXPECT_EQ(open[0].type, OrderType::limit);
    EXPECT_EQ(open[0].price, P(1000));
    EXPECT_EQ(open[0].quantity, Q(10));
    EXPECT_EQ(open[0].filled, Q(4));
    EXPECT_EQ(open[1].order_id, 8u);
    EXPECT_EQ(open[1].symbol, 1u);
    EXPECT_EQ(open[1].side, Side::sell);
    EXPECT_EQ(open[1].type, OrderType::stop_limit);
    EXPECT_EQ(open[1].price, P(890));
    EXPECT_EQ(open[1].stop_price, P(900));
    EXPECT_EQ(open[1].filled, Quantity{});
}

// --- determinism ---

// A session that exercises jitter, partial fills, slippage, commission, every order type and
// both timers; returns the reply stream.
std::vector<Event> scripted_session(std::uint64_t seed) {
    SimVenueConfig c;
    c.mode = MatchMode::per_event;
    c.latency_ns = 100;
    c.latency_jitter_ns = 400;
    c.participation = R("0.25");
    c.slippage = SlippageModel::size_based;
    c.slippage_bps_per_pct = R("0.7");
    c.commission = CommissionModel::bps;
    c.commission_bps = R("0.35");
    c.commission_min = M(1);
    Harness h(c, seed);
    std::int64_t ts = 1000;
    std::uint64_t id = 4;
    for (int step = 0; step < 400; ++step) {
        ts += 250;
        const std::int64_t base = 10000 + (step * 37) % 300 - 150;
        if (step % 100 == 99) {
            h.feed(timer(ts, TimerKind::session_close));
            h.feed(timer(ts + 1, TimerKind::session_open));
        }
        if (step % 3 == 0) {
            const auto type = static_cast<OrderType>(1 + step % 5);
            const Side side = step % 2 == 0 ? Side::buy : Side::sell;
            h.submit({.id = id,
                      .side = side,
                      .type = type,
                      .qty = 1 + step % 17,
                      .price = P(base + (side == Side::buy ? -20 : 20)),
                      .stop = P(step % 5 == 4 ? 30 : base),
                      .tif = static_cast<TimeInForce>(1 + step % 4),
                      .ts = ts,
                      .symbol = static_cast<engine::SymbolId>(step % 2)});
            id += 4;
        }
        if (step % 11 == 0)
            h.venue.submit(cancel_of(id - 8, ts));
        if (step % 13 == 0)
            h.venue.submit(replace_of(id - 4, ts, P(base), 20));
        h.feed(trade(ts + 10, P(base + step % 7), 30 + step % 50, 1));
        h.feed(bar(ts + 20, P(base), P(base + 60), P(base - 60), P(base + 5), 40 + step % 30, 0));
        h.feed(quote(ts + 30, P(base - 3), 5, P(base + 3), 5));
    }
    return h.replies.posted;
}

TEST(SimVenueDeterminism, TwoRunsOfTheSameSessionPostByteIdenticalReplies) {
    const auto a = scripted_session(99);
    const auto b = scripted_session(99);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_GT(a.size(), 200u);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(Event)), 0);
    // The stream covers what it claims to: fills, partials, cancels and rejects all occur.
    std::size_t fills = 0, partials = 0, cancels = 0;
    for (const Event& e : a) {
        if (e.header.type == EventType::venue_fill) {
            ++fills;
            partials += e.payload.fill.flags == 0 ? 1 : 0;
        }
        cancels += e.header.type == EventType::venue_cancel ? 1 : 0;
    }
    EXPECT_GT(fills, 20u);
    EXPECT_GT(partials, 5u);
    EXPECT_GT(cancels, 5u);
    // Another seed draws other latencies, so other reply times.
    const auto other = scripted_session(100);
    EXPECT_TRUE(other.size() != a.size() ||
                std::memcmp(a.data(), other.data(), a.size() * sizeof(Event)) != 0);
}

// --- configuration ---

TEST(SimVenueConfig, ValidateListsEveryProblemAtOnce) {
    EXPECT_TRUE(adapters::validate(SimVenueConfig{}).empty());
    SimVenueConfig c;
    c.resting_capacity = 0;
    c.max_fills_per_event = 0;
    c.participation = R("1.5");
    c.latency_jitter_ns = -1;
    const auto problems = adapters::validate(c);
    ASSERT_EQ(problems.size(), 4u);
    EXPECT_EQ(problems[0].rfind("resting_capacity:", 0), 0u);
    EXPECT_EQ(problems[1].rfind("max_fills_per_event:", 0), 0u);
    EXPECT_EQ(problems[2].rfind("participation:", 0), 0u);
    EXPECT_EQ(problems[3].rfind("latency_jitter_ns:", 0), 0u);
}

// --- hot path ---

class CountingReplies final : public engine::ReplySink {
  public:
    void post(const Event&) noexcept override { ++posted; }
    std::size_t posted = 0;
};

TEST(SimVenueHotPath, SubmitAndMarketDataAllocateNothingAfterConstruction) {
    if (!engine::alloc_guard_linked())
        GTEST_SKIP() << "this build does not link the allocation guard";
    SimVenueConfig c;
    c.mode = MatchMode::per_event;
    c.resting_capacity = 64;
    c.participation = R("0.1");
    CountingReplies replies;
    SimVenue venue(replies, c, 5);
    engine::HotScope hot;  // any allocation from here on aborts the test binary
    std::uint64_t id = 4;
    for (int round = 0; round < 4; ++round) {
        for (int i = 0; i < 70; ++i, id += 4) {  // beyond capacity: venue_full rejects too
            venue.submit(order({.id = id,
                                .side = i % 2 ? Side::sell : Side::buy,
                                .type = static_cast<OrderType>(1 + i % 5),
                                .qty = 5,
                                .price = P(1000),
                                .stop = P(100),
                                .ts = 100 * round}));
        }
        venue.submit(replace_of(id - 8, 100 * round, P(1001), 6));
        venue.submit(cancel_of(id - 12, 100 * round));
        venue.on_market_data(trade(100 * round + 10, P(990), 500));
        venue.on_market_data(bar(100 * round + 20, P(1000), P(1200), P(800), P(1000), 500));
        venue.on_market_data(timer(100 * round + 30, TimerKind::session_close));
        venue.on_market_data(timer(100 * round + 40, TimerKind::session_open));
        venue.submit(cancel_of(0, 100 * round + 50, engine::kNoSymbol));
    }
    EXPECT_GT(replies.posted, 280u);
}

// --- alert prices ---

Event alert_at(std::int64_t ts, Price price, engine::SymbolId symbol = 0) {
    Event e = engine::make_event(EventType::alert, engine::Source::webhook, 0, ts, symbol);
    e.payload.alert.action = engine::AlertAction::buy;
    e.payload.alert.price = price;
    return e;
}

TEST(SimVenueAlerts, AMarketOrderFillsOnArrivalAtTheLastAlertPriceOfASymbolWithoutMarketData) {
    Harness h(bars_config());  // alert prices follow the tick rules in any mode
    h.feed(alert_at(100, P(1050)));
    h.submit({.id = 4, .ts = 100});
    ASSERT_EQ(h.replies.posted.size(), 2u);
    EXPECT_EQ(h.replies.posted[0].header.type, EventType::venue_ack);
    expect_fill(h.replies.posted[1], 4, P(1050), 10, true);
    EXPECT_EQ(h.replies.posted[1].header.ts_ns, 100);
    EXPECT_EQ(h.venue.position_raw(0), Q(10).raw);
}

TEST(SimVenueAlerts, ALaterAlertsPriceFillsRestingLimitsAndTriggersStops) {
    Harness h(ticks_config());
    h.feed(alert_at(100, P(1000)));
    // A bracket's exits on a long: a take-profit limit above, a stop-loss below.
    h.submit({.id = 5, .side = Side::sell, .type = OrderType::limit, .price = P(1100)});
    h.submit({.id = 6, .side = Side::sell, .type = OrderType::stop, .stop = P(900)});
    EXPECT_TRUE(h.fills().empty());  // 10.00 is through neither
    h.feed(alert_at(200, P(1100)));  // at the limit: not through it
    EXPECT_TRUE(h.fills().empty());
    h.feed(alert_at(300, P(1101)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 5, P(1100), 10, true);
    h.feed(alert_at(400, P(899)));
    ASSERT_EQ(h.fills().size(), 2u);
    expect_fill(h.fills()[1], 6, P(899), 10, true);
    // An alert without a price, or about another symbol, moves nothing.
    h.submit({.id = 8, .side = Side::buy, .type = OrderType::limit, .price = P(800)});
    h.feed(alert_at(500, Price{}));
    h.feed(alert_at(500, P(700), 1));
    EXPECT_EQ(h.fills().size(), 2u);
}

TEST(SimVenueAlerts, MarketDataEndsAlertPricingForItsSymbol) {
    Harness h(ticks_config());
    h.feed(trade(50, P(1000)));
    h.feed(alert_at(100, P(500)));
    h.submit({.id = 4, .type = OrderType::limit, .price = P(900), .ts = 100});
    h.feed(alert_at(200, P(400)));
    EXPECT_TRUE(h.fills().empty());
    h.feed(trade(300, P(899)));
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 4, P(900), 10, true);
}

TEST(SimVenueAlerts, WithoutFillAtAlertPriceAlertsMoveNothing) {
    SimVenueConfig c = ticks_config();
    c.fill_at_alert_price = false;
    Harness h(c);
    h.feed(alert_at(100, P(1000)));
    h.submit({.id = 4, .ts = 100});
    h.feed(alert_at(200, P(1000)));
    EXPECT_TRUE(h.fills().empty());
    EXPECT_EQ(h.venue.resting(), 1u);
}

TEST(SimVenueAlerts, WithNoMarketDataSourceAMarketOrderWithNoPriceAtAllIsRejected) {
    SimVenueConfig c = ticks_config();
    c.no_market_data = true;
    Harness h(c);
    h.submit({.id = 4, .ts = 100});
    ASSERT_EQ(h.replies.posted.size(), 1u);
    EXPECT_EQ(h.last().header.type, EventType::venue_reject);
    EXPECT_EQ(h.last().payload.order.reason, Reason::no_market_price);
    // A limit rests: it names its price.
    h.submit({.id = 8, .type = OrderType::limit, .price = P(900), .ts = 100});
    EXPECT_EQ(h.last().header.type, EventType::venue_ack);
    // Once an alert priced the symbol, a market order fills.
    h.feed(alert_at(200, P(950)));
    h.submit({.id = 12, .ts = 200});
    ASSERT_EQ(h.fills().size(), 1u);
    expect_fill(h.fills()[0], 12, P(950), 10, true);
    // With a source (the default), the same order rests for the first price.
    Harness g(ticks_config());
    g.submit({.id = 4, .ts = 100});
    EXPECT_EQ(g.last().header.type, EventType::venue_ack);
}

}  // namespace
}  // namespace keel
