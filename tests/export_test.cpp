// Proves `keel journal export` writes a read model that agrees with the session it came from:
// counts and exact decimals equal the session report's, a second export is the same file byte
// for byte, and a torn or corrupt journal gives the documented exit code and message.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/journal/reader.hpp"
#include "keel/replay/reports/export.hpp"
#include "keel/replay/reports/journal_tools.hpp"
#include "keel/replay/session/session.hpp"
#include "sqlite_query.hpp"
#include "test_support.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

using test::one;
using test::query;
using test::Rows;

std::string dec(std::int64_t raw) {
    return engine::decimal_string(raw);
}

std::int64_t raw_of(const std::string& text) {
    std::int64_t raw = 0;
    EXPECT_EQ(engine::parse_decimal(text, raw), engine::DecimalError::ok) << text;
    return raw;
}

std::string read_bytes(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t count_lines_with(const std::string& text, std::initializer_list<const char*> parts) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        if (std::all_of(parts.begin(), parts.end(),
                        [&](const char* p) { return line.find(p) != std::string::npos; }))
            ++n;
    }
    return n;
}

// Alerts, a kill-switch drill (a risk-owned flatten order, a mass cancel, refusals), an
// sma_cross on daily bars, commissions and an odd starting cash: every table gets rows.
constexpr const char* kConfig = R"({
  "session": {"name": "export"},
  "data": {"files": [
    {"path": "data/usdchf_30m.csv", "symbol": "USDCHF"},
    {"path": "tests/data/usdchf_alerts.csv", "symbol": "USDCHF"},
    {"path": "tests/data/usdchf_commands.csv"},
    {"path": "data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
  "strategies": [
    {"type": "alert_follower", "symbols": ["USDCHF"],
     "sizes": [{"symbol": "USDCHF", "timeframe": "30m", "quantity": "20000"}]},
    {"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30, "quantity": "100"}],
  "account": {"starting_cash": "250000.125"},
  "risk": {"max_order_qty": "150000"},
  "venue": {"type": "sim", "commission": {"model": "per_share", "per_share": "0.0013"}},
  "threads": [{"name": "main", "stages": ["ingest", "strategy", "risk", "gateway"]}]
})";

class ExportSqlite : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        base_ = fs::temp_directory_path() / ("keel_export_" + std::to_string(::getpid()));
        fs::remove_all(base_);
        fs::create_directories(base_);
        engine::ConfigResult cr = engine::parse_config(kConfig, "export", KEEL_SOURCE_DIR, {});
        ASSERT_TRUE(cr.ok()) << cr.errors.front().path << ": " << cr.errors.front().message;
        std::atomic<bool> stop{false};
        replay::SessionOptions options;
        options.journal_dir = base_ / "journal";
        std::string error;
        report_ = replay::run_session(cr.config, stop, options, error);
        ASSERT_TRUE(report_) << error;
    }
    static void TearDownTestSuite() { fs::remove_all(base_); }

    static int run_export(const fs::path& dir, const fs::path& file, std::string* err = nullptr) {
        std::ostringstream o, e;
        const int rc = replay::export_sqlite(dir, file, o, e);
        if (err != nullptr)
            *err = e.str();
        return rc;
    }
    // A copy of the session's journal to damage.
    static fs::path copy_journal(const std::string& name) {
        const fs::path dir = base_ / name;
        fs::remove_all(dir);
        fs::copy(base_ / "journal", dir, fs::copy_options::recursive);
        return dir;
    }

    static inline fs::path base_;
    static inline std::optional<replay::SessionReport> report_;
};

TEST_F(ExportSqlite, CountsEqualTheSessionReport) {
    ASSERT_TRUE(report_);
    const fs::path db = base_ / "counts.db";
    ASSERT_EQ(run_export(base_ / "journal", db), 0);
    const replay::SessionReport& r = *report_;
    ASSERT_GT(r.fills, 0u);
    ASSERT_GT(r.risk_rejects, 0u);
    ASSERT_GT(r.round_trip_count, 0u);

    EXPECT_EQ(one(db, "SELECT count(*) FROM fills WHERE applied = 1"), std::to_string(r.fills));
    EXPECT_EQ(one(db, "SELECT count(*) FROM risk_rejects"), std::to_string(r.risk_rejects));
    EXPECT_EQ(one(db, "SELECT count(*) FROM trades"), std::to_string(r.round_trip_count));
    EXPECT_EQ(one(db, "SELECT sum(won) FROM trades"), std::to_string(r.winning_round_trips));
    EXPECT_EQ(one(db, "SELECT orders_sent FROM sessions"), std::to_string(r.orders_sent));
    EXPECT_EQ(one(db, "SELECT venue_rejects FROM sessions"), std::to_string(r.venue_rejects));
    EXPECT_EQ(one(db, "SELECT last_seq FROM sessions"), std::to_string(r.last_seq));
    EXPECT_EQ(one(db, "SELECT complete FROM sessions"), "1");
    EXPECT_EQ(one(db, "PRAGMA user_version"), std::to_string(replay::kExportSchemaVersion));

    // Orders, signals and alerts against `keel journal dump`'s independent decoding.
    std::ostringstream dumped, dump_err;
    ASSERT_EQ(replay::dump_journal(base_ / "journal", {}, dumped, dump_err), 0);
    const std::string d = dumped.str();
    EXPECT_EQ(one(db, "SELECT count(*) FROM orders"),
              std::to_string(count_lines_with(d, {"\"type\":\"order_sent\"", "new_order"})));
    EXPECT_EQ(one(db, "SELECT count(*) FROM signals"),
              std::to_string(count_lines_with(d, {"\"type\":\"signal\""})));
    EXPECT_EQ(one(db, "SELECT count(*) FROM alerts"), "8");  // the alerts file's rows
    // The equity rows are the session's samples, every one (Account::closed_curve).
    EXPECT_EQ(one(db, "SELECT count(*) FROM equity"), std::to_string(r.equity_curve.size()));
    // Risk's flatten order from the kill drill is an order like any other, owned by risk.
    EXPECT_EQ(one(db, "SELECT count(*) FROM orders WHERE strategy = 65535 AND order_id < 0"), "1");
    // Every fill of an order is summed into its row.
    EXPECT_EQ(one(db,
                  "SELECT count(*) FROM orders o WHERE fills != (SELECT count(*) FROM fills "
                  "f WHERE f.order_id = o.order_id AND applied = 1)"),
              "0");
}

TEST_F(ExportSqlite, MoneyEqualsTheSessionReportToTheLastDecimal) {
    ASSERT_TRUE(report_);
    const fs::path db = base_ / "money.db";
    ASSERT_EQ(run_export(base_ / "journal", db), 0);
    const replay::SessionReport& r = *report_;
    ASSERT_NE(r.fees.raw, 0);
    const Rows s = query(db,
                         "SELECT starting_cash, cash, equity, realized, unrealized, fees, "
                         "max_drawdown FROM sessions");
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0],
              (std::vector<std::string>{
                  dec(r.starting_cash.raw), dec(r.cash.raw), dec(r.equity.raw), dec(r.realized.raw),
                  dec(r.unrealized.raw), dec(r.fees.raw), dec(r.max_drawdown.raw)}));
    EXPECT_EQ(dec(r.starting_cash.raw), "250000.125");

    const Rows p =
        query(db,
              "SELECT symbol, quantity, realized, unrealized, fees, fills FROM positions ORDER BY "
              "symbol_id");
    ASSERT_EQ(p.size(), r.symbols.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        const replay::SymbolReport& want = r.symbols[i];
        EXPECT_EQ(p[i], (std::vector<std::string>{want.symbol, dec(want.position_raw),
                                                  dec(want.realized.raw), dec(want.unrealized.raw),
                                                  dec(want.fees.raw), std::to_string(want.fills)}));
    }

    const Rows t = query(db,
                         "SELECT pnl, fees, entry_price, exit_price FROM trades ORDER BY "
                         "trade_id");
    ASSERT_EQ(t.size(), r.round_trips.size());
    for (std::size_t i = 0; i < t.size(); ++i) {
        const engine::RoundTrip& want = r.round_trips[i];
        EXPECT_EQ(t[i],
                  (std::vector<std::string>{dec(want.pnl.raw), dec(want.fees.raw),
                                            dec(want.entry_price.raw), dec(want.exit_price.raw)}));
    }

    // The samples are the session report's, and the largest drawdown among them is its maximum.
    const Rows eq = query(db, "SELECT ts_ns, equity, drawdown FROM equity ORDER BY ts_ns");
    ASSERT_EQ(eq.size(), r.equity_curve.size());
    std::int64_t max_dd = 0;
    for (std::size_t i = 0; i < eq.size(); ++i) {
        EXPECT_EQ(eq[i][0], std::to_string(r.equity_curve[i].ts_ns));
        EXPECT_EQ(eq[i][1], dec(r.equity_curve[i].equity.raw));
        max_dd = std::max(max_dd, raw_of(eq[i][2]));
    }
    EXPECT_EQ(max_dd, r.max_drawdown.raw);
    // The run's metrics are the session report's (one compute_run_metrics on the same samples).
    const replay::RunMetrics& m = r.metrics;
    EXPECT_EQ(query(db,
                    "SELECT expectancy, average_win, average_loss, best_trade, worst_trade, "
                    "return_days, losing_round_trips, max_consecutive_losses FROM sessions"),
              (Rows{{dec(m.expectancy.raw), dec(m.average_win.raw), dec(m.average_loss.raw),
                     dec(m.best_trade.raw), dec(m.worst_trade.raw), std::to_string(m.return_days),
                     std::to_string(m.losses), std::to_string(m.max_consecutive_losses)}}));
    EXPECT_NEAR(std::stod(one(db, "SELECT sharpe FROM sessions")), m.sharpe, 1e-12);
    EXPECT_NEAR(std::stod(one(db, "SELECT sortino FROM sessions")), m.sortino, 1e-12);
    EXPECT_NEAR(std::stod(one(db, "SELECT cagr_pct FROM sessions")), m.cagr_pct, 1e-12);
    EXPECT_NEAR(std::stod(one(db, "SELECT profit_factor FROM sessions")), m.profit_factor, 1e-12);
    // Fees of the booked fills add up exactly to the account's.
    std::int64_t fees = 0;
    for (const auto& row : query(db, "SELECT fee FROM fills WHERE applied = 1"))
        fees += raw_of(row[0]);
    EXPECT_EQ(fees, r.fees.raw);
}

TEST_F(ExportSqlite, ASecondExportIsTheSameFileByteForByte) {
    const fs::path a = base_ / "a.db";
    const fs::path b = base_ / "b.db";
    ASSERT_EQ(run_export(base_ / "journal", a), 0);
    ASSERT_EQ(run_export(base_ / "journal", b), 0);
    const std::string first = read_bytes(a);
    ASSERT_GT(first.size(), 4096u);
    EXPECT_TRUE(first == read_bytes(b));
    // Exporting over an existing database replaces it with the same bytes.
    ASSERT_EQ(run_export(base_ / "journal", a), 0);
    EXPECT_TRUE(first == read_bytes(a));
}

TEST_F(ExportSqlite, ATornTailExportsTheRecordsBeforeItAndReturnsOne) {
    const fs::path dir = copy_journal("torn");
    test::mark_crashed(dir);  // a torn tail is what a crash leaves
    journal::StreamScan scan;
    ASSERT_TRUE(journal::scan_stream(dir, "input", scan, {}).ok());
    ASSERT_FALSE(scan.issue);
    const journal::SegmentInfo& last = scan.segments.back();
    // Cut the last record short, as a crash mid-append leaves it.
    fs::resize_file(last.path, last.data_end - 8);
    const fs::path db = base_ / "torn.db";
    std::string err;
    EXPECT_EQ(run_export(dir, db, &err), 1);
    EXPECT_NE(err.find("input: torn tail at " + last.path.string()), std::string::npos) << err;
    EXPECT_NE(err.find("exported the records before it"), std::string::npos) << err;
    EXPECT_EQ(one(db, "SELECT complete FROM sessions"), "0");
    EXPECT_EQ(one(db, "SELECT last_seq FROM sessions"), std::to_string(scan.last_seq - 1));
}

TEST_F(ExportSqlite, CorruptionIsNamedAndLeavesTheDatabaseAlone) {
    const fs::path dir = copy_journal("corrupt");
    journal::StreamScan scan;
    ASSERT_TRUE(journal::scan_stream(dir, "input", scan, {}).ok());
    const fs::path segment = scan.segments.front().path;
    // Flip a payload byte of an early record: valid records follow, so it is corruption.
    {
        std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(4096);
        char c = 0;
        f.get(c);
        f.seekp(4096);
        f.put(static_cast<char>(c ^ 0x40));
    }
    const fs::path db = base_ / "kept.db";
    { std::ofstream(db) << "an earlier database"; }
    std::string err;
    EXPECT_EQ(run_export(dir, db, &err), 2);
    EXPECT_NE(err.find("input: corruption at " + segment.string() + " offset "), std::string::npos)
        << err;
    EXPECT_EQ(read_bytes(db), "an earlier database");
    for (const auto& entry : fs::directory_iterator(base_))
        EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
            << entry.path();
}

TEST_F(ExportSqlite, AnUnwritableFileIsNamed) {
    const fs::path db = base_ / "no" / "such" / "dir" / "x.db";
    std::string err;
    EXPECT_EQ(run_export(base_ / "journal", db, &err), 2);
    EXPECT_NE(err.find("cannot write " + db.string()), std::string::npos) << err;
}

TEST_F(ExportSqlite, ADirectoryThatIsNoJournalIsRefused) {
    std::string err;
    EXPECT_EQ(run_export(base_ / "missing", base_ / "m.db", &err), 2);
    EXPECT_NE(err.find("not a directory"), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(base_ / "m.db"));
}

}  // namespace
