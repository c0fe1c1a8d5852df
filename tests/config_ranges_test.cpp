// Every numeric config key, at and past both ends of its range (a table): past an end,
// parsing the config fails naming the key; at an end, the config is valid and a backtest with
// it runs to its end (nothing that passes `keel config check` may abort a run: a value the
// account cannot hold is refused here, not met as an overflow mid-session).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/config/config_reader.hpp"
#include "keel/engine/risk/risk_limits.hpp"
#include "keel/replay/session/backtest.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

const fs::path kConfig = fs::path(KEEL_SOURCE_DIR) / "config" / "backtest.json";

struct Key {
    std::string path;               // as --set names it
    std::string lo, hi;             // the range's ends, as they are written
    std::string below, above;       // one step past each end ("" : nothing below/above)
    std::vector<std::string> with;  // other settings the key needs to be valid at its ends
};

constexpr const char* kBillion = "1000000000";
constexpr const char* kPastBillion = "1000000000.000000001";
const std::string kMaxInt = std::to_string(engine::kMaxIntegerLimit);
const std::string kPastMaxInt = std::to_string(engine::kMaxIntegerLimit + 1);

// A decimal key whose range is [0, a billion units].
Key money(const std::string& path) {
    return {path, "0", kBillion, "-0.000000001", kPastBillion, {}};
}
// An integer key whose range is [0, hi].
Key count(const std::string& path, const std::string& hi, const std::string& above) {
    return {path, "0", hi, "-1", above, {}};
}

std::vector<Key> keys() {
    std::vector<Key> k = {
        money("account.starting_cash"),
        money("risk.max_order_qty"),
        money("risk.max_order_notional"),
        money("risk.max_position"),
        money("risk.max_gross_exposure"),
        money("risk.max_daily_loss"),
        {"risk.max_drawdown_pct", "0", "100", "-0.000000001", "100.000000001", {}},
        money("risk.pdt_equity_threshold"),
        count("risk.collar_bps", "1000000", "1000001"),
        count("risk.max_reference_age_ns", kMaxInt, kPastMaxInt),
        count("risk.max_open_orders", kMaxInt, kPastMaxInt),
        count("risk.throttle_per_s", kBillion, "1000000001"),
        count("risk.throttle_burst", kBillion, "1000000001"),
        count("risk.duplicate_window_ns", kMaxInt, kPastMaxInt),
        count("risk.max_fills_in_window", "31", "32"),
        count("risk.fill_window_ns", kMaxInt, kPastMaxInt),
        count("risk.max_market_data_age_ns", kMaxInt, kPastMaxInt),
        count("risk.pdt_max_day_trades", "1000000", "1000001"),
        // The quantity shorthand sizes in whole lots (lot 1 unless the config says otherwise).
        {"strategies.0.quantity", "1", kBillion, "0.999999999", kPastBillion, {}},
        {"strategies.0.fast", "1", "999999", "0", "1000000", {"strategies.0.slow=1000000"}},
        {"strategies.0.slow", "2", "1000000", "1", "1000001", {"strategies.0.fast=1"}},
        {"symbols.USDCHF.tick_size", "0.000000001", kBillion, "0", kPastBillion, {}},
        {"symbols.USDCHF.min_price", "0", "999999999", "-0.000000001", kPastBillion, {}},
        {"symbols.USDCHF.max_price", "0.000000001", kBillion, "0", kPastBillion, {}},
        {"symbols.USDCHF.max_jump_pct", "0", "1000", "-0.000000001", "1000.000000001", {}},
        money("venue.buying_power"),
        {"venue.commission.per_share", "0", kBillion, "-0.000000001", kPastBillion,
         {"venue.commission.model=per_share"}},
        {"venue.commission.min", "0", kBillion, "-0.000000001", kPastBillion,
         {"venue.commission.model=per_share"}},
    };
    return k;
}

engine::ConfigResult load(const std::vector<std::string>& sets) {
    replay::BacktestConfigOptions options;
    for (const std::string& s : sets) {
        auto o = engine::parse_override(s);
        EXPECT_TRUE(o) << s;
        if (o)
            options.overrides.push_back(*o);
    }
    return replay::load_backtest_config(kConfig, options);
}

std::string errors_of(const engine::ConfigResult& r) {
    std::string s;
    for (const engine::ConfigError& e : r.errors)
        s += e.path + ": " + e.message + "\n";
    return s;
}

// The key as errors name it: "strategies.0.fast" is "strategies[0].fast".
std::string error_path(std::string path) {
    for (std::size_t i = 0; i + 2 < path.size(); ++i) {
        if (path[i] == '.' && path[i + 1] >= '0' && path[i + 1] <= '9') {
            const std::size_t end = path.find('.', i + 1);
            path = path.substr(0, i) + "[" + path.substr(i + 1, end - i - 1) + "]" +
                   (end == std::string::npos ? "" : path.substr(end));
        }
    }
    return path;
}

std::vector<std::string> with_value(const Key& k, const std::string& value) {
    std::vector<std::string> sets = k.with;
    sets.push_back(k.path + "=" + value);
    return sets;
}

}  // namespace

TEST(ConfigRanges, EveryNumericKeyRunsAtItsEndsAndIsRefusedPastThem) {
    int runs = 0;
    for (const Key& k : keys()) {
        SCOPED_TRACE(k.path);
        for (const std::string& past : {k.below, k.above}) {
            if (past.empty())
                continue;
            const engine::ConfigResult r = load(with_value(k, past));
            EXPECT_FALSE(r.ok()) << k.path << "=" << past << " was accepted";
            bool named = false;
            for (const engine::ConfigError& e : r.errors)
                named = named || e.path == error_path(k.path);
            EXPECT_TRUE(named) << k.path << "=" << past << ": " << errors_of(r);
        }
        for (const std::string& end : {k.lo, k.hi}) {
            const engine::ConfigResult r = load(with_value(k, end));
            EXPECT_TRUE(r.ok()) << k.path << "=" << end << ": " << errors_of(r);
            if (!r.ok())
                continue;
            std::atomic<bool> stop{false};
            std::string error;
            const auto report = replay::run_backtest(r.config, {}, stop, error);
            EXPECT_TRUE(report) << k.path << "=" << end << ": " << error;
            ++runs;
        }
    }
    EXPECT_EQ(runs, 2 * static_cast<int>(keys().size()));
}
