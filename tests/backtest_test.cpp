// Proves `keel backtest`'s machinery: two runs write byte-identical journals, --set changes the
// run (and a bad key is an error naming it), malformed rows are skipped only when asked and
// then counted and named, and the report's fields match a hand computation on ten bars.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "keel/adapters/csv/csv_source.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/journal/reader.hpp"
#include "keel/replay/session/backtest.hpp"
#include "keel/replay/reports/backtest_report.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

class ScratchDir {
  public:
    ScratchDir() {
        path_ = fs::temp_directory_path() / ("keel-backtest-test-" + std::to_string(::getpid()) +
                                             "-" + std::to_string(counter_++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    [[nodiscard]] const fs::path& path() const { return path_; }

  private:
    static inline int counter_ = 0;
    fs::path path_;
};

void write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const fs::path kBacktestConfig = fs::path(KEEL_SOURCE_DIR) / "config" / "backtest.json";

engine::ConfigResult load(const fs::path& file, std::vector<std::string> sets,
                          std::vector<std::string> env = {}) {
    replay::BacktestConfigOptions options;
    options.env = std::move(env);
    for (const std::string& s : sets)
        options.overrides.push_back(*engine::parse_override(s));
    return replay::load_backtest_config(file, options);
}

std::string first_error(const engine::ConfigResult& r) {
    return r.errors.empty() ? "" : r.errors.front().path + ": " + r.errors.front().message;
}

replay::SessionReport backtest(const engine::Config& config, const fs::path& journal = {}) {
    std::atomic<bool> stop{false};
    std::string error;
    auto report = replay::run_backtest(config, journal, stop, error);
    EXPECT_TRUE(report) << error;
    return report ? *report : replay::SessionReport{};
}

bool has_error(const engine::ConfigResult& r, const std::string& path, const std::string& text) {
    for (const engine::ConfigError& e : r.errors) {
        if (e.path == path && e.message.find(text) != std::string::npos)
            return true;
    }
    return false;
}

}  // namespace

TEST(Backtest, TwoRunsOfTheSameBacktestWriteByteIdenticalJournals) {
    const engine::ConfigResult cr = load(kBacktestConfig, {});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    ScratchDir dir;
    const replay::SessionReport a = backtest(cr.config, dir.path() / "a");
    const replay::SessionReport b = backtest(cr.config, dir.path() / "b");
    ASSERT_GT(a.fills, 0u) << "the backtest should trade, or the journals prove little";

    std::vector<std::string> names_a, names_b;
    for (const auto& e : fs::directory_iterator(dir.path() / "a"))
        names_a.push_back(e.path().filename().string());
    for (const auto& e : fs::directory_iterator(dir.path() / "b"))
        names_b.push_back(e.path().filename().string());
    std::sort(names_a.begin(), names_a.end());
    std::sort(names_b.begin(), names_b.end());
    ASSERT_EQ(names_a, names_b);
    ASSERT_EQ(names_a.size(), 5u)
        << "one segment per stream (input, strategy, risk, gateway) and the MANIFEST";
    for (const std::string& name : names_a) {
        const std::string bytes_a = read_file(dir.path() / "a" / name);
        const std::string bytes_b = read_file(dir.path() / "b" / name);
        EXPECT_GT(bytes_a.size(), 64u) << name << " holds records (or the manifest's seals)";
        EXPECT_TRUE(bytes_a == bytes_b) << name << " differs between two runs";
    }
}

// With a day boundary, risk journals each closed trading day: the days chain (each starts
// where the last one's successor began, its equity its predecessor's plus its P&L) and their
// P&L sums to the run's up to the last day's close. Without one, a run has no trading days.
TEST(Backtest, ADayBoundaryJournalsEachClosedDayAndTheirPnlChainsIntoTheEquity) {
    const engine::ConfigResult cr = load(
        kBacktestConfig, {"risk.day_boundary.time=12:00", "risk.day_boundary.tz=America/New_York"});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    ScratchDir dir;
    const replay::SessionReport report = backtest(cr.config, dir.path() / "j");
    ASSERT_GT(report.fills, 0u);
    journal::JournalReader reader;
    ASSERT_TRUE(reader.open(dir.path() / "j", {}).ok());
    journal::RecordView r{};
    std::string stream;
    std::vector<engine::DayClosedPayload> days;
    std::uint32_t fills = 0;
    while (reader.next(r, stream) == journal::StreamCursor::Next::record) {
        engine::Event e{};
        std::memcpy(&e, r.payload, sizeof e);
        if (e.header.type == engine::EventType::venue_fill)
            ++fills;
        if (e.header.type != engine::EventType::day_closed)
            continue;
        EXPECT_EQ(stream, "risk");
        days.push_back(e.payload.day_closed);
    }
    ASSERT_GT(days.size(), 100u);  // ten months of daily bars
    engine::Money equity = report.starting_cash;
    std::uint32_t day_fills = 0;
    for (std::size_t i = 0; i < days.size(); ++i) {
        equity = equity + days[i].day_pnl;
        EXPECT_EQ(days[i].equity, equity) << "day " << i;
        if (i > 0) {
            EXPECT_GT(days[i].day_start_ns, days[i - 1].day_start_ns);
        }
        day_fills += days[i].fills;
    }
    EXPECT_LE(day_fills, fills);
    EXPECT_GT(day_fills, 0u);

    // The same run without a boundary (nor a trading session) has no day to close.
    const engine::ConfigResult plain = load(kBacktestConfig, {});
    ASSERT_TRUE(plain.ok());
    (void)backtest(plain.config, dir.path() / "plain");
    journal::JournalReader again;
    ASSERT_TRUE(again.open(dir.path() / "plain", {}).ok());
    while (again.next(r, stream) == journal::StreamCursor::Next::record) {
        engine::Event e{};
        std::memcpy(&e, r.payload, sizeof e);
        EXPECT_NE(e.header.type, engine::EventType::day_closed);
    }
}

TEST(Backtest, BacktestRunsFusedWhateverTheConfigsThreadsSay) {
    // The config asks for two threads; the backtest runs one.
    const engine::ConfigResult cr =
        load(kBacktestConfig, {R"(threads=[{"name":"feed","stages":["ingest"]},)"
                               R"({"name":"core","stages":["strategy","risk","gateway"]}])"});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    ASSERT_EQ(cr.config.plan.threads.size(), 2u);
    const replay::SessionReport r = backtest(cr.config);
    ASSERT_EQ(r.threads.size(), 1u);
    EXPECT_NE(r.threads.front().find("[ingest,strategy,risk,gateway]"), std::string::npos)
        << r.threads.front();
}

TEST(Backtest, AConfigWithoutThreadsRunsEveryStageOnOneThread) {
    const engine::ConfigResult cr = load(kBacktestConfig, {});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    ASSERT_FALSE(cr.config.effective.contains("threads"));
    ASSERT_EQ(cr.config.plan.threads.size(), 1u);
    EXPECT_EQ(cr.config.plan.threads[0].first_stage, 0u);
    EXPECT_EQ(cr.config.plan.threads[0].last_stage, engine::kStageCount - 1);
}

TEST(Backtest, SetChangesAParameterAndTheOrdersFollow) {
    const engine::ConfigResult base = load(kBacktestConfig, {});
    const engine::ConfigResult fast5 =
        load(kBacktestConfig, {"strategies.0.fast=5", "risk.max_order_qty=500"});
    ASSERT_TRUE(base.ok()) << first_error(base);
    ASSERT_TRUE(fast5.ok()) << first_error(fast5);
    EXPECT_EQ(fast5.config.strategies[0].fast, 5u);
    EXPECT_EQ(fast5.config.risk.max_order_qty.raw, engine::Quantity::from_units(500).raw);
    // The effective (journaled) config records the value that ran.
    EXPECT_EQ(fast5.config.effective["strategies"][0]["fast"], 5);

    const replay::SessionReport a = backtest(base.config);
    const replay::SessionReport b = backtest(fast5.config);
    std::vector<std::int64_t> entries_a, entries_b;
    for (const engine::RoundTrip& t : a.round_trips)
        entries_a.push_back(t.entry_ns);
    for (const engine::RoundTrip& t : b.round_trips)
        entries_b.push_back(t.entry_ns);
    EXPECT_NE(a.orders_requested, b.orders_requested);
    EXPECT_NE(entries_a, entries_b);
}

TEST(Backtest, SetAppliesAfterTheEnvironmentAndALaterSetWins) {
    const engine::ConfigResult r =
        load(kBacktestConfig, {"risk.max_order_qty=300", "RISK.MAX_ORDER_QTY=400"},
             {"KEEL__RISK__MAX_ORDER_QTY=200"});
    ASSERT_TRUE(r.ok()) << first_error(r);
    EXPECT_EQ(r.config.risk.max_order_qty.raw, engine::Quantity::from_units(400).raw);
    // An existing key matches whatever its case: no new upper-case key was made.
    EXPECT_FALSE(r.config.effective.contains("RISK"));
}

TEST(Backtest, SetWithAnUnknownKeyIsAnErrorNamingIt) {
    const engine::ConfigResult r = load(kBacktestConfig, {"strategies.0.fastt=12"});
    EXPECT_TRUE(has_error(r, "strategies[0].fastt", "set by --set strategies.0.fastt=12"))
        << first_error(r);
}

TEST(Backtest, SetWithAMissingArrayElementIsAnErrorNamingIt) {
    const engine::ConfigResult r = load(kBacktestConfig, {"strategies.3.fast=12"});
    EXPECT_TRUE(has_error(r, "--set strategies.3.fast", "no array element '3'")) << first_error(r);
}

TEST(Backtest, SetThroughAScalarIsAnErrorNamingIt) {
    const engine::ConfigResult r = load(kBacktestConfig, {"session.name.first=x"});
    EXPECT_TRUE(has_error(r, "--set session.name.first", "not an object")) << first_error(r);
}

TEST(Backtest, SetWithABadValueNamesTheOptionThatSetIt) {
    const engine::ConfigResult r = load(kBacktestConfig, {"strategies.0.fast=abc"});
    EXPECT_TRUE(has_error(r, "strategies[0].fast", "set by --set strategies.0.fast=abc"))
        << first_error(r);
}

TEST(Backtest, ParseOverrideNeedsAKeyAndAnEqualsSign) {
    EXPECT_FALSE(engine::parse_override("risk.max_order_qty"));
    EXPECT_FALSE(engine::parse_override("=5"));
    const auto o = engine::parse_override("venue.mode=bars=x");
    ASSERT_TRUE(o);
    EXPECT_EQ(o->key, "venue.mode");
    EXPECT_EQ(o->value, "bars=x");
}

TEST(Backtest, DataReplacesTheConfigsFilesWithTheStrategySymbolAndBarInterval) {
    ScratchDir dir;
    // The first 100 MSFT bars as a file of its own, without a symbol column.
    const std::string all = read_file(fs::path(KEEL_SOURCE_DIR) / "data" / "msft_daily.csv");
    std::size_t pos = 0;
    for (int lines = 0; lines < 101; ++lines)
        pos = all.find('\n', pos) + 1;
    write_file(dir.path() / "part.csv", all.substr(0, pos));

    replay::BacktestConfigOptions options;
    options.data.push_back(replay::parse_data_arg((dir.path() / "part.csv").string()));
    const engine::ConfigResult r = replay::load_backtest_config(kBacktestConfig, options);
    ASSERT_TRUE(r.ok()) << first_error(r);
    ASSERT_EQ(r.config.data_files.size(), 1u);
    EXPECT_EQ(r.config.data_files[0].symbol, "MSFT");
    EXPECT_EQ(r.config.data_files[0].bar_interval_s, 86'400);
    EXPECT_EQ(r.config.data_files[0].resolved, dir.path() / "part.csv");
    EXPECT_EQ(backtest(r.config).market_events, 100u);

    const replay::DataArg named = replay::parse_data_arg("AAPL=x/aapl.csv");
    EXPECT_EQ(named.symbol, "AAPL");
    EXPECT_EQ(named.path, "x/aapl.csv");
    EXPECT_EQ(replay::parse_data_arg("runs/a=1.csv").path, "runs/a=1.csv")
        << "a path, not a symbol";
}

TEST(Backtest, DataFileThatIsMissingIsAnErrorNamingTheOption) {
    replay::BacktestConfigOptions options;
    options.data.push_back(replay::parse_data_arg("/nonexistent/bars.csv"));
    const engine::ConfigResult r = replay::load_backtest_config(kBacktestConfig, options);
    EXPECT_TRUE(has_error(r, "data.files[0].path", "set by --data")) << first_error(r);
}

namespace {

// Ten daily bars built so that sma_cross(1, 2) (long when a close is above the one before)
// crosses up after bars 2 and 6 and down after bars 4 and 7; orders fill at the next bar's open.
const char* kTenBars =
    "date,open,high,low,close\n"
    "2024-01-01,10,10.5,9.5,10\n"
    "2024-01-02,10,10.5,8.5,9\n"
    "2024-01-03,9,11.5,8.5,11\n"  // up: buy 10 at the next open, 12
    "2024-01-04,12,13.5,11.5,13\n"
    "2024-01-05,13,13.5,11.5,12\n"  // down: sell at the next open, 14
    "2024-01-06,14,14.5,9.5,10\n"
    "2024-01-07,10,11.5,9.5,11\n"  // up: buy at 9
    "2024-01-08,9,9.5,7.5,8\n"     // down: sell at 8
    "2024-01-09,8,8.5,6.5,7\n"
    "2024-01-10,7,7.5,6.5,7\n";

std::string ten_bar_config(const fs::path& csv, bool skip_bad_rows) {
    return R"({
      "session": {"name": "ten"},
      "data": {"files": [{"path": ")" +
           csv.string() + R"(", "symbol": "XYZ", "bar_interval": "1d"}],
               "skip_bad_rows": )" +
           (skip_bad_rows ? "true" : "false") + R"(},
      "strategies": [{"type": "sma_cross", "symbol": "XYZ", "fast": 1, "slow": 2,
                      "quantity": "10"}],
      "account": {"starting_cash": "10000"},
      "risk": {"max_order_qty": "1000"},
      "venue": {"type": "sim", "mode": "bars",
                "commission": {"model": "per_share", "per_share": "0.01"}}
    })";
}

}  // namespace

TEST(BacktestReport, FieldsMatchAHandComputationOnTenBars) {
    ScratchDir dir;
    write_file(dir.path() / "ten.csv", kTenBars);
    const engine::ConfigResult cr =
        engine::parse_config(ten_bar_config(dir.path() / "ten.csv", false), "ten", dir.path(), {});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    const replay::SessionReport s = backtest(cr.config);
    const replay::BacktestReport r = replay::make_backtest_report(s);

    // By hand: buy 10 @ 12, sell @ 14: +20; buy 10 @ 9, sell @ 8: -10; four fills at
    // 10 shares * 0.01 = 0.1 each. Trips after fees: 19.8 and -10.2.
    EXPECT_EQ(r.events_in, s.events_sequenced);
    EXPECT_EQ(r.market_events, 10u);
    EXPECT_EQ(r.orders, 4u);
    EXPECT_EQ(r.fills, 4u);
    EXPECT_EQ(r.round_trips, 2u);
    EXPECT_EQ(r.winning_round_trips, 1u);
    EXPECT_EQ(r.realized_pnl.to_string(), "9.6");
    EXPECT_EQ(r.fees.to_string(), "0.4");
    EXPECT_EQ(r.unrealized_pnl.to_string(), "0");
    EXPECT_EQ(r.total_pnl.to_string(), "9.6");
    EXPECT_EQ(r.final_equity.to_string(), "10009.6");
    EXPECT_NEAR(r.return_pct, 0.096, 1e-9);
    EXPECT_DOUBLE_EQ(r.win_rate, 0.5);
    // Equity samples, one per bar time holding the fills booked at it: ... 10019.8 once the
    // first trip's sell fills at bar 6 (at its open, 14: bar 6's close of 10 never meets the
    // position), then 10009.6 after the second trip's loss: a fall of 10.2 from that peak.
    EXPECT_EQ(r.max_drawdown.to_string(), "10.2");
    EXPECT_NEAR(r.max_drawdown_pct, 10.2 / 10019.8 * 100.0, 1e-9);
    EXPECT_EQ(r.equity.size(), 10u);
    EXPECT_EQ(r.trades.size(), 2u);
    EXPECT_EQ(r.metrics.best_trade.to_string(), "19.8");
    EXPECT_EQ(r.metrics.worst_trade.to_string(), "-10.2");
    EXPECT_EQ(r.metrics.expectancy.to_string(), "4.8");
    EXPECT_NEAR(r.metrics.profit_factor, 19.8 / 10.2, 1e-12);
    // Daily closing equity 10000 10000 10000 10009.9 9999.9 10019.8 10019.8 10009.7 10009.6
    // 10009.6 against 10000 before: mean/stdev * sqrt(252) by Python's statistics module.
    EXPECT_NEAR(r.sharpe, 1.7508033712541744, 1e-9);
    EXPECT_EQ(r.sharpe_days, 10u);
    // Bars are stamped at their close: 2024-01-02 .. 2024-01-11, nine days. Long from the
    // fill at bar 3 (Jan 5) to bar 5 (Jan 7) and from bar 7 (Jan 9) to bar 8 (Jan 10).
    EXPECT_NEAR(r.exposure_pct, 3.0 / 9.0 * 100.0, 1e-9);
    ASSERT_EQ(r.symbols.size(), 1u);
    EXPECT_EQ(r.symbols[0].symbol, "XYZ");
    EXPECT_EQ(r.symbols[0].realized_pnl.to_string(), "9.6");
    EXPECT_EQ(r.symbols[0].round_trips, 2u);
    EXPECT_EQ(r.symbols[0].winning_round_trips, 1u);
    EXPECT_EQ(r.symbols[0].fills, 4u);

    // The JSON carries every field, money as exact decimal strings.
    const engine::Json j = engine::Json::parse(replay::backtest_report_json(r));
    for (const char* key : {"events_in", "orders", "fills", "round_trips", "realized_pnl", "fees",
                            "total_pnl", "final_equity", "return_pct", "max_drawdown_pct", "sharpe",
                            "win_rate", "exposure_pct", "elapsed_s", "events_per_s", "symbols"}) {
        EXPECT_TRUE(j.contains(key)) << key;
    }
    EXPECT_EQ(j["realized_pnl"], "9.6");
    EXPECT_EQ(j["final_equity"], "10009.6");
    EXPECT_EQ(j["symbols"][0]["total_pnl"], "9.6");
    EXPECT_EQ(j["exposure_pct"], 33.333333);
}

TEST(BacktestReport, RatiosAreZeroWithoutTradesOrDays) {
    replay::SessionReport s;
    s.starting_cash = engine::Money::from_units(100);
    s.equity = s.starting_cash;
    s.equity_curve.push_back({86'400'000'000'000, s.starting_cash});
    s.metrics = replay::compute_run_metrics(s.equity_curve, s.round_trips, s.starting_cash);
    const replay::BacktestReport r = replay::make_backtest_report(s);
    EXPECT_EQ(r.sharpe, 0.0) << "one day is not enough for a Sharpe ratio";
    EXPECT_EQ(r.win_rate, 0.0);
    EXPECT_EQ(r.exposure_pct, 0.0);
    EXPECT_EQ(r.max_drawdown_pct, 0.0);
    EXPECT_EQ(r.return_pct, 0.0);
}

TEST(Backtest, MalformedRowStopsTheRunNamingFileLineAndColumn) {
    ScratchDir dir;
    std::string csv = kTenBars;
    csv.replace(csv.find("2024-01-05,13,"), 14, "2024-01-05,1x,");
    write_file(dir.path() / "ten.csv", csv);
    const engine::ConfigResult cr =
        engine::parse_config(ten_bar_config(dir.path() / "ten.csv", false), "ten", dir.path(), {});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    std::atomic<bool> stop{false};
    std::string error;
    EXPECT_FALSE(replay::run_backtest(cr.config, {}, stop, error));
    EXPECT_NE(error.find("ten.csv:6:2:"), std::string::npos) << error;
}

TEST(Backtest, SkipBadRowsCountsEachFilesSkippedRowsAndNamesTheFirst) {
    ScratchDir dir;
    std::string csv = kTenBars;
    csv.replace(csv.find("2024-01-09,8,8.5"), 16, "2024-01-09,8,6.5");  // high below open
    csv += "2024-01-11,7,7.5\n";                                        // too few fields
    write_file(dir.path() / "ten.csv", csv);
    const engine::ConfigResult cr =
        engine::parse_config(ten_bar_config(dir.path() / "ten.csv", true), "ten", dir.path(), {});
    ASSERT_TRUE(cr.ok()) << first_error(cr);
    const replay::SessionReport s = backtest(cr.config);
    EXPECT_EQ(s.market_events, 9u);
    EXPECT_EQ(s.skipped_rows, 2u);
    ASSERT_EQ(s.data_files.size(), 1u);
    EXPECT_EQ(s.data_files[0].rows, 9u);
    EXPECT_EQ(s.data_files[0].skipped_rows, 2u);
    EXPECT_NE(s.data_files[0].first_skipped.find("ten.csv:10:3: inconsistent bar"),
              std::string::npos)
        << s.data_files[0].first_skipped;

    const replay::BacktestReport r = replay::make_backtest_report(s);
    const engine::Json j = engine::Json::parse(replay::backtest_report_json(r));
    EXPECT_EQ(j["data"]["skipped_rows"], 2);
    EXPECT_EQ(j["data"]["files"][0]["skipped_rows"], 2);
    std::ostringstream summary;
    replay::print_backtest_summary(summary, r);
    EXPECT_NE(summary.str().find("2 malformed rows"), std::string::npos) << summary.str();
}

TEST(Backtest, ASkippedRowLeavesNoSymbolBehind) {
    // A row with a bad price in a symbol seen nowhere else must not take a symbol id: the
    // journal defines only symbols that have data, and a replay interns from those.
    ScratchDir dir;
    write_file(dir.path() / "t.csv",
               "time,symbol,price\n"
               "2024-01-01T00:00:00Z,BAD,x\n"
               "2024-01-01T00:00:01Z,GOOD,1\n");
    engine::SymbolTable symbols(16);
    std::string error;
    adapters::CsvReadOptions options;
    options.skip_bad_rows = true;
    const auto src = adapters::CsvSource::open({{dir.path() / "t.csv", "t.csv", "", std::nullopt}},
                                               symbols, 0, error, options);
    ASSERT_TRUE(src) << error;
    EXPECT_EQ(symbols.size(), 1u);
    EXPECT_FALSE(symbols.find("BAD"));
    EXPECT_EQ(src->stats().skipped_rows, 1u);
    EXPECT_EQ(src->stats().files.at(0).first_skipped.rfind("t.csv:2:3:", 0), 0u)
        << src->stats().files.at(0).first_skipped;
}
