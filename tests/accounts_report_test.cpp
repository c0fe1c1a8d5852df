// Proves the journal's read models know accounts (config `accounts`): the SQLite export puts
// every fill, order, position, round trip and equity sample of a two-account session in the
// account its order id names, with each account's money equal to the session report's; the
// HTML report shows each account's figures; and `keel journal dump` names the account of a
// record only when it is not account 0.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/journal/writer.hpp"
#include "keel/replay/reports/export.hpp"
#include "keel/replay/reports/html_report.hpp"
#include "keel/replay/reports/journal_tools.hpp"
#include "keel/replay/session/session.hpp"
#include "sqlite_query.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

using test::one;
using test::query;
using test::Rows;

// config/accounts.json with its paths from the source tree and one thread: an FX account
// trading USDCHF and a stock account, with per-share commission, trading MSFT.
constexpr const char* kTwoAccounts = R"({
  "session": {"name": "accounts"},
  "data": {"files": [
    {"path": "data/usdchf_30m.csv", "symbol": "USDCHF"},
    {"path": "data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
  "accounts": [
    {"name": "fx", "starting_cash": "1000000", "venue": {"type": "sim"}},
    {"name": "stocks", "starting_cash": "250000",
     "venue": {"type": "sim", "commission": {"model": "per_share", "per_share": "0.005"}}}],
  "strategies": [
    {"type": "sma_cross", "symbol": "USDCHF", "timeframe": "30m", "fast": 48, "slow": 240,
     "quantity": "100000", "account": "fx"},
    {"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30, "quantity": "100",
     "account": "stocks"}],
  "risk": {"max_order_qty": "250000", "max_order_notional": "500000"}
})";

// The same session with no `accounts`: one account, 0.
constexpr const char* kOneAccount = R"({
  "session": {"name": "one"},
  "data": {"files": [{"path": "data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
  "strategies": [{"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30,
                  "quantity": "100"}],
  "account": {"starting_cash": "100000"},
  "risk": {"max_order_qty": "1000"},
  "venue": {"type": "sim", "commission": {"model": "per_share", "per_share": "0.005"}}
})";

std::string dec(engine::Money m) {
    return engine::decimal_string(m.raw);
}

class AccountsReport : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        base_ = fs::temp_directory_path() / ("keel_accounts_" + std::to_string(::getpid()));
        fs::remove_all(base_);
        fs::create_directories(base_);
        two_ = run(kTwoAccounts, "two");
        one_ = run(kOneAccount, "one");
        for (const char* name : {"two", "one"}) {
            std::ostringstream out, err;
            ASSERT_EQ(
                replay::export_sqlite(base_ / name, base_ / (std::string(name) + ".db"), out, err),
                0)
                << err.str();
        }
    }
    static void TearDownTestSuite() { fs::remove_all(base_); }

    static replay::SessionReport run(const char* config, const std::string& name) {
        engine::ConfigResult cr = engine::parse_config(config, name, KEEL_SOURCE_DIR, {});
        EXPECT_TRUE(cr.ok()) << cr.errors.front().path << ": " << cr.errors.front().message;
        std::atomic<bool> stop{false};
        replay::SessionOptions options;
        options.journal_dir = base_ / name;
        std::string error;
        auto report = replay::run_session(cr.config, stop, options, error);
        EXPECT_TRUE(report) << error;
        return report ? *report : replay::SessionReport{};
    }

    static inline fs::path base_;
    static inline replay::SessionReport two_, one_;
};

TEST_F(AccountsReport, ExportPutsFillsOrdersAndTradesInTheAccountTheirOrderIdNames) {
    const fs::path db = base_ / "two.db";
    ASSERT_EQ(two_.accounts.size(), 2u);
    ASSERT_GT(two_.accounts[0].fills, 0u);
    ASSERT_GT(two_.accounts[1].fills, 0u);
    // Each fill's account is the one in its order id, and fx traded only USDCHF, stocks MSFT.
    for (const auto& row : query(db, "SELECT order_id, account, symbol FROM fills")) {
        const auto id = static_cast<std::uint64_t>(std::stoll(row[0]));
        EXPECT_EQ(row[1], std::to_string(engine::order_id_account(id)));
        EXPECT_EQ(row[2], row[1] == "0" ? "USDCHF" : "MSFT") << row[0];
    }
    EXPECT_EQ(one(db,
                  "SELECT count(*) FROM orders o JOIN fills f ON f.order_id = o.order_id "
                  "WHERE o.account != f.account"),
              "0");
    for (std::size_t k = 0; k < 2; ++k) {
        const replay::SessionReport& a = two_.accounts[k];
        const std::string where = " WHERE account = " + std::to_string(k);
        EXPECT_EQ(one(db, "SELECT count(*) FROM fills" + where), std::to_string(a.fills));
        EXPECT_EQ(one(db, "SELECT count(*) FROM trades" + where),
                  std::to_string(a.round_trip_count));
        EXPECT_EQ(one(db, "SELECT count(*) FROM orders" + where), std::to_string(a.orders_sent));
        EXPECT_EQ(query(db,
                        "SELECT name, starting_cash, cash, equity, realized, unrealized, "
                        "fees, max_drawdown, fills, round_trips FROM accounts" +
                            where),
                  (Rows{{a.session_name, dec(a.starting_cash), dec(a.cash), dec(a.equity),
                         dec(a.realized), dec(a.unrealized), dec(a.fees), dec(a.max_drawdown),
                         std::to_string(a.fills), std::to_string(a.round_trip_count)}}));
        // Every defined symbol has a position row in every account, as that account holds it.
        for (const replay::SymbolReport& s : a.symbols) {
            EXPECT_EQ(query(db, "SELECT quantity, realized, fills FROM positions" + where +
                                    " AND symbol = '" + s.symbol + "'"),
                      (Rows{{engine::decimal_string(s.position_raw), dec(s.realized),
                             std::to_string(s.fills)}}));
        }
        // Its equity rows' largest drawdown is its own maximum drawdown.
        EXPECT_EQ(one(db, "SELECT max(CAST(drawdown AS REAL)) FROM equity" + where),
                  one(db, "SELECT CAST(max_drawdown AS REAL) FROM accounts" + where));
    }
    EXPECT_EQ(query(db, "SELECT name FROM accounts ORDER BY account"), (Rows{{"fx"}, {"stocks"}}));
    // The session's money is both accounts' together, its drawdown the merged curve's.
    EXPECT_EQ(query(db,
                    "SELECT starting_cash, equity, realized, fees, max_drawdown, fills, "
                    "round_trips FROM sessions"),
              (Rows{{dec(two_.starting_cash), dec(two_.equity), dec(two_.realized), dec(two_.fees),
                     dec(two_.max_drawdown), std::to_string(two_.fills),
                     std::to_string(two_.round_trip_count)}}));
}

TEST_F(AccountsReport, AOneAccountExportHasAccountZeroEverywhere) {
    const fs::path db = base_ / "one.db";
    ASSERT_GT(one_.fills, 0u);
    for (const char* table : {"orders", "fills", "trades", "positions", "equity"}) {
        EXPECT_NE(one(db, std::string("SELECT count(*) FROM ") + table), "0") << table;
        EXPECT_EQ(one(db, std::string("SELECT count(*) FROM ") + table + " WHERE account != 0"),
                  "0")
            << table;
    }
    EXPECT_EQ(query(db, "SELECT account, name, starting_cash, equity FROM accounts"),
              (Rows{{"0", "main", "100000", dec(one_.equity)}}));
    EXPECT_EQ(one(db, "SELECT max_drawdown FROM sessions"), dec(one_.max_drawdown));
}

TEST_F(AccountsReport, HtmlReportShowsEachAccountAndOneAccountShowsNone) {
    replay::JournalReport r;
    std::ostringstream err;
    ASSERT_EQ(replay::read_journal_report(base_ / "two", {}, r, err), 0) << err.str();
    ASSERT_EQ(r.accounts.size(), 2u);
    for (std::size_t k = 0; k < 2; ++k) {
        const replay::SessionReport& want = two_.accounts[k];
        EXPECT_EQ(r.accounts[k].name, want.session_name);
        EXPECT_EQ(dec(r.accounts[k].equity), dec(want.equity));
        EXPECT_EQ(dec(r.accounts[k].realized), dec(want.realized));
        EXPECT_EQ(dec(r.accounts[k].max_drawdown), dec(want.max_drawdown));
        EXPECT_EQ(r.accounts[k].round_trip_count, want.round_trip_count);
        EXPECT_EQ(r.accounts[k].fills, want.fills);
    }
    EXPECT_EQ(dec(r.equity), dec(two_.equity));
    EXPECT_EQ(dec(r.max_drawdown), dec(two_.max_drawdown));
    EXPECT_EQ(r.round_trip_accounts.size(), r.round_trips.size());
    const std::string html = replay::render_html_report(r, {});
    EXPECT_NE(html.find("<table id=\"accounts\">"), std::string::npos);
    EXPECT_NE(html.find("<td>stocks</td><td>MSFT</td>"), std::string::npos);

    replay::JournalReport single;
    ASSERT_EQ(replay::read_journal_report(base_ / "one", {}, single, err), 0) << err.str();
    EXPECT_TRUE(single.accounts.empty());
    EXPECT_EQ(replay::render_html_report(single, {}).find("id=\"accounts\""), std::string::npos);
}

// A hand-written journal: records of account 0 and of account 1, and a command for account 2
// (1-based: the third) and one for every account.
TEST(JournalDumpAccounts, NamesTheAccountOnlyWhenItIsNotZero) {
    using engine::EventType;
    using engine::Source;
    const fs::path j =
        fs::temp_directory_path() / ("keel_dump_accounts_" + std::to_string(::getpid()));
    fs::remove_all(j);
    fs::create_directories(j);
    std::unique_ptr<journal::StreamWriter> input, risk;
    ASSERT_TRUE(journal::StreamWriter::open(j, "input", {}, input).ok());
    ASSERT_TRUE(journal::StreamWriter::open(j, "risk", {}, risk).ok());
    auto put = [](journal::StreamWriter& w, const engine::Event& e) {
        ASSERT_TRUE(w.append_parts(static_cast<std::uint16_t>(e.header.type), e.header.seq,
                                   e.header.ts_ns, &e, sizeof e, nullptr, 0)
                        .ok());
    };
    std::uint64_t seq = 0;
    for (std::size_t account : {0u, 1u}) {
        engine::Event fill =
            engine::make_event(EventType::venue_fill, Source::venue, ++seq, 1000, 0);
        fill.payload.fill.order_id = engine::with_account(engine::make_order_id(7, 0), account);
        fill.payload.fill.side = engine::Side::buy;
        put(*input, fill);
        engine::Event state =
            engine::make_event(EventType::risk_state, Source::risk, seq, 1000, engine::kNoSymbol);
        state.payload.risk_state.account = static_cast<std::uint8_t>(account);
        put(*risk, state);
    }
    for (std::uint8_t account : {std::uint8_t{3}, std::uint8_t{0}}) {
        engine::Event command =
            engine::make_event(EventType::command, Source::control, ++seq, 1000, engine::kNoSymbol);
        command.payload.command.code = engine::CommandCode::pause;
        command.payload.command.account = account;
        put(*input, command);
    }
    ASSERT_TRUE(input->close().ok());
    ASSERT_TRUE(risk->close().ok());

    std::ostringstream out, err;
    ASSERT_EQ(replay::dump_journal(j, {}, out, err), 0) << err.str();
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    ASSERT_EQ(lines.size(), 6u) << out.str();
    auto account_of = [](const std::string& line) {
        const auto at = line.find("\"account\":");
        return at == std::string::npos
                   ? std::string("none")
                   : line.substr(at + 10, line.find_first_of(",}", at) - at - 10);
    };
    EXPECT_EQ(account_of(lines[0]), "none") << lines[0];  // account 0's fill
    EXPECT_EQ(account_of(lines[1]), "none") << lines[1];  // account 0's risk state
    EXPECT_EQ(account_of(lines[2]), "1") << lines[2];
    EXPECT_EQ(account_of(lines[3]), "1") << lines[3];
    EXPECT_EQ(account_of(lines[4]), "3") << lines[4];     // a command says it 1-based
    EXPECT_EQ(account_of(lines[5]), "none") << lines[5];  // every account
    fs::remove_all(j);
}

}  // namespace
