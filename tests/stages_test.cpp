// Proves the strategy stage numbers orders by their cause's sequence and forwards everything,
// and that nothing is acted on that could not be journaled (risk's, the gateway's and the
// venue's own tests are in their files).
#include <gtest/gtest.h>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/risk/risk_stage.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
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

TEST(StrategyStage, ForwardsEverythingAndNumbersOrdersByTheirCausesSequence) {
    StrategyStage st = test::sma_stage({{0, true}}, 1, 2, 5);
    Recorder out;
    std::int64_t ts = 0;
    // Closes that cross up then down: 10,10 (defined), 12 (up), 8 (down).
    for (int p : {10, 10, 12, 8})
        st.on_event(test::bar(0, ++ts, p), out);
    const auto orders = out.of_type(EventType::order_request);
    ASSERT_EQ(orders.size(), 2u);
    EXPECT_EQ(orders[0].payload.order.order_id, make_order_id(3, 0));
    EXPECT_EQ(orders[0].payload.order.side, Side::buy);
    EXPECT_EQ(orders[1].payload.order.order_id, make_order_id(4, 0));
    EXPECT_EQ(orders[1].payload.order.side, Side::sell);
    EXPECT_EQ(orders[1].payload.order.quantity, Quantity::from_units(10));  // reverse 5 -> -5
    EXPECT_EQ(out.of_type(EventType::bar).size(), 4u);
    // An order's event carries its cause's sequence and time.
    EXPECT_EQ(orders[0].header.ts_ns, 3);
    EXPECT_EQ(orders[0].header.seq, 3u);
}

namespace {}  // namespace

TEST(Stages, NothingIsActedOnThatCouldNotBeJournaled) {
    test::RefusingLog log;
    StrategyStage st = test::sma_stage({{0, true}}, 1, 2, 5);
    st.set_log(&log);
    Recorder out;
    std::int64_t ts = 0;
    for (int p : {10, 10, 12})
        st.on_event(test::bar(0, ++ts, p), out);
    EXPECT_EQ(log.attempts, 1);  // the crossover signal; refused, so no order follows
    EXPECT_TRUE(out.of_type(EventType::order_request).empty());
    EXPECT_TRUE(out.of_type(EventType::signal).empty());
    EXPECT_EQ(st.orders_requested(), 0u);
    EXPECT_EQ(st.orders().open_count(), 0u);  // the stage does not count it placed

    RiskStage risk(RiskLimits{Quantity::from_units(100)});
    risk.set_log(&log);
    out.clear();
    risk.on_event(order(1, 10), out);
    EXPECT_TRUE(out.events().empty());  // fail closed: no decision, no order
    // The gateway's half (never sent unless journaled) is in gateway_test.cpp.
}
