// Proves the gateway: order_sent is journaled before the venue sees an order, every change of
// its order book is an order_state (an illegal one an engine_alert, not applied), brackets hold
// their exits until the entry fills and drop them when it does not, a filled exit or OCO leg
// cancels its sibling, the kill switch sends one mass cancel, and replaying the same inputs after
// a crash sends the sibling cancel exactly once; alerts with a price reach the venue.
#include <gtest/gtest.h>

#include <vector>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/pipeline/emit_buffer.hpp"
#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;
using test::Recorder;

namespace {

constexpr std::int64_t kUnit = 1'000'000'000;

// What reached the journal ('J') and the venue ('V' submit, 'M' market data / timers), in the
// order it happened.
struct Timeline {
    Timeline() { entries.reserve(4096); }
    std::vector<std::pair<char, Event>> entries;
    [[nodiscard]] std::vector<Event> of(char what) const {
        std::vector<Event> out;
        for (const auto& [w, e] : entries) {
            if (w == what)
                out.push_back(e);
        }
        return out;
    }
};

class RecordingLog final : public EventLog {
  public:
    explicit RecordingLog(Timeline& t) : timeline_(t) {}
    bool append(const Event& e, const void*, std::uint32_t) noexcept override {
        timeline_.entries.emplace_back('J', e);
        return true;
    }

  private:
    Timeline& timeline_;
};

class RecordingVenue final : public Venue {
  public:
    explicit RecordingVenue(Timeline& t) : timeline_(t) {}
    void submit(const Event& e) noexcept override { timeline_.entries.emplace_back('V', e); }
    void on_market_data(const Event& e) noexcept override {
        timeline_.entries.emplace_back('M', e);
    }

  private:
    Timeline& timeline_;
};

// A gateway wired to a recording journal, venue and reply sink.
struct Rig {
    explicit Rig(std::size_t held = GatewayStage::kMaxHeldChildren)
        : log(timeline), venue(timeline), gw(venue, replies, 4, 64, held) {
        gw.set_log(&log);
    }
    [[nodiscard]] std::vector<Event> sent() const { return timeline.of('V'); }
    [[nodiscard]] std::vector<Event> journaled(EventType type) const {
        std::vector<Event> found;
        for (const Event& e : timeline.of('J')) {
            if (e.header.type == type)
                found.push_back(e);
        }
        return found;
    }
    void feed(const std::vector<Event>& events) {
        for (const Event& e : events)
            gw.on_event(e, out);
    }
    Timeline timeline;
    RecordingLog log;
    RecordingVenue venue;
    test::RecordingReplies replies;
    GatewayStage gw;
    Recorder out{4096};
};

Event request(std::uint64_t id, std::int64_t qty, Side side = Side::buy,
              OrderRole role = OrderRole::none, OrderType type = OrderType::limit) {
    Event e = make_event(EventType::order_request, Source::strategy, order_id_seq(id),
                         static_cast<std::int64_t>(order_id_seq(id)) * 100, 1);
    e.header.aux = 2;
    OrderPayload& o = e.payload.order;
    o.order_id = id;
    o.quantity = Quantity::from_units(qty);
    o.price = Price::from_units(100);
    o.side = side;
    o.order_type = type;
    o.tif = TimeInForce::gtc;
    o.action = OrderAction::new_order;
    o.status = OrderStatus::approved;
    o.role = role;
    return e;
}

Event action_request(std::uint64_t target, OrderAction action, std::uint64_t seq) {
    Event e = make_event(EventType::order_request, Source::strategy, seq, 0, 1);
    e.payload.order.order_id = target;
    e.payload.order.action = action;
    e.payload.order.quantity = Quantity::from_units(7);
    e.payload.order.price = Price::from_units(99);
    return e;
}

// Venue replies as ingest sequences them: each a fresh input sequence.
std::uint64_t g_seq = 1000;

Event reply(EventType type, std::uint64_t id, OrderAction action = OrderAction::new_order,
            Reason reason = Reason::none) {
    const std::uint64_t seq = ++g_seq;
    Event e = make_event(type, Source::venue, seq, static_cast<std::int64_t>(seq), 1);
    e.payload.order.order_id = id;
    e.payload.order.action = action;
    e.payload.order.reason = reason;
    return e;
}

Event fill(std::uint64_t id, std::int64_t qty_units, Side side = Side::buy) {
    const std::uint64_t seq = ++g_seq;
    Event e =
        make_event(EventType::venue_fill, Source::venue, seq, static_cast<std::int64_t>(seq), 1);
    e.payload.fill.order_id = id;
    e.payload.fill.quantity = Quantity::from_units(qty_units);
    e.payload.fill.price = Price::from_units(100);
    e.payload.fill.side = side;
    return e;
}

Event kill() {
    Event e = make_event(EventType::command, Source::control, ++g_seq, 0, kNoSymbol);
    e.payload.command.code = CommandCode::kill;
    return e;
}

// A bracket from cause sequence `seq`: buy entry, sell stop-loss, sell take-profit.
std::vector<Event> bracket(std::uint64_t seq, std::int64_t qty = 10) {
    return {request(make_order_id(seq, 0), qty, Side::buy, OrderRole::entry),
            request(make_order_id(seq, 1), qty, Side::sell, OrderRole::stop_loss, OrderType::stop),
            request(make_order_id(seq, 2), qty, Side::sell, OrderRole::take_profit)};
}

std::vector<OrderStatus> states_of(const std::vector<Event>& events, std::uint64_t id) {
    std::vector<OrderStatus> out;
    for (const Event& e : events) {
        if (e.header.type == EventType::order_state && e.payload.order.order_id == id)
            out.push_back(e.payload.order.status);
    }
    return out;
}

std::size_t count_sent(const std::vector<Event>& sent, std::uint64_t id, OrderAction action) {
    std::size_t n = 0;
    for (const Event& e : sent) {
        if (e.payload.order.order_id == id && e.payload.order.action == action)
            ++n;
    }
    return n;
}

}  // namespace

TEST(GatewayStage, JournalsOrderSentBeforeTheVenueSeesIt) {
    Rig rig;
    rig.gw.on_event(request(make_order_id(5, 0), 10), rig.out);
    const auto& entries = rig.timeline.entries;
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].first, 'J');
    EXPECT_EQ(entries[0].second.header.type, EventType::order_sent);
    EXPECT_EQ(entries[0].second.payload.order.status, OrderStatus::sent);
    EXPECT_EQ(entries[1].first, 'J');
    EXPECT_EQ(entries[1].second.header.type, EventType::order_state);
    EXPECT_EQ(entries[1].second.payload.order.status, OrderStatus::pending_new);
    EXPECT_EQ(entries[2].first, 'V');
    EXPECT_EQ(entries[2].second.payload.order.order_id, make_order_id(5, 0));
    ASSERT_EQ(rig.out.events().size(), 2u);
    EXPECT_EQ(rig.out.events()[0].header.type, EventType::order_sent);
    EXPECT_EQ(rig.gw.orders_sent(), 1u);
}

namespace {}  // namespace

TEST(GatewayStage, SendsNothingThatCouldNotBeJournaled) {
    test::RefusingLog log;
    test::RecordingVenue venue;
    test::RecordingReplies replies;
    GatewayStage gw(venue, replies, 4);
    gw.set_log(&log);
    Recorder out;
    gw.on_event(request(make_order_id(2, 0), 10), out);
    EXPECT_EQ(log.attempts, 1);
    EXPECT_TRUE(venue.submitted.empty());  // write-ahead: never sent
    EXPECT_TRUE(out.events().empty());
    EXPECT_EQ(gw.orders().open_count(), 0u);  // and the book did not move
}

TEST(GatewayStage, EchoesRiskRejectsToIngestAsOrderDenied) {
    Rig rig;
    Event reject = request(make_order_id(8, 0), 1000);
    reject.header.type = EventType::risk_reject;
    reject.payload.order.reason = Reason::max_order_qty;
    rig.gw.on_event(reject, rig.out);
    ASSERT_EQ(rig.replies.posted.size(), 1u);
    EXPECT_EQ(rig.replies.posted[0].header.type, EventType::order_denied);
    EXPECT_EQ(rig.replies.posted[0].payload.order.order_id, make_order_id(8, 0));
    EXPECT_EQ(rig.replies.posted[0].header.seq, 0u);
    EXPECT_TRUE(rig.sent().empty());
    ASSERT_EQ(rig.out.events().size(), 1u);  // forwarded
    EXPECT_EQ(rig.gw.risk_rejects(), 1u);
}

TEST(GatewayStage, EmitsAndJournalsAnOrderStatePerTransition) {
    Rig rig;
    const std::uint64_t id = make_order_id(5, 0);
    rig.feed({request(id, 10), reply(EventType::venue_ack, id), fill(id, 4), fill(id, 6)});
    const std::vector<OrderStatus> want = {OrderStatus::pending_new, OrderStatus::accepted,
                                           OrderStatus::partially_filled, OrderStatus::filled};
    EXPECT_EQ(states_of(rig.out.events(), id), want);
    EXPECT_EQ(states_of(rig.journaled(EventType::order_state), id), want);
    EXPECT_EQ(rig.gw.orders().open_count(), 0u);
    EXPECT_EQ(rig.gw.fills(), 2u);
    EXPECT_EQ(rig.gw.account().position(1).quantity_raw, 10 * kUnit);
    // Replies are forwarded too.
    EXPECT_EQ(rig.out.of_type(EventType::venue_fill).size(), 2u);
    // The state carries the order's role, strategy and the reply's reason.
    const Event last = rig.out.of_type(EventType::order_state).back();
    EXPECT_EQ(last.header.aux, 2u);
    EXPECT_EQ(last.header.seq, g_seq);
}

TEST(GatewayStage, AlertsOnAFillForAnUnknownOrderAndDoesNotApplyIt) {
    Rig rig;
    const Event f = fill(make_order_id(9, 0), 5);
    rig.gw.on_event(f, rig.out);
    const auto alerts = rig.journaled(EventType::engine_alert);
    ASSERT_EQ(alerts.size(), 1u);
    const EngineAlertPayload& a = alerts[0].payload.engine_alert;
    EXPECT_EQ(a.order_id, make_order_id(9, 0));
    EXPECT_EQ(a.cause_seq, f.header.seq);
    EXPECT_EQ(a.cause_type, EventType::venue_fill);
    EXPECT_EQ(a.from, OrderStatus{});
    EXPECT_EQ(a.to, OrderStatus::partially_filled);
    EXPECT_EQ(a.reason, Reason::illegal_transition);
    EXPECT_EQ(rig.out.of_type(EventType::engine_alert).size(), 1u);
    EXPECT_TRUE(rig.out.of_type(EventType::order_state).empty());
    EXPECT_EQ(rig.gw.account().position(1).quantity_raw, 0);
    EXPECT_EQ(rig.gw.alerts(), 1u);
}

TEST(GatewayStage, AnAdoptedVenueOrderIsBookedItsFillsMoveTheAccountAndKillCancelsIt) {
    Rig rig;
    const std::uint64_t id = make_adopted_order_id(0, 0);
    Event adopt = reply(EventType::venue_ack, id, OrderAction::new_order, Reason::foreign_order);
    adopt.header.aux = kAdoptedOwner;
    adopt.payload.order.side = Side::buy;
    adopt.payload.order.order_type = OrderType::limit;
    adopt.payload.order.tif = TimeInForce::gtc;
    adopt.payload.order.price = Price::from_units(100);
    adopt.payload.order.quantity = Quantity::from_units(10);
    adopt.payload.order.status = OrderStatus::accepted;
    rig.feed({adopt, fill(id, 4)});
    EXPECT_TRUE(rig.journaled(EventType::engine_alert).empty());
    const std::vector<OrderStatus> want = {OrderStatus::accepted, OrderStatus::partially_filled};
    EXPECT_EQ(states_of(rig.journaled(EventType::order_state), id), want);
    EXPECT_EQ(rig.gw.account().position(1).quantity_raw, 4 * kUnit);
    EXPECT_EQ(rig.out.of_type(EventType::order_state).back().header.aux, kAdoptedOwner);
    // The kill switch's mass cancel takes it with every other open order.
    rig.feed({kill()});
    ASSERT_EQ(rig.sent().size(), 1u);
    EXPECT_TRUE(is_mass_cancel_id(rig.sent()[0].payload.order.order_id));
    EXPECT_EQ(rig.gw.orders().find(id)->status, OrderStatus::pending_cancel);
    EXPECT_TRUE(is_adopted_order_id(id));
    EXPECT_FALSE(is_adopted_order_id(make_order_id(5, 0) | kRiskOrderIdBit));
    EXPECT_EQ(adopted_index(make_adopted_order_id(3, 4)), 3u);
    EXPECT_EQ(order_id_account(make_adopted_order_id(3, 4)), 4u);
}

TEST(GatewayStage, AlertsOnAFillAfterTheOrderWasCanceled) {
    Rig rig;
    const std::uint64_t id = make_order_id(5, 0);
    rig.feed(
        {request(id, 10), reply(EventType::venue_ack, id),
         action_request(id, OrderAction::cancel, 6),
         reply(EventType::venue_cancel, id, OrderAction::cancel, Reason::canceled_on_request)});
    EXPECT_EQ(states_of(rig.out.events(), id).back(), OrderStatus::canceled);
    EXPECT_EQ(rig.out.of_type(EventType::order_state).back().payload.order.reason,
              Reason::canceled_on_request);
    rig.gw.on_event(fill(id, 10), rig.out);
    ASSERT_EQ(rig.journaled(EventType::engine_alert).size(), 1u);
    // The canceled order left the book, so the alert names no state it was in.
    const EngineAlertPayload a = rig.journaled(EventType::engine_alert)[0].payload.engine_alert;
    EXPECT_EQ(a.order_id, id);
    EXPECT_EQ(a.from, OrderStatus{});
    EXPECT_EQ(a.cause_type, EventType::venue_fill);
    EXPECT_EQ(rig.gw.account().position(1).quantity_raw, 0);
}

TEST(GatewayStage, SendsCancelAndReplaceRequestsAsOrderSentWithThatAction) {
    Rig rig;
    const std::uint64_t id = make_order_id(5, 0);
    rig.feed({request(id, 10), reply(EventType::venue_ack, id),
              action_request(id, OrderAction::replace, 6)});
    ASSERT_EQ(rig.sent().size(), 2u);
    EXPECT_EQ(rig.sent()[1].header.type, EventType::order_sent);
    EXPECT_EQ(rig.sent()[1].payload.order.action, OrderAction::replace);
    EXPECT_EQ(rig.sent()[1].payload.order.order_id, id);
    EXPECT_EQ(rig.gw.orders().find(id)->status, OrderStatus::pending_replace);
    Event ack = reply(EventType::venue_ack, id, OrderAction::replace);
    ack.payload.order.quantity = Quantity::from_units(7);
    rig.gw.on_event(ack, rig.out);
    EXPECT_EQ(states_of(rig.out.events(), id).back(), OrderStatus::replaced);
    EXPECT_EQ(rig.gw.orders().find(id)->quantity, Quantity::from_units(7));

    rig.gw.on_event(action_request(id, OrderAction::cancel, 7), rig.out);
    ASSERT_EQ(rig.sent().size(), 3u);
    EXPECT_EQ(rig.sent()[2].payload.order.action, OrderAction::cancel);
    EXPECT_EQ(states_of(rig.out.events(), id).back(), OrderStatus::pending_cancel);
    // A second cancel while one is pending is illegal: alerted, not sent.
    rig.gw.on_event(action_request(id, OrderAction::cancel, 8), rig.out);
    EXPECT_EQ(rig.sent().size(), 3u);
    EXPECT_EQ(rig.gw.alerts(), 1u);
}

TEST(GatewayStage, ForwardsMarketDataAndTimersToTheVenue) {
    Rig rig;
    Event timer = make_event(EventType::timer, Source::engine, 3, 3, kNoSymbol);
    timer.payload.timer.kind = TimerKind::session_close;
    rig.feed({test::trade(1, 1, 10), timer});
    const auto md = rig.timeline.of('M');
    ASSERT_EQ(md.size(), 2u);
    EXPECT_EQ(md[1].header.type, EventType::timer);
    EXPECT_EQ(rig.out.events().size(), 2u);
}

TEST(GatewayStage, ForwardsAlertsWithAPriceToTheVenueForASimulatorToPriceBy) {
    Rig rig;
    Event priced = test::alert(1, 5, AlertAction::buy);
    priced.payload.alert.price = Price::from_units(42);
    const Event unpriced = test::alert(1, 6, AlertAction::sell);
    rig.feed({priced, unpriced});
    const auto md = rig.timeline.of('M');
    ASSERT_EQ(md.size(), 1u);
    EXPECT_EQ(md[0].header.type, EventType::alert);
    EXPECT_EQ(md[0].payload.alert.price, Price::from_units(42));
    EXPECT_EQ(rig.out.events().size(), 2u);  // both forwarded down the pipeline
}

TEST(GatewayStage, HoldsBracketChildrenUntilTheEntryIsCompletelyFilled) {
    Rig rig;
    const auto b = bracket(7);
    const std::uint64_t entry = make_order_id(7, 0);
    rig.feed(b);
    ASSERT_EQ(rig.sent().size(), 1u);  // the entry only
    EXPECT_EQ(rig.sent()[0].payload.order.order_id, entry);
    EXPECT_EQ(rig.gw.held_children().size(), 2u);
    EXPECT_EQ(rig.gw.orders().find(make_order_id(7, 1)), nullptr);  // not at the venue

    rig.feed({reply(EventType::venue_ack, entry), fill(entry, 4)});
    EXPECT_EQ(rig.sent().size(), 1u);  // partial: still held
    const Event last = fill(entry, 6);
    rig.gw.on_event(last, rig.out);
    ASSERT_EQ(rig.sent().size(), 3u);
    EXPECT_EQ(rig.sent()[1].payload.order.order_id, make_order_id(7, 1));
    EXPECT_EQ(rig.sent()[1].payload.order.role, OrderRole::stop_loss);
    EXPECT_EQ(rig.sent()[1].payload.order.order_type, OrderType::stop);
    EXPECT_EQ(rig.sent()[1].header.seq, last.header.seq);  // caused by the fill
    EXPECT_EQ(rig.sent()[2].payload.order.order_id, make_order_id(7, 2));
    EXPECT_EQ(rig.sent()[2].payload.order.role, OrderRole::take_profit);
    EXPECT_TRUE(rig.gw.held_children().empty());
    // Journaled before the venue saw them.
    const auto sent_journaled = rig.journaled(EventType::order_sent);
    ASSERT_EQ(sent_journaled.size(), 3u);
    EXPECT_EQ(states_of(rig.out.events(), make_order_id(7, 2)),
              std::vector<OrderStatus>{OrderStatus::pending_new});
}

TEST(GatewayStage, AnEntryCanceledPartFilledReleasesItsExitsForTheFilledQuantity) {
    Rig rig;
    const std::uint64_t entry = make_order_id(7, 0);
    rig.feed(bracket(7));
    rig.feed({reply(EventType::venue_ack, entry), fill(entry, 4),
              reply(EventType::venue_cancel, entry, OrderAction::new_order,
                    Reason::canceled_on_request)});
    ASSERT_EQ(rig.sent().size(), 3u);  // the entry, then both exits
    for (std::size_t i : {1u, 2u}) {
        EXPECT_EQ(rig.sent()[i].payload.order.action, OrderAction::new_order);
        EXPECT_EQ(rig.sent()[i].payload.order.quantity, Quantity::from_units(4));  // protected
    }
    EXPECT_TRUE(rig.gw.held_children().empty());
}

TEST(GatewayStage, DropsBracketChildrenWhenTheEntryIsRejected) {
    Rig rig;
    rig.feed(bracket(7));
    rig.gw.on_event(reply(EventType::venue_reject, make_order_id(7, 0), OrderAction::new_order,
                          Reason::insufficient_buying_power),
                    rig.out);
    EXPECT_EQ(rig.sent().size(), 1u);
    EXPECT_TRUE(rig.gw.held_children().empty());
    for (std::uint32_t k : {1u, 2u}) {
        const auto s = states_of(rig.journaled(EventType::order_state), make_order_id(7, k));
        ASSERT_EQ(s, std::vector<OrderStatus>{OrderStatus::canceled});
    }
    for (const Event& e : rig.out.of_type(EventType::order_state)) {
        if (e.payload.order.order_id != make_order_id(7, 0)) {
            EXPECT_EQ(e.payload.order.reason, Reason::parent_not_filled);
        }
    }
    // A later fill of a dropped child is an illegal reply.
    rig.gw.on_event(fill(make_order_id(7, 1), 10, Side::sell), rig.out);
    EXPECT_EQ(rig.gw.alerts(), 1u);
}

TEST(GatewayStage, DropsBracketChildrenWhoseEntryNeverReachedTheGateway) {
    Rig rig;
    auto b = bracket(7);
    b[0].header.type = EventType::risk_reject;  // risk refused the entry
    rig.feed(b);
    EXPECT_TRUE(rig.sent().empty());
    EXPECT_TRUE(rig.gw.held_children().empty());
    EXPECT_EQ(states_of(rig.out.events(), make_order_id(7, 1)),
              std::vector<OrderStatus>{OrderStatus::canceled});
    EXPECT_EQ(states_of(rig.out.events(), make_order_id(7, 2)),
              std::vector<OrderStatus>{OrderStatus::canceled});
}

TEST(GatewayStage, AStopLossFillCancelsTheTakeProfit) {
    Rig rig;
    const std::uint64_t entry = make_order_id(7, 0);
    const std::uint64_t sl = make_order_id(7, 1);
    const std::uint64_t tp = make_order_id(7, 2);
    rig.feed(bracket(7));
    rig.feed({fill(entry, 10), reply(EventType::venue_ack, sl), reply(EventType::venue_ack, tp)});
    rig.out.clear();
    rig.gw.on_event(fill(sl, 3, Side::sell), rig.out);  // partial: nothing canceled yet
    EXPECT_EQ(count_sent(rig.sent(), tp, OrderAction::cancel), 0u);
    rig.gw.on_event(fill(sl, 7, Side::sell), rig.out);
    ASSERT_EQ(count_sent(rig.sent(), tp, OrderAction::cancel), 1u);
    const Event cancel = rig.sent().back();
    EXPECT_EQ(cancel.header.type, EventType::order_sent);
    EXPECT_EQ(cancel.payload.order.reason, Reason::oco_sibling_filled);
    EXPECT_EQ(cancel.payload.order.role, OrderRole::take_profit);
    EXPECT_EQ(rig.gw.orders().find(tp)->status, OrderStatus::pending_cancel);
    EXPECT_EQ(states_of(rig.out.events(), tp),
              std::vector<OrderStatus>{OrderStatus::pending_cancel});
    EXPECT_EQ(rig.gw.account().position(1).quantity_raw, 0);  // in 10, out 10
}

TEST(GatewayStage, OcoLegsAreSentTogetherAndAFillCancelsTheOther) {
    Rig rig;
    const std::uint64_t a = make_order_id(9, 0);
    const std::uint64_t b = make_order_id(9, 1);
    rig.feed({request(a, 5, Side::sell, OrderRole::oco),
              request(b, 5, Side::sell, OrderRole::oco, OrderType::stop)});
    ASSERT_EQ(rig.sent().size(), 2u);
    rig.feed({reply(EventType::venue_ack, a), reply(EventType::venue_ack, b), fill(b, 5)});
    EXPECT_EQ(count_sent(rig.sent(), a, OrderAction::cancel), 1u);
    EXPECT_EQ(count_sent(rig.sent(), b, OrderAction::cancel), 0u);
    // The cancel races a fill of the other leg: the fill is legal, and nothing else is canceled.
    rig.gw.on_event(fill(a, 5), rig.out);
    EXPECT_EQ(rig.gw.alerts(), 0u);
    EXPECT_EQ(rig.gw.orders().open_count(), 0u);
    EXPECT_EQ(rig.sent().size(), 3u);
}

TEST(GatewayStage, KillSendsOneMassCancelAndDropsHeldChildren) {
    Rig rig;
    const std::uint64_t plain = make_order_id(3, 0);
    rig.feed({request(plain, 1), reply(EventType::venue_ack, plain)});
    rig.feed(bracket(7));
    rig.out.clear();
    const Event k = kill();
    rig.gw.on_event(k, rig.out);
    const auto& ev = rig.out.events();
    ASSERT_EQ(ev.size(), 5u);  // command, mass cancel, its state, two dropped children
    EXPECT_EQ(ev[0].header.type, EventType::command);
    EXPECT_EQ(ev[1].header.type, EventType::order_sent);
    EXPECT_EQ(ev[1].payload.order.order_id, 0u);
    EXPECT_EQ(ev[1].payload.order.action, OrderAction::cancel);
    EXPECT_EQ(ev[1].payload.order.reason, Reason::kill_switch_cancel);
    EXPECT_EQ(ev[1].header.symbol, kNoSymbol);
    EXPECT_EQ(ev[1].header.seq, k.header.seq);
    EXPECT_EQ(ev[2].header.type, EventType::order_state);
    EXPECT_EQ(ev[2].payload.order.status, OrderStatus::pending_cancel);
    for (std::size_t i : {3u, 4u}) {
        EXPECT_EQ(ev[i].payload.order.status, OrderStatus::canceled);
        EXPECT_EQ(ev[i].payload.order.reason, Reason::kill_switch_cancel);
    }
    EXPECT_EQ(count_sent(rig.sent(), 0, OrderAction::cancel), 1u);
    EXPECT_TRUE(rig.gw.held_children().empty());
    for (const OrderRecord& r : rig.gw.orders().open_orders())
        EXPECT_EQ(r.status, OrderStatus::pending_cancel);
    // The entry filling before the cancel lands sends no exits: they were dropped.
    const std::size_t before = rig.sent().size();
    rig.gw.on_event(fill(make_order_id(7, 0), 10), rig.out);
    EXPECT_EQ(rig.sent().size(), before);
}

TEST(GatewayStage, KillWithEveryHeldSlotInUseFitsOneInputsEmitBudget) {
    Rig rig;
    for (std::uint64_t seq = 10; seq < 10 + GatewayStage::kMaxHeldChildren / 2; ++seq)
        rig.feed(bracket(seq));
    ASSERT_EQ(rig.gw.held_children().size(), GatewayStage::kMaxHeldChildren);
    // One more bracket: its exits could not be held, so its entry is refused (it would go out
    // unprotected) and the exits are dropped; all three are echoed upstream.
    rig.feed(bracket(50));
    EXPECT_EQ(count_sent(rig.sent(), make_order_id(50, 0), OrderAction::new_order), 0u);
    ASSERT_EQ(rig.replies.posted.size(), 3u);
    EXPECT_EQ(rig.replies.posted[0].header.type, EventType::order_denied);
    EXPECT_EQ(rig.replies.posted[0].payload.order.order_id, make_order_id(50, 0));
    EXPECT_EQ(rig.replies.posted[0].payload.order.reason, Reason::max_open_orders);
    for (std::size_t i : {1u, 2u}) {
        EXPECT_EQ(rig.replies.posted[i].header.type, EventType::venue_cancel);
        EXPECT_EQ(rig.replies.posted[i].payload.order.reason, Reason::parent_not_filled);
    }
    EmitBuffer buffer;  // aborts if the stage emits more than kCapacity for one input
    rig.gw.on_event(kill(), buffer);
    EXPECT_EQ(buffer.size(), 3u + GatewayStage::kMaxHeldChildren);
}

TEST(GatewayStage, AnExitRefusedByRiskCancelsItsUnfilledEntry) {
    Rig rig;
    auto b = bracket(7);
    b[2].header.type = EventType::risk_reject;  // risk refused the take-profit
    b[2].payload.order.reason = Reason::off_tick_price;
    rig.feed(b);
    EXPECT_EQ(count_sent(rig.sent(), make_order_id(7, 0), OrderAction::cancel), 1u);
    const Event cancel = rig.sent().back();
    EXPECT_EQ(cancel.payload.order.reason, Reason::bracket_exit_refused);
    // The entry's cancel lands: the held stop-loss goes with it.
    rig.gw.on_event(reply(EventType::venue_cancel, make_order_id(7, 0), OrderAction::new_order,
                          Reason::canceled_on_request),
                    rig.out);
    EXPECT_TRUE(rig.gw.held_children().empty());
    EXPECT_EQ(count_sent(rig.sent(), make_order_id(7, 1), OrderAction::new_order), 0u);
}

TEST(GatewayStage, ReplayFromTheStartAfterACrashCancelsTheSiblingOnce) {
    const std::uint64_t entry = make_order_id(7, 0);
    const std::uint64_t sl = make_order_id(7, 1);
    const std::uint64_t tp = make_order_id(7, 2);
    std::vector<Event> inputs = bracket(7);
    for (const Event& e :
         {reply(EventType::venue_ack, entry), fill(entry, 10), reply(EventType::venue_ack, sl),
          reply(EventType::venue_ack, tp), fill(sl, 10, Side::sell)})
        inputs.push_back(e);

    std::vector<Event> journal_a;
    {
        Rig a;  // runs up to and including the exit's fill, then "crashes"
        a.feed(inputs);
        journal_a = a.timeline.of('J');
    }
    Rig b;  // restarts and replays the same inputs from the start
    b.feed(inputs);
    EXPECT_EQ(count_sent(b.sent(), tp, OrderAction::cancel), 1u);
    EXPECT_EQ(count_sent(b.sent(), tp, OrderAction::new_order), 1u);
    EXPECT_EQ(count_sent(b.sent(), sl, OrderAction::new_order), 1u);
    EXPECT_EQ(states_of(b.out.events(), tp),
              (std::vector<OrderStatus>{OrderStatus::pending_new, OrderStatus::accepted,
                                        OrderStatus::pending_cancel}));
    EXPECT_EQ(b.gw.alerts(), 0u);
    // Same inputs, same derived journal, byte for byte.
    const std::vector<Event> journal_b = b.timeline.of('J');
    ASSERT_EQ(journal_a.size(), journal_b.size());
    for (std::size_t i = 0; i < journal_a.size(); ++i)
        EXPECT_EQ(std::memcmp(&journal_a[i], &journal_b[i], sizeof(Event)), 0) << i;
}

TEST(GatewayStage, AllocatesNothingAfterConstruction) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    Rig rig;
    std::vector<Event> inputs = bracket(7);
    inputs.push_back(fill(make_order_id(7, 0), 10));
    inputs.push_back(fill(make_order_id(7, 1), 10, Side::sell));
    inputs.push_back(fill(make_order_id(99, 0), 1));  // illegal: alert
    for (const Event& e : bracket(8))
        inputs.push_back(e);
    inputs.push_back(kill());
    {
        // The guard aborts the test binary if the gateway allocates.
        HotScope hot;
        for (const Event& e : inputs)
            rig.gw.on_event(e, rig.out);
    }
    EXPECT_EQ(rig.gw.alerts(), 1u);
    EXPECT_EQ(count_sent(rig.sent(), 0, OrderAction::cancel), 1u);
}
