// Proves the HTML report re-derives a session's numbers from its journal alone, equal to the
// session's own report to the last decimal, in a page that fetches nothing, escapes what the
// journal holds, is the same bytes every time, says what its trades table leaves out, and
// tells a torn tail (reported up to) from corruption (refused), and applies only the fills the
// gateway accepted.
#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

#include "test_support.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/journal/writer.hpp"
#include "keel/replay/reports/html_report.hpp"
#include "keel/replay/session/session.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

// Both symbols (trades mark USDCHF, bars MSFT), shorts, a commission with fractional fees, and
// operator commands (limit changes that make risk reject, a kill that flattens).
const char* kConfig = R"({
  "session": {"name": "html"},
  "data": {"files": [
    {"path": "data/usdchf_30m.csv", "symbol": "USDCHF"},
    {"path": "data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"},
    {"path": "tests/data/demo_commands.csv"}]},
  "strategies": [
    {"type": "sma_cross", "symbol": "USDCHF", "timeframe": "30m", "fast": 48, "slow": 240,
     "quantity": "100000", "allow_short": true},
    {"type": "sma_cross", "symbol": "MSFT", "fast": 10, "slow": 30, "quantity": "100"}],
  "account": {"starting_cash": "250000.5"},
  "risk": {"max_order_qty": "250000"},
  "venue": {"type": "sim", "commission": {"model": "bps", "bps": "0.37"}},
  "threads": [{"name": "main", "stages": ["ingest", "strategy", "risk", "gateway"]}]
})";

class HtmlReportTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("keel_html_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // Runs the session into dir_/name and returns its report.
    replay::SessionReport run(const std::string& config_text, const std::string& name = "j") {
        engine::ConfigResult cr = engine::parse_config(config_text, "html", KEEL_SOURCE_DIR, {});
        EXPECT_TRUE(cr.ok()) << cr.errors.front().path << ": " << cr.errors.front().message;
        std::atomic<bool> stop{false};
        replay::SessionOptions options;
        options.journal_dir = dir_ / name;
        std::string error;
        auto report = replay::run_session(cr.config, stop, options, error);
        EXPECT_TRUE(report) << error;
        return report ? *report : replay::SessionReport{};
    }

    static std::string read(const fs::path& file) {
        std::ifstream in(file, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    fs::path dir_;
};

// The text of the summary table's cell for `id` (the row <tr id="sum-ID">).
std::string summary_cell(const std::string& html, const std::string& id) {
    const std::string row = "<tr id=\"sum-" + id + "\">";
    const auto at = html.find(row);
    if (at == std::string::npos)
        return "(no row " + id + ")";
    const std::string td = "<td class=\"num\">";
    const auto start = html.find(td, at) + td.size();
    return html.substr(start, html.find("</td>", start) - start);
}

std::string dec(engine::Money m) {
    return engine::decimal_string(m.raw);
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

}  // namespace

TEST_F(HtmlReportTest, NumbersEqualTheSessionReportToTheLastDecimal) {
    const replay::SessionReport s = run(kConfig);
    ASSERT_GT(s.round_trip_count, 10u);
    ASSERT_GT(s.risk_rejects, 0u) << "the commands should make risk reject something";
    ASSERT_NE(s.fees.raw % engine::kScale, 0) << "fees should have fractional digits";

    replay::JournalReport r;
    std::ostringstream err;
    ASSERT_EQ(replay::read_journal_report(dir_ / "j", {}, r, err), 0) << err.str();
    EXPECT_EQ(r.session_name, "html");
    EXPECT_EQ(r.events_sequenced, s.events_sequenced);
    EXPECT_EQ(r.last_seq, s.last_seq);
    EXPECT_EQ(r.market_events, s.market_events);
    EXPECT_EQ(r.orders_requested, s.orders_requested);
    EXPECT_EQ(r.orders_sent, s.orders_sent);
    EXPECT_EQ(r.risk_rejects, s.risk_rejects);
    EXPECT_EQ(r.venue_rejects, s.venue_rejects);
    EXPECT_EQ(r.fills, s.fills);
    EXPECT_EQ(r.fills_not_applied, 0u);
    EXPECT_EQ(r.starting_cash, s.starting_cash);
    EXPECT_EQ(r.realized, s.realized);
    EXPECT_EQ(r.unrealized, s.unrealized);
    EXPECT_EQ(r.fees, s.fees);
    EXPECT_EQ(r.cash, s.cash);
    EXPECT_EQ(r.equity, s.equity);
    EXPECT_EQ(r.max_drawdown, s.max_drawdown);
    EXPECT_EQ(r.round_trip_count, s.round_trip_count);
    EXPECT_EQ(r.winning_round_trips, s.winning_round_trips);
    // Equity is sampled as the gateway's account samples it: the same curve, the same figures.
    ASSERT_EQ(r.equity_curve.size(), s.equity_curve.size());
    for (std::size_t i = 0; i < s.equity_curve.size(); ++i) {
        EXPECT_EQ(r.equity_curve[i].ts_ns, s.equity_curve[i].ts_ns);
        EXPECT_EQ(r.equity_curve[i].equity, s.equity_curve[i].equity);
    }
    EXPECT_EQ(r.metrics.sharpe, s.metrics.sharpe);
    EXPECT_EQ(r.metrics.sortino, s.metrics.sortino);
    EXPECT_EQ(r.metrics.cagr_pct, s.metrics.cagr_pct);
    EXPECT_EQ(r.metrics.expectancy, s.metrics.expectancy);
    EXPECT_EQ(r.metrics.max_consecutive_losses, s.metrics.max_consecutive_losses);
    ASSERT_EQ(r.symbols.size(), s.symbols.size());
    for (std::size_t i = 0; i < s.symbols.size(); ++i) {
        EXPECT_EQ(r.symbols[i].name, s.symbols[i].symbol);
        EXPECT_EQ(r.symbols[i].position.quantity_raw, s.symbols[i].position_raw);
        EXPECT_EQ(r.symbols[i].position.realized, s.symbols[i].realized);
        EXPECT_EQ(r.symbols[i].position.unrealized(), s.symbols[i].unrealized);
        EXPECT_EQ(r.symbols[i].position.fees, s.symbols[i].fees);
        EXPECT_EQ(r.symbols[i].position.fills, s.symbols[i].fills);
    }
    ASSERT_EQ(r.round_trips.size(), s.round_trips.size());
    for (std::size_t i = 0; i < s.round_trips.size(); ++i) {
        EXPECT_EQ(r.round_trips[i].pnl, s.round_trips[i].pnl) << "trip " << i;
        EXPECT_EQ(r.round_trips[i].entry_ns, s.round_trips[i].entry_ns) << "trip " << i;
        EXPECT_EQ(r.round_trips[i].exit_price, s.round_trips[i].exit_price) << "trip " << i;
    }

    // The page shows them as exact decimals.
    const std::string html = replay::render_html_report(r, {});
    EXPECT_EQ(summary_cell(html, "realized"), dec(s.realized));
    EXPECT_EQ(summary_cell(html, "unrealized"), dec(s.unrealized));
    EXPECT_EQ(summary_cell(html, "fees"), dec(s.fees));
    EXPECT_EQ(summary_cell(html, "total"), dec(s.realized + s.unrealized));
    EXPECT_EQ(summary_cell(html, "equity"), dec(s.equity));
    EXPECT_EQ(summary_cell(html, "starting-cash"), "250000.5");
    EXPECT_EQ(summary_cell(html, "max-drawdown"), dec(s.max_drawdown));
    EXPECT_EQ(summary_cell(html, "fills"), std::to_string(s.fills));
    EXPECT_EQ(summary_cell(html, "round-trips"), std::to_string(s.round_trip_count));
    EXPECT_EQ(summary_cell(html, "risk-rejects"), std::to_string(s.risk_rejects));
    // Every closed round trip is a row; both charts are there with their axis titles.
    EXPECT_EQ(count(html, "<tr><td class=\"num\">"), s.round_trips.size());
    EXPECT_NE(html.find("<svg id=\"equity-chart\""), std::string::npos);
    EXPECT_NE(html.find("<svg id=\"drawdown-chart\""), std::string::npos);
    EXPECT_NE(html.find(">drawdown from peak (%)</text>"), std::string::npos);
    EXPECT_NE(html.find(">time (UTC)</text>"), std::string::npos);
}

TEST_F(HtmlReportTest, FetchesNothingAndIsTheSameBytesEveryTime) {
    (void)run(kConfig);
    std::ostringstream out, err;
    ASSERT_EQ(replay::write_html_report(dir_ / "j", dir_ / "a.html", {}, out, err), 0) << err.str();
    ASSERT_EQ(replay::write_html_report(dir_ / "j", dir_ / "b.html", {}, out, err), 0) << err.str();
    const std::string a = read(dir_ / "a.html"), b = read(dir_ / "b.html");
    ASSERT_GT(a.size(), 10'000u);
    EXPECT_TRUE(a == b) << "two reports of one journal differ";

    // The only URLs are namespace names, which are never fetched.
    for (auto at = a.find("http"); at != std::string::npos; at = a.find("http", at + 1)) {
        const std::string url = a.substr(at, a.find('"', at) - at);
        EXPECT_TRUE(url == "http://www.w3.org/2000/svg" || url == "http://www.w3.org/1999/xhtml")
            << "a URL in the page: " << url;
    }
    for (const char* fetching : {"<script", "<link", "<img", "<iframe", "@import", "url(", "src="})
        EXPECT_EQ(a.find(fetching), std::string::npos) << fetching;
}

TEST_F(HtmlReportTest, EscapesSessionAndSymbolNames) {
    std::string config = kConfig;
    config.replace(config.find("\"name\": \"html\""), 14, R"("name": "a<b>&\"c'")");
    // The symbol named in the config and in its strategy.
    for (auto at = config.find("\"MSFT\""); at != std::string::npos; at = config.find("\"MSFT\""))
        config.replace(at, 6, R"("M<S>&T")");
    (void)run(config);
    std::ostringstream out, err;
    ASSERT_EQ(replay::write_html_report(dir_ / "j", dir_ / "r.html", {}, out, err), 0) << err.str();
    const std::string html = read(dir_ / "r.html");
    EXPECT_NE(html.find("<title>keel report: a&lt;b&gt;&amp;&quot;c&#39;</title>"),
              std::string::npos);
    EXPECT_NE(html.find("<td>M&lt;S&gt;&amp;T</td>"), std::string::npos);
    EXPECT_EQ(html.find("a<b>"), std::string::npos);
    EXPECT_EQ(html.find("M<S>"), std::string::npos);
}

TEST_F(HtmlReportTest, TradesTableSaysHowManyRoundTripsItLeavesOut) {
    const replay::SessionReport s = run(kConfig);
    ASSERT_GT(s.round_trip_count, 3u);
    replay::HtmlReportOptions options;
    options.max_trade_rows = 3;
    replay::JournalReport r;
    std::ostringstream err;
    ASSERT_EQ(replay::read_journal_report(dir_ / "j", options, r, err), 0) << err.str();
    // The cap bounds the rows, never the totals.
    EXPECT_EQ(r.round_trip_count, s.round_trip_count);
    EXPECT_EQ(r.realized, s.realized);
    const std::string html = replay::render_html_report(r, options);
    EXPECT_EQ(count(html, "<tr><td class=\"num\">"), 3u);
    EXPECT_NE(html.find("The first 3 of " + std::to_string(s.round_trip_count) +
                        " round trips are listed; " + std::to_string(s.round_trip_count - 3) +
                        " later ones are left out"),
              std::string::npos);
}

TEST_F(HtmlReportTest, TornTailIsReportedUpToAndCorruptionIsRefused) {
    (void)run(kConfig);
    const fs::path seg = dir_ / "j" / "input.000000.seg";
    const auto size = fs::file_size(seg);

    fs::copy(dir_ / "j", dir_ / "torn", fs::copy_options::recursive);
    test::mark_crashed(dir_ / "torn");  // a torn tail is what a crash leaves
    fs::resize_file(dir_ / "torn" / "input.000000.seg", size - 40);
    std::ostringstream out, err;
    EXPECT_EQ(replay::write_html_report(dir_ / "torn", dir_ / "torn.html", {}, out, err), 1);
    EXPECT_NE(err.str().find("torn tail at"), std::string::npos) << err.str();
    EXPECT_NE(read(dir_ / "torn.html").find("id=\"torn-tail\""), std::string::npos);

    fs::copy(dir_ / "j", dir_ / "bad", fs::copy_options::recursive);
    {
        std::fstream f(dir_ / "bad" / "input.000000.seg",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekg(static_cast<std::streamoff>(size / 2));
        const int byte = f.get();
        f.seekp(static_cast<std::streamoff>(size / 2));
        f.put(static_cast<char>(byte ^ 0xff));
    }
    err.str("");
    EXPECT_EQ(replay::write_html_report(dir_ / "bad", dir_ / "bad.html", {}, out, err), 2);
    EXPECT_NE(err.str().find("corruption at"), std::string::npos) << err.str();
    EXPECT_FALSE(fs::exists(dir_ / "bad.html")) << "no report of a corrupt journal";

    EXPECT_EQ(replay::write_html_report(dir_ / "missing", dir_ / "m.html", {}, out, err), 2);
    EXPECT_EQ(replay::write_html_report(dir_ / "j", dir_ / "no-such-dir" / "r.html", {}, out, err),
              2);
}

TEST_F(HtmlReportTest, AppliesOnlyTheFillsTheGatewayAccepted) {
    // A hand-written journal: a fill the gateway accepted (its order_state follows at the same
    // sequence) and a duplicate it refused (an engine_alert instead), then a trade that marks.
    using engine::EventType;
    using engine::Source;
    std::unique_ptr<journal::StreamWriter> input, strategy, risk, gateway;
    const fs::path j = dir_ / "dup";
    fs::create_directories(j);
    journal::WriterOptions small;
    small.segment_bytes = 1u << 20;
    ASSERT_TRUE(journal::StreamWriter::open(j, "input", small, input).ok());
    ASSERT_TRUE(journal::StreamWriter::open(j, "strategy", small, strategy).ok());
    ASSERT_TRUE(journal::StreamWriter::open(j, "risk", small, risk).ok());
    ASSERT_TRUE(journal::StreamWriter::open(j, "gateway", small, gateway).ok());
    auto put = [](journal::StreamWriter& w, const engine::Event& e, const std::string& text = {}) {
        ASSERT_TRUE(w.append_parts(static_cast<std::uint16_t>(e.header.type), e.header.seq,
                                   e.header.ts_ns, &e, sizeof e, text.data(),
                                   static_cast<std::uint32_t>(text.size()))
                        .ok());
    };
    engine::Event start =
        engine::make_event(EventType::session_start, Source::engine, 1, 1000, engine::kNoSymbol);
    start.payload.session.symbol_capacity = 4;
    put(*input, start, R"({"session":{"name":"dup"},"account":{"starting_cash":"1000"}})");
    engine::Event def = engine::make_event(EventType::symbol_def, Source::feed, 2, 1000, 0);
    std::strcpy(def.payload.symbol_def.name, "ABC");
    put(*input, def);
    for (std::uint64_t seq : {3u, 4u}) {
        engine::Event fill = engine::make_event(EventType::venue_fill, Source::venue, seq,
                                                static_cast<std::int64_t>(seq) * 1000, 0);
        fill.payload.fill.order_id = 7;
        fill.payload.fill.side = engine::Side::buy;
        fill.payload.fill.price = engine::Price::from_units(2);
        fill.payload.fill.quantity = engine::Quantity::from_units(10);
        fill.payload.fill.fee = engine::Money::from_raw(10'000'000);  // 0.01
        put(*input, fill);
    }
    engine::Event state = engine::make_event(EventType::order_state, Source::gateway, 3, 3000, 0);
    state.payload.order.order_id = 7;
    state.payload.order.status = engine::OrderStatus::filled;
    put(*gateway, state);
    engine::Event alert = engine::make_event(EventType::engine_alert, Source::gateway, 4, 4000, 0);
    alert.payload.engine_alert.order_id = 7;
    alert.payload.engine_alert.cause_seq = 4;
    put(*gateway, alert);
    engine::Event trade = engine::make_event(EventType::trade, Source::feed, 5, 5000, 0);
    trade.payload.trade.price = engine::Price::from_units(3);
    trade.payload.trade.size = engine::Quantity::from_units(1);
    put(*input, trade);
    for (auto* w : {&input, &strategy, &risk, &gateway})
        ASSERT_TRUE((*w)->close().ok());

    replay::JournalReport r;
    std::ostringstream err;
    ASSERT_EQ(replay::read_journal_report(j, {}, r, err), 0) << err.str();
    EXPECT_EQ(r.session_name, "dup");
    EXPECT_EQ(r.fills, 1u);
    EXPECT_EQ(r.fills_not_applied, 1u);
    ASSERT_EQ(r.symbols.size(), 1u);
    EXPECT_EQ(r.symbols[0].name, "ABC");
    EXPECT_EQ(dec(r.cash), "979.99");  // 1000 - 10 * 2 - 0.01
    EXPECT_EQ(r.symbols[0].position.quantity_raw, engine::Quantity::from_units(10).raw);
    EXPECT_EQ(dec(r.unrealized), "10");   // marked at 3 by the trade
    EXPECT_EQ(dec(r.equity), "1009.99");  // 979.99 + 10 * 3
    EXPECT_EQ(summary_cell(replay::render_html_report(r, {}), "fills-not-applied"), "1");
}
