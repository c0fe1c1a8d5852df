// A bounded fuzz pass over what keel reads from outside: config files, feed messages and
// journal bytes. Each family mutates real inputs (the shipped configs, keel's feed line format
// and Finnhub's, a journal a backtest wrote) a few thousand times from a fixed seed, so a
// failure reproduces, and feeds them to the real readers. The property is the one the
// hardening issue asks for: no crash, no hang, and every refusal said as an error, never a
// silent half-read (a journal that scans as whole must read whole).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "keel/adapters/feed/message_parser.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/core/symbol_table.hpp"
#include "keel/journal/reader.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "keel/replay/session/backtest.hpp"

using namespace keel;
namespace fs = std::filesystem;

namespace {

const fs::path kConfigDir = fs::path(KEEL_SOURCE_DIR) / "config";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// One mutation of text: flip a byte, insert or delete a run, duplicate a slice, truncate, or
// splice in a token that parsers have trouble with.
std::string mutate(std::string s, std::mt19937_64& rng) {
    static const std::vector<std::string> kTokens = {
        "{", "}", "[", "]", "\"", ",", ":", "\\u0000", "\\ud800", "-", "1e999", "9223372036854775808",
        "-9223372036854775809", "0.0000000001", "null", "true", "\"\"", "{\"a\":1,\"a\":2}",
        std::string(200, '['), "\xff\xfe", "\n"};
    if (s.empty())
        s = "{}";
    auto pos = [&](std::size_t extra = 0) {
        return static_cast<std::size_t>(rng() % (s.size() + extra));
    };
    const int rounds = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < rounds && !s.empty(); ++i) {
        switch (rng() % 6) {
            case 0:
                s[pos()] = static_cast<char>(rng() & 0xFF);
                break;
            case 1:
                s.insert(pos(1), kTokens[rng() % kTokens.size()]);
                break;
            case 2: {
                const std::size_t at = pos();
                s.erase(at, 1 + rng() % 16);
                break;
            }
            case 3: {
                const std::size_t at = pos();
                const std::size_t n = std::min<std::size_t>(1 + rng() % 64, s.size() - at);
                s.insert(pos(1), s.substr(at, n));
                break;
            }
            case 4:
                s.resize(pos());
                break;
            default: {
                // A digit run made huge, or a number's sign flipped.
                const std::size_t at = s.find_first_of("0123456789", pos());
                if (at != std::string::npos)
                    s.insert(at, rng() % 2 ? "99999999999999999999" : "-");
                break;
            }
        }
    }
    return s;
}

}  // namespace

TEST(Fuzz, ConfigFilesNeverCrashTheReaderAndEveryRefusalNamesItsCause) {
    std::vector<std::string> seeds;
    for (const char* name : {"demo.json", "backtest.json", "paper.json", "bench.json"})
        seeds.push_back(read_file(kConfigDir / name));
    std::mt19937_64 rng(0x6b65656c01);
    int refused = 0;
    constexpr int kCases = 3000;
    for (int i = 0; i < kCases; ++i) {
        const std::string text = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
        const engine::ConfigResult r = engine::parse_config(text, "fuzz.json", kConfigDir, {});
        if (!r.ok()) {
            ++refused;
            for (const engine::ConfigError& e : r.errors) {
                ASSERT_FALSE(e.message.empty()) << "case " << i;
                ASSERT_LT(e.message.size(), 2000u) << "case " << i << ": " << e.message;
            }
        }
    }
    EXPECT_GT(refused, kCases / 2) << "the mutations should mostly break the configs";
}

TEST(Fuzz, FeedMessagesNeverCrashTheParserAndABadOneYieldsNoEvents) {
    engine::SymbolTable symbols(8);
    (void)symbols.intern("AAPL");
    (void)symbols.intern("USDCHF");
    adapters::feed::MessageParser parser(symbols, 64 * 1024);
    const std::vector<std::string> seeds = {
        R"({"type":"trade","symbol":"AAPL","ts":1700000000000000000,"price":"189.5","size":"100"})",
        R"({"type":"quote","symbol":"USDCHF","ts":1700000000000000000,"bid":"0.9","ask":"0.9001"})",
        R"({"type":"bar","symbol":"AAPL","ts":1700000000000000000,"interval":"1m","open":"1","high":"2","low":"0.5","close":"1.5","volume":"10"})",
        R"({"type":"trade","data":[{"s":"AAPL","p":189.5,"t":1700000000000,"v":100}]})",
    };
    std::mt19937_64 rng(0x6b65656c02);
    std::vector<engine::Event> events;
    int refused = 0;
    constexpr int kCases = 4000;
    for (int i = 0; i < kCases; ++i) {
        const std::string text = mutate(seeds[static_cast<std::size_t>(i) % seeds.size()], rng);
        events.clear();
        const adapters::feed::ParseError e = parser.parse(text, events);
        if (!e.ok()) {
            ++refused;
            ASSERT_TRUE(events.empty()) << "case " << i << ": a refused message yielded events";
        }
        for (const engine::Event& ev : events)
            ASSERT_TRUE(engine::is_market_data(ev.header.type)) << "case " << i;
    }
    EXPECT_GT(refused, kCases / 2);
}

TEST(Fuzz, JournalBytesNeverCrashTheReadersAndAWholeScanReadsWhole) {
    const fs::path dir = fs::temp_directory_path() / ("keel_fuzz_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const fs::path base = dir / "base";
    {
        replay::BacktestConfigOptions options;
        const engine::ConfigResult cr =
            replay::load_backtest_config(kConfigDir / "backtest.json", options);
        ASSERT_TRUE(cr.ok());
        std::atomic<bool> stop{false};
        std::string error;
        ASSERT_TRUE(replay::run_backtest(cr.config, base, stop, error)) << error;
    }
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(base))
        files.push_back(e.path().filename());
    std::sort(files.begin(), files.end());
    std::mt19937_64 rng(0x6b65656c03);
    int damaged = 0;
    constexpr int kCases = 600;
    const fs::path work = dir / "work";
    for (int i = 0; i < kCases; ++i) {
        fs::remove_all(work);
        fs::copy(base, work);
        const fs::path victim = work / files[rng() % files.size()];
        std::string bytes = read_file(victim);
        // Binary damage: flip bits, zero or cut a run, or splice a run from elsewhere.
        for (int k = 0, n = 1 + static_cast<int>(rng() % 3); k < n && !bytes.empty(); ++k) {
            const std::size_t at = rng() % bytes.size();
            switch (rng() % 4) {
                case 0:
                    bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
                    break;
                case 1:
                    std::fill_n(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                                std::min<std::size_t>(1 + rng() % 4096, bytes.size() - at), '\0');
                    break;
                case 2:
                    bytes.resize(at);
                    break;
                default:
                    bytes.insert(at, bytes.substr(rng() % bytes.size(), 1 + rng() % 64));
                    break;
            }
        }
        std::ofstream(victim, std::ios::binary | std::ios::trunc) << bytes;
        const std::optional<std::string> damage = journal::journal_damage(work);
        damaged += damage ? 1 : 0;
        // What verify and the readers see: never a crash; a journal that scans as whole (or
        // torn only) reads whole up to where the scan says it ends.
        replay::JournaledSession session;
        std::string error;
        const bool read = replay::read_session(work, session, error);
        if (!damage && !read) {
            ASSERT_FALSE(error.empty()) << "case " << i;
        }
    }
    EXPECT_GT(damaged, kCases / 2) << "the damage should mostly be found";
    fs::remove_all(dir);
}
