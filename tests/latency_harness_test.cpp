// Proves the e2e harness's bookkeeping on one thread with a fake clock: the open-loop generator
// releases event i no earlier than t0 + i/R and at once when behind (so queueing counts), sends
// one alert and one quote per event after a symbol definition and a first quote; the timing
// decorators mark each event once per stage by sequence; the summary computes end-to-end and
// per-hop latencies only from events that have both marks.
#include <gtest/gtest.h>

#include "keel/engine/orders/order_id.hpp"
#include "keel/replay/ops/latency_harness.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::replay;
using engine::Event;
using engine::EventType;

namespace {

std::uint64_t g_now = 0;
std::uint64_t fake_now() noexcept {
    return g_now;
}

GeneratorOptions options(std::uint64_t events, std::uint64_t rate) {
    GeneratorOptions g;
    g.events = events;
    g.rate_eps = rate;
    g.symbol = 3;
    g.symbol_name = "XYZ";
    g.epoch_ns = 1'000'000'000'000;
    g.clock = fake_now;
    return g;
}

// A stage that forwards everything and, for an alert, emits the order request it causes.
class OrderingStage final : public engine::Stage {
  public:
    [[nodiscard]] std::string_view name() const noexcept override { return "fake"; }
    void on_event(const Event& e, engine::Emit& out) noexcept override {
        out.emit(e);
        if (e.header.type == EventType::alert) {
            Event o = engine::make_event(EventType::order_request, engine::Source::strategy,
                                         e.header.seq, e.header.ts_ns, e.header.symbol);
            o.payload.order.order_id = engine::make_order_id(e.header.seq, 0);
            o.payload.order.action = engine::OrderAction::new_order;
            out.emit(o);
        }
    }
};

class CountingVenue final : public engine::Venue {
  public:
    void submit(const Event&) noexcept override { ++submitted; }
    int submitted = 0;
};

Event alert(std::uint64_t seq, std::uint64_t key) {
    Event e = engine::make_event(EventType::alert, engine::Source::webhook, seq, 0, 3);
    e.payload.alert.alert_key = key;
    return e;
}

Event order_sent(std::uint64_t seq, std::uint32_t k) {
    Event e = engine::make_event(EventType::order_sent, engine::Source::gateway, seq, 0, 3);
    e.payload.order.order_id = engine::make_order_id(seq, k);
    e.payload.order.action = engine::OrderAction::new_order;
    return e;
}

}  // namespace

TEST(OpenLoopSource, SendsTheSymbolAndAQuoteThenOneAlertAndQuotePerEvent) {
    LatencyBook book(4);
    OpenLoopSource src(book, options(4, 0));
    Event e{};
    g_now = 100;
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
    EXPECT_EQ(e.header.type, EventType::symbol_def);
    EXPECT_STREQ(e.payload.symbol_def.name, "XYZ");
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
    EXPECT_EQ(e.header.type, EventType::quote);
    EXPECT_LT(e.payload.quote.bid.raw, e.payload.quote.ask.raw);
    for (std::uint64_t i = 0; i < 4; ++i) {
        ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
        ASSERT_EQ(e.header.type, EventType::alert);
        EXPECT_EQ(e.header.symbol, engine::SymbolId{3});
        EXPECT_EQ(e.payload.alert.alert_key, i + 1);
        // buy from flat, then close: one order each.
        EXPECT_EQ(e.payload.alert.action,
                  i % 2 == 0 ? engine::AlertAction::buy : engine::AlertAction::close);
        EXPECT_GT(e.payload.alert.quantity.raw, 0);
        ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
        EXPECT_EQ(e.header.type, EventType::quote);
    }
    EXPECT_EQ(src.poll(e), engine::InputSource::Poll::exhausted);
}

TEST(OpenLoopSource, ReleasesEachEventAtItsIntendedTimeNotBefore) {
    LatencyBook book(3);
    // 1000 events/s: event i is due at t0 + i ms.
    OpenLoopSource src(book, options(3, 1000));
    Event e{};
    g_now = 5'000;
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);  // symbol
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);  // first quote
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);  // event 0, t0 = 5000
    EXPECT_EQ(e.header.ts_ns, 1'000'000'000'000);
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);  // its quote
    EXPECT_EQ(e.header.ts_ns, 1'000'000'000'000);
    g_now = 5'000 + 999'999;
    EXPECT_EQ(src.poll(e), engine::InputSource::Poll::idle);
    g_now = 5'000 + 1'000'000;
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
    EXPECT_EQ(e.payload.alert.alert_key, 2u);
    EXPECT_EQ(e.header.ts_ns, 1'000'000'000'000 + 1'000'000);  // engine time = intended
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
    // Behind schedule: event 2 (due at +2 ms) goes at once at +7 ms, and keeps its intended
    // time, so the 5 ms it waited count against it.
    g_now = 5'000 + 7'000'000;
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
    EXPECT_EQ(book.at(Mark::intended, 0), 5'000u);
    EXPECT_EQ(book.at(Mark::intended, 1), 5'000u + 1'000'000);
    EXPECT_EQ(book.at(Mark::intended, 2), 5'000u + 2'000'000);
    EXPECT_EQ(book.at(Mark::ingest, 2), 5'000u + 7'000'000);
}

TEST(OpenLoopSource, SaturatedEventsAreIntendedWhenReleased) {
    LatencyBook book(2);
    OpenLoopSource src(book, options(2, 0));
    Event e{};
    g_now = 10;
    (void)src.poll(e);
    (void)src.poll(e);
    g_now = 50;
    ASSERT_EQ(src.poll(e), engine::InputSource::Poll::event);
    EXPECT_EQ(book.at(Mark::intended, 0), 50u);
    EXPECT_EQ(book.at(Mark::ingest, 0), 50u);
}

TEST(TimedStage, MarksAnAlertsArrivalAndTheFirstOrderItCausedOnce) {
    LatencyBook book(4);
    OrderingStage inner;
    AlertCursor strategy_cursor, risk_cursor;
    TimedStage strategy(inner, book, Mark::strategy, strategy_cursor, fake_now);
    TimedStage risk(inner, book, Mark::risk, risk_cursor, fake_now);
    test::Recorder out(64);
    g_now = 700;
    strategy.on_event(alert(42, 3), out);  // event index 2
    EXPECT_EQ(book.at(Mark::strategy, 2), 700u);
    ASSERT_EQ(out.events().size(), 2u);  // forwarded, and the inner stage's order

    g_now = 800;
    risk.on_event(out.events()[0], out);  // the alert: risk waits for its order
    EXPECT_EQ(book.at(Mark::risk, 2), 0u);
    g_now = 900;
    Event other = out.events()[1];
    other.header.seq = 41;  // an order caused by something else
    risk.on_event(other, out);
    EXPECT_EQ(book.at(Mark::risk, 2), 0u);
    risk.on_event(out.events()[1], out);
    EXPECT_EQ(book.at(Mark::risk, 2), 900u);
    g_now = 950;
    risk.on_event(out.events()[1], out);  // a second order of the same alert: not re-marked
    EXPECT_EQ(book.at(Mark::risk, 2), 900u);
    EXPECT_EQ(risk.name(), "fake");
}

TEST(TimedVenue, MarksTheFirstNewOrderOfTheGatewaysAlertAndForwardsEverything) {
    LatencyBook book(4);
    AlertCursor gateway{10, 1};
    CountingVenue inner;
    TimedVenue venue(inner, book, gateway, fake_now);
    g_now = 500;
    venue.submit(order_sent(9, 0));  // not the alert the gateway is on
    EXPECT_EQ(book.at(Mark::venue, 1), 0u);
    venue.submit(order_sent(10, 0));
    EXPECT_EQ(book.at(Mark::venue, 1), 500u);
    g_now = 600;
    venue.submit(order_sent(10, 1));  // the same alert's second order
    EXPECT_EQ(book.at(Mark::venue, 1), 500u);
    EXPECT_EQ(inner.submitted, 3);
}

TEST(LatencyBook, SummarizesEndToEndAndHopsFromCompleteMarksOnly) {
    LatencyBook book(3);
    // Event 0: 100 ns at each hop; event 1: 1000 ns; event 2 never reached the venue.
    for (std::uint64_t i = 0; i < 2; ++i) {
        const std::uint64_t step = i == 0 ? 100 : 1000;
        for (std::size_t m = 0; m < kMarks; ++m)
            book.stamp(static_cast<Mark>(m), i, 1'000 + i * 10'000 + m * step);
    }
    book.stamp(Mark::intended, 2, 50'000);
    book.stamp(Mark::ingest, 2, 50'300);
    book.stamp(Mark::intended, 99, 1);  // outside the book: ignored

    const LatencySummary s = book.summarize();
    EXPECT_EQ(s.complete, 2u);
    EXPECT_EQ(s.end_to_end.count, 2u);
    EXPECT_EQ(s.end_to_end.p50, 500u);
    EXPECT_EQ(s.end_to_end.max, 5000u);
    // intended -> ingest has all three events; the later hops two.
    EXPECT_EQ(s.hops[0].count, 3u);
    EXPECT_EQ(s.hops[0].max, 1000u);
    for (std::size_t h = 1; h < kHops; ++h) {
        EXPECT_EQ(s.hops[h].count, 2u) << kHopNames[h];
        EXPECT_EQ(s.hops[h].p50, 100u) << kHopNames[h];
        EXPECT_EQ(s.hops[h].max, 1000u) << kHopNames[h];
    }
    EXPECT_EQ(s.first_intended_ns, 1'000u);
    EXPECT_EQ(s.last_venue_ns, 11'000u + 5'000u);
    // 2 events from t=1000 to t=16000.
    EXPECT_DOUBLE_EQ(s.achieved_eps(), 2e9 / 15'000.0);
}
