// Proves the CSV source reads data files as they come (column mapping, strftime time formats,
// time zones, delimiters, preambles, Yahoo-style Adj Close bars), marks missing sizes as unknown
// rather than zero, and reads strictly: rows out of order, repeated bars, mixed time formats,
// crossed quotes and prices outside a symbol's band are errors naming file:line:column, or
// sorted/skipped and counted with data.sort / skip_bad_rows.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "keel/adapters/csv/csv_source.hpp"

using namespace keel;
using adapters::CsvFileSpec;
using adapters::CsvReadOptions;
using adapters::CsvSource;

namespace {

class CsvFormatsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("keel_csvf_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    CsvFileSpec spec(const std::string& name, const std::string& text,
                     const std::string& symbol = "EURUSD") {
        const auto p = dir_ / name;
        std::ofstream(p) << text;
        CsvFileSpec s;
        s.path = p;
        s.display_path = name;
        s.symbol = symbol;
        return s;
    }
    // Opens the files; on a problem returns nullopt with error_ set.
    std::optional<CsvSource> open(const std::vector<CsvFileSpec>& files,
                                  const CsvReadOptions& options = {}) {
        error_.clear();
        return CsvSource::open(files, symbols_, 0, error_, options);
    }
    std::vector<engine::Event> data(CsvSource& src) {
        std::vector<engine::Event> out;
        engine::Event e{};
        while (src.poll(e) == engine::InputSource::Poll::event) {
            if (e.header.type != engine::EventType::symbol_def)
                out.push_back(e);
        }
        return out;
    }
    std::filesystem::path dir_;
    engine::SymbolTable symbols_{16};
    std::string error_;
};

constexpr std::int64_t kNs = 1'000'000'000;

}  // namespace

// --- missing sizes ---

TEST_F(CsvFormatsTest, QuotesAndTradesWithoutSizesCarryTheSizeUnknownMarkerNotZero) {
    auto q = spec("q.csv", "time,bid,ask\n1700000000,1.1,1.2\n");
    auto t = spec("t.csv", "time,price,size\n1700000001,1.15,\n1700000002,1.15,0\n", "X");
    auto src = open({q, t});
    ASSERT_TRUE(src) << error_;
    const auto rows = data(*src);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_TRUE(engine::size_unknown(rows[0].payload.quote.bid_size));
    EXPECT_TRUE(engine::size_unknown(rows[0].payload.quote.ask_size));
    EXPECT_TRUE(engine::size_unknown(rows[1].payload.trade.size));  // an empty cell
    EXPECT_EQ(rows[2].payload.trade.size.raw, 0);                   // a 0 written means none
    EXPECT_EQ(src->stats().files[0].unknown_size_rows, 1u);
    EXPECT_EQ(src->stats().files[1].unknown_size_rows, 1u);
    EXPECT_EQ(src->stats().unknown_size_rows, 2u);
}

TEST_F(CsvFormatsTest, BarsWithoutVolumeCarryTheSizeUnknownMarkerNotZero) {
    auto b = spec("b.csv",
                  "date,open,high,low,close\n2024-01-02,1.1,1.2,1.0,1.15\n");
    b.bar_interval_s = 86400;
    auto v = spec("v.csv",
                  "date,open,high,low,close,volume\n2024-01-03,1.1,1.2,1.0,1.15,\n"
                  "2024-01-04,1.1,1.2,1.0,1.15,0\n",
                  "X");
    v.bar_interval_s = 86400;
    auto src = open({b, v});
    ASSERT_TRUE(src) << error_;
    const auto rows = data(*src);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_TRUE(engine::size_unknown(rows[0].payload.bar.volume));  // no column
    EXPECT_TRUE(engine::size_unknown(rows[1].payload.bar.volume));  // an empty cell
    EXPECT_EQ(rows[2].payload.bar.volume.raw, 0);                   // a 0 written means none
    EXPECT_EQ(src->stats().unknown_size_rows, 2u);
}

// --- files as they come ---

TEST_F(CsvFormatsTest, AVendorFileReadsWithColumnsAndTimeFormatAndNoPreprocessing) {
    CsvFileSpec s;
    s.path = std::filesystem::path(KEEL_SOURCE_DIR) / "tests/data/xdate_quotes.csv";
    s.display_path = "xdate_quotes.csv";
    s.symbol = "USDCHF";
    s.columns = {{"time", "XDATE"}, {"bid", "BID"}, {"ask", "ASK"}};
    s.time_format = "%Y%m%d%H%M";
    auto src = open({s});
    ASSERT_TRUE(src) << error_;
    const auto rows = data(*src);
    ASSERT_EQ(rows.size(), 8u);
    EXPECT_EQ(rows[0].header.type, engine::EventType::quote);
    EXPECT_EQ(rows[0].header.ts_ns, 865'193'280 * kNs);  // 1997-06-01T19:28:00Z
    EXPECT_EQ(rows[0].payload.quote.bid.to_string(), "1.4531");
    EXPECT_EQ(rows[0].payload.quote.ask.to_string(), "1.4541");
    EXPECT_TRUE(engine::size_unknown(rows[0].payload.quote.ask_size));
}

TEST_F(CsvFormatsTest, ARowInAnotherTimeFormatNamesItsLineAndColumn) {
    auto s = spec("v.csv", "X,XDATE,BID,ASK\na,199706011928,1.1,1.2\nb,1997-06-01 19:29,1.1,1.2\n");
    s.columns = {{"time", "XDATE"}};
    s.time_format = "%Y%m%d%H%M";
    EXPECT_FALSE(open({s}));
    EXPECT_EQ(error_, "v.csv:3:2: '1997-06-01 19:29' does not match time_format '%Y%m%d%H%M'");
}

TEST_F(CsvFormatsTest, AMappedColumnTheHeaderLacksOrAnUnknownKeelNameIsAnError) {
    auto s = spec("m.csv", "XDATE,BID,ASK\n199706011928,1.1,1.2\n");
    s.columns = {{"time", "DATE"}};
    EXPECT_FALSE(open({s}));
    EXPECT_EQ(error_, "m.csv:1:1: columns: 'time' maps to 'DATE', which the header does not have");
    s.columns = {{"when", "XDATE"}};
    EXPECT_FALSE(open({s}));
    EXPECT_NE(error_.find("m.csv: columns: 'when' is not a column keel reads"), std::string::npos)
        << error_;
}

TEST_F(CsvFormatsTest, NaiveTimesAreInTheFilesZoneAndEpochTimesStayUtc) {
    auto s = spec("z.csv", "date;time_x;bid;ask\n2024-07-01 09:30;x;1.1;1.2\n");
    s.delimiter = ';';
    s.tz = "America/New_York";
    s.columns = {{"time", "date"}};
    s.time_format = "%Y-%m-%d %H:%M";
    auto src = open({s});
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src)[0].header.ts_ns, 1'719'840'600 * kNs);  // 13:30Z (EDT is UTC-4)
    auto iso = spec("i.csv", "time,bid,ask\n2024-01-02T09:30:00,1.1,1.2\n");
    iso.tz = "America/New_York";
    src = open({iso});
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src)[0].header.ts_ns, 1'704'205'800 * kNs);  // 14:30Z (EST is UTC-5)
    auto epoch = spec("e.csv", "time,bid,ask\n1704205800,1.1,1.2\n");
    epoch.tz = "America/New_York";
    src = open({epoch});
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src)[0].header.ts_ns, 1'704'205'800 * kNs);
}

// A clock change: the repeated hour reads in order (the later reading when the earlier would go
// back), and a local time the change skipped is an error naming its row.
TEST_F(CsvFormatsTest, ARepeatedHourKeepsOrderAndASkippedHourIsAnError) {
    auto s = spec("dst.csv",
                  "time,price\n2024-10-27 02:30:00,1\n2024-10-27 02:10:00,1\n"
                  "2024-10-27 03:00:00,1\n");
    s.tz = "Europe/Zurich";
    auto src = open({s});
    ASSERT_TRUE(src) << error_;
    const auto rows = data(*src);
    EXPECT_EQ(rows[0].header.ts_ns, 1'729'989'000 * kNs);  // 00:30Z (CEST, UTC+2)
    EXPECT_EQ(rows[1].header.ts_ns, 1'729'991'400 * kNs);  // 01:10Z (CET, UTC+1)
    EXPECT_EQ(rows[2].header.ts_ns, 1'729'994'400 * kNs);  // 02:00Z
    auto gap = spec("gap.csv", "time,price\n2024-03-31 01:59:00,1\n2024-03-31 02:30:00,1\n");
    gap.tz = "Europe/Zurich";
    EXPECT_FALSE(open({gap}));
    EXPECT_EQ(error_, "gap.csv:3:1: local time does not exist in Europe/Zurich (skipped by a "
                      "clock change)");
}

TEST_F(CsvFormatsTest, SkipRowsPassesAPreambleAndLinesKeepTheirNumbers) {
    auto s = spec("p.csv", "Exported by X\nSeries: EURUSD\ntime\tbid\task\n1700000000\t1.1\t1.0\n");
    s.skip_rows = 2;
    s.delimiter = '\t';
    EXPECT_FALSE(open({s}));
    EXPECT_EQ(error_, "p.csv:4:3: crossed quote: ask 1.0 is below bid 1.1");
}

TEST_F(CsvFormatsTest, YahooDailyFilesReadAsBarsWithAdjustedPricesOnRequest) {
    const std::string text =
        "Date,Open,High,Low,Close,Adj Close,Volume\n"
        "2020-01-02,100,110,90,105,52.5,1000\n";
    auto s = spec("y.csv", text, "AAPL");
    s.bar_interval_s = 86'400;
    auto src = open({s});
    ASSERT_TRUE(src) << error_;
    auto bar = data(*src)[0].payload.bar;
    EXPECT_EQ(bar.close.to_string(), "105");  // as traded unless adjusted
    s.adjusted = true;
    src = open({s});
    ASSERT_TRUE(src) << error_;
    bar = data(*src)[0].payload.bar;
    EXPECT_EQ(bar.open.to_string(), "50");
    EXPECT_EQ(bar.high.to_string(), "55");
    EXPECT_EQ(bar.low.to_string(), "45");
    EXPECT_EQ(bar.close.to_string(), "52.5");
    EXPECT_EQ(bar.volume.to_string(), "1000");
}

// --- strict reading ---

TEST_F(CsvFormatsTest, RowsOutOfTimeOrderAreAnErrorOrSortedAndCounted) {
    auto s = spec("o.csv", "time,price\n1700000002,1.5\n1700000001,1.6\n1700000003,1.7\n");
    EXPECT_FALSE(open({s}));
    EXPECT_EQ(error_,
              "o.csv:3:1: row out of time order: before line 2 of EURUSD (sort the file, or set "
              "data.sort: true to have keel sort it)");
    CsvReadOptions sort;
    sort.sort = true;
    auto src = open({s}, sort);
    ASSERT_TRUE(src) << error_;
    const auto rows = data(*src);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].payload.trade.price.to_string(), "1.6");
    EXPECT_EQ(src->stats().files[0].sorted_rows, 1u);
}

TEST_F(CsvFormatsTest, SymbolsListedInBlocksAreInOrderAndTradesMayShareATime) {
    auto s = spec("b.csv",
                  "time,symbol,price\n1700000001,A,1\n1700000001,A,1.1\n1700000002,A,1.2\n"
                  "1700000001,B,2\n1700000002,B,2.1\n");
    auto src = open({s});
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src).size(), 5u);
}

TEST_F(CsvFormatsTest, TwoBarsOfOneSymbolAtOneTimeAreAnErrorInOneFileOrTwo) {
    const std::string head = "date,open,high,low,close\n";
    auto one = spec("d.csv", head + "2020-01-02,1,2,1,2\n2020-01-02,1,2,1,2\n", "MSFT");
    one.bar_interval_s = 86'400;
    EXPECT_FALSE(open({one}));
    EXPECT_EQ(error_, "d.csv:3:1: a second bar of this symbol at this time (the first: d.csv:2)");
    auto a = spec("a.csv", head + "2020-01-02,1,2,1,2\n", "MSFT");
    auto b = spec("b.csv", head + "2020-01-01,1,2,1,2\n2020-01-02,1,2,1,2\n", "MSFT");
    a.bar_interval_s = b.bar_interval_s = 86'400;
    EXPECT_FALSE(open({a, b}));
    EXPECT_EQ(error_, "b.csv:3:1: a second bar of this symbol at this time (the first: a.csv:2)");
    CsvReadOptions skip;
    skip.skip_bad_rows = true;
    auto src = open({a, b}, skip);
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src).size(), 2u);
    EXPECT_EQ(src->stats().files[1].skipped_rows, 1u);
    EXPECT_EQ(src->stats().files[1].rows, 1u);
    EXPECT_EQ(src->stats().bars, 2u);
}

TEST_F(CsvFormatsTest, AFilesTimeFormatIsDetectedOnceIsoAndEpochMixedIsAnError) {
    auto s = spec("x.csv", "time,price\n2020-01-02T10:00:00Z,1\n1577959300,1\n");
    EXPECT_FALSE(open({s}));
    EXPECT_EQ(error_,
              "x.csv:3:1: '1577959300' is in epoch seconds but this file's times are ISO "
              "date-times (detected from its first row; every row must match)");
    auto units = spec("u.csv", "time,price\n1577959200,1\n1577959300000,1\n");
    EXPECT_FALSE(open({units}));
    EXPECT_NE(error_.find("u.csv:3:1: '1577959300000' is in epoch milliseconds"), std::string::npos)
        << error_;
}

TEST_F(CsvFormatsTest, CompactDatesAreDatesNotEpochSeconds) {
    auto s = spec("c.csv", "date,price\n20000101,1\n20000103,1\n");
    auto src = open({s});
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src)[0].header.ts_ns, 946'684'800 * kNs);  // 2000-01-01, not 1970-08-21
}

TEST_F(CsvFormatsTest, CrossedQuotesAndPricesOutsideTheBandAreErrorsOrSkippedAndCounted) {
    auto s = spec("q.csv", "time,bid,ask\n1700000000,50.6,50.7\n1700000001,100,50.69\n");
    EXPECT_FALSE(open({s}));
    EXPECT_EQ(error_, "q.csv:3:3: crossed quote: ask 50.69 is below bid 100");
    auto wild = spec("w.csv", "time,bid,ask\n1700000000,50.6,9223372036.85\n");
    EXPECT_FALSE(open({wild}));
    EXPECT_EQ(error_,
              "w.csv:2:3: '9223372036.85' is above 1000000000, the largest value keel accepts");
    CsvReadOptions band;
    band.bands.push_back({"EURUSD", engine::Price::from_units(10), engine::Price::from_units(80)});
    auto out = spec("b.csv", "time,bid,ask\n1700000000,50.6,50.7\n1700000001,50.69,100\n");
    EXPECT_FALSE(open({out}, band));
    EXPECT_EQ(error_,
              "b.csv:3:3: '100' is outside EURUSD's band [10, 80] (symbols[].min_price / "
              "max_price)");
    band.skip_bad_rows = true;
    auto src = open({out}, band);
    ASSERT_TRUE(src) << error_;
    EXPECT_EQ(data(*src).size(), 1u);
    EXPECT_EQ(src->stats().skipped_rows, 1u);
}

TEST_F(CsvFormatsTest, AQuoteSpreadWiderThanMaxSpreadPctIsAnErrorNamingItsAsk) {
    // The "bid 50.69, ask 100": not crossed, but no market quotes a 97% spread.
    auto s = spec("s.csv", "time,bid,ask\n1700000000,50.6,50.7\n1700000001,50.69,100\n");
    CsvReadOptions options;
    options.max_spread_pct = 20;
    EXPECT_FALSE(open({s}, options));
    EXPECT_EQ(error_,
              "s.csv:3:3: quote spread: ask 100 is 97.2% above bid 50.69, more than "
              "data.max_spread_pct (20): columns swapped or mislabelled?");
    options.max_spread_pct = 100;
    auto wide = open({s}, options);
    ASSERT_TRUE(wide) << error_;
    EXPECT_EQ(data(*wide).size(), 2u);
    options.max_spread_pct = 0;
    EXPECT_TRUE(open({s}, options)) << error_;
}
