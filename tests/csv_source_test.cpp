// Proves the CSV source recognises columns by name, merges files by time with ties in file
// order, stamps bars at their close, and names file, line and column for a bad row.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "keel/adapters/csv_source.hpp"

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
