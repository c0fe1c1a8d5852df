// Every numeric config key, at and past both ends of its range (a table): past an end,
// parsing the config fails naming the key; at an end, the config is valid and a backtest with
// it runs to its end (nothing that passes `keel config check` may abort a run: a value the
// account cannot hold is refused here, not met as an overflow mid-session).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/config/config_reader.hpp"
#include "keel/engine/risk/risk_limits.hpp"
#include "keel/replay/session/backtest.hpp"
#include "keel/replay/session/live_config.hpp"

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
        {"venue.commission.bps", "0", kBillion, "-0.000000001", kPastBillion,
         {"venue.commission.model=bps"}},
        {"venue.slippage.bps", "0", kBillion, "-0.000000001", kPastBillion,
         {"venue.slippage.model=fixed_bps"}},
        {"venue.slippage.bps_per_pct", "0", kBillion, "-0.000000001", kPastBillion,
         {"venue.slippage.model=size_based"}},
        {"venue.slippage.volatility_k", "0", kBillion, "-0.000000001", kPastBillion,
         {"venue.slippage.model=volatility"}},
        {"venue.resting_capacity", "1", "1048576", "0", "1048577", {}},
        {"venue.max_fills_per_event", "1", "4096", "0", "4097", {}},
        {"venue.latency_ns", "0", "3600000000000", "-1", "3600000000001", {}},
        {"venue.latency_jitter_ns", "0", "3600000000000", "-1", "3600000000001", {}},
        {"session.symbol_capacity", "1", "65536", "0", "65537", {}},
        {"session.seed", "0", std::to_string(INT64_MAX), "-1", "9223372036854775808", {}},
        {"data.pace_events_per_s", "0", "100000000", "-1", "100000001", {}},
        {"data.max_spread_pct", "0", "10000", "-1", "10001", {}},
        {"rings.capacity", "2", "1048576", "1", "1048577", {}},
        {"journal.segment_mb", "1", "4096", "0", "4097", {}},
        {"journal.group_interval_us", "1", "10000000", "0", "10000001", {}},
        {"journal.group_records", "1", "1000000", "0", "1000001", {}},
    };
    // The other strategies and sizing policies: the whole strategy set as a companion.
    const std::string orb =
        R"(strategies.0={"type": "orb", "symbol": "MSFT", "quantity": "100"})";
    for (const char* key : {"trend_ema", "volume_sma", "atr_period"})
        k.push_back({std::string("strategies.0.") + key, "1", "100000", "0", "100001", {orb}});
    for (const char* key : {"volume_factor", "stop_atr", "target_atr"})
        k.push_back({std::string("strategies.0.") + key, "0.000000001", kBillion, "0",
                     kPastBillion, {orb}});
    const std::string follower =
        R"(strategies.0={"type": "alert_follower", "symbols": ["MSFT"], "quantity": "100"})";
    k.push_back({"strategies.0.quantity", "1", kBillion, "0.999999999", kPastBillion, {follower}});
    const auto sized = [](const char* sizing) {
        return std::string(R"(strategies.0={"type": "sma_cross", "symbol": "MSFT", )") +
               R"("fast": 5, "slow": 20, "sizing": )" + sizing + "}";
    };
    k.push_back({"strategies.0.sizing.quantity", "1", kBillion, "0", kPastBillion,
                 {sized(R"({"type": "fixed_quantity", "quantity": "1"})")}});
    k.push_back({"strategies.0.sizing.notional", "0.000000001", kBillion, "0", kPastBillion,
                 {sized(R"({"type": "fixed_notional", "notional": "1"})")}});
    k.push_back({"strategies.0.sizing.risk", "0.000000001", "1", "0", "1.000000001",
                 {sized(R"({"type": "percent_risk", "risk": "0.01", "atr_multiple": "2"})")}});
    k.push_back({"strategies.0.sizing.atr_multiple", "0.000000001", kBillion, "0", kPastBillion,
                 {sized(R"({"type": "percent_risk", "risk": "0.01", "atr_multiple": "2"})")}});
    k.push_back({"strategies.0.sizing.lot", "0.000000001", kBillion, "0", kPastBillion,
                 {sized(R"({"type": "fixed_quantity", "quantity": "1000000000"})")}});
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
            // Named: by its path, or by its parent's path with the key in the message
            // ("strategies[0].sizing: quantity must be at least one lot").
            const std::string want = error_path(k.path);
            const std::string leaf = want.substr(want.rfind('.') + 1);
            bool named = false;
            for (const engine::ConfigError& e : r.errors) {
                named = named || e.path == want ||
                        (want.rfind(e.path + ".", 0) == 0 &&
                         e.message.find(leaf) != std::string::npos);
            }
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

namespace {

struct LiveKey {
    std::string path;
    std::int64_t lo, hi;
    std::vector<std::string> with;  // companions the key needs to be valid at its ends
};

std::vector<LiveKey> live_keys() {
    std::vector<LiveKey> k;
    for (const std::string server : {"webhook", "control"}) {
        k.push_back({server + ".port", 0, 65535, {}});
        k.push_back({server + ".threads", 1, 64, {}});
        k.push_back({server + ".max_body_bytes", 256, 64 << 20, {}});
        k.push_back({server + ".max_connections", 1, 100'000, {}});
        k.push_back({server + ".max_connections_per_address", 0, 100'000, {}});
        k.push_back({server + ".header_timeout_ms", 10, 600'000, {}});
        k.push_back({server + ".request_timeout_ms", 10, 600'000, {}});
    }
    k.push_back({"control.durable_timeout_ms", 10, 60'000, {}});
    k.push_back({"webhook.signature_window_s", 1, 86'400, {}});
    k.push_back({"webhook.rate_limit.per_source_per_s", 0, 1'000'000, {}});
    k.push_back({"webhook.rate_limit.per_source_burst", 1, 1'000'000, {}});
    k.push_back({"webhook.rate_limit.global_per_s", 0, 1'000'000, {}});
    k.push_back({"webhook.rate_limit.global_burst", 1, 1'000'000, {}});
    k.push_back({"webhook.dedupe_window_s", 1, 30 * 86'400, {}});
    k.push_back({"webhook.body_dedupe_window_s", 0, 86'400, {}});
    k.push_back({"webhook.ack_deadline_ms", 10, 2'900, {}});
    k.push_back({"feed.port", 1, 65535, {}});
    k.push_back({"feed.stale_after_ms", 0, 86'400'000, {}});
    k.push_back({"feed.reconnect_initial_ms", 1, 600'000, {"feed.reconnect_max_ms=3600000"}});
    k.push_back({"feed.reconnect_max_ms", 1, 3'600'000, {"feed.reconnect_initial_ms=1"}});
    k.push_back({"feed.max_jump_pct", 0, 1000, {}});
    k.push_back({"feed.reanchor_after", 1, 1000, {}});
    k.push_back({"feed.reanchor_gap_minutes", 1, 10'080, {}});
    k.push_back({"live.clock_tick_ms", 1, 60'000, {}});
    k.push_back({"shutdown.deadline_ms", 100, 25'000, {}});
    return k;
}

// paper.json with real secrets, the key set to value, read as keel run reads it.
std::vector<engine::ConfigError> live_errors(const LiveKey& k, std::int64_t value) {
    std::vector<engine::ConfigOverride> sets;
    std::vector<std::string> texts = k.with;
    texts.push_back("webhook.secret=a-long-enough-webhook-secret-0f3c");
    texts.push_back("control.token=a-long-enough-control-token-9e1d");
    texts.push_back(k.path + "=" + std::to_string(value));
    for (const std::string& t : texts)
        sets.push_back(*engine::parse_override(t));
    const fs::path file = fs::path(KEEL_SOURCE_DIR) / "config" / "paper.json";
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    engine::ConfigResult r = engine::parse_config(text, file.string(), file.parent_path(), {}, sets);
    if (r.ok())
        (void)replay::read_live_config(r.config, r.errors);
    return r.errors;
}

}  // namespace

// The live sections' numeric keys (servers, rate limits, feed): each end of its range is a
// valid config, one past it an error naming the key. (They set timers, counts and sizes whose
// ranges cannot overflow; e2e.paper runs a live session on the defaults.)
TEST(ConfigRanges, EveryLiveNumericKeyIsValidAtItsEndsAndRefusedPastThem) {
    for (const LiveKey& k : live_keys()) {
        SCOPED_TRACE(k.path);
        for (const std::int64_t end : {k.lo, k.hi}) {
            const auto errors = live_errors(k, end);
            EXPECT_TRUE(errors.empty()) << k.path << "=" << end << ": " << errors.front().path
                                        << ": " << errors.front().message;
        }
        for (const std::int64_t past : {k.lo - 1, k.hi + 1}) {
            const auto errors = live_errors(k, past);
            bool named = false;
            for (const engine::ConfigError& e : errors)
                named = named || e.path == k.path;
            EXPECT_TRUE(named) << k.path << "=" << past << " was not refused naming the key";
        }
    }
}
