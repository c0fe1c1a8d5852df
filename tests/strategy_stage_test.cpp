// Proves the strategy stage's contract: every event forwarded first, events routed to their
// symbol's strategy only, client order ids make_order_id(cause seq, k) with k unique per event,
// the per-event order budget, nothing acted on that could not be journaled, its own order book
// moved by replies, bars given to on_bar from input bars and from timers, several strategies on
// one symbol (each sees the event and its own position and orders, fills go to the strategy
// whose order they fill, the event's order ids are shared), and no allocation while handling
// events.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <memory>
#include <vector>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/strategy/strategies/alert_follower.hpp"
#include "keel/engine/strategy/strategies/orb.hpp"
#include "keel/engine/strategy/strategies/sma_cross.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

// A strategy that records what reaches it and runs a test's script on every non-bar event.
class Scripted final : public Strategy {
  public:
    using Script = std::function<void(const Event&, Intents&)>;

    explicit Scripted(std::vector<SymbolId> symbols, std::vector<std::uint32_t> intervals = {})
        : Strategy(std::move(symbols)), intervals_(std::move(intervals)) {
        bars.reserve(64);
        seen.reserve(64);
    }
    [[nodiscard]] std::string_view type() const noexcept override { return "scripted"; }
    [[nodiscard]] std::vector<std::uint32_t> bar_intervals() const override { return intervals_; }
    void on_bar(const BarView& bar, Intents&) noexcept override { bars.push_back(bar); }
    void on_trade(const Event& e, Intents& out) noexcept override { run(e, out); }
    void on_quote(const Event& e, Intents& out) noexcept override { run(e, out); }
    void on_fill(const Event& e, Intents& out) noexcept override { run(e, out); }
    void on_timer(const Event& e, Intents& out) noexcept override { run(e, out); }
    void on_signal(const Event& e, Intents& out) noexcept override { run(e, out); }

    Script script;
    std::vector<BarView> bars;
    std::vector<Event> seen;  // every non-bar event handed to a hook

  private:
    void run(const Event& e, Intents& out) noexcept {
        seen.push_back(e);
        if (script)
            script(e, out);
    }
    std::vector<std::uint32_t> intervals_;
};

using Symbols = std::vector<std::vector<SymbolId>>;

// A stage over scripted strategies, one per symbol list; keeps pointers to them.
struct Rig {
    explicit Rig(std::vector<std::vector<SymbolId>> symbols,
                 std::vector<std::uint32_t> intervals = {})
        : stage(make(std::move(symbols), std::move(intervals), strategies)) {}

    static StrategyStage make(std::vector<std::vector<SymbolId>> symbols,
                              std::vector<std::uint32_t> intervals, std::vector<Scripted*>& keep) {
        std::vector<std::unique_ptr<Strategy>> v;
        for (auto& s : symbols) {
            auto p = std::make_unique<Scripted>(std::move(s), intervals);
            keep.push_back(p.get());
            v.push_back(std::move(p));
        }
        return StrategyStage(std::move(v), {4, Money::from_units(1'000'000), 64});
    }
    std::vector<Event> feed(const Event& e) {
        out.clear();
        stage.on_event(e, out);
        return out.events();
    }
    std::vector<Event> orders() const { return out.of_type(EventType::order_request); }

    std::vector<Scripted*> strategies;
    StrategyStage stage;
    test::Recorder out{256};
};

OrderIntent plain(Side side, std::int64_t units) {
    OrderIntent o;
    o.side = side;
    o.quantity = Quantity::from_units(units);
    return o;
}
OrderIntent bracket(std::int64_t units) {
    OrderIntent o = plain(Side::buy, units);
    o.stop_loss = Price::from_units(90);
    o.take_profit = Price::from_units(120);
    return o;
}

bool same(const Event& a, const Event& b) {
    return std::memcmp(&a, &b, sizeof(Event)) == 0;
}

}  // namespace

TEST(StrategyStage, ABracketTakesK012AndAPlainOrderOfTheSameEventK3) {
    Rig rig(Symbols{{0}});
    // The plain order is asked for first; the bracket still takes 0, 1, 2 (its links follow
    // from those ids), so the plain order gets 3.
    rig.strategies[0]->script = [](const Event&, Intents& out) {
        EXPECT_TRUE(out.order(plain(Side::sell, 1)));
        EXPECT_TRUE(out.order(bracket(5)));
    };
    (void)rig.feed(test::alert(0, 41, AlertAction::buy));
    const std::vector<Event> o = rig.orders();
    ASSERT_EQ(o.size(), 4u);
    const OrderRole roles[4] = {OrderRole::entry, OrderRole::stop_loss, OrderRole::take_profit,
                                OrderRole::none};
    for (std::uint32_t k = 0; k < 4; ++k) {
        EXPECT_EQ(o[k].payload.order.order_id, make_order_id(41, k));
        EXPECT_EQ(o[k].payload.order.role, roles[k]);
        EXPECT_EQ(o[k].header.seq, 41u);
        EXPECT_EQ(o[k].header.aux, 0u);
        EXPECT_EQ(o[k].header.symbol, 0u);  // kNoSymbol in the intent: the event's symbol
    }
    EXPECT_EQ(o[0].payload.order.side, Side::buy);
    EXPECT_EQ(o[1].payload.order.side, Side::sell);
    EXPECT_EQ(o[1].payload.order.order_type, OrderType::stop);
    EXPECT_EQ(o[1].payload.order.stop_price, Price::from_units(90));
    EXPECT_EQ(o[2].payload.order.order_type, OrderType::limit);
    EXPECT_EQ(o[2].payload.order.price, Price::from_units(120));
    EXPECT_EQ(o[3].payload.order.side, Side::sell);
    EXPECT_EQ(rig.stage.orders_requested(), 4u);
    EXPECT_EQ(rig.stage.orders().open_count(), 4u);
}

TEST(StrategyStage, PlainOrdersOfOneEventTakeConsecutiveKs) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event&, Intents& out) {
        for (int i = 0; i < 4; ++i)
            EXPECT_TRUE(out.order(plain(Side::buy, i + 1)));
    };
    (void)rig.feed(test::alert(0, 7, AlertAction::buy));
    const std::vector<Event> o = rig.orders();
    ASSERT_EQ(o.size(), 4u);
    for (std::uint32_t k = 0; k < 4; ++k) {
        EXPECT_EQ(o[k].payload.order.order_id, make_order_id(7, k));
        EXPECT_EQ(o[k].payload.order.quantity, Quantity::from_units(k + 1));
    }
}

TEST(StrategyStage, ThePerEventBudgetRefusesIntentsPastFourSlots) {
    Rig rig(Symbols{{0}});
    std::vector<bool> results;
    rig.strategies[0]->script = [&](const Event& e, Intents& out) {
        switch (e.header.seq) {
            case 10:  // five plain orders: the fifth does not fit
                for (int i = 0; i < 5; ++i)
                    results.push_back(out.order(plain(Side::buy, 1)));
                break;
            case 20:  // a bracket (3) and a plain order (1) fill the budget
                results.push_back(out.order(bracket(1)));
                results.push_back(out.order(plain(Side::buy, 1)));
                results.push_back(out.order(plain(Side::buy, 1)));
                break;
            case 30:  // a cancel takes one slot too
                results.push_back(out.cancel(make_order_id(10, 0)));
                results.push_back(out.order(bracket(1)));
                results.push_back(out.order(plain(Side::buy, 1)));
                break;
            case 40:  // two brackets never fit one event
                results.push_back(out.order(bracket(1)));
                results.push_back(out.order(bracket(1)));
                break;
            default:
                break;
        }
    };
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    EXPECT_EQ(rig.orders().size(), 4u);
    (void)rig.feed(test::alert(0, 20, AlertAction::buy));
    EXPECT_EQ(rig.orders().size(), 4u);
    (void)rig.feed(test::alert(0, 30, AlertAction::buy));
    const std::vector<Event> o = rig.orders();
    ASSERT_EQ(o.size(), 4u);
    EXPECT_EQ(o[0].payload.order.action, OrderAction::cancel);
    EXPECT_EQ(o[0].payload.order.order_id, make_order_id(10, 0));
    EXPECT_EQ(o[1].payload.order.order_id, make_order_id(30, 0));  // cancels take no k
    (void)rig.feed(test::alert(0, 40, AlertAction::buy));
    EXPECT_EQ(rig.orders().size(), 3u);
    const std::vector<bool> expected = {true, true, true,  true, false,  // seq 10
                                        true, true, false,               // seq 20
                                        true, true, false,               // seq 30
                                        true, false};                    // seq 40
    EXPECT_EQ(results, expected);
}

TEST(StrategyStage, MalformedIntentsAreRefused) {
    Rig rig(Symbols{{0}});
    std::vector<bool> results;
    rig.strategies[0]->script = [&](const Event&, Intents& out) {
        OrderIntent half = plain(Side::buy, 1);
        half.stop_loss = Price::from_units(90);  // a bracket needs both legs
        results.push_back(out.order(half));
        results.push_back(out.order(plain(Side::none, 1)));
        results.push_back(out.order(plain(Side::buy, 0)));
        results.push_back(out.cancel(make_order_id(99, 0)));  // no such live order
    };
    (void)rig.feed(test::alert(0, 5, AlertAction::buy));
    EXPECT_EQ(results, std::vector<bool>(4, false));
    EXPECT_TRUE(rig.orders().empty());
}

TEST(StrategyStage, ACancelAlreadyOnItsWayIsNotAskedForTwice) {
    Rig rig(Symbols{{0}});
    std::vector<bool> results;
    rig.strategies[0]->script = [&](const Event& e, Intents& out) {
        if (e.header.seq == 10)
            results.push_back(out.order(plain(Side::buy, 1)));
        else
            results.push_back(out.cancel(make_order_id(10, 0)));
    };
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    (void)rig.feed(test::alert(0, 11, AlertAction::buy));  // cancel: pending_cancel now
    (void)rig.feed(test::alert(0, 12, AlertAction::buy));  // a second cancel is refused
    EXPECT_EQ(results, (std::vector<bool>{true, true, false}));
}

TEST(StrategyStage, EventsOfASymbolReachOnlyItsStrategy) {
    Rig rig(Symbols{{0}, {1, 2}});
    for (Scripted* s : rig.strategies)
        s->script = [](const Event&, Intents& out) { out.note(1, 0); };
    (void)rig.feed(test::trade(2, 5, 100));
    ASSERT_EQ(rig.strategies[1]->seen.size(), 1u);
    EXPECT_TRUE(rig.strategies[0]->seen.empty());
    const std::vector<Event> s = rig.out.of_type(EventType::signal);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].header.aux, 1u);  // the strategy's index
    EXPECT_EQ(s[0].payload.signal.strategy, 1u);
    EXPECT_EQ(s[0].header.symbol, 2u);

    (void)rig.feed(test::trade(3, 6, 100));  // a symbol no strategy trades
    EXPECT_EQ(rig.out.events().size(), 1u);
    EXPECT_EQ(rig.strategies[0]->seen.size() + rig.strategies[1]->seen.size(), 1u);
}

TEST(StrategyStage, AnAlertForASymbolNoStrategyTradesGetsAJournaledNoStrategyDecision) {
    Rig rig(Symbols{{0}});
    (void)rig.feed(test::alert(3, 9, AlertAction::sell));
    EXPECT_TRUE(rig.strategies[0]->seen.empty());
    const std::vector<Event> s = rig.out.of_type(EventType::signal);
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].header.seq, 9u);  // the alert's: a reader finds the decision by its cause
    EXPECT_EQ(s[0].header.symbol, 3u);
    EXPECT_EQ(s[0].payload.signal.reason, Reason::no_strategy);
    EXPECT_EQ(s[0].payload.signal.action, AlertAction::sell);
    EXPECT_EQ(s[0].payload.signal.strategy, kNoStrategyIndex);
    EXPECT_EQ(to_string(Reason::no_strategy), "no_strategy");
    EXPECT_TRUE(rig.out.of_type(EventType::order_request).empty());
}

TEST(StrategyStage, EveryEventIsForwardedFirst) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event& e, Intents& out) {
        out.note(1, 0);
        if (e.header.type == EventType::alert)
            (void)out.order(plain(Side::buy, 1));
    };
    std::vector<Event> inputs;
    inputs.push_back(test::trade(0, 1, 100));
    inputs.push_back(test::bar(0, 2, 100));
    inputs.push_back(test::alert(0, 3, AlertAction::buy));
    inputs.push_back(test::timer(0, 4, 4, TimerKind::session_close));
    inputs.push_back(test::trade(3, 5, 100));  // nobody's symbol
    inputs.push_back(make_event(EventType::command, Source::control, 6, 6, kNoSymbol));
    inputs.push_back(make_event(EventType::session_start, Source::engine, 7, 7, kNoSymbol));
    inputs.push_back(make_event(EventType::flush, Source::engine, 0, 0, kNoSymbol));
    for (const Event& in : inputs) {
        const std::vector<Event> out = rig.feed(in);
        ASSERT_FALSE(out.empty());
        EXPECT_TRUE(same(out[0], in)) << to_string(in.header.type);
    }
}

namespace {

// An EventLog that refuses events of one type (every one, or the first `refusals`) and keeps
// the rest.
class RefusingLog final : public EventLog {
  public:
    explicit RefusingLog(EventType refused, int refusals = -1)
        : refused_(refused), refusals_(refusals) {}
    bool append(const Event& e, const void*, std::uint32_t) noexcept override {
        if (e.header.type == refused_ && refusals_ != 0) {
            if (refusals_ > 0)
                --refusals_;
            return false;
        }
        kept.push_back(e);
        return true;
    }
    std::vector<Event> kept;

  private:
    EventType refused_;
    int refusals_;
};

}  // namespace

TEST(StrategyStage, ASignalThatCannotBeJournaledStopsTheOrdersOfThatEvent) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event&, Intents& out) {
        out.note(1, 0);
        (void)out.order(plain(Side::buy, 1));
    };
    RefusingLog log(EventType::signal);  // it would take the order; the signal comes first
    rig.stage.set_log(&log);
    const std::vector<Event> out = rig.feed(test::alert(0, 3, AlertAction::buy));
    EXPECT_EQ(out.size(), 1u);  // the forwarded alert only
    EXPECT_TRUE(log.kept.empty());
    EXPECT_EQ(rig.stage.signals(), 0u);
    EXPECT_EQ(rig.stage.orders_requested(), 0u);
    EXPECT_EQ(rig.stage.orders().open_count(), 0u);
}

TEST(StrategyStage, AnOrderThatCannotBeJournaledIsNeitherEmittedNorBooked) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event&, Intents& out) {
        out.note(1, 0);
        (void)out.order(plain(Side::buy, 1));
    };
    RefusingLog log(EventType::order_request);
    rig.stage.set_log(&log);
    (void)rig.feed(test::alert(0, 3, AlertAction::buy));
    EXPECT_EQ(rig.out.of_type(EventType::signal).size(), 1u);
    EXPECT_TRUE(rig.orders().empty());
    ASSERT_EQ(log.kept.size(), 1u);
    EXPECT_EQ(log.kept[0].header.type, EventType::signal);
    EXPECT_EQ(rig.stage.orders_requested(), 0u);
    EXPECT_EQ(rig.stage.orders().open_count(), 0u);
}

TEST(StrategyStage, ABracketWhoseEntryCannotBeJournaledEmitsNoExits) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event&, Intents& out) {
        (void)out.order(bracket(1));
        (void)out.order(plain(Side::sell, 1));
    };
    // Refuses the first order request only: a log that recovered must still not see the exits
    // of an entry it never journaled, nor anything after them.
    RefusingLog log(EventType::order_request, /*refusals=*/1);
    rig.stage.set_log(&log);
    (void)rig.feed(test::alert(0, 3, AlertAction::buy));
    EXPECT_TRUE(rig.orders().empty());
    EXPECT_TRUE(log.kept.empty());
    EXPECT_EQ(rig.stage.orders_requested(), 0u);
    EXPECT_EQ(rig.stage.orders().open_count(), 0u);
}

TEST(StrategyStage, VenueRepliesAndDenialsMoveTheStagesOwnBook) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event& e, Intents& out) {
        if (e.header.type == EventType::alert)
            (void)out.order(plain(Side::buy, 5));
    };
    const StrategyView view(rig.stage.orders(), rig.stage.account());
    const std::int64_t five = Quantity::from_units(5).raw;
    const std::int64_t two = Quantity::from_units(2).raw;

    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    const Event first = rig.orders().at(0);
    EXPECT_EQ(view.pending_raw(0), five);
    EXPECT_EQ(view.expected_raw(0), five);
    (void)rig.feed(test::reply_to(first, EventType::venue_ack, 11));
    EXPECT_EQ(rig.stage.orders().find(first.payload.order.order_id)->status, OrderStatus::accepted);
    Event partial = test::fill_of(first, 10);
    partial.header.seq = 12;
    partial.payload.fill.quantity = Quantity::from_units(2);
    partial.payload.fill.flags = 0;
    (void)rig.feed(partial);
    EXPECT_EQ(view.position_raw(0), two);
    EXPECT_EQ(view.pending_raw(0), five - two);
    EXPECT_EQ(view.expected_raw(0), five);
    ASSERT_EQ(rig.strategies[0]->seen.back().header.type, EventType::venue_fill);  // on_fill
    (void)rig.feed(test::reply_to(first, EventType::venue_cancel, 13, Reason::canceled_on_request));
    EXPECT_EQ(rig.stage.orders().open_count(), 0u);
    EXPECT_EQ(view.expected_raw(0), two);

    (void)rig.feed(test::alert(0, 20, AlertAction::buy));
    (void)rig.feed(
        test::reply_to(rig.orders().at(0), EventType::order_denied, 21, Reason::max_position));
    EXPECT_EQ(rig.stage.orders().open_count(), 0u);
    EXPECT_EQ(view.expected_raw(0), two);

    (void)rig.feed(test::alert(0, 30, AlertAction::buy));
    (void)rig.feed(test::reply_to(rig.orders().at(0), EventType::venue_reject, 31,
                                  Reason::insufficient_buying_power));
    EXPECT_EQ(rig.stage.orders().open_count(), 0u);
    EXPECT_EQ(view.expected_raw(0), two);
}

TEST(StrategyStage, OnlyFillsTheBookTakesOrRisksOwnFlattenFillsMoveThePosition) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event& e, Intents& out) {
        if (e.header.type == EventType::alert)
            (void)out.order(plain(Side::buy, 5));
    };
    const StrategyView view(rig.stage.orders(), rig.stage.account());
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    Event f = test::fill_of(rig.orders().at(0), 10);
    f.header.seq = 11;
    (void)rig.feed(f);
    EXPECT_EQ(view.position_raw(0), Quantity::from_units(5).raw);
    f.header.seq = 12;  // the same fill again: the book refuses it, the position does not move
    (void)rig.feed(f);
    EXPECT_EQ(view.position_raw(0), Quantity::from_units(5).raw);
    Event stranger = f;  // an order nobody here placed
    stranger.header.seq = 13;
    stranger.payload.fill.order_id = make_order_id(999, 0);
    (void)rig.feed(stranger);
    EXPECT_EQ(view.position_raw(0), Quantity::from_units(5).raw);
    Event flatten = stranger;  // the risk stage's flatten order does move it
    flatten.header.seq = 14;
    flatten.header.aux = kRiskOwner;
    flatten.payload.fill.order_id = make_order_id(14, 0) | kRiskOrderIdBit;
    flatten.payload.fill.side = Side::sell;
    (void)rig.feed(flatten);
    EXPECT_EQ(view.position_raw(0), 0);
}

TEST(StrategyStage, AnAdoptedVenueOrderIsNoStrategysItsFillsMoveTheAccountAlone) {
    Rig rig(Symbols{{0}});  // one strategy with its symbol alone
    StrategyView view(rig.stage.orders(), rig.stage.account());
    const std::uint64_t id = make_adopted_order_id(0, 0);
    Event adopt = make_event(EventType::venue_ack, Source::venue, 10, 10, 0);
    adopt.header.aux = kAdoptedOwner;
    adopt.payload.order.order_id = id;
    adopt.payload.order.side = Side::buy;
    adopt.payload.order.order_type = OrderType::limit;
    adopt.payload.order.tif = TimeInForce::gtc;
    adopt.payload.order.price = Price::from_units(100);
    adopt.payload.order.quantity = Quantity::from_units(5);
    adopt.payload.order.action = OrderAction::new_order;
    adopt.payload.order.status = OrderStatus::accepted;
    adopt.payload.order.reason = Reason::foreign_order;
    (void)rig.feed(adopt);
    ASSERT_NE(rig.stage.orders().find(id), nullptr);
    // Not the strategy's to count as pending nor to cancel.
    EXPECT_EQ(view.pending_raw(0), 0);
    EXPECT_FALSE(view.owns(*rig.stage.orders().find(id)));
    const std::size_t seen = rig.strategies[0]->seen.size();
    Event f = make_event(EventType::venue_fill, Source::venue, 11, 11, 0);
    f.header.aux = kAdoptedOwner;
    f.payload.fill.order_id = id;
    f.payload.fill.side = Side::buy;
    f.payload.fill.price = Price::from_units(100);
    f.payload.fill.quantity = Quantity::from_units(2);
    (void)rig.feed(f);
    EXPECT_EQ(view.position_raw(0), Quantity::from_units(2).raw);  // the account's
    EXPECT_EQ(rig.strategies[0]->seen.size(), seen);  // no strategy's on_fill
}

TEST(StrategyStage, AFullBookRefusesAnOrderWithAJournaledReasonInsteadOfAborting) {
    Rig rig(Symbols{{0}});
    rig.strategies[0]->script = [](const Event& e, Intents& out) {
        if (e.header.type == EventType::alert)
            (void)out.order(plain(Side::buy, 1));
    };
    // The rig's book holds 64 live orders; nothing fills them.
    for (std::uint64_t seq = 1; seq <= 64; ++seq)
        (void)rig.feed(test::alert(0, seq, AlertAction::buy));
    ASSERT_EQ(rig.stage.orders().open_count(), 64u);
    const std::vector<Event> d = rig.feed(test::alert(0, 65, AlertAction::buy));
    EXPECT_TRUE(rig.orders().empty());
    const std::vector<Event> signals = rig.out.of_type(EventType::signal);
    ASSERT_EQ(signals.size(), 1u);
    EXPECT_EQ(signals[0].payload.signal.reason, Reason::max_open_orders);
    EXPECT_EQ(rig.stage.orders().open_count(), 64u);
}

TEST(StrategyStage, InputBarsReachOnBarWithTheirInterval) {
    Rig rig(Symbols{{0}});
    Event b = test::bar(0, 1234, 50);
    b.header.aux = 15;
    b.payload.bar.high = Price::from_units(55);
    (void)rig.feed(b);
    ASSERT_EQ(rig.strategies[0]->bars.size(), 1u);
    const BarView& v = rig.strategies[0]->bars[0];
    EXPECT_EQ(v.symbol, 0u);
    EXPECT_EQ(v.interval_minutes, 15u);
    EXPECT_EQ(v.close_ns, 1234);
    EXPECT_EQ(v.bar.high, Price::from_units(55));
    EXPECT_EQ(v.bar.close, Price::from_units(50));
    EXPECT_EQ(v.bar.volume, Quantity::from_units(1000));
    EXPECT_TRUE(rig.strategies[0]->seen.empty());  // not a trade, not a timer
    EXPECT_EQ(rig.stage.account().position(0).last_price, Price::from_units(50));  // marked
}

TEST(StrategyStage, AggregatedBarsComeFromBarCloseTimers) {
    Rig rig(Symbols{{0}}, {1, 5});
    const std::int64_t t0 = 4 * kNsPerDay;  // a Monday; the default session trades all day
    const auto tick = [&](std::uint64_t seq, std::int64_t ts, std::int64_t price, int size) {
        (void)rig.feed(
            test::sized_trade(0, seq, ts, Price::from_units(price), Quantity::from_units(size)));
    };
    tick(1, t0 + 1, 10, 1);
    tick(2, t0 + 2, 14, 2);
    tick(3, t0 + 3, 9, 3);
    tick(4, t0 + 4, 12, 4);
    EXPECT_TRUE(rig.strategies[0]->bars.empty());  // ticks alone close nothing
    (void)rig.feed(test::timer(0, 5, t0 + kNsPerMinute, TimerKind::bar_close, 1));
    ASSERT_EQ(rig.strategies[0]->bars.size(), 1u);
    const BarView& v = rig.strategies[0]->bars[0];
    EXPECT_EQ(v.interval_minutes, 1u);
    EXPECT_EQ(v.close_ns, t0 + kNsPerMinute);
    EXPECT_EQ(v.bar.open, Price::from_units(10));
    EXPECT_EQ(v.bar.high, Price::from_units(14));
    EXPECT_EQ(v.bar.low, Price::from_units(9));
    EXPECT_EQ(v.bar.close, Price::from_units(12));
    EXPECT_EQ(v.bar.volume, Quantity::from_units(10));
    // The bar_close timer went to the aggregator, not to on_timer; the ticks did reach on_trade.
    EXPECT_EQ(rig.strategies[0]->seen.size(), 4u);

    tick(6, t0 + kNsPerMinute + 1, 20, 1);
    (void)rig.feed(test::timer(0, 7, t0 + 2 * kNsPerMinute, TimerKind::bar_close, 1));
    (void)rig.feed(test::timer(0, 8, t0 + 5 * kNsPerMinute, TimerKind::bar_close, 5));
    ASSERT_EQ(rig.strategies[0]->bars.size(), 3u);
    EXPECT_EQ(rig.strategies[0]->bars[2].interval_minutes, 5u);
    EXPECT_EQ(rig.strategies[0]->bars[2].bar.open, Price::from_units(10));
    EXPECT_EQ(rig.strategies[0]->bars[2].bar.close, Price::from_units(20));
    EXPECT_EQ(rig.strategies[0]->bars[2].bar.volume, Quantity::from_units(11));
    // Other timers reach on_timer.
    (void)rig.feed(test::timer(0, 9, t0 + 6 * kNsPerMinute, TimerKind::before_close));
    EXPECT_EQ(rig.strategies[0]->seen.back().header.type, EventType::timer);
}

namespace {

// Two scripted strategies on symbol 0; each orders `units` on an alert and records what its
// view shows on every trade.
struct SharedRig : Rig {
    SharedRig() : Rig(Symbols{{0}, {0}}) {
        for (std::size_t i = 0; i < 2; ++i) {
            rig_script(i, static_cast<std::int64_t>(3 + 2 * i));  // 3 and 5 units
        }
    }
    void rig_script(std::size_t i, std::int64_t units) {
        strategies[i]->script = [this, i, units](const Event& e, Intents& intents) {
            if (e.header.type == EventType::alert)
                (void)intents.order(plain(Side::buy, units));
            if (e.header.type == EventType::trade) {
                position[i] = intents.view().position_raw(0);
                pending[i] = intents.view().pending_raw(0);
            }
        };
    }
    std::int64_t position[2] = {-1, -1};
    std::int64_t pending[2] = {-1, -1};
};

}  // namespace

TEST(StrategyStage, TwoStrategiesOnOneSymbolEachHandleTheEventAndShareItsOrderIds) {
    SharedRig rig;
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    const std::vector<Event> o = rig.orders();
    ASSERT_EQ(o.size(), 2u);
    for (std::uint32_t k = 0; k < 2; ++k) {
        EXPECT_EQ(o[k].payload.order.order_id, make_order_id(10, k));  // one id space per event
        EXPECT_EQ(o[k].header.aux, k);                                 // the ordering strategy
        EXPECT_EQ(rig.strategies[k]->seen.size(), 1u);
    }
    EXPECT_EQ(o[0].payload.order.quantity, Quantity::from_units(3));
    EXPECT_EQ(o[1].payload.order.quantity, Quantity::from_units(5));
    EXPECT_TRUE(rig.stage.own_view(0));
    EXPECT_TRUE(rig.stage.own_view(1));
    // Each view counts only its own live orders as pending.
    (void)rig.feed(test::trade(0, 11, 100));
    EXPECT_EQ(rig.pending[0], Quantity::from_units(3).raw);
    EXPECT_EQ(rig.pending[1], Quantity::from_units(5).raw);
}

TEST(StrategyStage, AFillOnASharedSymbolMovesTheAccountAndOnlyItsOwnStrategysBook) {
    SharedRig rig;
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    const std::vector<Event> o = rig.orders();
    ASSERT_EQ(o.size(), 2u);
    Event f = test::fill_of(o[1], 100);  // strategy 1's order
    f.header.seq = 12;
    (void)rig.feed(f);
    EXPECT_EQ(rig.stage.account().position(0).quantity_raw, Quantity::from_units(5).raw);
    EXPECT_EQ(rig.stage.strategy_book(1).position(0).quantity_raw, Quantity::from_units(5).raw);
    EXPECT_EQ(rig.stage.strategy_book(0).position(0).quantity_raw, 0);
    EXPECT_EQ(rig.strategies[0]->seen.size(), 1u);  // the alert only: not its fill
    EXPECT_EQ(rig.strategies[1]->seen.back().header.type, EventType::venue_fill);
    Event g = test::fill_of(o[0], 104);
    g.header.seq = 13;
    (void)rig.feed(g);
    (void)rig.feed(test::trade(0, 14, 110));
    EXPECT_EQ(rig.position[0], Quantity::from_units(3).raw);
    EXPECT_EQ(rig.position[1], Quantity::from_units(5).raw);
    EXPECT_EQ(rig.pending[0], 0);
    // Each book is marked and valued apart; together they are the account.
    const Money a =
        rig.stage.strategy_book(0).equity() - rig.stage.strategy_book(0).starting_cash();
    const Money b =
        rig.stage.strategy_book(1).equity() - rig.stage.strategy_book(1).starting_cash();
    EXPECT_EQ(a, Money::from_units(3 * (110 - 104)));
    EXPECT_EQ(b, Money::from_units(5 * (110 - 100)));
    EXPECT_EQ(a + b, rig.stage.account().equity() - rig.stage.account().starting_cash());
}

TEST(StrategyStage, ABracketFitsASharedEventOnlyBeforeAnyOtherStrategyOrdered) {
    Rig rig(Symbols{{0}, {0}});
    bool first = false, second = true;
    rig.strategies[0]->script = [&](const Event&, Intents& out) {
        first = out.order(plain(Side::buy, 1));
    };
    rig.strategies[1]->script = [&](const Event&, Intents& out) {
        second = out.order(bracket(1));  // needs ids 0, 1, 2: 0 is taken
        EXPECT_TRUE(out.order(plain(Side::sell, 2)));
    };
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    EXPECT_TRUE(first);
    EXPECT_FALSE(second);
    const std::vector<Event> o = rig.orders();
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[1].payload.order.order_id, make_order_id(10, 1));
    EXPECT_EQ(o[1].header.aux, 1u);
}

TEST(StrategyStage, AStrategyCannotCancelAnotherStrategysOrderOnItsSymbol) {
    SharedRig rig;
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    const std::uint64_t theirs = make_order_id(10, 1);
    bool canceled = true;
    rig.strategies[0]->script = [&](const Event&, Intents& out) { canceled = out.cancel(theirs); };
    (void)rig.feed(test::trade(0, 11, 100));
    EXPECT_FALSE(canceled);
    EXPECT_TRUE(rig.orders().empty());
}

TEST(StrategyStage, RisksFlattenFillOnASharedSymbolClosesEveryStrategysBook) {
    SharedRig rig;
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    const std::vector<Event> orders = rig.orders();
    ASSERT_EQ(orders.size(), 2u);
    for (const Event& o : orders) {
        Event f = test::fill_of(o, 100);
        f.header.seq = 20 + o.header.aux;
        (void)rig.feed(f);
    }
    ASSERT_EQ(rig.stage.account().position(0).quantity_raw, Quantity::from_units(8).raw);
    Event flatten = test::fill_of(orders[0], 101);
    flatten.header.seq = 30;
    flatten.header.aux = kRiskOwner;
    flatten.payload.fill.order_id = make_order_id(30, 0) | kRiskOrderIdBit;
    flatten.payload.fill.side = Side::sell;
    flatten.payload.fill.quantity = Quantity::from_units(8);
    flatten.payload.fill.fee = Money::from_units(8);
    (void)rig.feed(flatten);
    EXPECT_EQ(rig.stage.account().position(0).quantity_raw, 0);
    EXPECT_EQ(rig.stage.strategy_book(0).position(0).quantity_raw, 0);
    EXPECT_EQ(rig.stage.strategy_book(1).position(0).quantity_raw, 0);
    // The fee in proportion: 3 and 5 of the 8.
    EXPECT_EQ(rig.stage.strategy_book(0).fees(), Money::from_units(3));
    EXPECT_EQ(rig.stage.strategy_book(1).fees(), Money::from_units(5));
    EXPECT_EQ(rig.stage.strategy_book(0).realized() + rig.stage.strategy_book(1).realized(),
              rig.stage.account().realized());
}

TEST(StrategyStage, ASymbolsAggregatedBarsReachEachOfItsStrategiesThatAskedForTheInterval) {
    std::vector<std::unique_ptr<Strategy>> v;
    auto one = std::make_unique<Scripted>(std::vector<SymbolId>{0}, std::vector<std::uint32_t>{1});
    auto five = std::make_unique<Scripted>(std::vector<SymbolId>{0}, std::vector<std::uint32_t>{5});
    Scripted* a = one.get();
    Scripted* b = five.get();
    v.push_back(std::move(one));
    v.push_back(std::move(five));
    StrategyStage stage(std::move(v), {4, Money::from_units(1'000'000), 64});
    test::Recorder out{256};
    const std::int64_t t0 = 4 * kNsPerDay;
    stage.on_event(test::sized_trade(0, 1, t0 + 1, Price::from_units(10), Quantity::from_units(1)),
                   out);
    stage.on_event(test::timer(0, 2, t0 + kNsPerMinute, TimerKind::bar_close, 1), out);
    stage.on_event(test::timer(0, 3, t0 + 5 * kNsPerMinute, TimerKind::bar_close, 5), out);
    ASSERT_EQ(a->bars.size(), 1u);
    EXPECT_EQ(a->bars[0].interval_minutes, 1u);
    ASSERT_EQ(b->bars.size(), 1u);
    EXPECT_EQ(b->bars[0].interval_minutes, 5u);
    EXPECT_EQ(b->bars[0].bar.close, Price::from_units(10));
    EXPECT_EQ(a->seen.size(), 1u);  // the trade; bar_close timers went to the aggregator
    EXPECT_EQ(b->seen.size(), 1u);
}

TEST(StrategyStage, SharedSymbolRoutingAllocatesNothing) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "allocation guard not linked into this build";
    SharedRig rig;
    (void)rig.feed(test::alert(0, 10, AlertAction::buy));
    test::Recorder out{256};
    {
        HotScope hot;
        for (std::int64_t i = 0; i < 50; ++i)
            rig.stage.on_event(test::trade(0, 100 + i, 100 + i % 7), out);
    }
    EXPECT_EQ(rig.position[0], 0);  // the trades reached the strategies
}

namespace {

constexpr TradingSession kOrbSession{(9 * 60 + 30) * 60, 16 * 3600, 0, kMondayToFriday};

// A session of inputs for three strategies: sma_cross on bars of symbol 0, orb on trades and
// timers of symbol 1, alert_follower on alerts for symbol 2; every event a fresh sequence.
std::vector<Event> mixed_session(std::int64_t day) {
    std::vector<Event> v;
    std::uint64_t seq = static_cast<std::uint64_t>(day) * 1'000'000;
    const std::int64_t open = session_open_ns(kOrbSession, day);
    const AlertAction actions[] = {AlertAction::buy,   AlertAction::buy,  AlertAction::sell,
                                   AlertAction::close, AlertAction::sell, AlertAction::close_short};
    for (int m = 0; m < 60; ++m) {
        const std::int64_t t = open + m * kNsPerMinute;
        // orb: a quiet range for 15 minutes, then a breakout with volume.
        const std::int64_t px = m < 15 ? 100 : 100 + (m - 14) * 3;
        const std::int64_t vol = m < 15 ? 100 : 400;
        v.push_back(
            test::sized_trade(1, ++seq, t + 1, Price::from_units(px), Quantity::from_units(vol)));
        v.push_back(
            test::sized_trade(1, ++seq, t + 2, Price::from_units(px - 1), Quantity::from_units(1)));
        // sma_cross: closes that swing, so it crosses now and then.
        Event b = test::bar(0, t + kNsPerMinute, 100 + ((m / 4) % 2 == 0 ? m % 4 : -(m % 4)));
        b.header.seq = ++seq;
        v.push_back(b);
        if ((m + 1) % 5 == 0)
            v.push_back(test::timer(1, ++seq, t + kNsPerMinute, TimerKind::bar_close, 5));
        v.push_back(test::timer(1, ++seq, t + kNsPerMinute, TimerKind::bar_close, 1));
        if (m % 3 == 0) {
            Event a = test::alert(2, ++seq, actions[(m / 3) % 6]);
            a.header.ts_ns = t + 3;
            a.payload.alert.quantity = Quantity::from_units(2);
            v.push_back(a);
        }
    }
    v.push_back(test::timer(1, ++seq, open + 385 * kNsPerMinute, TimerKind::before_close));
    return v;
}

}  // namespace

TEST(StrategyStage, AllocatesNothingWhileHandlingEvents) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    std::vector<std::unique_ptr<Strategy>> v;
    SmaCrossParams sp;
    sp.symbol = 0;
    sp.fast = 2;
    sp.slow = 5;
    sp.allow_short = true;
    sp.sizing = SizingPolicy::fixed(Quantity::from_units(10));
    v.push_back(std::make_unique<SmaCrossStrategy>(sp));
    OrbParams op;
    op.symbol = 1;
    op.interval_minutes = 1;
    op.range_minutes = 15;
    op.trend_interval_minutes = 5;
    op.trend_ema = 3;
    op.volume_sma = 3;
    op.atr_period = 3;
    op.sizing = SizingPolicy::fixed(Quantity::from_units(10));
    auto orb = std::make_unique<OrbStrategy>(op);
    orb->set_session(kOrbSession);
    v.push_back(std::move(orb));
    AlertFollowerParams ap;
    ap.symbols = {2};
    ap.sizing = SizingPolicy::fixed(Quantity::from_units(1));
    v.push_back(std::make_unique<AlertFollower>(std::move(ap)));
    StrategyStage st(std::move(v), {4, Money::from_units(1'000'000), 1024});

    std::vector<Event> inputs = mixed_session(4);
    const std::vector<Event> day2 = mixed_session(5);
    inputs.insert(inputs.end(), day2.begin(), day2.end());
    test::Recorder out(1 << 16);
    std::size_t entries = 0;
    std::size_t per_symbol[3] = {0, 0, 0};
    {
        HotScope hot;  // any allocation in here aborts the test binary
        for (const Event& in : inputs) {
            const std::size_t from = out.events().size();
            st.on_event(in, out);
            const std::size_t to = out.events().size();
            // Fill every order that opens or closes at once, so positions keep moving.
            for (std::size_t i = from; i < to; ++i) {
                const Event o = out.events()[i];
                if (o.header.type != EventType::order_request ||
                    o.payload.order.action != OrderAction::new_order)
                    continue;
                ++per_symbol[o.header.symbol];
                if (o.payload.order.role == OrderRole::entry)
                    ++entries;
                if (o.payload.order.role == OrderRole::stop_loss ||
                    o.payload.order.role == OrderRole::take_profit)
                    continue;
                Event f = test::fill_of(o, 1);
                f.payload.fill.price = st.account().position(o.header.symbol).last_price;
                if (f.payload.fill.price.raw == 0)
                    f.payload.fill.price = Price::from_units(100);
                st.on_event(f, out);
            }
        }
    }
    // The hot paths ran: each strategy ordered, orb once per session.
    EXPECT_GT(per_symbol[0], 0u);
    EXPECT_GT(per_symbol[2], 0u);
    EXPECT_EQ(entries, 2u);
    EXPECT_GT(st.signals(), 0u);
}
