// Proves several strategies on one symbol in a whole backtest: two sma_cross strategies on MSFT
// daily bars each earn exactly what the same strategy earns run alone on the same data (no limit
// binds), their P&L sums to the account's, and the report shows each strategy's figures.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "keel/engine/config/config.hpp"
#include "keel/replay/reports/backtest_report.hpp"
#include "keel/replay/session/backtest.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

// Long only, 100 shares; and long or short, 70 shares, on faster averages: their positions
// are often opposite, so the account nets them while each strategy keeps its own.
const std::string kSlow =
    R"({"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30, "quantity": "100"})";
const std::string kFast = R"({"type": "sma_cross", "symbol": "MSFT", "fast": 5, "slow": 20,
                              "quantity": "70", "allow_short": true})";

replay::SessionReport run(const std::string& strategies) {
    const fs::path file =
        fs::temp_directory_path() / ("keel-multi-strategy-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream out(file);
        out << R"({"session": {"name": "shared"},
          "data": {"files": [{"path": ")"
            << (fs::path(KEEL_SOURCE_DIR) / "data" / "msft_daily.csv").string()
            << R"(", "symbol": "MSFT", "bar_interval": "1d"}]},
          "strategies": [)"
            << strategies << R"(],
          "account": {"starting_cash": "10000000"},
          "risk": {"max_order_qty": "100000"},
          "venue": {"type": "sim", "mode": "bars", "buying_power": "10000000",
                    "commission": {"model": "per_share", "per_share": "0.005"}}})";
    }
    const engine::ConfigResult c = replay::load_backtest_config(file, {});
    fs::remove(file);
    EXPECT_TRUE(c.ok()) << (c.errors.empty() ? "" : c.errors.front().message);
    std::atomic<bool> stop{false};
    std::string error;
    const auto report = replay::run_backtest(c.config, {}, stop, error);
    EXPECT_TRUE(report) << error;
    return report ? *report : replay::SessionReport{};
}

engine::Money account_total(const replay::SessionReport& r) {
    return r.realized + r.unrealized;
}

}  // namespace

TEST(MultiStrategy, EachStrategyOnASharedSymbolEarnsWhatItEarnsAloneAndTheySumToTheAccount) {
    const replay::SessionReport both = run(kSlow + "," + kFast);
    const replay::SessionReport slow = run(kSlow);
    const replay::SessionReport fast = run(kFast);
    ASSERT_EQ(both.strategy_pnl.size(), 2u);
    ASSERT_EQ(slow.strategy_pnl.size(), 1u);
    ASSERT_EQ(fast.strategy_pnl.size(), 1u);
    EXPECT_EQ(both.risk_rejects + both.venue_rejects, 0u);  // no limit binds
    const replay::StrategyPnlReport* alone[2] = {&slow.strategy_pnl[0], &fast.strategy_pnl[0]};
    for (std::size_t i = 0; i < 2; ++i) {
        const replay::StrategyPnlReport& s = both.strategy_pnl[i];
        SCOPED_TRACE(s.name);
        EXPECT_GT(s.fills, 2u);  // it really traded
        EXPECT_EQ(s.fills, alone[i]->fills);
        EXPECT_EQ(s.position_raw, alone[i]->position_raw);
        EXPECT_EQ(s.realized, alone[i]->realized);
        EXPECT_EQ(s.unrealized, alone[i]->unrealized);
        EXPECT_EQ(s.fees, alone[i]->fees);
        EXPECT_EQ(s.total, alone[i]->total);
    }
    // Alone, a strategy's figures are its account's.
    EXPECT_EQ(slow.strategy_pnl[0].total, account_total(slow));
    EXPECT_EQ(fast.strategy_pnl[0].total, account_total(fast));
    // Together, the account holds one net position and the strategies' P&L sums to its own.
    EXPECT_EQ(both.strategy_pnl[0].total + both.strategy_pnl[1].total, account_total(both));
    EXPECT_EQ(both.strategy_pnl[0].fees + both.strategy_pnl[1].fees, both.fees);
    EXPECT_EQ(both.strategy_pnl[0].position_raw + both.strategy_pnl[1].position_raw,
              both.symbols.at(0).position_raw);
    EXPECT_EQ(both.fills, slow.fills + fast.fills);  // no internal crossing
}

TEST(MultiStrategy, TheReportShowsEachStrategysPnlWhenThereAreSeveral) {
    const replay::BacktestReport both = replay::make_backtest_report(run(kSlow + "," + kFast));
    const engine::Json j = engine::Json::parse(replay::backtest_report_json(both));
    ASSERT_TRUE(j.contains("strategies"));
    ASSERT_EQ(j["strategies"].size(), 2u);
    EXPECT_EQ(j["strategies"][1]["name"], "strategies[1]");
    EXPECT_EQ(j["strategies"][1]["type"], "sma_cross");
    EXPECT_EQ(j["strategies"][1]["symbols"][0], "MSFT");
    EXPECT_EQ(j["strategies"][1]["total_pnl"], both.strategies[1].total.to_string());
    std::ostringstream summary;
    replay::print_backtest_summary(summary, both);
    EXPECT_NE(summary.str().find("  strategy  strategies[0] sma_cross MSFT: total " +
                                 both.strategies[0].total.to_string()),
              std::string::npos)
        << summary.str();
    // One strategy: its figures are the account's, and the report stays as it was.
    const replay::BacktestReport one = replay::make_backtest_report(run(kSlow));
    EXPECT_FALSE(engine::Json::parse(replay::backtest_report_json(one)).contains("strategies"));
}
