// Proves alert_follower acts on each alert action as specified (opens, reverses, closes, moves
// to a target position, or skips with a journaled reason), places the order and bracket the
// body and the symbol's defaults ask for, sizes from the alert, then the (symbol, timeframe) rules, then
// the default policy, and decides on the expected position (fills plus orders in flight).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/strategy/strategies/alert_follower.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

constexpr SymbolId kSym = 0;

AlertFollowerParams params(bool allow_short = true) {
    AlertFollowerParams p;
    p.symbols = {kSym};
    p.sizing = SizingPolicy::fixed(Quantity::from_units(5));
    p.allow_short = allow_short;
    return p;
}

// One alert_follower in a StrategyStage, fed alerts, trades and fills with rising sequences.
class Rig {
  public:
    explicit Rig(AlertFollowerParams p) : stage_(make(std::move(p), tails_)) {}

    // Sends an alert and returns what the stage derived from it (signals and order requests).
    std::vector<Event> send(Event alert) {
        alert.header.seq = ++seq_;
        alert.header.ts_ns = static_cast<std::int64_t>(seq_);
        if (alert.payload.alert.alert_key == 0)
            alert.payload.alert.alert_key = 1000 + seq_;
        return feed(alert);
    }
    std::vector<Event> send(AlertAction action) { return send(test::alert(kSym, 0, action)); }
    // An alert event (price, quantity set by the caller) with a body.
    std::vector<Event> send(Event alert, std::string_view body) {
        tails_.store(seq_ + 1, body);
        return send(alert);
    }
    // The symbol's definition (its tick size), as ingest journals it before first use.
    void define(Price tick) {
        ++seq_;
        Event e = make_event(EventType::symbol_def, Source::feed, seq_,
                             static_cast<std::int64_t>(seq_), kSym);
        e.payload.symbol_def.tick_size = tick;
        (void)feed(e);
    }
    // An alert whose body (its record's tail, as the webhook journals it) is `body`.
    std::vector<Event> send(AlertAction action, std::string_view body) {
        tails_.store(seq_ + 1, body);
        return send(test::alert(kSym, 0, action));
    }
    // Fills every order request in `derived` completely at price_units.
    void fill_all(const std::vector<Event>& derived, std::int64_t price_units = 10) {
        for (const Event& e : derived) {
            if (e.header.type != EventType::order_request)
                continue;
            Event f = test::fill_of(e, price_units);
            f.header.seq = ++seq_;
            (void)feed(f);
        }
    }
    void reply(const Event& order, EventType type, Reason reason) {
        (void)feed(test::reply_to(order, type, ++seq_, reason));
    }
    void trade(std::int64_t price_units) {
        ++seq_;
        (void)feed(test::sized_trade(kSym, seq_, static_cast<std::int64_t>(seq_),
                                     Price::from_units(price_units), Quantity::from_units(1)));
    }
    [[nodiscard]] std::uint64_t last_seq() const { return seq_; }
    [[nodiscard]] const StrategyStage& stage() const { return stage_; }

  private:
    static StrategyStage make(AlertFollowerParams p, const TailArena& tails) {
        std::vector<std::unique_ptr<Strategy>> v;
        v.push_back(std::make_unique<AlertFollower>(std::move(p)));
        return StrategyStage(std::move(v), {4, Money::from_units(1'000'000), 64, &tails});
    }
    // Returns the derived events (the stage forwards the input first; it is dropped here).
    std::vector<Event> feed(const Event& e) {
        out_.clear();
        stage_.on_event(e, out_);
        EXPECT_FALSE(out_.events().empty());
        EXPECT_EQ(out_.events().front().header.seq, e.header.seq);
        return {out_.events().begin() + 1, out_.events().end()};
    }

    TailArena tails_{8};
    StrategyStage stage_;
    test::Recorder out_{256};
    std::uint64_t seq_ = 0;
};

std::vector<Event> of_type(const std::vector<Event>& v, EventType t) {
    std::vector<Event> r;
    for (const Event& e : v) {
        if (e.header.type == t)
            r.push_back(e);
    }
    return r;
}
std::vector<Event> orders(const std::vector<Event>& v) {
    return of_type(v, EventType::order_request);
}

// The one signal an alert leaves, checked to record the alert's action; returns its reason.
Reason decision(const std::vector<Event>& derived, AlertAction action) {
    const std::vector<Event> s = of_type(derived, EventType::signal);
    EXPECT_EQ(s.size(), 1u);
    if (s.size() != 1)
        return Reason::invalid_order;
    EXPECT_EQ(s[0].payload.signal.action, action);
    return s[0].payload.signal.reason;
}

void expect_order(const Event& o, Side side, std::int64_t units, std::uint32_t k) {
    EXPECT_EQ(o.payload.order.action, OrderAction::new_order);
    EXPECT_EQ(o.payload.order.side, side);
    EXPECT_EQ(o.payload.order.quantity, Quantity::from_units(units));
    EXPECT_EQ(o.payload.order.order_type, OrderType::market);
    EXPECT_EQ(o.payload.order.order_id, make_order_id(o.header.seq, k));
}

}  // namespace

TEST(AlertFollower, BuyWhenFlatOpensLongWithTheDefaultSizeAfterItsSignal) {
    Rig rig(params());
    const std::vector<Event> d = rig.send(test::alert(kSym, 0, AlertAction::buy, 77));
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].header.type, EventType::signal);
    EXPECT_EQ(d[0].payload.signal.direction, 1);
    EXPECT_EQ(d[0].payload.signal.value, 77);  // the alert's key, to find it in the journal
    EXPECT_EQ(d[0].payload.signal.reason, Reason::none);
    EXPECT_EQ(d[0].payload.signal.action, AlertAction::buy);
    ASSERT_EQ(d[1].header.type, EventType::order_request);
    EXPECT_EQ(d[1].header.seq, rig.last_seq());
    expect_order(d[1], Side::buy, 5, 0);
}

TEST(AlertFollower, BuyWhenShortClosesTheShortThenOpensLong) {
    Rig rig(params());
    rig.fill_all(rig.send(AlertAction::sell));
    ASSERT_EQ(rig.stage().account().position(kSym).quantity_raw, -Quantity::from_units(5).raw);
    const std::vector<Event> d = rig.send(AlertAction::buy);
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::none);
    const std::vector<Event> o = orders(d);
    ASSERT_EQ(o.size(), 2u);
    expect_order(o[0], Side::buy, 5, 0);  // the close, its own round trip
    expect_order(o[1], Side::buy, 5, 1);  // the new long
}

TEST(AlertFollower, BuyWhenAlreadyLongIsSkippedWithReasonAlreadyLong) {
    Rig rig(params());
    rig.fill_all(rig.send(AlertAction::buy));
    const std::vector<Event> d = rig.send(AlertAction::buy);
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::already_long);
    EXPECT_TRUE(orders(d).empty());
}

TEST(AlertFollower, SecondBuyBeforeAnyFillIsAlreadyLong) {
    Rig rig(params());
    EXPECT_EQ(orders(rig.send(AlertAction::buy)).size(), 1u);
    const std::vector<Event> d = rig.send(AlertAction::buy);  // the first is still in flight
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::already_long);
    EXPECT_TRUE(orders(d).empty());
}

TEST(AlertFollower, SellWhenLongClosesThenOpensShortAndWhenShortIsAlreadyShort) {
    Rig rig(params());
    rig.fill_all(rig.send(AlertAction::buy));
    std::vector<Event> d = rig.send(AlertAction::sell);
    EXPECT_EQ(decision(d, AlertAction::sell), Reason::none);
    EXPECT_EQ(of_type(d, EventType::signal)[0].payload.signal.direction, -1);
    const std::vector<Event> o = orders(d);
    ASSERT_EQ(o.size(), 2u);
    expect_order(o[0], Side::sell, 5, 0);
    expect_order(o[1], Side::sell, 5, 1);
    // Decided on the expected position: the reversal is still in flight.
    d = rig.send(AlertAction::sell);
    EXPECT_EQ(decision(d, AlertAction::sell), Reason::already_short);
    EXPECT_TRUE(orders(d).empty());
}

TEST(AlertFollower, CloseFlattensEitherSideAndIsSkippedWhenFlat) {
    Rig rig(params());
    std::vector<Event> d = rig.send(AlertAction::close);
    EXPECT_EQ(decision(d, AlertAction::close), Reason::already_flat);
    EXPECT_TRUE(orders(d).empty());

    rig.fill_all(rig.send(AlertAction::buy));
    d = rig.send(AlertAction::close);
    EXPECT_EQ(decision(d, AlertAction::close), Reason::none);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::sell, 5, 0);
    rig.fill_all(d);
    EXPECT_EQ(rig.stage().account().position(kSym).quantity_raw, 0);

    rig.fill_all(rig.send(AlertAction::sell));
    d = rig.send(AlertAction::close);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::buy, 5, 0);
}

TEST(AlertFollower, CloseLongAndCloseShortCloseOnlyTheirOwnSide) {
    Rig rig(params());
    EXPECT_EQ(decision(rig.send(AlertAction::close_long), AlertAction::close_long),
              Reason::already_flat);
    EXPECT_EQ(decision(rig.send(AlertAction::close_short), AlertAction::close_short),
              Reason::already_flat);

    rig.fill_all(rig.send(AlertAction::buy));
    std::vector<Event> d = rig.send(AlertAction::close_short);
    EXPECT_EQ(decision(d, AlertAction::close_short), Reason::already_long);
    EXPECT_TRUE(orders(d).empty());
    d = rig.send(AlertAction::close_long);
    EXPECT_EQ(decision(d, AlertAction::close_long), Reason::none);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::sell, 5, 0);
    rig.fill_all(d);

    rig.fill_all(rig.send(AlertAction::sell));
    d = rig.send(AlertAction::close_long);
    EXPECT_EQ(decision(d, AlertAction::close_long), Reason::already_short);
    EXPECT_TRUE(orders(d).empty());
    d = rig.send(AlertAction::close_short);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::buy, 5, 0);
}

TEST(AlertFollower, WithoutAllowShortASellOnlyClosesALong) {
    Rig rig(params(/*allow_short=*/false));
    std::vector<Event> d = rig.send(AlertAction::sell);
    EXPECT_EQ(decision(d, AlertAction::sell), Reason::already_flat);
    EXPECT_TRUE(orders(d).empty());

    rig.fill_all(rig.send(AlertAction::buy));
    d = rig.send(AlertAction::sell);
    EXPECT_EQ(decision(d, AlertAction::sell), Reason::none);
    ASSERT_EQ(orders(d).size(), 1u);  // to flat, no short opened
    expect_order(orders(d)[0], Side::sell, 5, 0);
    rig.fill_all(d);
    EXPECT_EQ(rig.stage().account().position(kSym).quantity_raw, 0);
}

TEST(AlertFollower, TheAlertsQuantityBeatsRulesAndTheDefault) {
    AlertFollowerParams p = params();
    p.sizes = {AlertSizeRule{kSym, 0, Quantity::from_units(2), Money{}}};
    Rig rig(std::move(p));
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.quantity = Quantity::from_units(7);
    a.payload.alert.notional = Money::from_units(1'000'000);  // quantity wins over notional
    const std::vector<Event> o = orders(rig.send(a));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 7, 0);
}

TEST(AlertFollower, TheAlertsNotionalIsSizedAtItsPriceFlooredToTheLot) {
    AlertFollowerParams p = params();
    p.lot = Quantity::from_units(2);
    Rig rig(std::move(p));
    rig.trade(1);  // a last price that must not be used: the alert names its own
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.notional = Money::from_units(1000);
    a.payload.alert.price = Price::from_units(30);  // 33.3 units -> 32 in lots of 2
    const std::vector<Event> o = orders(rig.send(a));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 32, 0);
}

TEST(AlertFollower, TheAlertsNotionalWithoutAPriceUsesTheLastPrice) {
    Rig rig(params());
    rig.trade(40);
    Event a = test::alert(kSym, 0, AlertAction::sell);
    a.payload.alert.notional = Money::from_units(1000);
    const std::vector<Event> o = orders(rig.send(a));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::sell, 25, 0);
}

TEST(AlertFollower, AnExactTimeframeRuleBeatsAnAnyRuleListedBeforeIt) {
    AlertFollowerParams p = params();
    p.sizes = {
        AlertSizeRule{1, 60, Quantity::from_units(9), Money{}},     // another symbol
        AlertSizeRule{kSym, 0, Quantity::from_units(2), Money{}},   // any timeframe
        AlertSizeRule{kSym, 60, Quantity::from_units(3), Money{}},  // exact
    };
    Rig rig(std::move(p));
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.timeframe_minutes = 60;
    std::vector<Event> o = orders(rig.send(a));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 3, 0);
    rig.fill_all(o);
    rig.fill_all(rig.send(AlertAction::close));
    Event b = test::alert(kSym, 0, AlertAction::sell);
    b.payload.alert.timeframe_minutes = 15;  // no exact rule: the any rule
    o = orders(rig.send(b));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::sell, 2, 0);
}

TEST(AlertFollower, ANotionalRuleIsSizedAtTheLastPrice) {
    AlertFollowerParams p = params();
    p.sizes = {AlertSizeRule{kSym, 15, Quantity{}, Money::from_units(1000)}};
    Rig rig(std::move(p));
    rig.trade(300);
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.timeframe_minutes = 15;
    const std::vector<Event> o = orders(rig.send(a));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 3, 0);  // 3.33 floored to whole units
}

TEST(AlertFollower, WithNoRuleForTheTimeframeTheDefaultSizingApplies) {
    AlertFollowerParams p = params();
    p.sizes = {AlertSizeRule{kSym, 15, Quantity::from_units(3), Money{}}};
    Rig rig(std::move(p));
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.timeframe_minutes = 60;
    const std::vector<Event> o = orders(rig.send(a));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 5, 0);
}

TEST(AlertFollower, AnOpeningAlertWithNoSizeIsSkippedWithReasonNoSize) {
    AlertFollowerParams p = params();
    p.sizing = SizingPolicy::fixed(Quantity{});  // the default sizes nothing
    Rig rig(std::move(p));
    std::vector<Event> d = rig.send(AlertAction::buy);
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::no_size);
    EXPECT_TRUE(orders(d).empty());
    // A notional with no price to size it at (no alert price, no trade yet) sizes nothing too.
    Event a = test::alert(kSym, 0, AlertAction::sell);
    a.payload.alert.notional = Money::from_units(1000);
    d = rig.send(a);
    EXPECT_EQ(decision(d, AlertAction::sell), Reason::no_size);
    EXPECT_TRUE(orders(d).empty());
    // Below one lot at the price: nothing.
    a.payload.alert.price = Price::from_units(2000);
    d = rig.send(a);
    EXPECT_EQ(decision(d, AlertAction::sell), Reason::no_size);
    EXPECT_TRUE(orders(d).empty());
}

TEST(AlertFollower, ABuyWithNoSizeStillClosesAShort) {
    Rig rig(params());
    rig.fill_all(rig.send(AlertAction::sell));  // short 5
    // The next buy comes with a notional too small for one lot: nothing opens, the short closes.
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.notional = Money::from_units(1);
    a.payload.alert.price = Price::from_units(2000);
    const std::vector<Event> d = rig.send(a);
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::no_size);
    const std::vector<Event> o = orders(d);
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 5, 0);
}

TEST(AlertFollower, ClosingNeedsNoSize) {
    AlertFollowerParams p = params();
    p.sizing = SizingPolicy::fixed(Quantity{});
    Rig rig(std::move(p));
    Event a = test::alert(kSym, 0, AlertAction::buy);
    a.payload.alert.quantity = Quantity::from_units(4);
    rig.fill_all(rig.send(a));
    const std::vector<Event> d = rig.send(AlertAction::close);
    EXPECT_EQ(decision(d, AlertAction::close), Reason::none);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::sell, 4, 0);
}

TEST(AlertFollower, AnOrderDeniedByRiskNoLongerCountsAsExpected) {
    Rig rig(params());
    const std::vector<Event> first = orders(rig.send(AlertAction::buy));
    ASSERT_EQ(first.size(), 1u);
    rig.reply(first[0], EventType::order_denied, Reason::max_position);
    const std::vector<Event> d = rig.send(AlertAction::buy);
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::none);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::buy, 5, 0);
}

// --- the order an alert's body asks for (strategy/alert_order.hpp) ---

namespace {
Price px(const char* text) {
    Price p;
    EXPECT_EQ(Price::parse(text, p), DecimalError::ok);
    return p;
}
}  // namespace

TEST(AlertFollower, TheOpeningOrderIsTheOneTheAlertsBodyAsksFor) {
    Rig rig(params());
    const std::vector<Event> d = rig.send(
        AlertAction::buy, R"({"ticker":"X","action":"buy","order_type":"limit",)"
                          R"("limit_price":"10.25","time_in_force":"gtc","note":"n"})");
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::none);
    const std::vector<Event> o = orders(d);
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].payload.order.order_type, OrderType::limit);
    EXPECT_EQ(o[0].payload.order.tif, TimeInForce::gtc);
    EXPECT_EQ(o[0].payload.order.price, px("10.25"));
}

TEST(AlertFollower, AReversalClosesAtMarketAndOpensWithTheBodysStopOrder) {
    Rig rig(params());
    rig.fill_all(rig.send(AlertAction::buy));
    const std::vector<Event> o = orders(rig.send(
        AlertAction::sell, R"({"action":"sell","order_type":"stop","stop_price":9.5})"));
    ASSERT_EQ(o.size(), 2u);
    EXPECT_EQ(o[0].payload.order.order_type, OrderType::market);  // closes the long
    EXPECT_EQ(o[1].payload.order.order_type, OrderType::stop);
    EXPECT_EQ(o[1].payload.order.stop_price, px("9.5"));
    EXPECT_EQ(o[1].payload.order.tif, TimeInForce::day);
}

TEST(AlertFollower, ABodyWithoutOrderFieldsPlacesAMarketDayOrder) {
    Rig rig(params());
    const std::vector<Event> o = orders(rig.send(AlertAction::buy, R"({"action":"buy"})"));
    ASSERT_EQ(o.size(), 1u);
    expect_order(o[0], Side::buy, 5, 0);
    EXPECT_EQ(o[0].payload.order.tif, TimeInForce::day);
}

TEST(AlertFollower, ABodyWithBadOrderFieldsPlacesNothingWithReasonInvalidOrder) {
    Rig rig(params());
    const std::vector<Event> d =
        rig.send(AlertAction::buy, R"({"action":"buy","order_type":"limit"})");
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::invalid_order);
    EXPECT_TRUE(orders(d).empty());
}

namespace {
AlertOrderProblem read_order(std::string body, AlertOrder& out) {
    AlertOrderParser parser;
    return parser.read(body, out);
}
}  // namespace

TEST(AlertOrder, ReadsEveryOrderFieldAndDefaultsToMarketDay) {
    AlertOrder o;
    ASSERT_TRUE(read_order(R"({"ticker":"MSFT"})", o).ok());
    EXPECT_EQ(o.type, OrderType::market);
    EXPECT_EQ(o.tif, TimeInForce::day);
    ASSERT_TRUE(read_order(R"({"order_type":"stop_limit","limit_price":"101.5",)"
                           R"("stop_price":100,"time_in_force":"ioc"})",
                           o)
                    .ok());
    EXPECT_EQ(o.type, OrderType::stop_limit);
    EXPECT_EQ(o.limit, px("101.5"));
    EXPECT_EQ(o.stop, Price::from_units(100));
    EXPECT_EQ(o.tif, TimeInForce::ioc);
    ASSERT_TRUE(read_order(R"({"order_type":"trailing_stop","stop_price":"0.5"})", o).ok());
    EXPECT_EQ(o.type, OrderType::trailing_stop);
}

TEST(AlertOrder, NamesTheFieldAndWhyForEachProblem) {
    const auto field = [](const char* body) {
        AlertOrder o;
        return std::string(read_order(body, o).field);
    };
    EXPECT_EQ(field(R"({"order_type":"market_on_close"})"), "order_type");
    EXPECT_EQ(field(R"({"order_type":5})"), "order_type");
    EXPECT_EQ(field(R"({"order_type":"limit"})"), "limit_price");
    EXPECT_EQ(field(R"({"order_type":"limit","limit_price":"-1"})"), "limit_price");
    EXPECT_EQ(field(R"({"order_type":"limit","limit_price":"1e3"})"), "limit_price");
    EXPECT_EQ(field(R"({"order_type":"limit","limit_price":"1.0000000001"})"), "limit_price");
    EXPECT_EQ(field(R"({"limit_price":"5"})"), "limit_price");  // no order_type
    EXPECT_EQ(field(R"({"order_type":"market","stop_price":"5"})"), "stop_price");
    EXPECT_EQ(field(R"({"order_type":"stop"})"), "stop_price");
    EXPECT_EQ(field(R"({"time_in_force":"opg"})"), "time_in_force");
    EXPECT_EQ(field(R"({"time_in_force":"gtc","time_in_force":"day"})"), "time_in_force");
    EXPECT_EQ(field(R"([1,2])"), "body");
    EXPECT_EQ(field(R"({"order_type":)"), "body");
}

namespace {
Event priced(AlertAction action, const char* price, std::int64_t quantity_units = 0) {
    Event e = test::alert(kSym, 0, action);
    e.payload.alert.price = px(price);
    e.payload.alert.quantity = Quantity::from_units(quantity_units);
    return e;
}
}  // namespace

TEST(AlertFollower, ALimitAlertWithoutLimitPriceTakesTheAlertsPrice) {
    Rig rig(params());
    const std::vector<Event> o =
        orders(rig.send(priced(AlertAction::buy, "1.2345"),
                        R"({"action":"buy","price":"1.2345","order_type":"limit","tif":"gtc"})"));
    ASSERT_EQ(o.size(), 1u);
    EXPECT_EQ(o[0].payload.order.order_type, OrderType::limit);
    EXPECT_EQ(o[0].payload.order.price, px("1.2345"));
    EXPECT_EQ(o[0].payload.order.tif, TimeInForce::gtc);
}

TEST(AlertFollower, ABracketAlertPlacesTheEntryAndBothExitsPricedFromTheEntry) {
    Rig rig(params());
    rig.define(px("0.0001"));
    std::vector<Event> o = orders(rig.send(
        priced(AlertAction::buy, "1.1"),
        R"({"price":1.1,"take_profit_offset":"0.005","stop_loss_ticks":20})"));
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[0].payload.order.role, OrderRole::entry);
    EXPECT_EQ(o[0].payload.order.order_type, OrderType::market);
    EXPECT_EQ(o[1].payload.order.role, OrderRole::stop_loss);
    EXPECT_EQ(o[1].payload.order.side, Side::sell);
    EXPECT_EQ(o[1].payload.order.stop_price, px("1.098"));
    EXPECT_EQ(o[2].payload.order.role, OrderRole::take_profit);
    EXPECT_EQ(o[2].payload.order.price, px("1.105"));
    for (std::uint32_t k = 0; k < 3; ++k)
        EXPECT_EQ(o[k].payload.order.order_id, make_order_id(o[k].header.seq, k));
    // A short's exits mirror, in percent of a limit entry, rounded to the tick toward it.
    Rig short_rig(params());
    short_rig.define(px("0.0001"));
    o = orders(short_rig.send(priced(AlertAction::sell, "2"),
                              R"({"order_type":"limit","limit_price":"1.23456",)"
                              R"("take_profit_percent":1,"stop_loss_percent":"0.5"})"));
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[0].payload.order.price, px("1.23456"));  // off tick: risk's to refuse
    EXPECT_EQ(o[1].payload.order.stop_price, px("1.2407"));   // 1.2407328 down to the tick
    EXPECT_EQ(o[2].payload.order.price, px("1.2223"));        // 1.2222144 up to the tick
}

TEST(AlertFollower, ExitsThatCannotBePricedOrAreOnTheWrongSidePlaceNothing) {
    Rig rig(params());
    // Relative exits with no price at all.
    std::vector<Event> d = rig.send(AlertAction::buy,
                                    R"({"take_profit_offset":1,"stop_loss_offset":1})");
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::no_reference_price);
    EXPECT_TRUE(orders(d).empty());
    // Ticks without a tick size.
    d = rig.send(priced(AlertAction::buy, "10"), R"({"take_profit_ticks":5,"stop_loss_ticks":5})");
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::invalid_order);
    // A long's stop-loss above its entry.
    d = rig.send(priced(AlertAction::buy, "10"), R"({"take_profit":12,"stop_loss":11})");
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::invalid_order);
    EXPECT_TRUE(orders(d).empty());
}

TEST(AlertFollower, TheSymbolsDefaultsFillWhatTheBodyLeavesOut) {
    AlertFollowerParams p = params();
    AlertOrderParser parser;
    std::string text = R"({"order_type":"limit","stop_loss_ticks":20,"take_profit_ticks":40})";
    AlertOrder defaults;
    ASSERT_TRUE(parser.read_fields(text, defaults).ok());
    p.defaults.push_back({kSym, defaults});
    Rig rig(p);
    rig.define(px("0.0001"));
    std::vector<Event> o = orders(rig.send(priced(AlertAction::buy, "1.1"), R"({"price":1.1})"));
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[0].payload.order.order_type, OrderType::limit);
    EXPECT_EQ(o[0].payload.order.price, px("1.1"));
    EXPECT_EQ(o[1].payload.order.stop_price, px("1.098"));
    EXPECT_EQ(o[2].payload.order.price, px("1.104"));
    // The body's own fields win: a market order, still with the default bracket.
    Rig market(p);
    market.define(px("0.0001"));
    o = orders(market.send(priced(AlertAction::sell, "1.1"), R"({"order_type":"market"})"));
    ASSERT_EQ(o.size(), 3u);
    EXPECT_EQ(o[0].payload.order.order_type, OrderType::market);
    EXPECT_EQ(o[1].payload.order.stop_price, px("1.102"));
    // A default limit order for an alert with no price: nothing, and why.
    Rig no_price(p);
    const std::vector<Event> d = no_price.send(AlertAction::buy);
    EXPECT_EQ(decision(d, AlertAction::buy), Reason::invalid_order);
    EXPECT_TRUE(orders(d).empty());
}

TEST(AlertFollower, TargetsMoveThePositionToPlusOrMinusSizeOrFlat) {
    Rig rig(params());
    std::vector<Event> d = rig.send(AlertAction::target_flat);
    EXPECT_EQ(decision(d, AlertAction::target_flat), Reason::already_flat);
    d = rig.send(AlertAction::target_long);
    EXPECT_EQ(decision(d, AlertAction::target_long), Reason::none);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::buy, 5, 0);
    rig.fill_all(d);
    d = rig.send(AlertAction::target_long);
    EXPECT_EQ(decision(d, AlertAction::target_long), Reason::already_long);
    EXPECT_TRUE(orders(d).empty());
    // Long 5, the target is long 8: a market order makes up the difference.
    d = rig.send(priced(AlertAction::target_long, "10", 8), "");
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::buy, 3, 0);
    rig.fill_all(d);
    // Long 8 -> short 5: close, then open.
    d = rig.send(AlertAction::target_short);
    ASSERT_EQ(orders(d).size(), 2u);
    expect_order(orders(d)[0], Side::sell, 8, 0);
    expect_order(orders(d)[1], Side::sell, 5, 1);
    rig.fill_all(d);
    d = rig.send(AlertAction::target_short);
    EXPECT_EQ(decision(d, AlertAction::target_short), Reason::already_short);
    d = rig.send(AlertAction::target_flat);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::buy, 5, 0);
}

TEST(AlertFollower, WithoutAllowShortATargetShortOnlyClosesALong) {
    Rig rig(params(false));
    std::vector<Event> d = rig.send(AlertAction::target_short);
    EXPECT_EQ(decision(d, AlertAction::target_short), Reason::already_flat);
    d = rig.send(AlertAction::target_long);
    rig.fill_all(d);
    d = rig.send(AlertAction::target_short);
    ASSERT_EQ(orders(d).size(), 1u);
    expect_order(orders(d)[0], Side::sell, 5, 0);
}

TEST(AlertOrder, ReadsTifTrailAndBracketExitsInEveryForm) {
    AlertOrder o;
    ASSERT_TRUE(read_order(R"({"order_type":"trailing_stop","trail":"0.5","tif":"gtc"})", o).ok());
    EXPECT_EQ(o.stop, px("0.5"));
    EXPECT_EQ(o.tif, TimeInForce::gtc);
    ASSERT_TRUE(read_order(R"({"take_profit":"101","stop_loss_percent":"2.5"})", o).ok());
    EXPECT_EQ(o.take_profit.basis, ExitBasis::price);
    EXPECT_EQ(o.take_profit.raw, px("101").raw);
    EXPECT_EQ(o.stop_loss.basis, ExitBasis::percent);
    EXPECT_EQ(o.stop_loss.raw, px("2.5").raw);
    ASSERT_TRUE(read_order(R"({"take_profit_ticks":"40","stop_loss_offset":0.25})", o).ok());
    EXPECT_EQ(o.take_profit.basis, ExitBasis::ticks);
    EXPECT_EQ(o.take_profit.raw, 40);
    EXPECT_EQ(o.stop_loss.basis, ExitBasis::offset);
    ASSERT_TRUE(read_order(R"({"order_type":"limit","price":"7"})", o).ok());
}

TEST(AlertOrder, NamesTheFieldOfEachInvalidCombination) {
    const auto field = [](const char* body) {
        AlertOrder o;
        return std::string(read_order(body, o).field);
    };
    EXPECT_EQ(field(R"({"tif":"gtc","time_in_force":"day"})"), "time_in_force");
    EXPECT_EQ(field(R"({"time_in_force":"gtc","tif":"day"})"), "tif");
    EXPECT_EQ(field(R"({"tif":"never"})"), "tif");
    EXPECT_EQ(field(R"({"order_type":"trailing_stop","stop_price":1,"trail":1})"), "trail");
    EXPECT_EQ(field(R"({"order_type":"trailing_stop"})"), "trail");
    EXPECT_EQ(field(R"({"order_type":"limit","trail":1,"limit_price":1})"), "trail");
    EXPECT_EQ(field(R"({"trail":1})"), "trail");
    EXPECT_EQ(field(R"({"take_profit":2,"take_profit_offset":1,"stop_loss":1})"),
              "take_profit_offset");
    EXPECT_EQ(field(R"({"stop_loss_ticks":2,"stop_loss_percent":1,"take_profit":1})"),
              "stop_loss_percent");
    EXPECT_EQ(field(R"({"take_profit_offset":1})"), "stop_loss");
    EXPECT_EQ(field(R"({"stop_loss":1})"), "take_profit");
    EXPECT_EQ(field(R"({"take_profit_percent":100,"stop_loss":1})"), "take_profit_percent");
    EXPECT_EQ(field(R"({"take_profit_ticks":0,"stop_loss":1})"), "take_profit_ticks");
    EXPECT_EQ(field(R"({"take_profit_ticks":"1.5","stop_loss":1})"), "take_profit_ticks");
    EXPECT_EQ(field(R"({"take_profit":-1,"stop_loss":1})"), "take_profit");
    EXPECT_EQ(field(R"({"order_type":"limit"})"), "limit_price");
    EXPECT_EQ(field(R"({"order_type":"stop_limit","price":1,"stop_price":1})"), "limit_price");
}
