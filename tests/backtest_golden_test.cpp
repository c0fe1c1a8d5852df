// Proves a backtest of sma_cross(10, 30) on the real MSFT daily bars makes exactly the trades
// and P&L that an independent computation in this file derives from the CSV: crosses by the
// definition, long only, 100 shares, market orders filled at the next bar's open.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/replay/session/session.hpp"

using namespace keel;

namespace {

// The test's own decimal reader (independent of the engine's parser): "63.4375" -> raw 1e-9.
std::int64_t raw_of(const std::string& text) {
    const auto dot = text.find('.');
    std::int64_t whole = std::stoll(text.substr(0, dot));
    std::int64_t frac = 0;
    if (dot != std::string::npos) {
        std::string f = text.substr(dot + 1);
        f.resize(9, '0');
        frac = std::stoll(f);
    }
    return whole * 1'000'000'000 + frac;
}

struct Row {
    std::string date;
    std::int64_t open, close;
};

struct Trip {
    std::size_t entry_bar, exit_bar;  // index of the bar whose open filled it
    std::int64_t entry_raw, exit_raw;
};

std::vector<Row> read_msft() {
    std::ifstream in(std::string(KEEL_SOURCE_DIR) + "/data/msft_daily.csv");
    std::string line;
    std::getline(in, line);  // header: date,open,high,low,close,volume
    std::vector<Row> rows;
    while (std::getline(in, line)) {
        std::stringstream ss(line);
        std::string f[6];
        for (auto& x : f)
            std::getline(ss, x, ',');
        rows.push_back({f[0], raw_of(f[1]), raw_of(f[4])});
    }
    return rows;
}

}  // namespace

TEST(BacktestGolden, SmaCrossOnMsftDailyMatchesAnIndependentComputation) {
    const std::vector<Row> rows = read_msft();
    ASSERT_EQ(rows.size(), 249u);

    // --- independent: crosses by the definition, in exact integers ---
    const std::size_t fast = 10, slow = 30;
    auto sum = [&](std::size_t t, std::size_t n) {
        engine::i128 s = 0;
        for (std::size_t i = t + 1 - n; i <= t; ++i)
            s += rows[i].close;
        return s;
    };
    // sign(fast_avg - slow_avg) = sign(fast_sum * slow - slow_sum * fast)
    auto cmp = [&](std::size_t t) {
        const engine::i128 l = sum(t, fast) * static_cast<engine::i128>(slow);
        const engine::i128 r = sum(t, slow) * static_cast<engine::i128>(fast);
        return l > r ? 1 : (l < r ? -1 : 0);
    };
    std::vector<Trip> trips;
    bool long_pos = false;
    std::size_t entry_bar = 0;
    for (std::size_t t = slow; t < rows.size(); ++t) {  // both averages defined at t-1 and t
        const int c0 = cmp(t - 1), c1 = cmp(t);
        const bool up = c0 <= 0 && c1 > 0, down = c0 >= 0 && c1 < 0;
        if (t + 1 >= rows.size())
            break;  // an order after the last bar never fills
        if (up && !long_pos) {
            long_pos = true;
            entry_bar = t + 1;
        } else if (down && long_pos) {
            long_pos = false;
            trips.push_back({entry_bar, t + 1, rows[entry_bar].open, rows[t + 1].open});
        }
    }
    ASSERT_GE(trips.size(), 2u) << "the data should give the strategy something to do";
    const std::int64_t qty = 100;
    std::int64_t realized_raw = 0;
    for (const Trip& tr : trips)
        realized_raw += (tr.exit_raw - tr.entry_raw) * qty;
    const std::int64_t unrealized_raw =
        long_pos ? (rows.back().close - rows[entry_bar].open) * qty : 0;

    // --- the engine: a backtest over the same file ---
    const std::string config = R"({
      "session": {"name": "golden"},
      "data": {"files": [{"path": "data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
      "strategies": [{"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30,
                      "quantity": "100"}],
      "risk": {"max_order_qty": "1000"},
      "venue": {"type": "sim", "mode": "bars"},
      "threads": [{"name": "main", "stages": ["ingest", "strategy", "risk", "gateway"]}]
    })";
    engine::ConfigResult cr = engine::parse_config(config, "golden", KEEL_SOURCE_DIR, {});
    ASSERT_TRUE(cr.ok()) << cr.errors.front().path << ": " << cr.errors.front().message;
    std::atomic<bool> stop{false};
    std::string error;
    const auto report = replay::run_session(cr.config, stop, {}, error);
    ASSERT_TRUE(report) << error;

    ASSERT_EQ(report->round_trips.size(), trips.size());
    for (std::size_t i = 0; i < trips.size(); ++i) {
        const engine::RoundTrip& got = report->round_trips[i];
        SCOPED_TRACE("trip " + std::to_string(i) + " entered " + rows[trips[i].entry_bar].date);
        EXPECT_EQ(got.side, engine::Side::buy);
        EXPECT_EQ(got.entry_price.raw, trips[i].entry_raw);
        EXPECT_EQ(got.exit_price.raw, trips[i].exit_raw);
        EXPECT_EQ(got.quantity.raw, qty * 1'000'000'000);
        EXPECT_EQ(got.pnl.raw, (trips[i].exit_raw - trips[i].entry_raw) * qty);
    }
    ASSERT_EQ(report->symbols.size(), 1u);
    EXPECT_EQ(report->symbols[0].realized.raw, realized_raw);
    EXPECT_EQ(report->symbols[0].unrealized.raw, unrealized_raw);
    EXPECT_EQ(report->symbols[0].position_raw, long_pos ? qty * 1'000'000'000 : 0);
    EXPECT_EQ(report->fills, 2 * trips.size() + (long_pos ? 1 : 0));
}
