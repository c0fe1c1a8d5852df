// RecordKeeper's thread against two accounts each on its own producer thread (as two gateway
// threads): every point and trip arrives, in order, whatever the interleaving. Rings of 8 make
// the full-ring path (records held back in the account) common; the held-back room covers the
// whole run, so nothing may be dropped.
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <utility>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/replay/assembly/record_keeper.hpp"

using namespace keel::engine;
using keel::replay::RecordKeeper;

namespace {

constexpr std::int64_t kDay = 86'400'000'000'000;
constexpr std::int64_t kDays = 3000;

// kDays trading days of symbol 0 (a round trip each, its exit price depending on the day and
// the account); the closing equity of each day into closes.
void trade(Account& a, std::int64_t salt, std::vector<Money>& closes) {
    for (std::int64_t d = 0; d < kDays; ++d) {
        const std::int64_t t = d * kDay + 1000;
        const Price exit = Price::from_units(10 + (d + salt) % 5);
        a.before_event(t, EquityEvent::fill);
        a.apply_fill(0, Side::buy, Price::from_units(10), Quantity::from_units(1), Money{}, t);
        a.before_event(t + 1, EquityEvent::trade);
        a.mark(0, exit, t + 1);
        a.before_event(t + 2, EquityEvent::fill);
        a.apply_fill(0, Side::sell, exit, Quantity::from_units(1), Money{}, t + 2);
        closes.push_back(a.equity());
    }
}

}  // namespace

TEST(RecordKeeperThreads, EveryRecordOfTwoProducersArrivesInOrder) {
    Account a(Money::from_units(1000), 1);
    Account b(Money::from_units(5000), 1);
    RecordKeeper keeper(2, /*ring_capacity=*/8);
    keeper.attach(0, a, EquitySampling::daily, /*pending=*/kDays + 1);
    keeper.attach(1, b, EquitySampling::daily, /*pending=*/kDays + 1);
    std::vector<Money> closes_a, closes_b;
    closes_a.reserve(kDays);
    closes_b.reserve(kDays);
    keeper.start();
    std::thread pa([&] { trade(a, 0, closes_a); });
    std::thread pb([&] { trade(b, 2, closes_b); });
    pa.join();
    pb.join();
    keeper.stop();
    keeper.give_back();
    for (auto [acc, closes] : {std::pair{&a, &closes_a}, std::pair{&b, &closes_b}}) {
        const std::vector<EquityPoint> curve = acc->closed_curve();
        ASSERT_EQ(curve.size(), static_cast<std::size_t>(kDays));
        for (std::int64_t d = 0; d < kDays; ++d) {
            ASSERT_EQ(curve[d].ts_ns, d * kDay) << "day " << d;
            ASSERT_EQ(curve[d].equity, (*closes)[d]) << "day " << d;
        }
        ASSERT_EQ(acc->round_trips().size(), static_cast<std::size_t>(kDays));
        for (std::int64_t d = 0; d < kDays; ++d)
            ASSERT_EQ(acc->round_trips()[d].exit_ns, d * kDay + 1002) << "trip " << d;
        EXPECT_EQ(acc->equity_points_dropped(), 0u);
        EXPECT_EQ(acc->round_trips_dropped(), 0u);
    }
}
