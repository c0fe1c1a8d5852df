// A live account hands its closed records to a RecordKeeper (replay/assembly/record_keeper.hpp)
// and gets the whole record back: driven here on one thread (the keeper's drain called by hand),
// so each case decides exactly when the rings are emptied.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/orders/account.hpp"
#include "keel/replay/assembly/record_keeper.hpp"

using namespace keel::engine;
using keel::replay::RecordKeeper;

namespace {

constexpr std::int64_t kDay = 86'400'000'000'000;

// One trading day of symbol 0: a mark, a buy, a mark and a sell (a round trip closed at a
// day-dependent price). Returns the equity the day closes with.
Money trade_day(Account& a, std::int64_t day) {
    const std::int64_t t = day * kDay + 1000;
    const Price exit = Price::from_units(10 + day % 3);
    a.before_event(t, EquityEvent::trade);
    a.mark(0, Price::from_units(10), t);
    a.before_event(t + 1, EquityEvent::fill);
    a.apply_fill(0, Side::buy, Price::from_units(10), Quantity::from_units(1), Money{}, t + 1);
    a.before_event(t + 2, EquityEvent::trade);
    a.mark(0, exit, t + 2);
    a.before_event(t + 3, EquityEvent::fill);
    a.apply_fill(0, Side::sell, exit, Quantity::from_units(1), Money{}, t + 3);
    return a.equity();
}

}  // namespace

// The old live reserve was 366 days: a live account now keeps every day of a 1000-day run
// (a point and a trip a day) through rings of 4 with 4 records held back, allocating nothing
// on the account's side.
TEST(RecordKeeper, LiveAccountKeepsEveryPointAndTripOfARunLongerThanAYear) {
    constexpr std::int64_t kDays = 1000;
    Account a(Money::from_units(1000), 1);
    RecordKeeper keeper(1, /*ring_capacity=*/4);
    keeper.attach(0, a, EquitySampling::daily, /*pending=*/4);
    std::vector<Money> closes;
    for (std::int64_t d = 0; d < kDays; ++d) {
        Money close{};
        {
            HotScope hot;  // the pipeline's side: any allocation aborts (with the guard linked)
            close = trade_day(a, d);
        }
        closes.push_back(close);
        keeper.drain();
    }
    keeper.stop();
    keeper.give_back();
    const std::vector<EquityPoint> curve = a.closed_curve();
    ASSERT_EQ(curve.size(), static_cast<std::size_t>(kDays));  // the last day closed at the end
    for (std::int64_t d = 0; d < kDays; ++d) {
        ASSERT_EQ(curve[d].ts_ns, d * kDay) << "day " << d;
        ASSERT_EQ(curve[d].equity, closes[d]) << "day " << d;
    }
    ASSERT_EQ(a.round_trips().size(), static_cast<std::size_t>(kDays));
    for (std::int64_t d = 0; d < kDays; ++d)
        ASSERT_EQ(a.round_trips()[d].exit_ns, d * kDay + 1003) << "trip " << d;
    EXPECT_EQ(a.equity_points_dropped(), 0u);
    EXPECT_EQ(a.round_trips_dropped(), 0u);
}

// Nobody drains for a while: the ring fills, the account holds the rest back and hands them
// off in order once there is room; the open bar point stays in the account, still updated by a
// fill at its time.
TEST(RecordKeeper, RecordsWaitInTheAccountWhileTheRingIsFullAndLeaveInOrder) {
    Account a(Money::from_units(1000), 1);
    RecordKeeper keeper(1, /*ring_capacity=*/2);
    keeper.attach(0, a, EquitySampling::bar, /*pending=*/8);
    std::vector<Money> points;
    a.apply_fill(0, Side::buy, Price::from_units(10), Quantity::from_units(1), Money{}, 1);
    for (std::int64_t t = 10; t <= 120; t += 10) {
        a.mark(0, Price::from_units(10 + t / 10), t);
        a.after_bar(t);
        points.push_back(a.equity());
        if (t == 70)
            keeper.drain();  // 2 in the ring, 5 held back (the last still open)
    }
    EXPECT_GE(a.equity_curve().size(), 2u) << "records held back while the ring was full";
    a.apply_fill(0, Side::sell, Price::from_units(22), Quantity::from_units(1), Money{}, 120);
    points.back() = a.equity();  // the fill at the last bar's time belongs to its point
    keeper.stop();
    keeper.give_back();
    const std::vector<EquityPoint> curve = a.closed_curve();
    ASSERT_EQ(curve.size(), points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        EXPECT_EQ(curve[i].ts_ns, static_cast<std::int64_t>(10 * (i + 1))) << i;
        EXPECT_EQ(curve[i].equity, points[i]) << i;
    }
    EXPECT_EQ(a.equity_points_dropped(), 0u);
    ASSERT_EQ(a.round_trips().size(), 1u);
}

// A keeper that never drains: what neither the ring nor the account can hold is counted, and
// the drawdown figures still see every point.
TEST(RecordKeeper, BeyondTheRingAndTheHeldBackRecordsTheAccountCountsWhatItCouldNotKeep) {
    Account a(Money::from_units(1000), 1);
    RecordKeeper keeper(1, /*ring_capacity=*/2);
    keeper.attach(0, a, EquitySampling::daily, /*pending=*/2);
    for (std::int64_t d = 0; d < 10; ++d)
        trade_day(a, d);
    // Nine days closed: two in the ring, two held back, five counted.
    EXPECT_EQ(a.equity_points_dropped(), 5u);
    EXPECT_EQ(a.round_trips_dropped(), 6u);  // ten trips: two in the ring, two held back
    keeper.stop();
    keeper.give_back();
    EXPECT_EQ(a.closed_curve().size(), 5u);  // four kept and the open day
    EXPECT_EQ(a.round_trips().size(), 4u);
    EXPECT_EQ(a.round_trip_count(), 10u);
}
