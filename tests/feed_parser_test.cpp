// feed::MessageParser: keel's line format and Finnhub's trade shape become exact fixed-point
// events; unknown symbols are reported, not fatal; every malformed kind is named with its offset.
#include "keel/adapters/feed/message_parser.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keel/adapters/feed/line_format.hpp"

namespace keel::adapters::feed {
namespace {

using engine::Event;
using engine::EventType;

engine::SymbolTable table() {
    engine::SymbolTable t(8);
    (void)t.intern("AAPL");
    (void)t.intern("MSFT");
    return t;
}

class FeedParser : public ::testing::Test {
  protected:
    engine::SymbolTable symbols_ = table();
    MessageParser parser_{symbols_, 4096};
    std::vector<Event> out_;

    ParseError parse(std::string_view text) { return parser_.parse(text, out_); }
    std::int64_t raw(std::string_view decimal) {
        std::int64_t r = 0;
        EXPECT_EQ(engine::parse_decimal(decimal, r), engine::DecimalError::ok);
        return r;
    }
};

TEST_F(FeedParser, KeelTradeWithDecimalStringsIsExact) {
    const ParseError e = parse(
        R"({"type":"trade","symbol":"MSFT","ts":1700000000123000000,"price":"187.30","size":"100","side":"sell"})");
    ASSERT_TRUE(e.ok()) << describe(e);
    ASSERT_EQ(out_.size(), 1u);
    const Event& t = out_[0];
    EXPECT_EQ(t.header.type, EventType::trade);
    EXPECT_EQ(t.header.source, engine::Source::feed);
    EXPECT_EQ(t.header.symbol, *symbols_.find("MSFT"));
    EXPECT_EQ(t.header.ts_ns, 1700000000123000000);
    EXPECT_EQ(t.payload.trade.price.raw, 187'300'000'000);
    EXPECT_EQ(t.payload.trade.size.raw, 100'000'000'000);
    EXPECT_EQ(t.payload.trade.aggressor, engine::Side::sell);
}

TEST_F(FeedParser, NumbersAreReadFromTheirTextNotThroughADouble) {
    // 0.1 + 0.2 style values and nine decimals survive exactly; a double would not keep the
    // last digit of 123456789.123456789.
    ASSERT_TRUE(
        parse(
            R"({"type":"trade","symbol":"AAPL","ts":1,"price":123456789.123456789,"size":0.000000001})")
            .ok());
    EXPECT_EQ(out_[0].payload.trade.price.raw, 123456789'123456789);
    EXPECT_EQ(out_[0].payload.trade.size.raw, 1);
    ASSERT_TRUE(
        parse(R"({"type":"trade","symbol":"AAPL","ts":1,"price":1.5e2,"size":25E-2})").ok());
    EXPECT_EQ(out_[0].payload.trade.price.raw, raw("150"));
    EXPECT_EQ(out_[0].payload.trade.size.raw, raw("0.25"));
}

TEST_F(FeedParser, FieldsMayComeInAnyOrderAndUnknownFieldsAreIgnored) {
    ASSERT_TRUE(
        parse(R"({"price":"1.25","extra":{"a":[1,2]},"ts":5,"symbol":"AAPL","type":"trade"})")
            .ok());
    ASSERT_EQ(out_.size(), 1u);
    EXPECT_EQ(out_[0].payload.trade.price.raw, raw("1.25"));
    EXPECT_TRUE(engine::size_unknown(out_[0].payload.trade.size));  // no size: unknown, not 0
}

TEST_F(FeedParser, KeelQuote) {
    ASSERT_TRUE(
        parse(
            R"({"type":"quote","symbol":"AAPL","ts":7,"bid":"187.29","ask":187.31,"bid_size":"300","ask_size":200})")
            .ok());
    ASSERT_EQ(out_.size(), 1u);
    const engine::QuotePayload& q = out_[0].payload.quote;
    EXPECT_EQ(out_[0].header.type, EventType::quote);
    EXPECT_EQ(q.bid.raw, raw("187.29"));
    EXPECT_EQ(q.ask.raw, raw("187.31"));
    EXPECT_EQ(q.bid_size.raw, raw("300"));
    EXPECT_EQ(q.ask_size.raw, raw("200"));
}

TEST_F(FeedParser, KeelBarCarriesItsIntervalInMinutes) {
    ASSERT_TRUE(
        parse(
            R"({"type":"bar","symbol":"AAPL","ts":1800000000000,"open":"10","high":"12.5","low":"9.75","close":"11","volume":"1234.5","interval":"1h"})")
            .ok());
    ASSERT_EQ(out_.size(), 1u);
    const Event& b = out_[0];
    EXPECT_EQ(b.header.type, EventType::bar);
    EXPECT_EQ(b.header.aux, 60);
    EXPECT_EQ(b.payload.bar.open.raw, raw("10"));
    EXPECT_EQ(b.payload.bar.high.raw, raw("12.5"));
    EXPECT_EQ(b.payload.bar.low.raw, raw("9.75"));
    EXPECT_EQ(b.payload.bar.close.raw, raw("11"));
    EXPECT_EQ(b.payload.bar.volume.raw, raw("1234.5"));
    ASSERT_TRUE(
        parse(
            R"({"type":"bar","symbol":"AAPL","ts":1,"open":1,"high":1,"low":1,"close":1,"interval":30})")
            .ok());
    EXPECT_EQ(out_[0].header.aux, 30);
    EXPECT_TRUE(engine::size_unknown(out_[0].payload.bar.volume));  // no volume: unknown, not 0
}

TEST_F(FeedParser, EscapedStringValuesAreUnescapedAndEscapedKeysAreNotFields) {
    ASSERT_TRUE(
        parse(R"({"type":"tr\u0061de","symbol":"AA\u0050L","ts":1,"price":"\u0031.5"})").ok());
    ASSERT_EQ(out_.size(), 1u);
    EXPECT_EQ(out_[0].header.symbol, *symbols_.find("AAPL"));
    EXPECT_EQ(out_[0].payload.trade.price.raw, raw("1.5"));
    // Keys are matched as written: an escaped key is some other field, ignored.
    const ParseError e = parse(R"({"type":"trade","symbol":"AAPL","ts":1,"pr\u0069ce":1})");
    EXPECT_EQ(e.kind, ParseErrorKind::missing_field);
    EXPECT_EQ(e.field, "price");
}

TEST_F(FeedParser, IsoTimestampStringIsAccepted) {
    ASSERT_TRUE(
        parse(R"({"type":"trade","symbol":"AAPL","ts":"2023-11-14T22:13:20Z","price":1})").ok());
    EXPECT_EQ(out_[0].header.ts_ns, 1700000000LL * 1'000'000'000);
}

TEST_F(FeedParser, FinnhubTradesBecomeOneEventEachInMessageOrder) {
    const ParseError e =
        parse(R"({"data":[{"c":["1","8"],"p":187.3,"s":"AAPL","t":1700000000123,"v":100},)"
              R"({"p":"310.05","s":"MSFT","t":1700000000124,"v":0.5}],"type":"trade"})");
    ASSERT_TRUE(e.ok()) << describe(e);
    ASSERT_EQ(out_.size(), 2u);
    EXPECT_EQ(out_[0].header.symbol, *symbols_.find("AAPL"));
    EXPECT_EQ(out_[0].header.ts_ns, 1700000000123'000'000);
    EXPECT_EQ(out_[0].payload.trade.price.raw, raw("187.3"));
    EXPECT_EQ(out_[0].payload.trade.size.raw, raw("100"));
    EXPECT_EQ(out_[1].header.symbol, *symbols_.find("MSFT"));
    EXPECT_EQ(out_[1].header.ts_ns, 1700000000124'000'000);
    EXPECT_EQ(out_[1].payload.trade.price.raw, raw("310.05"));
    EXPECT_EQ(out_[1].payload.trade.size.raw, raw("0.5"));
}

TEST_F(FeedParser, PingAndAllUnknownSymbolsAreOkWithNoEvents) {
    ASSERT_TRUE(parse(R"({"type":"ping"})").ok());
    EXPECT_TRUE(out_.empty());
    ASSERT_TRUE(
        parse(
            R"({"type":"trade","data":[{"s":"TSLA","p":1,"t":1},{"s":"AAPL","p":2,"t":2},{"s":"TSLA","p":3,"t":3}]})")
            .ok());
    ASSERT_EQ(out_.size(), 1u);
    EXPECT_EQ(out_[0].payload.trade.price.raw, raw("2"));
    ASSERT_EQ(parser_.unknown_symbols().size(), 2u);
    EXPECT_EQ(parser_.unknown_symbols()[0], "TSLA");
    ASSERT_TRUE(parse(R"({"type":"quote","symbol":"NVDA","ts":1,"bid":1,"ask":2})").ok());
    EXPECT_TRUE(out_.empty());
    ASSERT_EQ(parser_.unknown_symbols().size(), 1u);
    EXPECT_EQ(parser_.unknown_symbols()[0], "NVDA");
}

TEST_F(FeedParser, LineFormatWrittenByTheSimulatorParsesBackToTheSameEvents) {
    std::vector<Event> events;
    Event t = engine::make_event(EventType::trade, engine::Source::feed, 0, 1700000000123000000,
                                 *symbols_.find("AAPL"));
    t.payload.trade.price.raw = raw("187.3");
    t.payload.trade.size.raw = raw("0.000000001");
    t.payload.trade.aggressor = engine::Side::buy;
    Event q =
        engine::make_event(EventType::quote, engine::Source::feed, 0, 2, *symbols_.find("MSFT"));
    q.payload.quote = {engine::Price{raw("1.1")}, engine::Quantity{raw("3")},
                       engine::Price{raw("1.2")}, engine::Quantity{0}};
    Event b =
        engine::make_event(EventType::bar, engine::Source::feed, 0, 3, *symbols_.find("AAPL"));
    b.header.aux = 1440;
    b.payload.bar = {engine::Price{raw("2")}, engine::Price{raw("3")}, engine::Price{raw("1")},
                     engine::Price{raw("2.5")}, engine::Quantity{raw("1000000")}};
    Event unknown = b;  // a bar of unknown volume: written without one, read back as unknown
    unknown.payload.bar.volume = engine::kSizeUnknown;
    for (const Event& e : {t, q, b, unknown}) {
        std::string line;
        ASSERT_TRUE(append_message(line, e, symbols_.name(e.header.symbol)));
        const ParseError err = parse(line);
        ASSERT_TRUE(err.ok()) << line << ": " << describe(err);
        ASSERT_EQ(out_.size(), 1u);
        EXPECT_EQ(std::memcmp(&out_[0], &e, sizeof(Event)), 0) << line;
    }
}

// Every malformed kind: its name, the byte offset where it was found, and the field.
struct Malformed {
    const char* text;
    ParseErrorKind kind;
    std::uint32_t offset;
    const char* field;
    std::int32_t index;
};

void PrintTo(const Malformed& m, std::ostream* os) {
    *os << m.text;
}

class FeedParserMalformed : public FeedParser, public ::testing::WithParamInterface<Malformed> {};

TEST_P(FeedParserMalformed, IsRefusedWithItsKindOffsetAndFieldAndNoEvents) {
    const Malformed& m = GetParam();
    const ParseError e = parse(m.text);
    EXPECT_EQ(e.kind, m.kind) << m.text << ": " << describe(e);
    EXPECT_EQ(e.offset, m.offset) << m.text << ": " << describe(e);
    EXPECT_EQ(e.field, m.field) << m.text;
    EXPECT_EQ(e.index, m.index) << m.text;
    EXPECT_TRUE(out_.empty());
    EXPECT_TRUE(parser_.unknown_symbols().empty());
}

// Offsets are counted from the first byte of the message.
INSTANTIATE_TEST_SUITE_P(
    EveryKind, FeedParserMalformed,
    ::testing::Values(
        Malformed{R"([1,2])", ParseErrorKind::not_an_object, 0, "", -1},
        Malformed{R"(  "trade")", ParseErrorKind::not_an_object, 2, "", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":1} {})",
                  ParseErrorKind::trailing_content, 50, "", -1},
        Malformed{R"({"symbol":"AAPL","ts":1,"price":1})", ParseErrorKind::missing_type, 0, "type",
                  -1},
        Malformed{R"({"type":"trade!","symbol":"AAPL","ts":1,"price":1})",
                  ParseErrorKind::unknown_type, 8, "type", -1},
        Malformed{R"({"type":"news","data":[]})", ParseErrorKind::unknown_type, 8, "type", -1},
        Malformed{R"({"type":7})", ParseErrorKind::wrong_type, 8, "type", -1},
        Malformed{R"({"type":"trade","ts":1,"price":1})", ParseErrorKind::missing_field, 0,
                  "symbol", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1})", ParseErrorKind::missing_field, 0,
                  "price", -1},
        Malformed{R"({"type":"quote","symbol":"AAPL","ts":1,"bid":1})",
                  ParseErrorKind::missing_field, 0, "ask", -1},
        Malformed{R"({"type":"bar","symbol":"AAPL","ts":1,"open":1,"high":1,"low":1,"close":1})",
                  ParseErrorKind::missing_field, 0, "interval", -1},
        Malformed{R"({"type":"trade","symbol":42,"ts":1,"price":1})", ParseErrorKind::wrong_type,
                  25, "symbol", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":[1]})",
                  ParseErrorKind::wrong_type, 47, "price", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":"1.0000000001"})",
                  ParseErrorKind::bad_number, 47, "price", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":"12x"})",
                  ParseErrorKind::bad_number, 47, "price", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":1e300})",
                  ParseErrorKind::bad_number, 47, "price", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":"0"})",
                  ParseErrorKind::bad_value, 47, "price", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":1,"size":-2})",
                  ParseErrorKind::bad_value, 56, "size", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1,"price":1,"side":"up"})",
                  ParseErrorKind::bad_value, 56, "side", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":-1,"price":1})",
                  ParseErrorKind::bad_timestamp, 37, "ts", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":1.5,"price":1})",
                  ParseErrorKind::bad_timestamp, 37, "ts", -1},
        Malformed{R"({"type":"trade","symbol":"AAPL","ts":"yesterday","price":1})",
                  ParseErrorKind::bad_timestamp, 37, "ts", -1},
        Malformed{
            R"({"type":"bar","symbol":"AAPL","ts":1,"open":1,"high":1,"low":1,"close":1,"interval":"1w"})",
            ParseErrorKind::bad_interval, 84, "interval", -1},
        Malformed{
            R"({"type":"bar","symbol":"AAPL","ts":1,"open":5,"high":4,"low":1,"close":2,"interval":"1m"})",
            ParseErrorKind::inconsistent_bar, 53, "high", -1},
        Malformed{R"({"type":"trade","data":{"s":"AAPL"}})", ParseErrorKind::wrong_type, 23, "data",
                  -1},
        Malformed{R"({"type":"trade","data":[{"s":"AAPL","p":1,"t":1},7]})",
                  ParseErrorKind::wrong_type, 49, "data", 1},
        Malformed{R"({"type":"trade","data":[{"s":"AAPL","p":1,"t":1},{"s":"AAPL","t":2}]})",
                  ParseErrorKind::missing_field, 49, "p", 1},
        Malformed{R"({"type":"trade","data":[{"s":"AAPL","p":1.0000000001,"t":1}]})",
                  ParseErrorKind::bad_number, 40, "p", 0},
        Malformed{R"({"type":"trade","data":[{"s":"AAPL","p":1,"t":"1700000000123"}]})",
                  ParseErrorKind::bad_timestamp, 46, "t", 0},
        Malformed{R"({"type":"trade","data":[{"s":5,"p":1,"t":1}]})", ParseErrorKind::wrong_type,
                  29, "s", 0}));

TEST_F(FeedParser, InvalidJsonIsNamedWithSimdjsonsReason) {
    for (const char* text :
         {R"({"type":"trade",)", R"({"type" "trade"})", R"({"type":"tr)", R"({"type":tru})", ""}) {
        const ParseError e = parse(text);
        EXPECT_EQ(e.kind, ParseErrorKind::invalid_json) << text << ": " << describe(e);
        EXPECT_FALSE(e.detail.empty()) << text;
        EXPECT_LE(e.offset, std::string_view(text).size()) << text;
        EXPECT_TRUE(out_.empty());
    }
}

TEST_F(FeedParser, InvalidJsonOffsetPointsAtTheFault) {
    const ParseError e = parse(R"({"type":"trade","symbol" "AAPL"})");
    ASSERT_EQ(e.kind, ParseErrorKind::invalid_json) << describe(e);
    EXPECT_EQ(e.offset, 25u) << describe(e);
}

TEST_F(FeedParser, MessageOverTheLimitIsTooLarge) {
    const std::string big = R"({"type":"ping","pad":")" + std::string(5000, 'x') + "\"}";
    const ParseError e = parse(big);
    EXPECT_EQ(e.kind, ParseErrorKind::too_large);
    EXPECT_EQ(e.offset, 4096u);
}

TEST_F(FeedParser, TooManyFinnhubTradesIsRefused) {
    MessageParser big(symbols_, 1 << 20);
    std::string text = R"({"type":"trade","data":[)";
    for (std::size_t i = 0; i <= kMaxTradesPerMessage; ++i)
        text += std::string(i ? "," : "") + R"({"s":"AAPL","p":1,"t":1})";
    text += "]}";
    const ParseError e = big.parse(text, out_);
    EXPECT_EQ(e.kind, ParseErrorKind::too_many_trades);
    EXPECT_EQ(e.index, static_cast<std::int32_t>(kMaxTradesPerMessage));
    EXPECT_TRUE(out_.empty());
}

TEST_F(FeedParser, ErrorAfterGoodFinnhubTradesLeavesNoEvents) {
    const ParseError e =
        parse(R"({"type":"trade","data":[{"s":"AAPL","p":1,"t":1},{"s":"AAPL","p":-1,"t":2}]})");
    EXPECT_EQ(e.kind, ParseErrorKind::bad_value);
    EXPECT_TRUE(out_.empty());
}

TEST(FeedDecimal, ExponentsShiftTheDecimalPointExactly) {
    std::int64_t r = 0;
    EXPECT_EQ(parse_json_decimal("1e-9", r), engine::DecimalError::ok);
    EXPECT_EQ(r, 1);
    EXPECT_EQ(parse_json_decimal("-1.5E+3", r), engine::DecimalError::ok);
    EXPECT_EQ(r, -1500'000'000'000);
    EXPECT_EQ(parse_json_decimal("12345e-2", r), engine::DecimalError::ok);
    EXPECT_EQ(r, 123'450'000'000);
    EXPECT_EQ(parse_json_decimal("1e-10", r), engine::DecimalError::too_many_decimals);
    EXPECT_EQ(parse_json_decimal("1e20", r), engine::DecimalError::out_of_range);
    EXPECT_EQ(parse_json_decimal("1e", r), engine::DecimalError::missing_digits);
    EXPECT_EQ(parse_json_decimal("1.e5", r), engine::DecimalError::missing_digits);
}

TEST(FeedDescribe, NamesKindOffsetFieldAndDetail) {
    ParseError e;
    e.kind = ParseErrorKind::bad_number;
    e.offset = 57;
    e.field = "p";
    e.index = 1;
    e.detail = "too_many_decimals";
    EXPECT_EQ(describe(e), "bad_number at byte 57 in 'data[1].p': too_many_decimals");
}

}  // namespace
}  // namespace keel::adapters::feed
