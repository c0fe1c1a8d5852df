// Proves the risk stage's pre-trade controls one by one (just under, at and just over each
// limit, and the missing or stale input each needs), its modes (kill switch with flatten,
// pause, daily-loss and drawdown halts), atomic limit changes, determinism and that it does not
// allocate per event.
#include <gtest/gtest.h>

#include <cstdlib>
#include <vector>

#include "keel/engine/config/session_zone.hpp"
#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/risk/day_trade_counter.hpp"
#include "keel/engine/risk/duplicate_filter.hpp"
#include "keel/engine/risk/fill_window.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/risk/risk_checks.hpp"
#include "keel/engine/risk/risk_stage.hpp"
#include "keel/engine/risk/token_bucket.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;
using test::Recorder;

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kDay = 1440 * kMinute;
// Monday 2024-01-08 14:30 UTC.
constexpr std::int64_t kMonday1430 = 19730 * kDay + (14 * 60 + 30) * kMinute;

Quantity qty(std::int64_t units) {
    return Quantity::from_units(units);
}
Price px(std::int64_t units) {
    return Price::from_units(units);
}
Money usd(std::int64_t units) {
    return Money::from_units(units);
}

struct OrderSpec {
    SymbolId symbol = 0;
    Side side = Side::buy;
    Quantity quantity = Quantity::from_units(1);
    OrderType type = OrderType::market;
    Price price{};
    Price stop_price{};
    OrderAction action = OrderAction::new_order;
    std::uint64_t target = 0;  // cancel / replace: the order acted on
    OrderRole role = OrderRole::none;
    std::uint32_t k = 0;       // the id's k (a bracket's exits: 1 and 2)
    bool same_cause = false;   // derived from the last event fed (same sequence): an alert's
};

// Drives one RiskStage with a scripted stream: every event gets the next sequence number and
// the harness clock, and each call returns what risk emitted for that one event.
class Harness {
  public:
    explicit Harness(const RiskLimits& limits = {}, Money cash = Money::from_units(1'000'000),
                     std::size_t symbols = 16, bool venue_reports_status = false)
        : risk(limits, RiskStageOptions{symbols, 64, cash, 0, {}, venue_reports_status}),
          out(1 << 14) {
        for (SymbolId s = 0; s < 8; ++s)
            define(s, Price::from_raw(10'000'000));  // tick 0.01
    }

    Event make(EventType type, SymbolId symbol, Source source = Source::feed) {
        return make_event(type, source, ++seq, now, symbol);
    }
    const std::vector<Event>& feed(const Event& e) {
        inputs.push_back(e);
        out.clear();
        risk.on_event(e, out);
        last = out.events();
        return last;
    }
    void define(SymbolId s, Price tick) {
        Event e = make(EventType::symbol_def, s);
        e.payload.symbol_def.tick_size = tick;
        feed(e);
    }
    // An alert about s with a price (0: none), as the strategy stage forwards it.
    void alert(SymbolId s, Price p) {
        Event e = make(EventType::alert, s, Source::webhook);
        e.payload.alert.price = p;
        e.payload.alert.action = AlertAction::buy;
        feed(e);
    }
    void trade(SymbolId s, Price p) {
        Event e = make(EventType::trade, s);
        e.payload.trade.price = p;
        e.payload.trade.size = qty(1);
        feed(e);
    }
    // Places an order; checks risk answered with exactly one decision about it and returns its
    // reason (none = approved). The order's id is last_id.
    Reason place(const OrderSpec& o) {
        if (o.same_cause)
            --seq;
        Event e = make(EventType::order_request, o.symbol, Source::strategy);
        last_id = o.action == OrderAction::new_order ? make_order_id(e.header.seq, o.k) : o.target;
        e.payload.order.order_id = last_id;
        e.payload.order.side = o.side;
        e.payload.order.quantity = o.quantity;
        e.payload.order.order_type = o.type;
        e.payload.order.price = o.price;
        e.payload.order.stop_price = o.stop_price;
        e.payload.order.tif = TimeInForce::day;
        e.payload.order.action = o.action;
        e.payload.order.role = o.role;
        feed(e);
        EXPECT_EQ(last.size(), 1u);
        if (last.size() != 1)
            return Reason::invalid_order;
        const Event& d = last[0];
        EXPECT_EQ(d.payload.order.order_id, last_id);
        EXPECT_EQ(d.header.source, Source::risk);
        if (d.header.type == EventType::order_request) {
            EXPECT_EQ(d.payload.order.status, OrderStatus::approved);
            return Reason::none;
        }
        EXPECT_EQ(d.header.type, EventType::risk_reject);
        EXPECT_EQ(d.payload.order.status, OrderStatus::denied);
        EXPECT_NE(d.payload.order.reason, Reason::none);
        return d.payload.order.reason;
    }
    void reply(EventType type, std::uint64_t id, SymbolId s) {
        Event e = make(type, s, Source::venue);
        e.payload.order.order_id = id;
        feed(e);
    }
    // The venue acknowledges an order, then fills it completely.
    void ack_fill(std::uint64_t id, SymbolId s, Side side, Quantity q, Price p) {
        reply(EventType::venue_ack, id, s);
        fill(id, s, side, q, p);
    }
    void ack_cancel(std::uint64_t id, SymbolId s) {
        reply(EventType::venue_ack, id, s);
        reply(EventType::venue_cancel, id, s);
    }
    void fill(std::uint64_t id, SymbolId s, Side side, Quantity q, Price p, bool final = true) {
        Event e = make(EventType::venue_fill, s, Source::venue);
        e.payload.fill.order_id = id;
        e.payload.fill.side = side;
        e.payload.fill.quantity = q;
        e.payload.fill.price = p;
        e.payload.fill.flags = final ? kFillFinal : 0;
        feed(e);
    }
    // Places a market order with today's limits, has the venue ack and fill it completely.
    void open(SymbolId s, Side side, Quantity q, Price p) {
        trade(s, p);
        ASSERT_EQ(place({.symbol = s, .side = side, .quantity = q}), Reason::none);
        const std::uint64_t id = last_id;
        reply(EventType::venue_ack, id, s);
        fill(id, s, side, q, p);
    }
    const std::vector<Event>& command(CommandCode code, std::int64_t arg = 0,
                                      std::uint16_t param = 0, SymbolId s = kNoSymbol) {
        Event e = make(EventType::command, s, Source::control);
        e.payload.command.code = code;
        e.payload.command.arg = arg;
        e.payload.command.param = param;
        return feed(e);
    }
    // Stages one limit and commits it; the commit must be announced.
    void set(RiskLimit id, std::int64_t raw, SymbolId s = kNoSymbol) {
        command(CommandCode::limit_stage, raw, static_cast<std::uint16_t>(id), s);
        ASSERT_EQ(last.size(), 1u) << to_string(id);  // only the command, forwarded
        command(CommandCode::limit_commit);
        ASSERT_EQ(last.size(), 2u);  // the command, then the risk_state
        ASSERT_EQ(last[1].header.type, EventType::risk_state);
        ASSERT_EQ(last[1].payload.risk_state.reason, Reason::none) << to_string(id);
    }
    void session_open() {
        Event e = make(EventType::timer, kNoSymbol, Source::engine);
        e.payload.timer.kind = TimerKind::session_open;
        e.payload.timer.period_start_ns = ++day;  // each call opens a new trading day
        feed(e);
    }
    std::int64_t day = 0;

    RiskStage risk;
    Recorder out;
    std::vector<Event> last;
    std::vector<Event> inputs;  // everything fed, in order: what a restart replays
    std::uint64_t seq = 0;
    std::uint64_t last_id = 0;
    std::int64_t now = kMonday1430;
};

std::vector<Event> of_type(const std::vector<Event>& events, EventType t) {
    std::vector<Event> r;
    for (const Event& e : events) {
        if (e.header.type == t)
            r.push_back(e);
    }
    return r;
}

}  // namespace

// --- the pure parts ---

TEST(RiskLimits, SetTakesEveryKnownIdInRangeAndRefusesTheRestUnchanged) {
    RiskLimits l;
    EXPECT_TRUE(l.set(RiskLimit::max_order_qty, 5));
    EXPECT_EQ(l.max_order_qty.raw, 5);
    EXPECT_FALSE(l.set(RiskLimit::max_order_qty, -1));
    EXPECT_EQ(l.max_order_qty.raw, 5);
    EXPECT_FALSE(l.set(static_cast<RiskLimit>(999), 1));
    EXPECT_FALSE(l.set(RiskLimit::none, 1));
    EXPECT_FALSE(l.set(RiskLimit::max_fills_in_window, kMaxFillsInWindowLimit + 1));
    EXPECT_FALSE(l.set(RiskLimit::trading_open_minute, 1440));
    EXPECT_FALSE(l.set(RiskLimit::restricted_symbol, 1));  // needs a symbol
    EXPECT_TRUE(l.set(RiskLimit::restricted_symbol, 1, 3));
    EXPECT_TRUE(l.is_restricted(3));
    EXPECT_TRUE(l.set(RiskLimit::tick_size, 5, 3));
    EXPECT_EQ(l.tick_override(3), 5);
    EXPECT_FALSE(l.set(RiskLimit::tick_size, 5, kRiskSymbolLimitCapacity));
    for (std::uint16_t id = 1; id <= 25; ++id)
        EXPECT_NE(to_string(static_cast<RiskLimit>(id)), "unknown") << id;
}

TEST(RiskChecks, PureChecksAreInclusiveAtTheirLimits) {
    EXPECT_TRUE(on_tick(Price::from_raw(300), 100));
    EXPECT_FALSE(on_tick(Price::from_raw(301), 100));
    EXPECT_TRUE(on_tick(Price::from_raw(301), 0));
    // 100 bps around 100: 101 is at the collar, 101.000000001 outside.
    EXPECT_FALSE(outside_collar(px(101), px(100), 100));
    EXPECT_TRUE(outside_collar(Price::from_raw(px(101).raw + 1), px(100), 100));
    EXPECT_FALSE(outside_collar(px(99), px(100), 100));
    EXPECT_TRUE(outside_collar(Price::from_raw(px(99).raw - 1), px(100), 100));
    EXPECT_FALSE(over_position(qty(5).raw, qty(2).raw, Side::buy, qty(3).raw, qty(10).raw));
    EXPECT_TRUE(over_position(qty(5).raw, qty(2).raw, Side::buy, qty(4).raw, qty(10).raw));
    EXPECT_FALSE(over_position(qty(5).raw, 0, Side::sell, qty(15).raw, qty(10).raw));
    EXPECT_TRUE(over_position(qty(5).raw, 0, Side::sell, qty(16).raw, qty(10).raw));
    EXPECT_EQ(drawdown_pct_raw(usd(200), usd(190)), 5 * kScale);
    EXPECT_EQ(drawdown_pct_raw(usd(200), usd(210)), 0);
    EXPECT_EQ(check_order_shape(Side::buy, OrderType::limit, Price{}, Price{}),
              Reason::invalid_order);
    EXPECT_EQ(check_order_shape(Side::buy, OrderType::stop_limit, px(1), Price{}),
              Reason::invalid_order);
    EXPECT_EQ(check_order_shape(Side::none, OrderType::market, Price{}, Price{}),
              Reason::invalid_order);
    EXPECT_EQ(check_order_shape(Side::sell, OrderType::stop_limit, px(1), px(1)), Reason::none);
}

TEST(RiskChecks, TradingHoursUseTheOffsetAndTheWeekdayMask) {
    RiskLimits l;
    l.trading_hours.open_s = (9 * 60 + 30) * 60;
    l.trading_hours.close_s = 16 * 3600;
    const std::int64_t monday = 19730 * kDay;
    EXPECT_FALSE(within_trading_hours(monday + (9 * 60 + 29) * kMinute + 59 * kSecond, l));
    EXPECT_TRUE(within_trading_hours(monday + (9 * 60 + 30) * kMinute, l));
    EXPECT_TRUE(within_trading_hours(monday + 16 * 60 * kMinute - 1, l));
    EXPECT_FALSE(within_trading_hours(monday + 16 * 60 * kMinute, l));
    EXPECT_FALSE(within_trading_hours(monday - 2 * kDay + 10 * 60 * kMinute, l));  // Saturday
    EXPECT_TRUE(within_trading_hours(monday + 4 * kDay + 10 * 60 * kMinute, l));   // Friday
    // New York (UTC-5): 14:30 UTC is 09:30 local, 14:29 UTC is 09:29.
    l.trading_hours.utc_offset_minutes = -300;
    EXPECT_TRUE(within_trading_hours(monday + (14 * 60 + 30) * kMinute, l));
    EXPECT_FALSE(within_trading_hours(monday + (14 * 60 + 29) * kMinute, l));
    // Monday 03:00 UTC is Sunday 22:00 in New York.
    l.trading_hours.open_s = 0;
    l.trading_hours.close_s = 86400;
    EXPECT_FALSE(within_trading_hours(monday + 3 * 60 * kMinute, l));
    l.trading_hours.weekdays = 0x7F;
    EXPECT_TRUE(within_trading_hours(monday + 3 * 60 * kMinute, l));
}

TEST(RiskParts, TokenBucketRefillsOnEventTimeUpToItsBurst) {
    TokenBucket b;
    b.configure(2, 2);  // 2 per second, burst 2
    ASSERT_TRUE(b.available(0));
    b.take();
    ASSERT_TRUE(b.available(0));
    b.take();
    EXPECT_FALSE(b.available(kSecond / 2 - 1));
    EXPECT_TRUE(b.available(kSecond / 2));  // one token back after half a second
    b.take();
    EXPECT_FALSE(b.available(kSecond / 2));
    EXPECT_TRUE(b.available(1000 * kSecond));  // a long pause refills to the burst, no more
    EXPECT_EQ(b.tokens_billionths(), 2 * TokenBucket::kUnit);
}

TEST(RiskParts, FillWindowCountsFillsInsideAnInclusiveWindow) {
    FillWindow w;
    w.record(100);
    w.record(200);
    EXPECT_FALSE(w.more_than(2, 100, 200));
    w.record(200);
    EXPECT_TRUE(w.more_than(2, 100, 200));   // three fills in [100, 200]
    EXPECT_FALSE(w.more_than(2, 100, 201));  // the fill at 100 has left the window
}

TEST(RiskParts, DuplicateFilterRemembersTheLastOrdersForAWindow) {
    DuplicateFilter d;
    const OrderKey k{1, Side::buy, OrderType::limit, 5, 0, 7};
    d.record(k, 100);
    EXPECT_TRUE(d.seen(k, 50, 150));
    EXPECT_FALSE(d.seen(k, 50, 151));
    OrderKey other = k;
    other.quantity_raw = 8;
    EXPECT_FALSE(d.seen(other, 50, 150));
    for (int i = 0; i < static_cast<int>(DuplicateFilter::kCapacity); ++i)
        d.record(other, 100);
    EXPECT_FALSE(d.seen(k, 50, 150));  // overwritten: the storage is fixed
}

TEST(RiskParts, DayTradeCounterKeepsFiveTradingDays) {
    DayTradeCounter c;
    c.record();
    for (int day = 0; day < 4; ++day)
        c.start_day();
    c.record();
    EXPECT_EQ(c.count(), 2);
    c.start_day();  // the first day leaves the window
    EXPECT_EQ(c.count(), 1);
}

// --- the stage: sanity and forwarding ---

TEST(RiskStage, ForwardsEveryOtherEventAndAnswersEachRequestWithOneDecision) {
    Harness h(RiskLimits{qty(100)});
    EXPECT_EQ(h.place({.quantity = qty(100)}), Reason::none);
    EXPECT_EQ(h.place({.quantity = qty(101)}), Reason::max_order_qty);
    EXPECT_EQ(h.place({.quantity = qty(0)}), Reason::non_positive_qty);
    const Event md = test::trade(0, 1, 5);
    ASSERT_EQ(h.feed(md).size(), 1u);
    EXPECT_EQ(h.last[0].header.type, EventType::trade);
    EXPECT_EQ(h.risk.rejects(), 2u);
    EXPECT_EQ(h.risk.approvals(), 1u);
}

TEST(RiskStage, InputSanityRefusesBadQuantitySymbolTickAndShape) {
    Harness h;
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(-1)}), Reason::non_positive_qty);
    EXPECT_EQ(h.place({.symbol = 9}), Reason::unknown_symbol);    // never defined
    EXPECT_EQ(h.place({.symbol = 999}), Reason::unknown_symbol);  // beyond the capacity
    h.define(9, Price{});
    EXPECT_EQ(h.place({.symbol = 9}), Reason::none);
    // Tick 0.01 from the symbol_def.
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = Price::from_raw(100'010'000'000)}),
              Reason::none);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = Price::from_raw(100'005'000'000)}),
              Reason::off_tick_price);
    EXPECT_EQ(h.place({.type = OrderType::stop, .stop_price = Price::from_raw(100'005'000'000)}),
              Reason::off_tick_price);
    // A configured tick overrides the symbol_def's.
    h.set(RiskLimit::tick_size, px(1).raw, 0);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = Price::from_raw(100'010'000'000)}),
              Reason::off_tick_price);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    EXPECT_EQ(h.place({.type = OrderType::limit}), Reason::invalid_order);
    EXPECT_EQ(h.place({.type = OrderType::stop_limit, .price = px(100)}), Reason::invalid_order);
    EXPECT_EQ(h.place({.side = Side::none}), Reason::invalid_order);
    EXPECT_EQ(h.place({.type = static_cast<OrderType>(9)}), Reason::invalid_order);
}

TEST(RiskStage, CancelsPassForKnownOrdersAndAreRefusedForUnknownOnes) {
    Harness h;
    ASSERT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    const std::uint64_t id = h.last_id;
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = 12345}), Reason::unknown_order);
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::none);
}

TEST(RiskStage, ReplacesAreCheckedAtTheNewQuantityWithoutCountingTheOldOrderTwice) {
    Harness h;
    h.set(RiskLimit::max_position, qty(10).raw);
    ASSERT_EQ(h.place({.quantity = qty(8), .type = OrderType::limit, .price = px(100)}),
              Reason::none);
    const std::uint64_t id = h.last_id;
    h.reply(EventType::venue_ack, id, 0);
    EXPECT_EQ(h.place({.quantity = qty(10),
                       .type = OrderType::limit,
                       .price = px(100),
                       .action = OrderAction::replace,
                       .target = id}),
              Reason::none);
    EXPECT_EQ(h.place({.quantity = qty(11),
                       .type = OrderType::limit,
                       .price = px(100),
                       .action = OrderAction::replace,
                       .target = 999}),
              Reason::unknown_order);
}

TEST(RiskStage, AnOrderWhoseNotionalTheAccountsCouldNotHoldIsRefused) {
    Harness h;  // no notional limit configured: the always-on bound still holds
    EXPECT_EQ(h.place({.quantity = qty(1'000'000),
                       .type = OrderType::limit,
                       .price = px(1'000'000)}),  // 1e12
              Reason::invalid_order);
    EXPECT_EQ(h.place({.quantity = qty(1'000), .type = OrderType::limit, .price = px(1'000)}),
              Reason::none);
}

TEST(RiskStage, BracketExitsAreNotCountedAsNewPositionOrOpenOrders) {
    Harness h;
    h.set(RiskLimit::max_position, qty(10).raw);
    h.set(RiskLimit::max_open_orders, 1);
    h.trade(0, px(100));
    // The entry takes the whole position limit and the only open-order slot ...
    ASSERT_EQ(h.place({.quantity = qty(10), .role = OrderRole::entry}), Reason::none);
    // ... and its exits, which can only close what it opens, still pass.
    EXPECT_EQ(h.place({.side = Side::sell,
                       .quantity = qty(10),
                       .type = OrderType::stop,
                       .stop_price = px(95),
                       .role = OrderRole::stop_loss}),
              Reason::none);
    EXPECT_EQ(h.place({.side = Side::sell,
                       .quantity = qty(10),
                       .type = OrderType::limit,
                       .price = px(110),
                       .role = OrderRole::take_profit}),
              Reason::none);
    // A plain order is still held to both limits.
    EXPECT_EQ(h.place({.quantity = qty(1)}), Reason::max_position);
}

TEST(RiskStage, ReplaceOverTheLimitIsRefused) {
    Harness h;
    h.set(RiskLimit::max_position, qty(10).raw);
    ASSERT_EQ(h.place({.quantity = qty(8), .type = OrderType::limit, .price = px(100)}),
              Reason::none);
    const std::uint64_t id = h.last_id;
    h.reply(EventType::venue_ack, id, 0);
    EXPECT_EQ(h.place({.quantity = qty(11),
                       .type = OrderType::limit,
                       .price = px(100),
                       .action = OrderAction::replace,
                       .target = id}),
              Reason::max_position);
}

TEST(RiskStage, CancelsAndReplacesTheOrderStateForbidsAreRefused) {
    Harness h;
    ASSERT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    const std::uint64_t id = h.last_id;
    // A replace before the venue's ack: most venues refuse it, so risk does.
    EXPECT_EQ(h.place({.type = OrderType::limit,
                       .price = px(101),
                       .action = OrderAction::replace,
                       .target = id}),
              Reason::invalid_order);
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::none);
    // A second cancel while the first is pending.
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::invalid_order);
    // A mass cancel (order id 0) is the gateway's, never a strategy's.
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = 0}), Reason::unknown_order);
}

// --- size and price ---

TEST(RiskStage, MaxOrderQtyIsAnInclusiveMaximum) {
    Harness h;
    h.set(RiskLimit::max_order_qty, qty(100).raw);
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(qty(100).raw - 1)}), Reason::none);
    EXPECT_EQ(h.place({.quantity = qty(100)}), Reason::none);
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(qty(100).raw + 1)}), Reason::max_order_qty);
}

TEST(RiskStage, MaxOrderNotionalUsesTheLimitPriceOrTheReference) {
    Harness h;
    h.set(RiskLimit::max_order_notional, usd(1000).raw);
    const OrderSpec limit{.quantity = qty(10), .type = OrderType::limit, .price = px(100)};
    OrderSpec under = limit;
    under.price = Price::from_raw(99'990'000'000);
    EXPECT_EQ(h.place(under), Reason::none);
    EXPECT_EQ(h.place(limit), Reason::none);  // 10 * 100 = 1000: at the limit
    OrderSpec over = limit;
    over.price = Price::from_raw(100'010'000'000);
    EXPECT_EQ(h.place(over), Reason::max_order_notional);
    // Market orders: no reference yet, then the last trade is the reference.
    EXPECT_EQ(h.place({.quantity = qty(10)}), Reason::no_reference_price);
    h.trade(0, px(100));
    EXPECT_EQ(h.place({.quantity = qty(10)}), Reason::none);
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(qty(10).raw + 1)}),
              Reason::max_order_notional);
    EXPECT_EQ(h.place({.quantity = qty(10), .type = OrderType::stop, .stop_price = px(90)}),
              Reason::none);
}

TEST(RiskStage, PriceCollarRefusesLimitsFarFromAFreshReference) {
    Harness h;
    h.set(RiskLimit::collar_bps, 100);
    h.set(RiskLimit::max_reference_age_ns, 10 * kSecond);
    const OrderSpec at{.type = OrderType::limit, .price = px(101)};
    EXPECT_EQ(h.place(at), Reason::no_reference_price);
    h.trade(0, px(100));
    OrderSpec under = at;
    under.price = Price::from_raw(100'990'000'000);
    EXPECT_EQ(h.place(under), Reason::none);
    EXPECT_EQ(h.place(at), Reason::none);
    OrderSpec over = at;
    over.price = Price::from_raw(101'010'000'000);
    EXPECT_EQ(h.place(over), Reason::price_collar);
    over.price = Price::from_raw(98'990'000'000);
    EXPECT_EQ(h.place(over), Reason::price_collar);
    // The reference ages: exactly max_reference_age_ns old is still fresh.
    h.now += 10 * kSecond;
    EXPECT_EQ(h.place(at), Reason::none);
    h.now += 1;
    EXPECT_EQ(h.place(at), Reason::stale_reference_price);
    // Market orders are not collared.
    EXPECT_EQ(h.place({}), Reason::none);
}

TEST(RiskStage, QuoteMidAndBarCloseAreReferencesButOneSidedQuotesAreNot) {
    Harness h;
    h.set(RiskLimit::collar_bps, 100);
    Event q = h.make(EventType::quote, 0);
    q.payload.quote.bid = px(99);
    h.feed(q);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::no_reference_price);
    q = h.make(EventType::quote, 0);
    q.payload.quote.bid = px(99);
    q.payload.quote.ask = px(101);
    h.feed(q);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(101)}), Reason::none);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(102)}), Reason::price_collar);
    Event b = h.make(EventType::bar, 0);
    b.payload.bar.close = px(200);
    h.feed(b);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(202)}), Reason::none);
}

// --- exposure ---

TEST(RiskStage, MaxPositionCountsPositionAndSameSideOpenOrders) {
    Harness h;
    h.open(0, Side::buy, qty(5), px(100));
    ASSERT_EQ(h.place({.quantity = qty(2), .type = OrderType::limit, .price = px(99)}),
              Reason::none);
    h.set(RiskLimit::max_position, qty(10).raw);
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(qty(3).raw - 1)}), Reason::none);
    h.ack_fill(h.last_id, 0, Side::buy, Quantity::from_raw(qty(3).raw - 1), px(100));
    // Now 5 + 2.999999999 held, 2 open: 0.000000001 more is at the limit.
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(1)}), Reason::none);
    h.ack_fill(h.last_id, 0, Side::buy, Quantity::from_raw(1), px(100));
    EXPECT_EQ(h.place({.quantity = Quantity::from_raw(1)}), Reason::max_position);
    // Selling: 8 held, so selling 18 ends at -10 (at), 18.000000001 beyond.
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(18)}), Reason::none);
    h.ack_cancel(h.last_id, 0);
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = Quantity::from_raw(qty(18).raw + 1)}),
              Reason::max_position);
}

TEST(RiskStage, MaxGrossExposureSumsPositionsOpenOrdersAndTheOrder) {
    Harness h;
    h.open(0, Side::buy, qty(10), px(100));  // 1000
    ASSERT_EQ(
        h.place({.symbol = 1, .quantity = qty(5), .type = OrderType::limit, .price = px(100)}),
        Reason::none);  // 500 open
    h.set(RiskLimit::max_gross_exposure, usd(2000).raw);
    h.trade(1, px(50));
    EXPECT_EQ(h.place({.symbol = 1,
                       .quantity = qty(5),
                       .type = OrderType::limit,
                       .price = Price::from_raw(99'990'000'000)}),
              Reason::none);  // 1999.95
    h.ack_cancel(h.last_id, 1);
    EXPECT_EQ(
        h.place({.symbol = 1, .quantity = qty(5), .type = OrderType::limit, .price = px(100)}),
        Reason::none);  // 2000: at
    h.ack_cancel(h.last_id, 1);
    EXPECT_EQ(h.place({.symbol = 1,
                       .quantity = qty(5),
                       .type = OrderType::limit,
                       .price = Price::from_raw(100'010'000'000)}),
              Reason::max_gross_exposure);
    // A short position counts by its size too.
    h.open(2, Side::sell, qty(1), px(10));
    EXPECT_EQ(h.place({.symbol = 1, .quantity = qty(5), .type = OrderType::limit, .price = px(98)}),
              Reason::none);  // 1000 + 500 + 10 + 490 = 2000: at
    h.ack_cancel(h.last_id, 1);
    EXPECT_EQ(h.place({.symbol = 1,
                       .quantity = qty(5),
                       .type = OrderType::limit,
                       .price = Price::from_raw(98'010'000'000)}),
              Reason::max_gross_exposure);
}

TEST(RiskStage, GrossExposureFailsClosedWithoutAFreshReferenceForAPosition) {
    Harness h;
    h.open(0, Side::buy, qty(10), px(100));
    h.set(RiskLimit::max_gross_exposure, usd(100'000).raw);
    h.set(RiskLimit::max_reference_age_ns, kSecond);
    h.now += kSecond + 1;
    h.trade(1, px(10));
    EXPECT_EQ(h.place({.symbol = 1, .type = OrderType::limit, .price = px(10)}),
              Reason::stale_reference_price);
    h.trade(0, px(100));
    EXPECT_EQ(h.place({.symbol = 1, .type = OrderType::limit, .price = px(10)}), Reason::none);
}

TEST(RiskStage, MaxOpenOrdersCountsLiveOrdersIncludingTheNewOne) {
    Harness h;
    h.set(RiskLimit::max_open_orders, 2);
    ASSERT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    const std::uint64_t first = h.last_id;
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(99)}), Reason::none);  // 2: at
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(98)}), Reason::max_open_orders);
    h.ack_cancel(first, 0);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(98)}), Reason::none);
}

// --- rate, repeats, executions ---

TEST(RiskStage, ThrottleTakesATokenPerApprovedRequestOnEventTime) {
    Harness h;
    h.set(RiskLimit::throttle_per_s, 2);
    h.set(RiskLimit::throttle_burst, 2);
    EXPECT_EQ(h.place({.quantity = qty(0)}), Reason::non_positive_qty);  // takes no token
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(10)}), Reason::none);
    const std::uint64_t id = h.last_id;
    EXPECT_EQ(h.place({}), Reason::none);  // the burst
    EXPECT_EQ(h.place({}), Reason::throttled);
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::throttled);
    h.now += kSecond / 2 - 1;
    EXPECT_EQ(h.place({}), Reason::throttled);
    h.now += 1;
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::none);
    EXPECT_EQ(h.place({}), Reason::throttled);
}

TEST(RiskStage, DuplicateOrdersWithinTheWindowAreRefused) {
    Harness h;
    h.set(RiskLimit::duplicate_window_ns, kSecond);
    const OrderSpec o{.quantity = qty(3), .type = OrderType::limit, .price = px(100)};
    ASSERT_EQ(h.place(o), Reason::none);
    h.now += kSecond;  // exactly the window: still a duplicate
    EXPECT_EQ(h.place(o), Reason::duplicate_order);
    OrderSpec other = o;
    other.quantity = qty(4);
    EXPECT_EQ(h.place(other), Reason::none);
    other.side = Side::sell;
    other.quantity = qty(3);
    EXPECT_EQ(h.place(other), Reason::none);
    h.now += 1;
    EXPECT_EQ(h.place(o), Reason::none);  // the first is older than the window now
}

TEST(RiskStage, RepeatedExecutionsBlockTheSymbolUntilTheWindowPasses) {
    Harness h;
    h.set(RiskLimit::max_fills_in_window, 2);
    h.set(RiskLimit::fill_window_ns, 10 * kSecond);
    const std::int64_t t0 = h.now;
    h.open(0, Side::buy, qty(1), px(100));
    h.open(0, Side::buy, qty(1), px(100));
    EXPECT_EQ(h.place({}), Reason::none);  // two fills: at the limit
    h.ack_fill(h.last_id, 0, Side::buy, qty(1), px(100));
    EXPECT_EQ(h.place({}), Reason::repeated_execution);
    EXPECT_EQ(h.place({.symbol = 1}), Reason::none);  // other symbols trade on
    h.now = t0 + 10 * kSecond;
    EXPECT_EQ(h.place({}), Reason::repeated_execution);  // the first fill is still inside
    h.now += 1;
    EXPECT_EQ(h.place({}), Reason::none);
}

// --- where and when ---

TEST(RiskStage, TradingHoursAndRestrictedSymbols) {
    Harness h;
    h.set(RiskLimit::trading_open_minute, 9 * 60 + 30);
    h.set(RiskLimit::trading_close_minute, 16 * 60);
    const std::int64_t monday = 19730 * kDay;
    h.now = monday + (9 * 60 + 30) * kMinute - 1;
    EXPECT_EQ(h.place({}), Reason::outside_trading_hours);
    h.now += 1;
    EXPECT_EQ(h.place({}), Reason::none);
    h.now = monday + 16 * 60 * kMinute - 1;
    EXPECT_EQ(h.place({}), Reason::none);
    h.now += 1;
    EXPECT_EQ(h.place({}), Reason::outside_trading_hours);
    h.now = monday - kDay + 12 * 60 * kMinute;  // Sunday noon
    EXPECT_EQ(h.place({}), Reason::outside_trading_hours);

    h.now = kMonday1430;
    h.set(RiskLimit::restricted_symbol, 1, 2);
    EXPECT_EQ(h.place({.symbol = 2}), Reason::restricted_symbol);
    EXPECT_EQ(h.place({.symbol = 3}), Reason::none);
    h.set(RiskLimit::restricted_symbol, 0, 2);
    EXPECT_EQ(h.place({.symbol = 2}), Reason::none);
}

TEST(RiskStage, StaleOrMissingMarketDataRefusesEveryNewOrder) {
    Harness h;
    h.set(RiskLimit::max_market_data_age_ns, kSecond);
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::market_data_stale);
    h.trade(0, px(100));
    h.now += kSecond - 1;
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    h.now += 1;
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);  // at
    h.now += 1;
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::market_data_stale);
}

TEST(RiskStage, AFeedStatusOfStaleOrDisconnectedRefusesNewOrdersUntilFreshOrConnected) {
    Harness h;
    h.trade(0, px(100));
    h.trade(1, px(100));
    auto status = [&](SymbolId s, FeedState state) {
        Event e = h.make(EventType::feed_status, s);
        e.payload.feed_status.state = state;
        h.feed(e);
    };
    const OrderSpec on0{.type = OrderType::limit, .price = px(100)};
    const OrderSpec on1{.symbol = 1, .type = OrderType::limit, .price = px(100)};
    status(0, FeedState::stale);
    EXPECT_EQ(h.place(on0), Reason::market_data_stale);
    EXPECT_EQ(h.place(on1), Reason::none);  // only the stale symbol
    status(0, FeedState::fresh);
    EXPECT_EQ(h.place(on0), Reason::none);
    status(kNoSymbol, FeedState::disconnected);
    EXPECT_EQ(h.place(on1), Reason::market_data_stale);
    status(kNoSymbol, FeedState::connected);
    EXPECT_EQ(h.place(on1), Reason::none);
}

TEST(RiskStage, AVenueThatReportsItsStatusTakesNewOrdersOnlyOnceItIsReady) {
    Harness h(RiskLimits{}, Money::from_units(1'000'000), 16, true);
    h.trade(0, px(100));
    auto status = [&](VenueState state, std::uint8_t account = 0) {
        Event e = h.make(EventType::venue_status, kNoSymbol, Source::venue);
        e.payload.venue_status.state = state;
        e.payload.venue_status.account = account;
        h.feed(e);
    };
    const OrderSpec limit{.type = OrderType::limit, .price = px(100)};
    EXPECT_EQ(h.place(limit), Reason::venue_disconnected);  // not connected yet
    status(VenueState::reconciling);
    EXPECT_EQ(h.place(limit), Reason::venue_disconnected);  // in-doubt orders first
    status(VenueState::ready, 1);                            // another account's venue
    EXPECT_EQ(h.place(limit), Reason::venue_disconnected);
    status(VenueState::ready);
    EXPECT_EQ(h.place(limit), Reason::none);
    // Records about one order change nothing: still ready.
    for (const VenueState s : {VenueState::order_reconciled, VenueState::resend_gap_filled,
                               VenueState::foreign_order})
        status(s);
    EXPECT_EQ(h.place(limit), Reason::none);
    status(VenueState::disconnected);
    EXPECT_EQ(h.place(limit), Reason::venue_disconnected);
    status(VenueState::refused);  // the venue holds orders keel never sent
    EXPECT_EQ(h.place(limit), Reason::venue_disconnected);
}

TEST(RiskStage, ABrokersPositionMismatchRefusesNewOrdersUntilTheOperatorAcknowledgesIt) {
    Harness h(RiskLimits{}, Money::from_units(1'000'000), 16, true);
    h.trade(0, px(100));
    auto status = [&](VenueState state, std::uint8_t account = 0) {
        Event e = h.make(EventType::venue_status, 0, Source::venue);
        e.payload.venue_status.state = state;
        e.payload.venue_status.account = account;
        h.feed(e);
    };
    const OrderSpec limit{.type = OrderType::limit, .price = px(100)};
    status(VenueState::ready);
    status(VenueState::position_mismatch, 1);  // another account's broker
    EXPECT_EQ(h.place(limit), Reason::none);
    status(VenueState::position_mismatch);
    EXPECT_EQ(h.place(limit), Reason::position_mismatch);
    // A reconnect's ready does not clear it: only the operator does.
    status(VenueState::disconnected);
    status(VenueState::ready);
    EXPECT_EQ(h.place(limit), Reason::position_mismatch);
    const std::vector<Event>& acked = h.command(CommandCode::ack_positions);
    ASSERT_FALSE(acked.empty());
    EXPECT_EQ(acked.back().header.type, EventType::risk_state);
    EXPECT_EQ(h.place(limit), Reason::none);
}

TEST(RiskStage, AVenueThatReportsNoStatusIsAlwaysThere) {
    Harness h;
    h.trade(0, px(100));
    EXPECT_EQ(h.place(OrderSpec{.type = OrderType::limit, .price = px(100)}), Reason::none);
}

// --- circuit breakers ---

TEST(RiskStage, TheDayStartsAtTheFirstSessionOpenOfADayNotAtEachSymbolsOpen) {
    Harness h(RiskLimits{}, usd(10'000));
    h.session_open();
    h.open(0, Side::buy, qty(10), px(100));
    h.set(RiskLimit::max_daily_loss, usd(100).raw);
    h.trade(0, px(95));  // -50 today
    // A second symbol's session opens the same day: the day's P&L keeps counting.
    Event again = h.make(EventType::timer, 1, Source::engine);
    again.payload.timer.kind = TimerKind::session_open;
    again.payload.timer.period_start_ns = h.day;
    h.feed(again);
    h.trade(0, px(90));  // -100 today: halts
    EXPECT_EQ(h.risk.flags(), kRiskHalted);
}

// The daily summary's source: when the next trading day starts, risk journals what the day came
// to. The first open a session meets closes nothing (no day had started).
TEST(RiskStage, TheNextDaysOpenClosesTheDayWithItsPnlEquityFillsAndOpenPositions) {
    Harness h(RiskLimits{}, usd(10'000));
    h.session_open();
    EXPECT_TRUE(of_type(h.last, EventType::day_closed).empty());
    const std::int64_t first_day = h.now;
    h.open(0, Side::buy, qty(10), px(100));
    h.open(1, Side::buy, qty(5), px(20));
    h.trade(0, px(103));  // +30
    h.now += kDay;
    h.session_open();
    auto closed = of_type(h.last, EventType::day_closed);
    ASSERT_EQ(closed.size(), 1u);
    const DayClosedPayload& d = closed[0].payload.day_closed;
    EXPECT_EQ(d.day_start_ns, first_day);
    EXPECT_EQ(d.day_pnl, usd(30));
    EXPECT_EQ(d.equity, usd(10'030));
    EXPECT_EQ(d.fills, 2u);
    EXPECT_EQ(d.open_positions, 2u);
    EXPECT_EQ(closed[0].header.ts_ns, h.now);
    // The next day counts afresh: no fills, flat P&L.
    h.now += kDay;
    h.session_open();
    closed = of_type(h.last, EventType::day_closed);
    ASSERT_EQ(closed.size(), 1u);
    EXPECT_EQ(closed[0].payload.day_closed.fills, 0u);
    EXPECT_EQ(closed[0].payload.day_closed.day_pnl, usd(0));
    EXPECT_EQ(closed[0].payload.day_closed.day_start_ns, h.now - kDay);
}

TEST(RiskStage, DailyLossHaltsAtTheLimitUntilTheNextSessionOpen) {
    Harness h(RiskLimits{}, usd(10'000));
    h.session_open();
    h.open(0, Side::buy, qty(10), px(100));
    h.set(RiskLimit::max_daily_loss, usd(100).raw);
    h.trade(0, Price::from_raw(90'010'000'000));  // -99.90
    EXPECT_TRUE(of_type(h.last, EventType::risk_state).empty());
    EXPECT_EQ(h.place({.symbol = 1}), Reason::none);
    h.trade(0, px(90));  // -100: at the limit, which halts
    const auto states = of_type(h.last, EventType::risk_state);
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].payload.risk_state.reason, Reason::daily_loss_halt);
    EXPECT_EQ(states[0].payload.risk_state.flags, kRiskHalted);
    EXPECT_EQ(states[0].payload.risk_state.value, -usd(100).raw);
    EXPECT_EQ(h.risk.flags(), kRiskHalted);
    EXPECT_EQ(h.place({.symbol = 1}), Reason::daily_loss_halt);
    h.command(CommandCode::resume);  // does not lift a daily-loss halt
    EXPECT_EQ(h.place({.symbol = 1}), Reason::daily_loss_halt);
    h.trade(0, px(80));  // no second announcement while halted
    EXPECT_TRUE(of_type(h.last, EventType::risk_state).empty());
    h.session_open();
    ASSERT_EQ(of_type(h.last, EventType::risk_state).size(), 1u);
    EXPECT_EQ(h.risk.flags(), 0);
    EXPECT_EQ(h.place({.symbol = 1}), Reason::none);
}

// A futures day: 17:00 in Chicago, which is 23:00 UTC in winter (CST) and 22:00 UTC from the
// second Sunday of March (CDT, 2026-03-08).
TEST(RiskStage, ADayBoundaryInChicagoResetsTheDailyLossAt1700LocalAcrossDst) {
    std::vector<ConfigError> errors;
    const Json body = Json::parse(R"({"tz": "America/Chicago"})");
    ConfigReader reader(errors, body, "risk.day_boundary");
    RiskLimits limits;
    limits.day_boundary = TradingSession{17 * 3600, 86400, 0, kEveryDay, nullptr};
    (void)read_session_zone(reader, ".", ZoneKeys{false}, limits.day_boundary);
    ASSERT_TRUE(errors.empty()) << errors[0].message;
    limits.day_boundary_on = true;
    Harness h(limits, usd(10'000));
    constexpr std::int64_t kMar6 = 20518 * kDay;  // Friday 2026-03-06, 00:00 UTC
    auto halt_at = [&](std::int64_t ts) {
        h.now = ts;
        h.open(0, Side::buy, qty(10), px(100));
        h.set(RiskLimit::max_daily_loss, usd(100).raw);
        h.trade(0, px(90));  // -100 today: halts
        ASSERT_EQ(h.risk.flags(), kRiskHalted);
    };
    auto lifted_at = [&](std::int64_t ts) {
        h.now = ts;
        h.trade(0, px(90));
        return h.risk.flags() == 0 && of_type(h.last, EventType::risk_state).size() == 1;
    };
    halt_at(kMar6 + 21 * 60 * kMinute);                       // 15:00 CST
    EXPECT_FALSE(lifted_at(kMar6 + (22 * 60 + 30) * kMinute));  // 16:30 CST
    EXPECT_TRUE(lifted_at(kMar6 + 23 * 60 * kMinute));          // 17:00 CST
    h.trade(0, px(100));
    h.set(RiskLimit::max_daily_loss, 0);
    const std::int64_t mar8 = kMar6 + 2 * kDay;  // Sunday: the clocks went forward at 08:00 UTC
    halt_at(mar8 + 20 * 60 * kMinute);             // 15:00 CDT
    EXPECT_FALSE(lifted_at(mar8 + 22 * 60 * kMinute - 1));
    EXPECT_TRUE(lifted_at(mar8 + 22 * 60 * kMinute));  // 17:00 CDT
}

TEST(RiskStage, DrawdownHaltsAtThePercentUntilResume) {
    Harness h(RiskLimits{}, usd(10'000));
    h.open(0, Side::buy, qty(10), px(100));
    h.set(RiskLimit::max_drawdown_pct, 1 * kScale);  // 1%
    h.trade(0, px(110));                             // peak 10'100
    h.trade(0, Price::from_raw(99'910'000'000));     // 9'999.1: 0.99990099%
    EXPECT_TRUE(of_type(h.last, EventType::risk_state).empty());
    EXPECT_EQ(h.place({.symbol = 1}), Reason::none);
    h.trade(0, Price::from_raw(99'900'000'000));  // 9'999: exactly 1%
    const auto states = of_type(h.last, EventType::risk_state);
    ASSERT_EQ(states.size(), 1u);
    EXPECT_EQ(states[0].payload.risk_state.reason, Reason::drawdown_halt);
    EXPECT_EQ(states[0].payload.risk_state.value, 1 * kScale);
    EXPECT_EQ(h.place({.symbol = 1}), Reason::drawdown_halt);
    h.session_open();  // a new day does not lift it
    EXPECT_EQ(h.place({.symbol = 1}), Reason::drawdown_halt);
    h.command(CommandCode::resume);
    EXPECT_EQ(h.risk.flags(), 0);
    EXPECT_EQ(h.place({.symbol = 1}), Reason::none);
    h.trade(0, Price::from_raw(99'800'000'000));  // 0.01% below the re-based peak
    EXPECT_EQ(h.place({.symbol = 1}), Reason::none);
}

TEST(RiskStage, DrawdownWithoutAPositivePeakFailsClosed) {
    Harness h(RiskLimits{}, Money{});
    h.set(RiskLimit::max_drawdown_pct, 1 * kScale);
    EXPECT_EQ(h.place({}), Reason::drawdown_halt);
}

// --- pattern day trading ---

namespace {

// Three day trades today in symbols 1..3 (buy then sell), equity 10'000.
void three_day_trades(Harness& h) {
    for (SymbolId s = 1; s <= 3; ++s) {
        h.open(s, Side::buy, qty(1), px(10));
        h.open(s, Side::sell, qty(1), px(10));
    }
}

}  // namespace

TEST(RiskStage, DayTradeLimitRefusesReducingAPositionOpenedToday) {
    Harness h(RiskLimits{}, usd(10'000));
    h.session_open();
    h.set(RiskLimit::pdt_equity_threshold, usd(25'000).raw);
    h.open(1, Side::buy, qty(1), px(10));
    h.open(1, Side::sell, qty(1), px(10));
    h.open(2, Side::buy, qty(1), px(10));
    h.open(2, Side::sell, qty(1), px(10));
    ASSERT_EQ(h.risk.day_trades(), 2);
    h.open(0, Side::buy, qty(5), px(100));
    // Two day trades: a third is allowed.
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(1)}), Reason::none);
    h.ack_fill(h.last_id, 0, Side::sell, qty(1), px(100));
    ASSERT_EQ(h.risk.day_trades(), 3);
    // At three, reducing again is refused, adding is not.
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(1)}), Reason::day_trade_limit);
    EXPECT_EQ(h.place({.side = Side::buy, .quantity = qty(1)}), Reason::none);
}

TEST(RiskStage, DayTradeLimitSparesOldPositionsRichAccountsAndOutsideItsDates) {
    Harness h(RiskLimits{}, usd(10'000));
    h.session_open();
    h.open(0, Side::buy, qty(5), px(100));  // opened before today's session
    h.now += kDay;
    h.session_open();
    h.set(RiskLimit::pdt_equity_threshold, usd(25'000).raw);
    three_day_trades(h);
    ASSERT_EQ(h.risk.day_trades(), 3);
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(1)}), Reason::none);  // old position
    h.open(4, Side::buy, qty(1), px(10));
    EXPECT_EQ(h.place({.symbol = 4, .side = Side::sell}), Reason::day_trade_limit);
    h.set(RiskLimit::pdt_equity_threshold, usd(10'000).raw);  // equity is not below it
    EXPECT_EQ(h.place({.symbol = 4, .side = Side::sell}), Reason::none);
    h.set(RiskLimit::pdt_equity_threshold, usd(25'000).raw);
    h.set(RiskLimit::pdt_effective_to_ns, h.now);  // the rule ended
    EXPECT_EQ(h.place({.symbol = 4, .side = Side::sell}), Reason::none);
    h.set(RiskLimit::pdt_effective_to_ns, h.now + 1);
    EXPECT_EQ(h.place({.symbol = 4, .side = Side::sell}), Reason::day_trade_limit);
    h.set(RiskLimit::pdt_effective_from_ns, h.now + 1);  // not yet in force
    EXPECT_EQ(h.place({.symbol = 4, .side = Side::sell}), Reason::none);
    // Five sessions later the three day trades have left the window.
    h.set(RiskLimit::pdt_effective_from_ns, 0);
    h.set(RiskLimit::pdt_effective_to_ns, 0);
    for (int d = 0; d < 5; ++d) {
        h.now += kDay;
        h.session_open();
    }
    h.open(5, Side::buy, qty(1), px(10));
    EXPECT_EQ(h.place({.symbol = 5, .side = Side::sell}), Reason::none);
}

// --- modes ---

TEST(RiskStage, KillSwitchBlocksNewOrdersButPassesCancelsUntilUnkill) {
    Harness h;
    ASSERT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    const std::uint64_t id = h.last_id;
    const auto& on_kill = h.command(CommandCode::kill);
    ASSERT_EQ(on_kill.size(), 2u);
    EXPECT_EQ(on_kill[0].header.type, EventType::command);  // forwarded first
    EXPECT_EQ(on_kill[1].header.type, EventType::risk_state);
    EXPECT_EQ(on_kill[1].payload.risk_state.flags, kRiskKilled);
    EXPECT_EQ(on_kill[1].payload.risk_state.reason, Reason::kill_switch);
    EXPECT_EQ(on_kill[1].payload.risk_state.command, static_cast<std::uint16_t>(CommandCode::kill));
    EXPECT_EQ(h.place({}), Reason::kill_switch);
    EXPECT_EQ(h.place({.type = OrderType::limit,
                       .price = px(101),
                       .action = OrderAction::replace,
                       .target = id}),
              Reason::kill_switch);
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::none);
    h.command(CommandCode::unkill);
    EXPECT_EQ(h.risk.flags(), 0);
    EXPECT_EQ(h.place({}), Reason::none);
}

TEST(RiskStage, KillWithFlattenClosesEveryPositionFourOrdersPerEvent) {
    Harness h;
    for (SymbolId s = 0; s < 6; ++s)
        h.open(s, s % 2 == 0 ? Side::buy : Side::sell, qty(s + 1), px(10));
    const auto on_kill = h.command(CommandCode::kill, 1);
    const std::uint64_t kill_seq = h.seq;
    const auto first = of_type(on_kill, EventType::order_request);
    ASSERT_EQ(first.size(), kMaxOrdersPerEvent);
    for (std::uint32_t k = 0; k < first.size(); ++k) {
        const Event& o = first[k];
        EXPECT_EQ(o.header.source, Source::risk);
        EXPECT_EQ(o.header.aux, kRiskOwner);
        EXPECT_EQ(o.header.seq, kill_seq);
        EXPECT_EQ(o.header.symbol, k);
        EXPECT_EQ(o.payload.order.order_id, make_order_id(kill_seq, k) | kRiskOrderIdBit);
        EXPECT_EQ(o.payload.order.status, OrderStatus::approved);
        EXPECT_EQ(o.payload.order.order_type, OrderType::market);
        EXPECT_EQ(o.payload.order.side, k % 2 == 0 ? Side::sell : Side::buy);
        EXPECT_EQ(o.payload.order.quantity, qty(k + 1));
    }
    // Market data is no occasion to place orders; the venue's reply to a flatten order is.
    h.trade(0, px(10));
    EXPECT_TRUE(of_type(h.last, EventType::order_request).empty());
    h.reply(EventType::venue_ack, first[0].payload.order.order_id, 0);
    const auto second = of_type(h.last, EventType::order_request);
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(second[0].header.symbol, 4u);
    EXPECT_EQ(second[1].header.symbol, 5u);
    EXPECT_EQ(second[1].payload.order.order_id, make_order_id(h.seq, 1) | kRiskOrderIdBit);
    // Everything is flat or has its flatten order in flight: nothing more.
    h.fill(first[0].payload.order.order_id, 0, Side::sell, qty(1), px(10));
    EXPECT_TRUE(of_type(h.last, EventType::order_request).empty());
    h.command(CommandCode::kill, 1);
    EXPECT_TRUE(of_type(h.last, EventType::order_request).empty());
    // A refused flatten order is retried on the next command, not on the refusal.
    h.reply(EventType::venue_reject, first[1].payload.order.order_id, 1);
    EXPECT_TRUE(of_type(h.last, EventType::order_request).empty());
    h.command(CommandCode::pause);
    const auto retry = of_type(h.last, EventType::order_request);
    ASSERT_EQ(retry.size(), 1u);
    EXPECT_EQ(retry[0].header.symbol, 1u);
    // unkill stops flattening.
    h.command(CommandCode::unkill);
    h.reply(EventType::venue_reject, retry[0].payload.order.order_id, 1);
    h.command(CommandCode::resume);
    EXPECT_TRUE(of_type(h.last, EventType::order_request).empty());
}

TEST(RiskStage, ModesAreRebuiltByReplayingTheInputStream) {
    Harness live;
    live.open(0, Side::buy, qty(3), px(10));
    live.open(1, Side::sell, qty(2), px(10));
    live.command(CommandCode::kill, 1);
    live.command(CommandCode::pause);
    // A restart: a new stage replays everything the first one was fed (the input journal plus
    // the strategy's requests) and ends in the same mode with the same orders in flight.
    RiskStage replayed(RiskLimits{}, RiskStageOptions{16, 64, Money::from_units(1'000'000)});
    Recorder out(1024);
    for (const Event& e : live.inputs)
        replayed.on_event(e, out);
    EXPECT_EQ(replayed.flags(), kRiskKilled | kRiskPaused);
    EXPECT_EQ(replayed.flags(), live.risk.flags());
    ASSERT_EQ(replayed.book().open_count(), 2u);  // the two flatten orders
    EXPECT_EQ(replayed.book().open_count(), live.risk.book().open_count());
    EXPECT_EQ(replayed.account().position(1).quantity_raw, -qty(2).raw);
    Event o = live.make(EventType::order_request, 0, Source::strategy);
    o.payload.order.order_id = make_order_id(o.header.seq, 0);
    o.payload.order.side = Side::buy;
    o.payload.order.quantity = qty(1);
    o.payload.order.order_type = OrderType::market;
    o.payload.order.action = OrderAction::new_order;
    out.clear();
    replayed.on_event(o, out);
    ASSERT_EQ(out.events().size(), 1u);
    EXPECT_EQ(out.events()[0].payload.order.reason, Reason::kill_switch);
}

TEST(RiskStage, PauseBlocksNewOrdersUntilResume) {
    Harness h;
    ASSERT_EQ(h.place({.type = OrderType::limit, .price = px(100)}), Reason::none);
    const std::uint64_t id = h.last_id;
    h.command(CommandCode::pause);
    ASSERT_EQ(h.last.size(), 2u);
    EXPECT_EQ(h.last[1].payload.risk_state.flags, kRiskPaused);
    EXPECT_EQ(h.place({}), Reason::paused);
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = id}), Reason::none);
    h.command(CommandCode::resume);
    EXPECT_EQ(h.place({}), Reason::none);
}

TEST(RiskStage, PauseIsReduceOnlyCountingOpenOrdersOnTheSameSide) {
    Harness h;
    h.open(0, Side::buy, qty(5), px(100));
    h.open(1, Side::sell, qty(4), px(50));
    ASSERT_EQ(h.place({.side = Side::sell, .quantity = qty(3), .type = OrderType::limit,
                       .price = px(110)}),
              Reason::none);
    const std::uint64_t resting = h.last_id;
    h.command(CommandCode::pause);
    // New exposure is refused: a buy, and a sell that with the resting one goes past flat.
    EXPECT_EQ(h.place({.side = Side::buy}), Reason::paused);
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(3)}), Reason::paused);
    // What only reduces passes: the rest of the long, a cancel.
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(2)}), Reason::none);
    EXPECT_EQ(h.place({.action = OrderAction::cancel, .target = resting}), Reason::none);
    // A short is reduced by buys only.
    EXPECT_EQ(h.place({.symbol = 1, .side = Side::sell}), Reason::paused);
    EXPECT_EQ(h.place({.symbol = 1, .side = Side::buy, .quantity = qty(4)}), Reason::none);
    // Flat: nothing reduces.
    EXPECT_EQ(h.place({.symbol = 2, .side = Side::sell}), Reason::paused);
    h.command(CommandCode::resume);
    EXPECT_EQ(h.place({.side = Side::buy}), Reason::none);
}

TEST(RiskStage, PausedBracketExitsPassAndCountAsOnePairForReduceOnly) {
    Harness h;
    h.open(0, Side::buy, qty(5), px(100));
    h.command(CommandCode::pause);
    // A bracket's exits (stop_loss k=1, take_profit k=2 of one cause) pass while paused.
    ASSERT_EQ(h.place({.side = Side::sell, .quantity = qty(5), .type = OrderType::stop,
                       .stop_price = px(90), .role = OrderRole::stop_loss, .k = 1}),
              Reason::none);
    ASSERT_EQ(h.place({.side = Side::sell, .quantity = qty(5), .type = OrderType::limit,
                       .price = px(120), .role = OrderRole::take_profit, .k = 2,
                       .same_cause = true}),
              Reason::none);
    // Only one of the pair can fill: the position is closable by nothing more, and a sell of
    // the whole position would take it past flat if an exit fills too.
    EXPECT_EQ(h.place({.side = Side::sell, .quantity = qty(1)}), Reason::paused);
    // Without the pair counted once, even that would be refused: a smaller position shows it.
    Harness g;
    g.open(0, Side::buy, qty(10), px(100));
    ASSERT_EQ(g.place({.side = Side::sell, .quantity = qty(5), .type = OrderType::stop,
                       .stop_price = px(90), .role = OrderRole::stop_loss, .k = 1}),
              Reason::none);
    ASSERT_EQ(g.place({.side = Side::sell, .quantity = qty(5), .type = OrderType::limit,
                       .price = px(120), .role = OrderRole::take_profit, .k = 2,
                       .same_cause = true}),
              Reason::none);
    g.command(CommandCode::pause);
    EXPECT_EQ(g.place({.side = Side::sell, .quantity = qty(5)}), Reason::none);
    EXPECT_EQ(g.place({.side = Side::sell, .quantity = qty(1)}), Reason::paused);
}

// --- alert prices ---

TEST(RiskStage, AnAlertsPriceIsTheReferenceWhenNoMarketDataCameAfterIt) {
    RiskLimits limits;
    limits.max_order_notional = usd(1'000);
    Harness h(limits);
    EXPECT_EQ(h.place({.quantity = qty(5)}), Reason::no_reference_price);
    h.alert(0, px(100));
    EXPECT_EQ(h.place({.quantity = qty(5), .same_cause = true}), Reason::none);
    EXPECT_EQ(h.place({.quantity = qty(11)}), Reason::max_order_notional);  // 1,100 at 100
    // An alert without a price changes nothing; market data after an alert takes over.
    h.alert(0, Price{});
    EXPECT_EQ(h.place({.quantity = qty(10)}), Reason::none);
    h.trade(0, px(200));
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::max_order_notional);  // 1,200 at 200
    // And an alert after the market data is the fresher price.
    h.alert(0, px(190));
    EXPECT_EQ(h.place({.quantity = qty(5)}), Reason::none);  // 950 at 190
}

TEST(RiskStage, AnAlertPriceOutsideTheCollarOfThePreviousPriceIsRefusedWithItsOrders) {
    RiskLimits limits;
    limits.collar_bps = 100;
    limits.max_order_notional = usd(100'000);
    Harness h(limits);
    h.trade(0, px(100));
    h.alert(0, Price::from_raw(100'500'000'000));  // within 1% of the trade
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = Price::from_raw(100'500'000'000),
                       .same_cause = true}),
              Reason::none);
    h.alert(0, px(110));  // 9.5% from the previous accepted price (the alert's)
    EXPECT_EQ(h.place({.same_cause = true}), Reason::price_collar);
    // The refused price is no reference: a limit near the last accepted one still passes.
    EXPECT_EQ(h.place({.type = OrderType::limit, .price = Price::from_raw(101'000'000'000)}),
              Reason::none);
}

TEST(RiskStage, TheFirstAlertPriceOfASymbolIsHeldToItsBandOnly) {
    RiskLimits limits;
    limits.collar_bps = 100;
    RiskStageOptions options{16, 64, usd(1'000'000)};
    options.bands = {{px(50), px(150)}};
    RiskStage risk(limits, options);
    Recorder out(1024);
    std::uint64_t seq = 0;
    const auto feed = [&](Event e) {
        e.header.seq = ++seq;
        out.clear();
        risk.on_event(e, out);
    };
    Event def = make_event(EventType::symbol_def, Source::feed, 0, 0, 0);
    def.payload.symbol_def.tick_size = Price::from_raw(10'000'000);
    feed(def);
    const auto alert_then_limit = [&](Price alert_px, Price limit) {
        Event a = make_event(EventType::alert, Source::webhook, 0, 1, 0);
        a.payload.alert.price = alert_px;
        a.payload.alert.action = AlertAction::buy;
        feed(a);
        Event o = make_event(EventType::order_request, Source::strategy, seq, 1, 0);
        o.payload.order = {};
        o.payload.order.order_id = make_order_id(seq, 0);
        o.payload.order.side = Side::buy;
        o.payload.order.quantity = qty(1);
        o.payload.order.order_type = OrderType::limit;
        o.payload.order.price = limit;
        o.payload.order.tif = TimeInForce::day;
        o.payload.order.action = OrderAction::new_order;
        out.clear();
        risk.on_event(o, out);
        EXPECT_EQ(out.events().size(), 1u);
        return out.events().back().header.type == EventType::risk_reject
                   ? out.events().back().payload.order.reason
                   : Reason::none;
    };
    EXPECT_EQ(alert_then_limit(px(200), px(200)), Reason::price_collar);  // above the band
    EXPECT_EQ(alert_then_limit(px(40), px(40)), Reason::price_collar);    // below it
    // The first price in the band is taken with no collar (there is nothing to collar it by).
    EXPECT_EQ(alert_then_limit(px(120), px(120)), Reason::none);
    // The next is collared by it: 122 is 1.7% away.
    EXPECT_EQ(alert_then_limit(px(122), px(122)), Reason::price_collar);
    EXPECT_EQ(alert_then_limit(Price::from_raw(120'500'000'000),
                               Price::from_raw(120'500'000'000)),
              Reason::none);
}

// --- limit changes ---

TEST(RiskStage, StagedLimitsApplyTogetherAtCommit) {
    Harness h;
    h.command(CommandCode::limit_stage, qty(5).raw,
              static_cast<std::uint16_t>(RiskLimit::max_order_qty));
    // Between two stage commands orders still see the old limits.
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::none);
    h.command(CommandCode::limit_stage, 2, static_cast<std::uint16_t>(RiskLimit::max_open_orders));
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::none);
    h.command(CommandCode::limit_commit);
    ASSERT_EQ(h.last.size(), 2u);
    EXPECT_EQ(h.last[1].header.type, EventType::risk_state);
    EXPECT_EQ(h.last[1].payload.risk_state.value, 2);
    EXPECT_EQ(h.last[1].payload.risk_state.reason, Reason::none);
    EXPECT_EQ(h.risk.limits().max_order_qty, qty(5));
    EXPECT_EQ(h.risk.limits().max_open_orders, 2);
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::max_order_qty);
    EXPECT_EQ(h.place({.quantity = qty(5)}), Reason::max_open_orders);  // two already open
}

TEST(RiskStage, DiscardDropsStagedLimits) {
    Harness h;
    h.command(CommandCode::limit_stage, qty(5).raw,
              static_cast<std::uint16_t>(RiskLimit::max_order_qty));
    h.command(CommandCode::limit_discard);
    h.command(CommandCode::limit_commit);
    EXPECT_EQ(h.last[1].payload.risk_state.value, 0);
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::none);
}

TEST(RiskStage, AnInvalidStagedLimitIsAnnouncedAndPoisonsTheWholeBatch) {
    Harness h;
    h.command(CommandCode::limit_stage, qty(5).raw,
              static_cast<std::uint16_t>(RiskLimit::max_order_qty));
    h.command(CommandCode::limit_stage, 1, 999);
    ASSERT_EQ(h.last.size(), 2u);
    EXPECT_EQ(h.last[1].payload.risk_state.reason, Reason::invalid_order);
    EXPECT_EQ(h.last[1].payload.risk_state.value, 999);
    h.command(CommandCode::limit_commit);
    ASSERT_EQ(h.last.size(), 2u);
    EXPECT_EQ(h.last[1].payload.risk_state.reason, Reason::invalid_order);
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::none);  // nothing was applied
    // The batch is gone: a fresh one works.
    h.set(RiskLimit::max_order_qty, qty(5).raw);
    EXPECT_EQ(h.place({.quantity = qty(6)}), Reason::max_order_qty);
}

// --- journal, determinism, allocation ---

namespace {

class RecordingLog final : public EventLog {
  public:
    RecordingLog() { appended.reserve(4096); }
    bool append(const Event& e, const void*, std::uint32_t) noexcept override {
        if (refuse)
            return false;
        appended.push_back(e);
        return true;
    }
    std::vector<Event> appended;
    bool refuse = false;
};

// A session touching every control; returns everything risk emitted.
std::vector<Event> scripted_session(RecordingLog* log) {
    RiskLimits l;
    l.max_order_qty = qty(50);
    l.max_order_notional = usd(100'000);
    l.collar_bps = 500;
    l.max_reference_age_ns = 5 * kSecond;
    l.max_position = qty(100);
    l.max_gross_exposure = usd(1'000'000);
    l.max_open_orders = 8;
    l.throttle_per_s = 5;
    l.throttle_burst = 3;
    l.duplicate_window_ns = kSecond;
    l.max_daily_loss = usd(500);
    l.max_drawdown_pct = 10 * kScale;
    l.max_fills_in_window = 5;
    l.fill_window_ns = kSecond;
    l.max_market_data_age_ns = 5 * kSecond;
    l.pdt_equity_threshold = usd(25'000);
    Harness h(l, usd(10'000));
    if (log != nullptr)
        h.risk.set_log(log);
    std::vector<Event> all;
    for (int i = 0; i < 200; ++i) {
        h.now += kSecond / 4;
        const SymbolId s = static_cast<SymbolId>(i % 3);
        h.trade(s, px(100 + i % 7));
        all.insert(all.end(), h.last.begin(), h.last.end());
        Event o = h.make(EventType::order_request, s, Source::strategy);
        o.payload.order.order_id = make_order_id(o.header.seq, 0);
        o.payload.order.side = i % 2 == 0 ? Side::buy : Side::sell;
        o.payload.order.quantity = qty(1 + i % 60);
        o.payload.order.order_type = i % 4 == 0 ? OrderType::limit : OrderType::market;
        o.payload.order.price = i % 4 == 0 ? px(100 + i % 11) : Price{};
        o.payload.order.action = OrderAction::new_order;
        h.feed(o);
        all.insert(all.end(), h.last.begin(), h.last.end());
        if (!h.last.empty() && h.last[0].header.type == EventType::order_request) {
            h.fill(o.payload.order.order_id, s, o.payload.order.side, o.payload.order.quantity,
                   px(100 + i % 7));
            all.insert(all.end(), h.last.begin(), h.last.end());
        }
        if (i == 150) {
            h.command(CommandCode::kill, 1);
            all.insert(all.end(), h.last.begin(), h.last.end());
        }
    }
    return all;
}

}  // namespace

TEST(RiskStage, JournalsEveryDecisionBeforeEmittingItAndActsOnNothingUnjournaled) {
    RecordingLog log;
    const std::vector<Event> out = scripted_session(&log);
    std::vector<Event> derived;
    for (const Event& e : out) {
        if (e.header.source == Source::risk)
            derived.push_back(e);
    }
    ASSERT_EQ(log.appended.size(), derived.size());
    for (std::size_t i = 0; i < derived.size(); ++i)
        EXPECT_EQ(std::memcmp(&log.appended[i], &derived[i], sizeof(Event)), 0) << i;

    Harness h;
    RecordingLog refusing;
    refusing.refuse = true;
    h.risk.set_log(&refusing);
    Event o = h.make(EventType::order_request, 0, Source::strategy);
    o.payload.order.order_id = 1;
    o.payload.order.side = Side::buy;
    o.payload.order.quantity = qty(1);
    o.payload.order.order_type = OrderType::market;
    o.payload.order.action = OrderAction::new_order;
    EXPECT_TRUE(h.feed(o).empty());  // fail closed: no decision, no order
    EXPECT_EQ(h.risk.approvals(), 0u);
    EXPECT_EQ(h.risk.book().open_count(), 0u);
}

TEST(RiskStage, TheSameInputGivesTheSameDecisions) {
    const std::vector<Event> a = scripted_session(nullptr);
    const std::vector<Event> b = scripted_session(nullptr);
    ASSERT_EQ(a.size(), b.size());
    ASSERT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(Event)), 0);
    // The session exercised approvals, rejects, risk_state and flatten orders.
    std::size_t approvals = 0, rejects = 0, states = 0, flattens = 0;
    for (const Event& e : a) {
        approvals += e.header.type == EventType::order_request;
        rejects += e.header.type == EventType::risk_reject;
        states += e.header.type == EventType::risk_state;
        flattens += e.header.type == EventType::order_request && e.header.aux == kRiskOwner;
    }
    EXPECT_GT(approvals, 10u);
    EXPECT_GT(rejects, 10u);
    EXPECT_GE(states, 1u);
    EXPECT_GE(flattens, 1u);
}

namespace {

// Every control on, a session of orders and fills and a kill with flatten, with the hot guard
// on while risk sees the events; exits 0 when it got through.
[[noreturn]] void run_hot_session() {
    RiskLimits l;
    l.max_order_qty = qty(50);
    l.collar_bps = 500;
    l.max_position = qty(100);
    l.max_gross_exposure = usd(1'000'000);
    l.max_open_orders = 8;
    l.throttle_per_s = 5;
    l.duplicate_window_ns = kSecond;
    l.max_daily_loss = usd(500);
    l.max_drawdown_pct = 10 * kScale;
    l.max_fills_in_window = 5;
    l.fill_window_ns = kSecond;
    l.max_market_data_age_ns = 5 * kSecond;
    l.pdt_equity_threshold = usd(25'000);
    RiskStage risk(l, RiskStageOptions{16, 64, usd(10'000)});
    Recorder out(1 << 12);
    std::vector<Event> script;
    script.reserve(1024);
    std::uint64_t seq = 0;
    std::int64_t ts = kMonday1430;
    for (SymbolId s = 0; s < 3; ++s)
        script.push_back(make_event(EventType::symbol_def, Source::feed, ++seq, ts, s));
    for (int i = 0; i < 200; ++i) {
        ts += kSecond / 4;
        const SymbolId s = static_cast<SymbolId>(i % 3);
        Event t = make_event(EventType::trade, Source::feed, ++seq, ts, s);
        t.payload.trade.price = px(100 + i % 5);
        script.push_back(t);
        Event o = make_event(EventType::order_request, Source::strategy, ++seq, ts, s);
        o.payload.order.order_id = make_order_id(seq, 0);
        o.payload.order.side = i % 2 == 0 ? Side::buy : Side::sell;
        o.payload.order.quantity = qty(1 + i % 9);
        o.payload.order.order_type = OrderType::market;
        o.payload.order.action = OrderAction::new_order;
        script.push_back(o);
        Event f = make_event(EventType::venue_fill, Source::venue, ++seq, ts, s);
        f.payload.fill.order_id = o.payload.order.order_id;
        f.payload.fill.side = o.payload.order.side;
        f.payload.fill.quantity = o.payload.order.quantity;
        f.payload.fill.price = t.payload.trade.price;
        f.payload.fill.flags = kFillFinal;
        script.push_back(f);
    }
    Event kill = make_event(EventType::command, Source::control, ++seq, ts, kNoSymbol);
    kill.payload.command.code = CommandCode::kill;
    kill.payload.command.arg = 1;
    script.push_back(kill);
    {
        HotScope hot;
        for (const Event& e : script)
            risk.on_event(e, out);
    }
    std::exit(risk.approvals() > 0 && risk.rejects() > 0 ? 0 : 1);
}

}  // namespace

TEST(RiskStage, AllocatesNothingPerEventAfterConstruction) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    EXPECT_EXIT(run_hot_session(), ::testing::ExitedWithCode(0), "");
}
