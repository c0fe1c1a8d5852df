// feed_bench: market-data messages parsed per second on one core, keel's simdjson On-Demand
// MessageParser beside nlohmann-json parsing the same messages into the same Events (numbers
// read exactly in both: nlohmann's shortest round-trip text of each number, then the same
// decimal parser). Two shapes: keel's line format and Finnhub's trade batches.
#include <benchmark/benchmark.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <vector>

#include "bench_support.hpp"
#include "keel/adapters/csv/csv_source.hpp"
#include "keel/adapters/feed/line_format.hpp"
#include "keel/adapters/feed/message_parser.hpp"

namespace {

using keel::adapters::feed::MessageParser;
using keel::adapters::feed::parse_json_decimal;
using keel::bench::CollectingReporter;
using keel::engine::Event;
using keel::engine::EventType;

constexpr std::size_t kMessages = 4096;
const char* const kSymbols[] = {"AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META", "TSLA", "AMD"};

keel::engine::SymbolTable symbols() {
    keel::engine::SymbolTable t(16);
    for (const char* s : kSymbols)
        (void)t.intern(s);
    return t;
}

// keel's line format as the simulator writes it: trades, quotes and bars mixed.
std::vector<std::string> keel_messages() {
    std::vector<std::string> out;
    std::uint64_t x = 12345;
    for (std::size_t i = 0; i < kMessages; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const auto sym = static_cast<keel::engine::SymbolId>(i % 8);
        const std::int64_t ts = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000;
        const std::int64_t px =
            100'000'000'000 + static_cast<std::int64_t>(x % 100'000) * 10'000'000;
        Event e;
        if (i % 4 == 3) {
            e = keel::engine::make_event(EventType::quote, keel::engine::Source::feed, 0, ts, sym);
            e.payload.quote = {{px}, {300'000'000'000}, {px + 10'000'000}, {200'000'000'000}};
        } else if (i % 16 == 6) {
            e = keel::engine::make_event(EventType::bar, keel::engine::Source::feed, 0, ts, sym);
            e.header.aux = 30;
            e.payload.bar = {{px},
                             {px + 500'000'000},
                             {px - 500'000'000},
                             {px + 10'000'000},
                             {123'456'000'000'000}};
        } else {
            e = keel::engine::make_event(EventType::trade, keel::engine::Source::feed, 0, ts, sym);
            e.payload.trade.price.raw = px;
            e.payload.trade.size.raw = static_cast<std::int64_t>(1 + x % 500) * 1'000'000'000;
        }
        std::string line;
        keel::adapters::feed::append_message(line, e, kSymbols[sym]);
        out.push_back(std::move(line));
    }
    return out;
}

// Finnhub's shape as it sends it: numbers, one to three trades a message, conditions.
std::vector<std::string> finnhub_messages() {
    std::vector<std::string> out;
    std::uint64_t x = 777;
    for (std::size_t i = 0; i < kMessages; ++i) {
        std::string m = R"({"data":[)";
        const std::size_t trades = 1 + i % 3;
        for (std::size_t t = 0; t < trades; ++t) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            m += t ? "," : "";
            m += R"({"c":["1","12"],"p":)" + std::to_string(100 + x % 300) + "." +
                 std::to_string(x % 100) + R"(,"s":")" + kSymbols[(i + t) % 8] + R"(","t":)" +
                 std::to_string(1'700'000'000'000 + i * 10 + t) + R"(,"v":)" +
                 std::to_string(1 + x % 1000) + "}";
        }
        m += R"(],"type":"trade"})";
        out.push_back(std::move(m));
    }
    return out;
}

// The comparator: a DOM parse, then the same Events. A number's text is nlohmann's shortest
// round-trip form of its double, parsed exactly; a string is parsed as is.
class NlohmannParser {
  public:
    explicit NlohmannParser(const keel::engine::SymbolTable& symbols) : symbols_(symbols) {}

    bool parse(const std::string& text, std::vector<Event>& out) {
        out.clear();
        const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
        if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
            return false;
        const std::string& type = j["type"].get_ref<const std::string&>();
        if (j.contains("data")) {
            for (const nlohmann::json& t : j["data"]) {
                const auto sym = symbols_.find(t["s"].get_ref<const std::string&>());
                Event e = keel::engine::make_event(EventType::trade, keel::engine::Source::feed, 0,
                                                   t["t"].get<std::int64_t>() * 1'000'000,
                                                   keel::engine::kNoSymbol);
                if (!decimal(t["p"], e.payload.trade.price.raw) ||
                    !decimal(t["v"], e.payload.trade.size.raw))
                    return false;
                if (sym) {
                    e.header.symbol = *sym;
                    out.push_back(e);
                }
            }
            return type == "trade";
        }
        const auto sym = symbols_.find(j["symbol"].get_ref<const std::string&>());
        const std::int64_t ts = j["ts"].get<std::int64_t>();
        Event e = keel::engine::make_event(EventType::trade, keel::engine::Source::feed, 0, ts,
                                           keel::engine::kNoSymbol);
        if (type == "trade") {
            if (!decimal(j["price"], e.payload.trade.price.raw) ||
                !decimal(j["size"], e.payload.trade.size.raw))
                return false;
        } else if (type == "quote") {
            e.header.type = EventType::quote;
            keel::engine::QuotePayload& q = e.payload.quote;
            if (!decimal(j["bid"], q.bid.raw) || !decimal(j["ask"], q.ask.raw) ||
                !decimal(j["bid_size"], q.bid_size.raw) || !decimal(j["ask_size"], q.ask_size.raw))
                return false;
        } else if (type == "bar") {
            e.header.type = EventType::bar;
            keel::engine::BarPayload& b = e.payload.bar;
            if (!decimal(j["open"], b.open.raw) || !decimal(j["high"], b.high.raw) ||
                !decimal(j["low"], b.low.raw) || !decimal(j["close"], b.close.raw) ||
                !decimal(j["volume"], b.volume.raw))
                return false;
            const auto minutes = keel::adapters::parse_timeframe_minutes(
                j["interval"].get_ref<const std::string&>());
            if (!minutes)
                return false;
            e.header.aux = *minutes;
        } else {
            return false;
        }
        if (sym) {
            e.header.symbol = *sym;
            out.push_back(e);
        }
        return true;
    }

  private:
    static bool decimal(const nlohmann::json& v, std::int64_t& raw) {
        if (v.is_string())
            return parse_json_decimal(v.get_ref<const std::string&>(), raw) ==
                   keel::engine::DecimalError::ok;
        return v.is_number() && parse_json_decimal(v.dump(), raw) == keel::engine::DecimalError::ok;
    }
    const keel::engine::SymbolTable& symbols_;
};

// Both parsers must produce the same events from every message, or the comparison is void.
bool same_events(const std::vector<std::string>& messages) {
    const keel::engine::SymbolTable table = symbols();
    MessageParser ours(table);
    NlohmannParser theirs(table);
    std::vector<Event> a, b;
    for (const std::string& m : messages) {
        if (!ours.parse(m, a).ok() || !theirs.parse(m, b) || a.size() != b.size() || a.empty())
            return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (std::memcmp(&a[i], &b[i], sizeof(Event)) != 0)
                return false;
        }
    }
    return true;
}

template <class Parser>
void bm_parse(benchmark::State& state, const std::vector<std::string>& messages) {
    if (!same_events(messages)) {
        state.SkipWithError("the two parsers disagree on the messages");
        return;
    }
    const keel::engine::SymbolTable table = symbols();
    Parser parser(table);
    std::vector<Event> out;
    out.reserve(16);
    std::size_t i = 0;
    std::uint64_t events = 0, bytes = 0;
    for (auto _ : state) {
        const std::string& m = messages[i];
        i = (i + 1) % messages.size();
        bool ok = false;
        if constexpr (std::is_same_v<Parser, MessageParser>)
            ok = parser.parse(m, out).ok();
        else
            ok = parser.parse(m, out);
        if (!ok) {
            state.SkipWithError("a message failed to parse");
            return;
        }
        events += out.size();
        bytes += m.size();
        benchmark::DoNotOptimize(out.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
    state.counters["events_per_msg"] =
        static_cast<double>(events) / static_cast<double>(state.iterations());
}

}  // namespace

int main(int argc, char** argv) {
    const bool console = keel::bench::stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    static const std::vector<std::string> keel_lines = keel_messages();
    static const std::vector<std::string> finnhub = finnhub_messages();
    benchmark::RegisterBenchmark("parse/keel_line/simdjson", bm_parse<MessageParser>, keel_lines);
    benchmark::RegisterBenchmark("parse/keel_line/nlohmann", bm_parse<NlohmannParser>, keel_lines);
    benchmark::RegisterBenchmark("parse/finnhub/simdjson", bm_parse<MessageParser>, finnhub);
    benchmark::RegisterBenchmark("parse/finnhub/nlohmann", bm_parse<NlohmannParser>, finnhub);

    CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!reporter.empty()) {
        const std::vector<keel::bench::RatioRow> rows = {
            {"keel line: simdjson / nlohmann msgs/s",
             keel::bench::rate_ratio(reporter, "parse/keel_line/simdjson",
                                     "parse/keel_line/nlohmann"),
             keel::bench::Goal::at_least, 5.0, 3.0},
            {"finnhub: simdjson / nlohmann msgs/s",
             keel::bench::rate_ratio(reporter, "parse/finnhub/simdjson", "parse/finnhub/nlohmann"),
             keel::bench::Goal::at_least, 5.0, 3.0},
        };
        keel::bench::print_ratio_table(reporter, rows, console ? stdout : stderr, {});
    }
    return reporter.errors() > 0 ? 1 : 0;
}
