// Proves the minimal stages do their real work single-threaded: strategy emits order requests
// with sequential ids, the gateway writes order_sent before the venue sees the order and echoes
// risk rejects to ingest, and the simulated venue fills market orders at the next price of
// their symbol; no stage acts on what it could not journal. (Risk's tests: risk_test.cpp.)
#include <gtest/gtest.h>

#include "keel/adapters/sim_venue.hpp"
#include "keel/engine/gateway_stage.hpp"
#include "keel/engine/risk_stage.hpp"
#include "keel/engine/strategy_stage.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;
using test::Recorder;

namespace {

Event order(std::uint64_t id, std::int64_t qty_units, Side side = Side::buy) {
    Event e = make_event(EventType::order_request, Source::strategy, 5, 100, 0);
    e.payload.order.order_id = id;
    e.payload.order.quantity = Quantity::from_units(qty_units);
    e.payload.order.side = side;
    e.payload.order.order_type = OrderType::market;
    return e;
}

}  // namespace

TEST(GatewayStage, JournalsOrderSentBeforeTheVenueAndEchoesRiskRejects) {
    test::RecordingVenue venue;
    test::RecordingReplies replies;
    GatewayStage gw(venue, replies, 4);
    Recorder out;
    gw.on_event(order(7, 10), out);
    ASSERT_EQ(out.events().size(), 1u);
    EXPECT_EQ(out.events()[0].header.type, EventType::order_sent);
    ASSERT_EQ(venue.submitted.size(), 1u);
    EXPECT_EQ(venue.submitted[0].payload.order.order_id, 7u);

    Event reject = order(8, 1000);
    reject.header.type = EventType::risk_reject;
    reject.payload.order.reason = RiskReason::max_order_qty;
    gw.on_event(reject, out);
    ASSERT_EQ(replies.posted.size(), 1u);
    EXPECT_EQ(replies.posted[0].header.type, EventType::order_denied);
    EXPECT_EQ(replies.posted[0].payload.order.order_id, 8u);
    EXPECT_EQ(venue.submitted.size(), 1u);  // never sent
}

TEST(SimVenue, AcksAtOnceAndFillsMarketOrdersAtTheNextPriceOfTheSymbol) {
    test::RecordingReplies replies;
    adapters::SimVenue venue(replies);
    Event o = order(1, 10);
    o.header.type = EventType::order_sent;
    venue.submit(o);
    ASSERT_EQ(replies.posted.size(), 1u);
    EXPECT_EQ(replies.posted[0].header.type, EventType::venue_ack);
    venue.on_market_data(test::trade(1, 200, 99));  // other symbol: no fill
    EXPECT_EQ(replies.posted.size(), 1u);
    venue.on_market_data(test::trade(0, 300, 42));
    ASSERT_EQ(replies.posted.size(), 2u);
    const Event& fill = replies.posted[1];
    EXPECT_EQ(fill.header.type, EventType::venue_fill);
    EXPECT_EQ(fill.header.ts_ns, 300);
    EXPECT_EQ(fill.payload.fill.price, Price::from_units(42));
    EXPECT_EQ(fill.payload.fill.quantity, Quantity::from_units(10));
    EXPECT_EQ(venue.pending(), 0u);

    Event limit = order(2, 10);
    limit.payload.order.order_type = OrderType::limit;
    venue.submit(limit);
    EXPECT_EQ(replies.posted.back().header.type, EventType::venue_reject);
}

TEST(StrategyStage, ForwardsEverythingAndNumbersOrdersSequentially) {
    StrategyStage st({SmaCrossParams{0, 1, 2, Quantity::from_units(5), true}}, 4);
    Recorder out;
    std::int64_t ts = 0;
    // Prices that cross up then down: 10,10 (defined), 12 (up), 8 (down).
    for (int p : {10, 10, 12, 8})
        st.on_event(test::trade(0, ++ts, p), out);
    const auto orders = out.of_type(EventType::order_request);
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[0].payload.order.order_id, 1u);
    EXPECT_EQ(orders[0].payload.order.side, Side::buy);
    EXPECT_EQ(orders[1].payload.order.order_id, 2u);
    EXPECT_EQ(orders[1].payload.order.side, Side::sell);
    EXPECT_EQ(orders[1].payload.order.quantity, Quantity::from_units(10));  // reverse 5 -> -5
    EXPECT_EQ(out.of_type(EventType::trade).size(), 4u);
    // An order's event carries its cause's sequence and time.
    EXPECT_EQ(orders[0].header.ts_ns, 3);
}

namespace {

// An EventLog that refuses every append, as a full disk would.
class RefusingLog final : public EventLog {
  public:
    bool append(const Event&, const void*, std::uint32_t) noexcept override {
        ++attempts;
        return false;
    }
    int attempts = 0;
};

}  // namespace

TEST(Stages, NothingIsActedOnThatCouldNotBeJournaled) {
    RefusingLog log;
    StrategyStage st({SmaCrossParams{0, 1, 2, Quantity::from_units(5), true}}, 4);
    st.set_log(&log);
    Recorder out;
    for (int p : {10, 10, 12})
        st.on_event(test::trade(0, p, p), out);
    EXPECT_EQ(log.attempts, 1);
    EXPECT_TRUE(out.of_type(EventType::order_request).empty());
    EXPECT_EQ(st.orders_requested(), 0u);
    EXPECT_EQ(st.strategies()[0].in_flight_raw(), 0);  // the strategy does not count it placed

    RiskStage risk(RiskLimits{Quantity::from_units(100)});
    risk.set_log(&log);
    out.clear();
    risk.on_event(order(1, 10), out);
    EXPECT_TRUE(out.events().empty());  // fail closed: no decision, no order

    test::RecordingVenue venue;
    test::RecordingReplies replies;
    GatewayStage gw(venue, replies, 4);
    gw.set_log(&log);
    gw.on_event(order(2, 10), out);
    EXPECT_TRUE(venue.submitted.empty());  // write-ahead: never sent
    EXPECT_TRUE(out.events().empty());
}
