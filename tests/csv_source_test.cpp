// Proves the CSV source recognises columns by name, merges files by time with ties in file
// order, stamps bars at their close, names file, line and column for a bad row, and reads alert
// rows (action, size, notional, price, timeframe, id) with their idempotency key, and command
// rows (kill, pause, staged limits).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "keel/adapters/csv/csv_source.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/risk/risk_limits.hpp"

using namespace keel;
using adapters::CsvFileSpec;
using adapters::CsvSource;

namespace {

class CsvSourceTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("keel_csv_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path write(const std::string& name, const std::string& text) {
        const auto p = dir_ / name;
        std::ofstream(p) << text;
        return p;
    }
    std::filesystem::path dir_;
};

std::vector<engine::Event> drain(CsvSource& src) {
    std::vector<engine::Event> out;
    engine::Event e{};
    while (src.poll(e) == engine::InputSource::Poll::event)
        out.push_back(e);
    return out;
}

}  // namespace

TEST_F(CsvSourceTest, MergesFilesByTimeWithTiesInFileOrder) {
    const auto a = write("a.csv", "Timestamp,Price,Size\n1700000000,1.5,10\n1700000002,1.6,5\n");
    const auto b = write(
        "b.csv", "time,symbol,bid,ask\n1700000000,EURUSD,1.1,1.2\n1700000001,EURUSD,1.1,1.3\n");
    engine::SymbolTable symbols(16);
    std::string error;
    auto src = CsvSource::open({{a, "a.csv", "XYZ", {}}, {b, "b.csv", "", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    const auto events = drain(*src);
    ASSERT_EQ(events.size(), 6u);  // 2 symbol definitions + 4 rows
    EXPECT_EQ(events[0].header.type, engine::EventType::symbol_def);
    EXPECT_STREQ(events[0].payload.symbol_def.name, "XYZ");
    EXPECT_STREQ(events[1].payload.symbol_def.name, "EURUSD");
    EXPECT_EQ(events[2].header.type, engine::EventType::trade);  // tie at t=0: file a first
    EXPECT_EQ(events[3].header.type, engine::EventType::quote);
    EXPECT_EQ(events[4].header.type, engine::EventType::quote);
    EXPECT_EQ(events[4].payload.quote.ask.to_string(), "1.3");
    EXPECT_EQ(events[5].payload.trade.size.to_string(), "5");
    EXPECT_EQ(src->poll(*const_cast<engine::Event*>(&events[0])),
              engine::InputSource::Poll::exhausted);
}

TEST_F(CsvSourceTest, BarsAreStampedAtTheirClose) {
    const auto f = write(
        "bars.csv",
        "date,open,high,low,close,volume\n2000-09-27,63.4375,63.5625,59.8125,60.625,53077800\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{f, "bars.csv", "MSFT", 86400}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    const auto events = drain(*src);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].header.ts_ns, (970'012'800LL + 86'400) * 1'000'000'000);
    EXPECT_EQ(events[1].header.aux, 1440);
    EXPECT_EQ(events[1].payload.bar.close.to_string(), "60.625");
}

TEST_F(CsvSourceTest, NamesFileLineAndColumnOfABadRow) {
    const auto f = write(
        "bad.csv", "timestamp,price\n1996-04-01T00:00:00Z,1.193\n1996-04-01T00:30:00Z,1.19x\n");
    engine::SymbolTable symbols(4);
    std::string error;
    EXPECT_FALSE(CsvSource::open({{f, "bad.csv", "USDCHF", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "bad.csv:3:2: '1.19x': invalid character in number");
}

TEST_F(CsvSourceTest, RefusesBadTimestampsShortRowsAndUnknownLayouts) {
    engine::SymbolTable symbols(4);
    std::string error;
    const auto t = write("t.csv", "timestamp,price\nnot-a-time,1\n");
    EXPECT_FALSE(CsvSource::open({{t, "t.csv", "X", {}}}, symbols, 0, error));
    EXPECT_NE(error.find("t.csv:2:1: 'not-a-time' is not a timestamp"), std::string::npos) << error;
    const auto s = write("s.csv", "timestamp,price\n1700000000\n");
    EXPECT_FALSE(CsvSource::open({{s, "s.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "s.csv:2:1: expected 2 fields, found 1");
    const auto u = write("u.csv", "timestamp,foo\n1700000000,1\n");
    EXPECT_FALSE(CsvSource::open({{u, "u.csv", "X", {}}}, symbols, 0, error));
    EXPECT_NE(error.find("cannot tell the row type"), std::string::npos) << error;
    const auto b = write("b.csv", "date,open,high,low,close\n2000-01-01,1,2,0.5,1\n");
    EXPECT_FALSE(CsvSource::open({{b, "b.csv", "X", {}}}, symbols, 0, error));
    EXPECT_NE(error.find("bar_interval"), std::string::npos) << error;
    EXPECT_FALSE(
        CsvSource::open({{dir_ / "missing.csv", "missing.csv", "X", {}}}, symbols, 0, error));
    EXPECT_NE(error.find("missing.csv: cannot open"), std::string::npos) << error;
}

TEST_F(CsvSourceTest, LoadsTheBundledRealData) {
    engine::SymbolTable symbols(4);
    std::string error;
    const std::string data = std::string(KEEL_SOURCE_DIR) + "/data/";
    auto src = CsvSource::open(
        {{data + "usdchf_30m.csv", "", "USDCHF", {}}, {data + "msft_daily.csv", "", "MSFT", 86400}},
        symbols, 0, error);
    ASSERT_TRUE(src) << error;
    EXPECT_EQ(src->stats().trades, 62'496u);
    EXPECT_EQ(src->stats().bars, 249u);
}

TEST(CsvAlertParsing, ActionsAreRecognisedInAnyCase) {
    EXPECT_EQ(adapters::parse_alert_action("buy"), engine::AlertAction::buy);
    EXPECT_EQ(adapters::parse_alert_action("SELL"), engine::AlertAction::sell);
    EXPECT_EQ(adapters::parse_alert_action("Close"), engine::AlertAction::close);
    EXPECT_EQ(adapters::parse_alert_action("close_long"), engine::AlertAction::close_long);
    EXPECT_EQ(adapters::parse_alert_action("CLOSE_SHORT"), engine::AlertAction::close_short);
    EXPECT_FALSE(adapters::parse_alert_action("hold"));
    EXPECT_FALSE(adapters::parse_alert_action(""));
    EXPECT_FALSE(adapters::parse_alert_action("buy "));
}

TEST(CsvAlertParsing, TimeframesAreMinutesHoursOrDays) {
    EXPECT_EQ(adapters::parse_timeframe_minutes("30"), 30);
    EXPECT_EQ(adapters::parse_timeframe_minutes("5m"), 5);
    EXPECT_EQ(adapters::parse_timeframe_minutes("1h"), 60);
    EXPECT_EQ(adapters::parse_timeframe_minutes("4H"), 240);
    EXPECT_EQ(adapters::parse_timeframe_minutes("1d"), 1440);
    EXPECT_EQ(adapters::parse_timeframe_minutes("45d"), 45 * 1440);
    for (const char* bad :
         {"", "0", "0m", "m", "1w", "5mm", "-5", "1.5h", "99999h", "100000", "46d"})
        EXPECT_FALSE(adapters::parse_timeframe_minutes(bad)) << bad;
}

TEST_F(CsvSourceTest, AlertRowsCarryActionSizeNotionalPriceTimeframeAndKey) {
    const std::string unkeyed = "1700000060,AAPL,close_long,,5000,,1h,";
    const auto f = write("alerts.csv",
                         "time,symbol,action,quantity,notional,price,timeframe,id\n"
                         "1700000000,AAPL,BUY,10,,187.25,5m,tv-42\n" +
                             unkeyed + "\n1700000120,MSFT,sell,,,,,\n");
    engine::SymbolTable symbols(8);
    std::string error;
    auto src = CsvSource::open({{f, "alerts.csv", "", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    EXPECT_EQ(src->stats().alerts, 3u);
    EXPECT_EQ(src->stats().rows, 3u);
    const auto events = drain(*src);
    ASSERT_EQ(events.size(), 5u);  // AAPL and MSFT definitions, then the alerts
    const engine::Event& buy = events[2];
    EXPECT_EQ(buy.header.type, engine::EventType::alert);
    EXPECT_EQ(buy.header.ts_ns, 1'700'000'000LL * 1'000'000'000);
    EXPECT_EQ(buy.header.symbol, *symbols.find("AAPL"));
    EXPECT_EQ(buy.payload.alert.action, engine::AlertAction::buy);
    EXPECT_EQ(buy.payload.alert.quantity.to_string(), "10");
    EXPECT_EQ(buy.payload.alert.notional.raw, 0);
    EXPECT_EQ(buy.payload.alert.price.to_string(), "187.25");
    EXPECT_EQ(buy.payload.alert.timeframe_minutes, 5);
    EXPECT_EQ(buy.payload.alert.alert_key, engine::fnv1a64("tv-42"));

    const engine::Event& close = events[3];
    EXPECT_EQ(close.payload.alert.action, engine::AlertAction::close_long);
    EXPECT_EQ(close.payload.alert.quantity.raw, 0);
    EXPECT_EQ(close.payload.alert.notional.to_string(), "5000");
    EXPECT_EQ(close.payload.alert.price.raw, 0);
    EXPECT_EQ(close.payload.alert.timeframe_minutes, 60);
    EXPECT_EQ(close.payload.alert.alert_key, engine::fnv1a64(unkeyed));  // no id: the row

    const engine::Event& sell = events[4];
    EXPECT_EQ(sell.header.symbol, *symbols.find("MSFT"));
    EXPECT_EQ(sell.payload.alert.action, engine::AlertAction::sell);
    EXPECT_EQ(sell.payload.alert.timeframe_minutes, 0);
    EXPECT_NE(sell.payload.alert.alert_key, close.payload.alert.alert_key);
}

TEST_F(CsvSourceTest, AnAlertFileMayNameItsSizeColumnSizeAndOmitTheRest) {
    const auto f = write("a.csv", "timestamp,action,size\n1700000000,buy,2.5\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{f, "a.csv", "EURUSD", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    const auto events = drain(*src);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].payload.alert.quantity.to_string(), "2.5");
    EXPECT_EQ(events[1].payload.alert.alert_key, engine::fnv1a64("1700000000,buy,2.5"));
}

TEST_F(CsvSourceTest, TheSameAlertRowTwiceHasTheSameKey) {
    // A replayed duplicate must look like one to the idempotency check.
    const auto f = write("dup.csv",
                         "time,action,id\n1700000000,buy,\n1700000000,buy,\n"
                         "1700000000,buy,x\n1700000005,sell,x\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{f, "dup.csv", "X", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    const auto e = drain(*src);
    ASSERT_EQ(e.size(), 5u);
    EXPECT_EQ(e[1].payload.alert.alert_key, e[2].payload.alert.alert_key);
    EXPECT_NE(e[1].payload.alert.alert_key, e[3].payload.alert.alert_key);
    EXPECT_EQ(e[3].payload.alert.alert_key, e[4].payload.alert.alert_key);  // same id
}

TEST_F(CsvSourceTest, BadAlertRowsNameFileLineAndColumn) {
    engine::SymbolTable symbols(4);
    std::string error;
    const std::string header = "time,action,quantity,notional,price,timeframe,id\n";
    const std::string good = "1700000000,buy,1,,,,\n";
    const auto action = write("action.csv", header + good + "1700000001,hold,1,,,,\n");
    EXPECT_FALSE(CsvSource::open({{action, "action.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error,
              "action.csv:3:2: 'hold' is not an alert action (buy, sell, close, close_long, "
              "close_short)");
    const auto tf = write("tf.csv", header + good + good + "1700000002,sell,1,,,5x,\n");
    EXPECT_FALSE(CsvSource::open({{tf, "tf.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "tf.csv:4:6: '5x' is not a timeframe (e.g. 30, 5m, 1h, 1d)");
    const auto neg = write("neg.csv", header + "1700000000,buy,-3,,,,\n");
    EXPECT_FALSE(CsvSource::open({{neg, "neg.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "neg.csv:2:3: '-3' must be positive");
    const auto junk = write("junk.csv", header + "1700000000,buy,ten,,,,\n");
    EXPECT_FALSE(CsvSource::open({{junk, "junk.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error.rfind("junk.csv:2:3: 'ten': ", 0), 0u) << error;
    const auto notional = write("n.csv", header + "1700000000,buy,,0,,,\n");
    EXPECT_FALSE(CsvSource::open({{notional, "n.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "n.csv:2:4: '0' must be positive");
    const auto price = write("p.csv", header + "1700000000,buy,,,1.2.3,,\n");
    EXPECT_FALSE(CsvSource::open({{price, "p.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error.rfind("p.csv:2:5: '1.2.3': ", 0), 0u) << error;
}

TEST_F(CsvSourceTest, AnAlertRowsOrderColumnsAreItsTailAsTheJsonABodyWouldHold) {
    const auto f = write("orders.csv",
                         "time,action,quantity,order_type,limit_price,stop_price,tif\n"
                         "1700000000,buy,10,LIMIT,187.250,,GTC\n"
                         "1700000060,sell,10,,,,\n"
                         "1700000120,sell,10,stop,,186,\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{f, "orders.csv", "AAPL", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    std::vector<std::string> tails;
    std::vector<unsigned char> slot(engine::kMaxTailBytes);
    engine::Event e;
    for (;;) {
        engine::TailOut tail{slot.data(), engine::kMaxTailBytes, 0};
        if (src->poll(e, tail) != engine::InputSource::Poll::event)
            break;
        tails.emplace_back(reinterpret_cast<const char*>(slot.data()), tail.length);
    }
    ASSERT_EQ(tails.size(), 4u);  // the definition, then three alerts
    EXPECT_EQ(tails[0], "");
    EXPECT_EQ(tails[1],
              R"({"order_type":"limit","limit_price":"187.25","time_in_force":"gtc"})");
    EXPECT_EQ(tails[2], "");  // no order columns given: a market DAY order, no tail
    EXPECT_EQ(tails[3], R"({"order_type":"stop","stop_price":"186"})");
}

TEST_F(CsvSourceTest, AnAlertRowsOrderColumnsAreCheckedAsTheWebhookChecksABody) {
    engine::SymbolTable symbols(4);
    std::string error;
    const std::string header = "time,action,quantity,order_type,limit_price,stop_price,tif\n";
    const auto missing = write("m.csv", header + "1700000000,buy,1,limit,,,\n");
    EXPECT_FALSE(CsvSource::open({{missing, "m.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "m.csv:2:5: limit_price is required by order_type limit (or give price)");
    // A limit order may take the row's price as its limit, as from a webhook body.
    const auto priced = write("p.csv", "time,action,quantity,price,order_type\n"
                                       "1700000000,buy,1,10.5,limit\n");
    EXPECT_TRUE(CsvSource::open({{priced, "p.csv", "X", {}}}, symbols, 0, error)) << error;
    const auto type = write("t.csv", header + "1700000000,buy,1,moc,,,\n");
    EXPECT_FALSE(CsvSource::open({{type, "t.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error.rfind("t.csv:2:4: order_type is not one of", 0), 0u) << error;
    const auto tif = write("f.csv", header + "1700000000,buy,1,,,,day!\n");
    EXPECT_FALSE(CsvSource::open({{tif, "f.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "f.csv:2:7: 'day!' is not a time_in_force");
    const auto neg = write("n.csv", header + "1700000000,buy,1,limit,-5,,\n");
    EXPECT_FALSE(CsvSource::open({{neg, "n.csv", "X", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "n.csv:2:5: '-5' must be positive");
}

TEST_F(CsvSourceTest, AlertsMergeByTimeWithMarketData) {
    const auto trades = write("t.csv",
                              "timestamp,price,size\n1700000000,10,1\n1700000010,11,1\n"
                              "1700000020,12,1\n");
    const auto alerts = write("a.csv",
                              "timestamp,action,id\n1700000005,buy,a\n1700000010,sell,b\n"
                              "1700000030,close,c\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{trades, "t.csv", "X", {}}, {alerts, "a.csv", "X", {}}}, symbols, 0,
                               error);
    ASSERT_TRUE(src) << error;
    EXPECT_EQ(src->stats().trades, 3u);
    EXPECT_EQ(src->stats().alerts, 3u);
    const auto e = drain(*src);
    ASSERT_EQ(e.size(), 7u);  // one definition (one symbol), six rows
    using engine::EventType;
    const std::vector<EventType> want = {
        EventType::symbol_def, EventType::trade, EventType::alert,
        EventType::trade,      EventType::alert,  // tie: file order
        EventType::trade,      EventType::alert};
    for (std::size_t i = 0; i < e.size(); ++i)
        EXPECT_EQ(e[i].header.type, want[i]) << i;
    EXPECT_EQ(e[4].payload.alert.action, engine::AlertAction::sell);
    EXPECT_EQ(e[6].payload.alert.alert_key, engine::fnv1a64("c"));
}

TEST_F(CsvSourceTest, TickSizesGoIntoTheSymbolDefinitionOnly) {
    const auto f = write("t.csv", "timestamp,symbol,price\n1700000000,A,1\n1700000001,B,2\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{f, "t.csv", "", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    src->set_tick_size(*symbols.find("B"), engine::Price::from_raw(5'000'000));
    const auto e = drain(*src);
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0].payload.symbol_def.tick_size.raw, 0);  // A
    EXPECT_EQ(e[1].payload.symbol_def.tick_size.to_string(), "0.005");
    EXPECT_EQ(e[3].payload.trade.price.to_string(), "2");  // data rows untouched
}

TEST_F(CsvSourceTest, CommandRowsCarryTheirCodeArgumentAndStagedLimit) {
    const auto f = write("cmd.csv",
                         "time,command,arg,limit,value\n"
                         "2024-01-02T10:00:00Z,kill,1,,\n"
                         "2024-01-02T10:01:00Z,limit_stage,,max_order_qty,2.5\n"
                         "2024-01-02T10:01:00Z,limit_stage,,max_open_orders,7\n"
                         "2024-01-02T10:01:00Z,limit_commit,,,\n");
    engine::SymbolTable symbols(4);
    std::string error;
    auto src = CsvSource::open({{f, "cmd.csv", "", {}}}, symbols, 0, error);
    ASSERT_TRUE(src) << error;
    const auto events = drain(*src);
    ASSERT_EQ(events.size(), 4u);  // no symbol definitions: commands are about no symbol
    EXPECT_EQ(events[0].header.type, engine::EventType::command);
    EXPECT_EQ(events[0].header.symbol, engine::kNoSymbol);
    EXPECT_EQ(events[0].payload.command.code, engine::CommandCode::kill);
    EXPECT_EQ(events[0].payload.command.arg, 1);
    EXPECT_EQ(events[1].payload.command.param,
              static_cast<std::uint16_t>(engine::RiskLimit::max_order_qty));
    EXPECT_EQ(events[1].payload.command.arg, 2'500'000'000);  // a quantity: fixed-point
    EXPECT_EQ(events[2].payload.command.arg, 7);              // a count: a plain integer
    EXPECT_EQ(events[3].payload.command.code, engine::CommandCode::limit_commit);
    EXPECT_EQ(src->stats().commands, 4u);
}

TEST_F(CsvSourceTest, BadCommandRowsAndEmptySymbolsNameFileLineAndColumn) {
    engine::SymbolTable symbols(4);
    std::string error;
    const auto a = write("a.csv", "time,command\n2024-01-02T10:00:00Z,explode\n");
    EXPECT_FALSE(CsvSource::open({{a, "a.csv", "", {}}}, symbols, 0, error));
    EXPECT_EQ(error.rfind("a.csv:2:2: 'explode' is not a command", 0), 0u) << error;
    const auto b = write("b.csv",
                         "time,command,limit,value\n2024-01-02T10:00:00Z,limit_stage,"
                         "max_bananas,3\n");
    EXPECT_FALSE(CsvSource::open({{b, "b.csv", "", {}}}, symbols, 0, error));
    EXPECT_EQ(error.rfind("b.csv:2:3: limit_stage needs a 'limit' column naming", 0), 0u) << error;
    const auto c = write("c.csv",
                         "time,command,limit,value\n2024-01-02T10:00:00Z,limit_stage,"
                         "max_open_orders,2.5\n");
    EXPECT_FALSE(CsvSource::open({{c, "c.csv", "", {}}}, symbols, 0, error));
    EXPECT_EQ(error.rfind("c.csv:2:4: '2.5' must be a whole number", 0), 0u) << error;
    const auto d = write("d.csv", "time,symbol,price\n2024-01-02T10:00:00Z,,1.5\n");
    EXPECT_FALSE(CsvSource::open({{d, "d.csv", "", {}}}, symbols, 0, error));
    EXPECT_EQ(error, "d.csv:2:2: empty symbol");
}
