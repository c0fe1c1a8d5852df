// Proves the Account's cash, positions, realized/unrealized P&L, fees, round trips, equity curve,
// drawdown and day P&L to the last decimal, that it reconciles exactly under random fills, and
// that it allocates nothing after construction.
#include <gtest/gtest.h>

#include <random>
#include <utility>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/core/alloc_guard.hpp"

using namespace keel::engine;

namespace {

template <class T>
T dec(const char* s) {
    T v{};
    EXPECT_EQ(T::parse(s, v), DecimalError::ok) << s;
    return v;
}
Price px(const char* s) {
    return dec<Price>(s);
}
Quantity qty(const char* s) {
    return dec<Quantity>(s);
}
Money usd(const char* s) {
    return dec<Money>(s);
}
std::string str(Money m) {
    return m.to_string();
}

// The two identities the Account promises after every fill and mark.
void expect_reconciles(const Account& a) {
    EXPECT_EQ(a.cash() + a.cost_basis(), a.starting_cash() + a.realized());
    EXPECT_EQ(a.equity() - a.starting_cash(), a.realized() + a.unrealized());
}

}  // namespace

TEST(Account, LongOpensAddsReducesAndClosesWithFees) {
    Account a(usd("100000"), 2);
    a.apply_fill(0, Side::buy, px("10"), qty("100"), usd("1"), 1'000);
    a.apply_fill(0, Side::buy, px("12"), qty("100"), usd("1"), 2'000);
    EXPECT_EQ(a.position(0).average_price.to_string(), "11");
    EXPECT_EQ(str(a.position(0).cost_basis), "2200");
    EXPECT_EQ(str(a.cash()), "97798");
    EXPECT_EQ(a.position(0).opened_ns, 1'000);

    a.apply_fill(0, Side::sell, px("13.5"), qty("50"), usd("1"), 3'000);
    const PositionState& p = a.position(0);
    EXPECT_EQ(decimal_string(p.quantity_raw), "150");
    EXPECT_EQ(p.average_price.to_string(), "11");
    EXPECT_EQ(str(p.realized), "122");  // 2.5 * 50 - 3 fees
    EXPECT_EQ(str(p.fees), "3");
    EXPECT_EQ(str(a.cash()), "98472");
    expect_reconciles(a);

    a.mark(0, px("10"), 4'000);
    EXPECT_EQ(str(p.market_value()), "1500");
    EXPECT_EQ(str(p.unrealized()), "-150");
    EXPECT_EQ(str(a.unrealized()), "-150");
    EXPECT_EQ(str(a.equity()), "99972");
    EXPECT_EQ(str(a.gross_exposure()), "1500");
    expect_reconciles(a);

    a.apply_fill(0, Side::sell, px("9"), qty("150"), Money{}, 5'000);
    EXPECT_EQ(p.quantity_raw, 0);
    EXPECT_EQ(p.average_price.raw, 0);
    EXPECT_EQ(p.cost_basis.raw, 0);
    EXPECT_EQ(p.opened_ns, 0);
    EXPECT_EQ(str(a.realized()), "-178");  // 125 - 300 - 3 fees
    EXPECT_EQ(str(a.fees()), "3");
    EXPECT_EQ(str(a.cash()), "99822");
    EXPECT_EQ(a.unrealized().raw, 0);
    EXPECT_EQ(a.gross_exposure().raw, 0);
    expect_reconciles(a);

    ASSERT_EQ(a.round_trips().size(), 1u);
    const RoundTrip& t = a.round_trips()[0];
    EXPECT_EQ(t.symbol, 0u);
    EXPECT_EQ(t.side, Side::buy);
    EXPECT_EQ(t.entry_price.to_string(), "11");
    EXPECT_EQ(t.exit_price.to_string(), "10.125");  // (50 * 13.5 + 150 * 9) / 200
    EXPECT_EQ(t.quantity.to_string(), "200");
    EXPECT_EQ(str(t.pnl), "-178");
    EXPECT_EQ(str(t.fees), "3");
    EXPECT_EQ(t.entry_ns, 1'000);
    EXPECT_EQ(t.exit_ns, 5'000);
    EXPECT_EQ(t.holding_ns(), 4'000);
    EXPECT_EQ(a.round_trip_count(), 1u);
    EXPECT_EQ(a.winning_round_trips(), 0u);
}

TEST(Account, ShortOpensReducesAndCoversMirroringTheLong) {
    Account a(usd("100000"), 1);
    a.apply_fill(0, Side::sell, px("50"), qty("200"), usd("2"), 10);
    EXPECT_EQ(decimal_string(a.position(0).quantity_raw), "-200");
    EXPECT_EQ(str(a.position(0).cost_basis), "-10000");
    EXPECT_EQ(a.position(0).average_price.to_string(), "50");
    EXPECT_EQ(str(a.cash()), "109998");

    a.apply_fill(0, Side::buy, px("45"), qty("50"), usd("0.5"), 20);
    EXPECT_EQ(str(a.realized()), "247.5");  // 5 * 50 - 2.5 fees
    EXPECT_EQ(str(a.cash()), "107747.5");
    EXPECT_EQ(a.position(0).average_price.to_string(), "50");

    a.mark(0, px("55"), 30);
    EXPECT_EQ(str(a.position(0).market_value()), "-8250");
    EXPECT_EQ(str(a.unrealized()), "-750");
    EXPECT_EQ(str(a.gross_exposure()), "8250");
    EXPECT_EQ(str(a.equity()), "99497.5");
    expect_reconciles(a);

    a.apply_fill(0, Side::buy, px("40"), qty("150"), Money{}, 40);
    EXPECT_EQ(str(a.realized()), "1747.5");
    EXPECT_EQ(str(a.cash()), "101747.5");
    EXPECT_EQ(a.equity(), a.cash());
    expect_reconciles(a);

    ASSERT_EQ(a.round_trips().size(), 1u);
    const RoundTrip& t = a.round_trips()[0];
    EXPECT_EQ(t.side, Side::sell);
    EXPECT_EQ(t.entry_price.to_string(), "50");
    EXPECT_EQ(t.exit_price.to_string(), "41.25");
    EXPECT_EQ(t.quantity.to_string(), "200");
    EXPECT_EQ(str(t.pnl), "1747.5");
    EXPECT_EQ(str(t.fees), "2.5");
    EXPECT_EQ(t.holding_ns(), 30);
    EXPECT_EQ(a.winning_round_trips(), 1u);
}

TEST(Account, ReversalClosesTheTripAndOpensANewOneAtTheFillSplittingTheFee) {
    Account a(usd("10000"), 1);
    a.apply_fill(0, Side::buy, px("10"), qty("100"), usd("1"), 100);
    a.apply_fill(0, Side::sell, px("12"), qty("300"), usd("3"), 200);
    const PositionState& p = a.position(0);
    EXPECT_EQ(decimal_string(p.quantity_raw), "-200");
    EXPECT_EQ(p.average_price.to_string(), "12");
    EXPECT_EQ(str(p.cost_basis), "-2400");
    EXPECT_EQ(p.opened_ns, 200);
    EXPECT_EQ(str(a.realized()), "196");  // 200 - 4 fees

    ASSERT_EQ(a.round_trips().size(), 1u);
    const RoundTrip& first = a.round_trips()[0];
    EXPECT_EQ(first.side, Side::buy);
    EXPECT_EQ(first.entry_price.to_string(), "10");
    EXPECT_EQ(first.exit_price.to_string(), "12");
    EXPECT_EQ(first.quantity.to_string(), "100");
    EXPECT_EQ(str(first.fees), "2");  // 1 opening + 100/300 of 3
    EXPECT_EQ(str(first.pnl), "198");
    EXPECT_EQ(first.holding_ns(), 100);

    const RoundTrip open = a.open_round_trip(0);
    EXPECT_EQ(open.side, Side::sell);
    EXPECT_EQ(open.entry_price.to_string(), "12");
    EXPECT_EQ(open.quantity.to_string(), "200");
    EXPECT_EQ(str(open.fees), "2");
    EXPECT_EQ(str(open.pnl), "-2");
    EXPECT_EQ(open.entry_ns, 200);

    a.apply_fill(0, Side::buy, px("11"), qty("200"), usd("2"), 500);
    ASSERT_EQ(a.round_trips().size(), 2u);
    const RoundTrip& second = a.round_trips()[1];
    EXPECT_EQ(second.side, Side::sell);
    EXPECT_EQ(second.entry_price.to_string(), "12");
    EXPECT_EQ(second.exit_price.to_string(), "11");
    EXPECT_EQ(second.quantity.to_string(), "200");
    EXPECT_EQ(str(second.pnl), "196");
    EXPECT_EQ(str(second.fees), "4");
    EXPECT_EQ(second.holding_ns(), 300);
    EXPECT_EQ(str(a.realized()), "394");
    EXPECT_EQ(first.pnl + second.pnl, a.realized());
    EXPECT_EQ(str(a.cash()), "10394");
    EXPECT_EQ(a.winning_round_trips(), 2u);
    EXPECT_EQ(a.open_round_trip(0).side, Side::none);
    expect_reconciles(a);
}

TEST(Account, ReversalFeeSplitTruncatesTheClosingShareAndKeepsTheTotal) {
    Account a(usd("1000"), 1);
    a.apply_fill(0, Side::sell, px("1"), qty("1"), Money{}, 1);
    // Closing 1 of 3 units: the closing share of 0.000000002 is 0.000000000(6), truncated to 0.
    a.apply_fill(0, Side::buy, px("1"), qty("3"), usd("0.000000002"), 2);
    ASSERT_EQ(a.round_trips().size(), 1u);
    EXPECT_EQ(a.round_trips()[0].fees.raw, 0);
    EXPECT_EQ(a.open_round_trip(0).fees.raw, 2);
    EXPECT_EQ(a.round_trips()[0].pnl + a.open_round_trip(0).pnl, a.realized());
}

TEST(Account, PartialExitsAndReaddsStayInOneRoundTrip) {
    Account a(usd("10000"), 1);
    a.apply_fill(0, Side::buy, px("10"), qty("100"), Money{}, 1);
    a.apply_fill(0, Side::sell, px("11"), qty("50"), Money{}, 2);
    a.apply_fill(0, Side::buy, px("12"), qty("50"), Money{}, 3);
    EXPECT_EQ(a.position(0).average_price.to_string(), "11");  // 500 + 600 over 100
    EXPECT_EQ(a.round_trip_count(), 0u);
    a.apply_fill(0, Side::buy, px("12"), qty("20"), Money{}, 4);
    a.apply_fill(0, Side::sell, px("13"), qty("120"), Money{}, 5);
    ASSERT_EQ(a.round_trips().size(), 1u);
    const RoundTrip& t = a.round_trips()[0];
    EXPECT_EQ(t.entry_price.to_string(), "10.823529411");  // 1840 / 170, truncated
    EXPECT_EQ(t.exit_price.to_string(), "12.411764705");   // 2110 / 170, truncated
    EXPECT_EQ(t.quantity.to_string(), "120");              // the largest size held
    EXPECT_EQ(str(t.pnl), "270");                          // 50 + (1560 - 1340)
    EXPECT_EQ(t.pnl, a.realized());
    EXPECT_EQ(t.holding_ns(), 4);
}

TEST(Account, AverageRemainderStaysInTheBasisAndIsRealizedAtFlat) {
    Account a(usd("100"), 1);
    a.apply_fill(0, Side::buy, px("10"), qty("1"), Money{}, 1);
    a.apply_fill(0, Side::buy, px("11"), qty("2"), Money{}, 2);
    EXPECT_EQ(a.position(0).average_price.to_string(), "10.666666666");
    a.apply_fill(0, Side::sell, px("12"), qty("1"), Money{}, 3);
    EXPECT_EQ(str(a.realized()), "1.333333334");  // 12 - 32/3 truncated
    EXPECT_EQ(str(a.position(0).cost_basis), "21.333333334");
    a.apply_fill(0, Side::sell, px("12"), qty("2"), Money{}, 4);
    // (exit - truncated avg) * qty three times would give 4.000000002; the account realizes
    // exactly what the cash says: 36 - 32.
    EXPECT_EQ(str(a.realized()), "4");
    EXPECT_EQ(str(a.cash()), "104");
    expect_reconciles(a);
}

TEST(Account, NotionalTruncatesTowardZeroForLongsAndShortsAlike) {
    Account a(usd("10"), 2);
    // 3.000000001 * 0.333333333 = 0.999999999333333333 -> 0.999999999.
    a.apply_fill(0, Side::buy, px("3.000000001"), qty("0.333333333"), Money{}, 1);
    EXPECT_EQ(str(a.cash()), "9.000000001");
    EXPECT_EQ(str(a.position(0).market_value()), "0.999999999");
    a.apply_fill(1, Side::sell, px("3.000000001"), qty("0.333333333"), Money{}, 1);
    EXPECT_EQ(str(a.position(1).market_value()), "-0.999999999");
    EXPECT_EQ(str(a.cash()), "10");
    EXPECT_EQ(str(a.gross_exposure()), "1.999999998");
    EXPECT_EQ(a.unrealized().raw, 0);
    expect_reconciles(a);
}

TEST(Account, EquityCurveTracksPeakCurrentAndMaximumDrawdown) {
    Account a(usd("1000"), 1);
    a.apply_fill(0, Side::buy, px("100"), qty("10"), Money{}, 1);
    EXPECT_EQ(a.cash().raw, 0);
    a.before_event(2, EquityEvent::bar);
    a.mark(0, px("110"), 2);
    a.sample_equity(2);
    EXPECT_EQ(str(a.peak_equity()), "1100");
    EXPECT_EQ(a.drawdown().raw, 0);

    a.before_event(3, EquityEvent::trade);
    a.mark(0, px("90"), 3);
    EXPECT_EQ(str(a.drawdown()), "200");  // current, before any sample
    // The equity now is the curve's end point (closed_curve) until another sample comes.
    EXPECT_EQ(str(a.max_drawdown()), "200");
    a.sample_equity(3);
    EXPECT_EQ(str(a.max_drawdown()), "200");

    a.mark(0, px("105"), 4);
    a.sample_equity(4);
    EXPECT_EQ(str(a.drawdown()), "50");
    EXPECT_EQ(str(a.max_drawdown()), "200");

    a.mark(0, px("120"), 5);
    a.sample_equity(5);
    EXPECT_EQ(str(a.peak_equity()), "1200");
    EXPECT_EQ(a.drawdown().raw, 0);
    EXPECT_EQ(str(a.max_drawdown()), "200");

    ASSERT_EQ(a.equity_curve().size(), 4u);
    EXPECT_EQ(a.equity_curve()[1].ts_ns, 3);
    EXPECT_EQ(str(a.equity_curve()[1].equity), "900");
    EXPECT_EQ(str(a.equity_curve()[3].equity), "1200");
    EXPECT_EQ(a.equity_points_dropped(), 0u);
}

constexpr std::int64_t kDay = 86'400'000'000'000;

TEST(Account, BarSamplingKeepsOnePointPerBarTimeWithTheFillsBookedAtIt) {
    Account a(usd("1000"), 2, 16, 16, EquitySampling::bar);
    a.apply_fill(0, Side::buy, px("10"), qty("10"), Money{}, 1);
    a.apply_fill(1, Side::buy, px("20"), qty("10"), Money{}, 1);
    // Two symbols' bars at time 100: one point, holding the equity after both.
    for (const auto& [sym, close] : {std::pair{SymbolId{0}, "11"}, std::pair{SymbolId{1}, "19"}}) {
        a.before_event(100, EquityEvent::bar);
        a.mark(sym, px(close), 100);
        a.after_bar(100);
    }
    ASSERT_EQ(a.equity_curve().size(), 1u);
    EXPECT_EQ(str(a.equity_curve()[0].equity), "1000");  // +10 - 10
    // A fill at the bar's time (its order filling after the last bar) belongs to that point.
    a.before_event(100, EquityEvent::fill);
    a.apply_fill(0, Side::sell, px("11"), qty("10"), usd("1"), 100);
    ASSERT_EQ(a.equity_curve().size(), 1u);
    EXPECT_EQ(str(a.equity_curve()[0].equity), "999");
    // A trade after the last bar moves equity: the run's end point is the last event's.
    a.before_event(150, EquityEvent::trade);
    a.mark(1, px("25"), 150);
    const std::vector<EquityPoint> c = a.closed_curve();
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[1].ts_ns, 150);
    EXPECT_EQ(str(c[1].equity), "1059");
    EXPECT_EQ(str(a.max_drawdown()), "1");  // 1000 -> 999 under the starting 1000
}

TEST(Account, DailySamplingClosesEachUtcDayAtItsLastEvent) {
    Account a(usd("1000"), 1, 16, 16, EquitySampling::daily);
    a.before_event(kDay + 5, EquityEvent::fill);
    a.apply_fill(0, Side::buy, px("10"), qty("10"), Money{}, kDay + 5);
    a.before_event(kDay + 9, EquityEvent::trade);
    a.mark(0, px("12"), kDay + 9);  // day 1 closes at 1020
    EXPECT_TRUE(a.equity_curve().empty()) << "a day is taken when the next one starts";
    a.before_event(3 * kDay + 1, EquityEvent::trade);  // day 2 had no event: no point
    a.mark(0, px("8"), 3 * kDay + 1);
    ASSERT_EQ(a.equity_curve().size(), 1u);
    EXPECT_EQ(a.equity_curve()[0].ts_ns, kDay);  // stamped with its midnight
    EXPECT_EQ(str(a.equity_curve()[0].equity), "1020");
    const std::vector<EquityPoint> c = a.closed_curve();
    ASSERT_EQ(c.size(), 2u);
    EXPECT_EQ(c[1].ts_ns, 3 * kDay);
    EXPECT_EQ(str(c[1].equity), "980");
    EXPECT_EQ(str(a.max_drawdown()), "40");
}

TEST(Account, AutomaticSamplingFollowsTheFirstMark) {
    Account bars(usd("1000"), 1, 16, 16, EquitySampling::automatic);
    bars.before_event(10, EquityEvent::fill);  // a fill does not decide
    EXPECT_EQ(bars.sampling(), EquitySampling::automatic);
    bars.before_event(kDay, EquityEvent::bar);
    bars.after_bar(kDay);
    EXPECT_EQ(bars.sampling(), EquitySampling::bar);
    EXPECT_EQ(bars.equity_curve().size(), 1u);

    Account ticks(usd("1000"), 1, 16, 16, EquitySampling::automatic);
    ticks.before_event(kDay + 1, EquityEvent::trade);
    EXPECT_EQ(ticks.sampling(), EquitySampling::daily);
    ticks.before_event(2 * kDay + 1, EquityEvent::trade);
    EXPECT_EQ(ticks.equity_curve().size(), 1u);
}

TEST(Account, SamplingAllocatesNothingWithinItsReservedCapacity) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    // 200 bar times and 200 days: what a session reserves (assembly's size_records).
    Account bars(usd("1000"), 1, 1, 201, EquitySampling::bar);
    Account days(usd("1000"), 1, 1, 202, EquitySampling::daily);
    {
        HotScope hot;  // any allocation in here aborts the test binary
        for (std::int64_t d = 0; d < 200; ++d) {
            for (Account* a : {&bars, &days}) {
                a->before_event(d * kDay, EquityEvent::bar);
                a->mark(0, Price::from_units(10 + d % 3), d * kDay);
                a->after_bar(d * kDay);
            }
        }
    }
    EXPECT_EQ(bars.equity_curve().size(), 200u);
    EXPECT_EQ(days.equity_curve().size(), 199u);  // the last day is still open
    EXPECT_EQ(bars.equity_points_dropped() + days.equity_points_dropped(), 0u);
}

TEST(Account, DayPnlCountsFromTheStartOfTheDay) {
    Account a(usd("1000"), 1);
    a.apply_fill(0, Side::buy, px("10"), qty("10"), usd("0.5"), 1);
    a.mark(0, px("12"), 2);
    EXPECT_EQ(str(a.day_pnl()), "19.5");  // from the starting cash before any start_day
    a.start_day(86'400);
    EXPECT_EQ(a.day_start_ns(), 86'400);
    EXPECT_EQ(str(a.day_start_equity()), "1019.5");
    EXPECT_EQ(a.day_pnl().raw, 0);
    a.mark(0, px("11"), 86'401);
    EXPECT_EQ(str(a.day_pnl()), "-10");
    a.apply_fill(0, Side::sell, px("11"), qty("10"), usd("0.5"), 86'402);
    EXPECT_EQ(str(a.day_pnl()), "-10.5");
}

TEST(Account, FullStoresKeepCountingAndReportWhatTheyDropped) {
    Account a(usd("1000"), 1, /*round_trip_capacity=*/2, /*equity_capacity=*/3);
    const char* exits[] = {"11", "9", "12", "8", "10.5"};
    std::int64_t ts = 0;
    for (const char* exit : exits) {
        a.apply_fill(0, Side::buy, px("10"), qty("1"), Money{}, ++ts);
        a.mark(0, px(exit), ++ts);
        a.sample_equity(ts);
        a.apply_fill(0, Side::sell, px(exit), qty("1"), Money{}, ++ts);
    }
    EXPECT_EQ(a.round_trip_count(), 5u);
    EXPECT_EQ(a.winning_round_trips(), 3u);
    ASSERT_EQ(a.round_trips().size(), 2u);
    EXPECT_EQ(a.round_trips_dropped(), 3u);
    EXPECT_EQ(a.round_trips()[1].exit_price.to_string(), "9");  // the first ones are kept
    EXPECT_EQ(str(a.realized()), "0.5");                        // totals count every trip

    EXPECT_EQ(a.equity_curve().size(), 3u);
    EXPECT_EQ(a.equity_points_dropped(), 2u);
    // The dropped samples still move the peak and drawdown: the low of 1000 after the peak of 1002
    // came fourth.
    EXPECT_EQ(str(a.peak_equity()), "1002");
    EXPECT_EQ(str(a.max_drawdown()), "2");
}

TEST(Account, MarksOutsideTheTableAreIgnored) {
    Account a(usd("1000"), 1);
    a.mark(5, px("1"), 1);
    a.mark(kNoSymbol, px("1"), 1);
    EXPECT_EQ(a.equity(), usd("1000"));
}

TEST(AccountDeathTest, FillsOutsideTheTableOrWithoutQuantityAreProgrammerErrors) {
    GTEST_FLAG_SET(death_test_style, "threadsafe");
    Account a(usd("1000"), 1);
    EXPECT_DEATH(a.apply_fill(1, Side::buy, px("1"), qty("1"), Money{}, 1), "outside");
    EXPECT_DEATH(a.apply_fill(0, Side::buy, px("1"), Quantity{}, Money{}, 1), "positive");
}

TEST(Account, AllocatesNothingAfterConstruction) {
    if (!alloc_guard_linked())
        GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    Account a(usd("1000000"), 4, /*round_trip_capacity=*/8, /*equity_capacity=*/16);
    {
        HotScope hot;  // any allocation in here aborts the test binary
        std::int64_t ts = 0;
        for (int i = 0; i < 1000; ++i) {
            const SymbolId s = static_cast<SymbolId>(i % 4);
            a.apply_fill(s, Side::buy, Price::from_units(10 + i % 7), qty("3"), usd("0.01"), ++ts);
            a.mark(s, Price::from_units(11 + i % 5), ++ts);
            a.sample_equity(ts);
            a.apply_fill(s, Side::sell, Price::from_units(9 + i % 3), qty("5"), usd("0.01"), ++ts);
            a.apply_fill(s, Side::buy, Price::from_units(10), qty("2"), Money{}, ++ts);
            if (i % 100 == 0)
                a.start_day(ts);
        }
    }
    EXPECT_EQ(a.round_trips().size(), 8u);
    EXPECT_GT(a.round_trips_dropped(), 0u);
    EXPECT_EQ(a.equity_curve().size(), 16u);
    EXPECT_GT(a.equity_points_dropped(), 0u);
}

// A seeded random walk of fills (opens, adds, partial closes, reversals, rebates) and marks over
// three symbols, checked after every step against an independent cash and quantity model and
// the account's own identities, then flattened: every symbol's realized P&L must then be
// exactly its net cash flow.
TEST(Account, RandomFillsAndMarksReconcileExactly) {
    constexpr SymbolId kSymbols = 3;
    const Money start = usd("1000000");
    Account a(start, kSymbols, 1u << 16, 1u << 16);
    std::mt19937_64 rng(20240607);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    auto random_price = [&] {
        return Price::from_raw(uniform(1, 200) * kScale + uniform(0, kScale - 1));
    };

    std::int64_t model_qty[kSymbols] = {};
    i128 model_flow[kSymbols] = {};  // per symbol: signed notional received minus fees
    std::int64_t ts = 0;
    for (int step = 0; step < 20'000; ++step) {
        const SymbolId s = static_cast<SymbolId>(uniform(0, kSymbols - 1));
        ++ts;
        if (uniform(0, 3) == 0) {
            a.mark(s, random_price(), ts);
        } else {
            const Side side = uniform(0, 1) == 0 ? Side::buy : Side::sell;
            const Price p = random_price();
            const Quantity q = Quantity::from_raw(uniform(1, 500) * kScale / 10 + uniform(0, 999));
            const Money fee = Money::from_raw(uniform(-1000, 5 * kScale));
            a.apply_fill(s, side, p, q, fee, ts);
            const i128 n = static_cast<i128>(p.raw) * q.raw / kScale;
            model_flow[s] += (side == Side::buy ? -n : n) - fee.raw;
            model_qty[s] += signed_qty(side, q);
        }
        i128 flows = 0;
        Money realized{}, fees{}, value{}, gross{}, trip_pnl{};
        for (SymbolId k = 0; k < kSymbols; ++k) {
            const PositionState& p = a.position(k);
            ASSERT_EQ(p.quantity_raw, model_qty[k]);
            flows += model_flow[k];
            realized += p.realized;
            fees += p.fees;
            value += p.market_value();
            gross += Money::from_raw(p.market_value().raw < 0 ? -p.market_value().raw
                                                              : p.market_value().raw);
            trip_pnl += a.open_round_trip(k).pnl;
        }
        for (const RoundTrip& t : a.round_trips())
            trip_pnl += t.pnl;
        ASSERT_EQ(a.cash().raw, static_cast<i128>(start.raw) + flows) << "step " << step;
        ASSERT_EQ(a.realized(), realized);
        ASSERT_EQ(a.fees(), fees);
        ASSERT_EQ(a.market_value(), value);
        ASSERT_EQ(a.gross_exposure(), gross);
        ASSERT_EQ(trip_pnl, a.realized()) << "step " << step;
        ASSERT_EQ(a.cash() + a.cost_basis(), start + a.realized()) << "step " << step;
        ASSERT_EQ(a.equity() - start, a.realized() + a.unrealized()) << "step " << step;
    }
    EXPECT_EQ(a.round_trips_dropped(), 0u);
    EXPECT_GT(a.round_trip_count(), 100u);

    for (SymbolId k = 0; k < kSymbols; ++k) {
        const std::int64_t held = a.position(k).quantity_raw;
        if (held != 0) {
            a.apply_fill(k, held > 0 ? Side::sell : Side::buy, random_price(),
                         Quantity::from_raw(held > 0 ? held : -held), Money{}, ++ts);
        }
    }
    i128 flows = 0;
    for (SymbolId k = 0; k < kSymbols; ++k) {
        const PositionState& p = a.position(k);
        ASSERT_EQ(p.quantity_raw, 0);
        flows += static_cast<i128>(p.realized.raw);
    }
    EXPECT_EQ(a.cost_basis().raw, 0);
    EXPECT_EQ(a.unrealized().raw, 0);
    EXPECT_EQ(a.gross_exposure().raw, 0);
    EXPECT_EQ(a.cash() - start, a.realized());
    EXPECT_EQ(static_cast<i128>(a.realized().raw), flows);
}

TEST(Account, AMarkThatWouldLeaveMoneysRangeIsRefusedAndCounted) {
    Account a(Money::from_units(1'000'000), 4);
    a.apply_fill(0, Side::buy, Price::from_units(1), Quantity::from_units(100'000), Money{}, 1);
    a.mark(0, Price::from_units(2), 2);
    EXPECT_EQ(a.position(0).last_price, Price::from_units(2));
    // A bad tick: 100000 units at 1e6 is 1e11, beyond what the account can hold.
    a.mark(0, Price::from_units(1'000'000), 3);
    EXPECT_EQ(a.marks_refused(), 1u);
    EXPECT_EQ(a.position(0).last_price, Price::from_units(2));  // the last good mark stays
    EXPECT_EQ(a.equity(), Money::from_units(1'100'000));
}

// A fill whose figures the account cannot hold (a bad price from a venue) is refused whole:
// apply_fill returns false and not one figure moves, so the account still reconciles and the
// process goes on (it used to abort on "notional outside Money's range").
TEST(AccountRange, AFillPastTheRangeIsRefusedWholeAndChangesNothing) {
    Account a(usd("1000000"), 2);
    a.apply_fill(0, Side::buy, px("1.2"), qty("100000"), usd("5"), 1);
    a.mark(0, px("1.21"), 2);
    const std::uint64_t before = a.state_hash(7);
    const Money equity = a.equity();
    for (const char* price : {"10000000", "9200000000", "9223372036.854775807"}) {
        for (const Side side : {Side::buy, Side::sell}) {
            EXPECT_FALSE(a.apply_fill(0, side, px(price), qty("100000"), usd("5"), 3)) << price;
            EXPECT_EQ(a.state_hash(7), before) << price;
            EXPECT_EQ(a.equity(), equity);
        }
    }
    // A huge quantity at a sane price, and a fee at the ends of Money's range.
    EXPECT_FALSE(a.apply_fill(0, Side::sell, px("1.2"), Quantity::from_raw(INT64_MAX), usd("0"), 3));
    EXPECT_FALSE(a.apply_fill(0, Side::sell, px("1.2"), qty("1"), Money::from_raw(INT64_MIN), 3));
    EXPECT_FALSE(a.apply_fill(0, Side::sell, px("1.2"), qty("1"), Money::from_raw(INT64_MAX), 3));
    EXPECT_EQ(a.state_hash(7), before);
    EXPECT_EQ(a.position(0).fills, 1u);
    expect_reconciles(a);
    // The account goes on: an ordinary fill closes the position and the trip.
    EXPECT_TRUE(a.apply_fill(0, Side::sell, px("1.22"), qty("100000"), usd("5"), 4));
    EXPECT_EQ(a.position(0).quantity_raw, 0);
    EXPECT_EQ(a.round_trip_count(), 1u);
    EXPECT_EQ(str(a.realized()), "1990");
    expect_reconciles(a);
}

// A mark that would take an open position's value out of range is refused and counted, and
// says so (the gateway alerts on it); a flat symbol's mark only remembers the price.
TEST(AccountRange, AMarkPastTheRangeIsRefusedAndReported) {
    Account a(usd("1000000"), 2);
    a.apply_fill(0, Side::buy, px("1.2"), qty("100000"), usd("0"), 1);
    EXPECT_TRUE(a.mark(0, px("1.3"), 2));
    EXPECT_FALSE(a.mark(0, px("9200000000"), 3));
    EXPECT_EQ(a.marks_refused(), 1u);
    EXPECT_EQ(a.position(0).last_price, px("1.3"));
    EXPECT_TRUE(a.mark(1, px("9200000000"), 3));  // flat: remembered, nothing moves
    expect_reconciles(a);
}

// A reversal refused for range leaves the trip it would have closed open, untouched.
TEST(AccountRange, ARefusedReversalLeavesTheOpenTripAsItWas) {
    Account a(usd("1000000"), 1);
    a.apply_fill(0, Side::buy, px("1.2"), qty("1000"), usd("1"), 1);
    const RoundTrip open = a.open_round_trip(0);
    EXPECT_FALSE(a.apply_fill(0, Side::sell, px("9200000000"), qty("2000000"), usd("1"), 2));
    const RoundTrip still = a.open_round_trip(0);
    EXPECT_EQ(still.side, open.side);
    EXPECT_EQ(still.entry_price, open.entry_price);
    EXPECT_EQ(still.pnl, open.pnl);
    EXPECT_EQ(a.round_trip_count(), 0u);
    EXPECT_EQ(a.position(0).quantity_raw, qty("1000").raw);
}
