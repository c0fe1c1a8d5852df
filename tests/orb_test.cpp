// Proves orb builds its range from the first minutes of the session out of bars the stage
// aggregates from trades, enters one bracket per session on a breakout only when the trend,
// volume and ATR filters all agree (each blocks on its own), shorts only with allow_short, and
// cancels and flattens at the before_close timer.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <vector>

#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/strategy/strategies/orb.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

constexpr SymbolId kSym = 0;
constexpr TradingSession kSession{(9 * 60 + 30) * 60, 16 * 3600, 0, kMondayToFriday};
constexpr std::int64_t kMondayIndex = 4;  // local day 4 = Monday 1970-01-05

Price px(double units) {
    return Price::from_raw(std::llround(units * 1e9));
}

// Base bars of 1 minute, a 15-minute range, trend on 5-minute bars with EMA(3), volume
// SMA(3) with factor 1.5, ATR(3), stop 1 ATR, target 2 ATRs, 10 units per entry.
OrbParams params() {
    OrbParams p;
    p.symbol = kSym;
    p.interval_minutes = 1;
    p.range_minutes = 15;
    p.trend_interval_minutes = 5;
    p.trend_ema = 3;
    p.volume_sma = 3;
    p.volume_factor_raw = 1'500'000'000;
    p.atr_period = 3;
    p.stop_atr_raw = 1'000'000'000;
    p.target_atr_raw = 2'000'000'000;
    p.sizing = SizingPolicy::fixed(Quantity::from_units(10));
    return p;
}

struct Ohlc {
    double open, high, low, close;
    std::int64_t volume;
};

// One orb in a StrategyStage, driven by trades and the timers ingest would make.
class Rig {
  public:
    explicit Rig(const OrbParams& p) : stage_(make(p)) {}

    // Trades the base bar that opens `minute` minutes after the session open of `day` (open,
    // high, low, close one second apart; the open trade carries the volume less 3, the others
    // 1 each), then closes it with timers: the trend bar first when it ends there too.
    // Returns what the stage derived from those timers.
    std::vector<Event> bar(int minute, const Ohlc& b, std::int64_t day = kMondayIndex) {
        const std::int64_t start = minute_ns(minute, day);
        const double prices[4] = {b.open, b.high, b.low, b.close};
        for (int i = 0; i < 4; ++i) {
            const std::int64_t size = i == 0 ? b.volume - 3 : 1;
            (void)feed(test::sized_trade(kSym, ++seq_, start + (i + 1) * kNsPerSecond,
                                         px(prices[i]), Quantity::from_units(size)));
        }
        std::vector<Event> derived;
        if ((minute + 1) % 5 == 0)
            derived = timer(minute + 1, TimerKind::bar_close, 5, day);
        const std::vector<Event> base = timer(minute + 1, TimerKind::bar_close, 1, day);
        derived.insert(derived.end(), base.begin(), base.end());
        return derived;
    }
    // The 15 range bars: each 99-101 (true range 2, so ATR(3) is exactly 2), volume 100, with
    // the trend bars (minutes 5, 10, 15) closing at the given prices and the others at 100.
    void range(double t1, double t2, double t3, std::int64_t day = kMondayIndex) {
        for (int m = 0; m < 15; ++m) {
            const double close = m == 4 ? t1 : (m == 9 ? t2 : (m == 14 ? t3 : 100.0));
            EXPECT_TRUE(orders(bar(m, {100, 101, 99, close, 100}, day)).empty());
        }
    }
    // A timer at `minute` after the open of `day`.
    std::vector<Event> timer(int minute, TimerKind kind, std::uint16_t interval = 0,
                             std::int64_t day = kMondayIndex) {
        return feed(test::timer(kSym, ++seq_, minute_ns(minute, day), kind, interval));
    }
    std::vector<Event> fill(const Event& order, double price) {
        Event f = test::fill_of(order, 0);
        f.header.seq = ++seq_;
        f.payload.fill.price = px(price);
        return feed(f);
    }
    static std::vector<Event> orders(const std::vector<Event>& v) {
        std::vector<Event> r;
        for (const Event& e : v) {
            if (e.header.type == EventType::order_request)
                r.push_back(e);
        }
        return r;
    }
    [[nodiscard]] const StrategyStage& stage() const { return stage_; }
    [[nodiscard]] const OrbStrategy& orb() const {
        return static_cast<const OrbStrategy&>(*stage_.strategies()[0]);
    }
    [[nodiscard]] std::uint64_t last_seq() const { return seq_; }

  private:
    static std::int64_t minute_ns(int minute, std::int64_t day) {
        return session_open_ns(kSession, day) + minute * kNsPerMinute;
    }
    static StrategyStage make(const OrbParams& p) {
        std::vector<std::unique_ptr<Strategy>> v;
        auto orb = std::make_unique<OrbStrategy>(p);
        // Before the stage is built: it aligns its bar aggregators to the strategy's session.
        orb->set_session(kSession);
        v.push_back(std::move(orb));
        return StrategyStage(std::move(v), {4, Money::from_units(1'000'000), 64});
    }
    std::vector<Event> feed(const Event& e) {
        out_.clear();
        stage_.on_event(e, out_);
        return {out_.events().begin() + 1, out_.events().end()};
    }

    StrategyStage stage_;
    test::Recorder out_{256};
    std::uint64_t seq_ = 0;
};

// Trend closes that rise above their EMA(3) (99.5, 100, 101: EMA 100.375) and that fall below
// it (101, 100, 99: EMA 99.75).
void rising_range(Rig& rig, std::int64_t day = kMondayIndex) {
    rig.range(99.5, 100, 101, day);
}
void falling_range(Rig& rig) {
    rig.range(101, 100, 99);
}

// A breakout bar after a rising range: true range 2 (ATR stays 2), close 103.
constexpr Ohlc kBreakout{101, 103, 101, 103, 300};
// A breakdown bar after a falling range: true range 2, close 97.
constexpr Ohlc kBreakdown{99, 99, 97, 97, 300};

void expect_leg(const Event& o, std::uint32_t k, OrderRole role, Side side, OrderType type) {
    EXPECT_EQ(o.payload.order.action, OrderAction::new_order);
    EXPECT_EQ(o.payload.order.order_id, make_order_id(o.header.seq, k));
    EXPECT_EQ(o.payload.order.role, role);
    EXPECT_EQ(o.payload.order.side, side);
    EXPECT_EQ(o.payload.order.order_type, type);
    EXPECT_EQ(o.payload.order.quantity, Quantity::from_units(10));
}

}  // namespace

TEST(Orb, TheRangeIsTheHighAndLowOfTheFirstMinutesOfTheSession) {
    Rig rig(params());
    for (int m = 0; m < 14; ++m)
        (void)rig.bar(m, {100, 100.5 + m * 0.1, 99 - m * 0.1, 100, 100});
    EXPECT_FALSE(rig.orb().range_complete());
    (void)rig.bar(14, {100, 100, 99, 100, 100});
    EXPECT_TRUE(rig.orb().range_complete());
    EXPECT_EQ(rig.orb().range_high(), px(100.5 + 13 * 0.1));
    EXPECT_EQ(rig.orb().range_low(), px(99 - 13 * 0.1));
}

TEST(Orb, ABreakoutAboveTheRangeWithEveryFilterAgreeingPlacesOneBracket) {
    Rig rig(params());
    rising_range(rig);
    EXPECT_EQ(rig.orb().range_high(), px(101));
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);  // one event, three legs
    for (const Event& e : o)
        EXPECT_EQ(e.header.seq, rig.last_seq());  // the base bar's timer
    expect_leg(o[0], 0, OrderRole::entry, Side::buy, OrderType::market);
    expect_leg(o[1], 1, OrderRole::stop_loss, Side::sell, OrderType::stop);
    EXPECT_EQ(o[1].payload.order.stop_price, px(101));  // 103 - 1 * ATR 2
    expect_leg(o[2], 2, OrderRole::take_profit, Side::sell, OrderType::limit);
    EXPECT_EQ(o[2].payload.order.price, px(107));  // 103 + 2 * ATR 2
    EXPECT_EQ(rig.stage().orders().open_count(), 3u);
}

TEST(Orb, NoEntryWhileTheRangeIsStillForming) {
    OrbParams p = params();
    p.range_minutes = 20;  // the bar that breaks out at minute 16 is still inside the range
    Rig rig(p);
    rising_range(rig);
    EXPECT_TRUE(Rig::orders(rig.bar(15, kBreakout)).empty());
    EXPECT_FALSE(rig.orb().range_complete());
    EXPECT_EQ(rig.orb().range_high(), px(103));  // it widened the range instead
}

TEST(Orb, ADownTrendBlocksALongBreakout) {
    Rig rig(params());
    falling_range(rig);
    EXPECT_TRUE(Rig::orders(rig.bar(15, kBreakout)).empty());
}

TEST(Orb, LowVolumeBlocksTheBreakout) {
    Rig rig(params());
    rising_range(rig);
    Ohlc thin = kBreakout;
    thin.volume = 199;  // needs 199 * 3 >= 1.5 * (100 + 100 + 199): 597 < 598.5
    EXPECT_TRUE(Rig::orders(rig.bar(15, thin)).empty());
}

TEST(Orb, VolumeExactlyAtTheFactorIsEnough) {
    Rig rig(params());
    rising_range(rig);
    Ohlc enough = kBreakout;
    enough.volume = 200;  // 200 * 3 == 1.5 * (100 + 100 + 200)
    EXPECT_EQ(Rig::orders(rig.bar(15, enough)).size(), 3u);
}

TEST(Orb, AnAtrThatIsNotReadyBlocksTheBreakout) {
    OrbParams p = params();
    p.atr_period = 17;  // 16 base bars by the breakout
    Rig rig(p);
    rising_range(rig);
    EXPECT_TRUE(Rig::orders(rig.bar(15, kBreakout)).empty());
}

TEST(Orb, ATrendEmaThatIsNotReadyBlocksTheBreakout) {
    OrbParams p = params();
    p.trend_ema = 4;  // three trend bars by the breakout
    Rig rig(p);
    rising_range(rig);
    EXPECT_TRUE(Rig::orders(rig.bar(15, kBreakout)).empty());
}

TEST(Orb, ABreakdownShortsOnlyWithAllowShort) {
    {
        Rig rig(params());
        falling_range(rig);
        EXPECT_TRUE(Rig::orders(rig.bar(15, kBreakdown)).empty());
    }
    OrbParams p = params();
    p.allow_short = true;
    Rig rig(p);
    falling_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakdown));
    ASSERT_EQ(o.size(), 3u);
    expect_leg(o[0], 0, OrderRole::entry, Side::sell, OrderType::market);
    expect_leg(o[1], 1, OrderRole::stop_loss, Side::buy, OrderType::stop);
    EXPECT_EQ(o[1].payload.order.stop_price, px(99));  // 97 + 1 * ATR 2
    expect_leg(o[2], 2, OrderRole::take_profit, Side::buy, OrderType::limit);
    EXPECT_EQ(o[2].payload.order.price, px(93));  // 97 - 2 * ATR 2
}

TEST(Orb, AnUpTrendBlocksAShortBreakdown) {
    OrbParams p = params();
    p.allow_short = true;
    Rig rig(p);
    rising_range(rig);
    EXPECT_TRUE(Rig::orders(rig.bar(15, {101, 101, 97, 97, 300})).empty());
}

TEST(Orb, AtMostOneEntryPerSessionEvenAfterTheTradeIsClosed) {
    Rig rig(params());
    rising_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);
    rig.fill(o[0], 103);
    rig.fill(o[1], 101);  // stopped out: flat again, nothing pending that opens
    EXPECT_EQ(rig.stage().account().position(kSym).quantity_raw, 0);
    // Another breakout with every filter agreeing (volume 400 * 3 >= 1.5 * 800).
    EXPECT_TRUE(Rig::orders(rig.bar(16, {103, 104, 102, 104, 400})).empty());
}

TEST(Orb, ANewSessionStartsANewRangeAndAllowsANewEntry) {
    Rig rig(params());
    rising_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);
    rig.fill(o[0], 103);
    rig.fill(o[2], 107);                           // took profit
    (void)rig.timer(20, TimerKind::bar_close, 5);  // closes the trend bar the breakout opened
    rising_range(rig, kMondayIndex + 1);
    EXPECT_EQ(rig.orb().range_high(), px(101));
    EXPECT_EQ(rig.orb().range_low(), px(99));
    const std::vector<Event> again = Rig::orders(rig.bar(15, kBreakout, kMondayIndex + 1));
    ASSERT_EQ(again.size(), 3u);
    expect_leg(again[0], 0, OrderRole::entry, Side::buy, OrderType::market);
}

TEST(Orb, BeforeCloseCancelsAnUnfilledBracket) {
    Rig rig(params());
    rising_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);
    const std::vector<Event> d = Rig::orders(rig.timer(385, TimerKind::before_close));
    ASSERT_EQ(d.size(), 3u);  // nothing filled: cancels only, no flattening order
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(d[i].payload.order.action, OrderAction::cancel);
        EXPECT_EQ(d[i].payload.order.order_id, o[i].payload.order.order_id);
        EXPECT_EQ(d[i].header.seq, rig.last_seq());
    }
    for (const OrderRecord& r : rig.stage().orders().open_orders())
        EXPECT_EQ(r.status, OrderStatus::pending_cancel);
}

TEST(Orb, BeforeCloseCancelsTheExitsAndFlattensAFilledEntry) {
    Rig rig(params());
    rising_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);
    rig.fill(o[0], 103);
    const std::vector<Event> d = Rig::orders(rig.timer(385, TimerKind::before_close));
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0].payload.order.action, OrderAction::cancel);
    EXPECT_EQ(d[0].payload.order.order_id, o[1].payload.order.order_id);
    EXPECT_EQ(d[1].payload.order.action, OrderAction::cancel);
    EXPECT_EQ(d[1].payload.order.order_id, o[2].payload.order.order_id);
    EXPECT_EQ(d[2].payload.order.action, OrderAction::new_order);
    EXPECT_EQ(d[2].payload.order.side, Side::sell);
    EXPECT_EQ(d[2].payload.order.order_type, OrderType::market);
    EXPECT_EQ(d[2].payload.order.quantity, Quantity::from_units(10));
    EXPECT_EQ(d[2].payload.order.order_id, make_order_id(rig.last_seq(), 0));
}

TEST(Orb, AnEntryThatFillsAfterTheFlattenPointIsFlattenedAtOnce) {
    Rig rig(params());
    rising_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);
    ASSERT_EQ(Rig::orders(rig.timer(385, TimerKind::before_close)).size(), 3u);  // cancels
    // The venue filled the entry before the cancel reached it.
    const std::vector<Event> d = Rig::orders(rig.fill(o[0], 103));
    ASSERT_EQ(d.size(), 1u);
    EXPECT_EQ(d[0].payload.order.action, OrderAction::new_order);
    EXPECT_EQ(d[0].payload.order.side, Side::sell);
    EXPECT_EQ(d[0].payload.order.quantity, Quantity::from_units(10));
    // And no new entry for the rest of the session.
    EXPECT_TRUE(Rig::orders(rig.bar(386, kBreakout)).empty());
}

TEST(Orb, BeforeCloseWithNothingOpenOrHeldDoesNothing) {
    Rig rig(params());
    rising_range(rig);
    EXPECT_TRUE(Rig::orders(rig.timer(385, TimerKind::before_close)).empty());
}

TEST(Orb, TheSessionCloseTimerIsNotTheFlattenPoint) {
    Rig rig(params());
    rising_range(rig);
    const std::vector<Event> o = Rig::orders(rig.bar(15, kBreakout));
    ASSERT_EQ(o.size(), 3u);
    rig.fill(o[0], 103);
    EXPECT_TRUE(Rig::orders(rig.timer(390, TimerKind::session_close)).empty());
}
