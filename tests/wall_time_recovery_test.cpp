// Proves a live session in wall time restarts and replays on journaled time alone: its clock
// ticks are inputs, timers due by a tick's time fire before it, and a session stopped after some
// ticks and continued with the rest writes the same journal as one that ran through, which
// `keel replay --verify`'s re-derivation reproduces byte for byte.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/replay/replay/replay.hpp"
#include "keel/replay/session/session.hpp"
#include "test_support.hpp"

using namespace keel;

namespace {

namespace fs = std::filesystem;

// A live config (a webhook section makes it one; run_session starts no adapters) with one-minute
// bars on USDCHF: their close timers fire as wall-clock ticks pass the minute.
const char* kConfig = R"({
  "session": {"name": "wall"},
  "symbols": {"USDCHF": {"tick_size": "0.0001"}},
  "webhook": {"port": 0, "secret": "a-long-enough-webhook-secret-0f3c"},
  "strategies": [{"type": "sma_cross", "symbol": "USDCHF", "timeframe": "1m", "fast": 2,
                  "slow": 3, "quantity": "1000"}],
  "risk": {}, "venue": {"type": "sim"},
  "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"],
               "idle": "yield"}]
})";

// 2024-01-08 14:30:05 UTC, and a clock tick every 20 s after it.
constexpr std::int64_t kStart =
    19730LL * 86'400'000'000'000 + (14 * 60 + 30) * 60'000'000'000LL + 5'000'000'000;
constexpr std::int64_t kTick = 20'000'000'000;

std::vector<engine::Event> ticks(int first, int last, bool with_definition) {
    std::vector<engine::Event> out;
    if (with_definition) {
        // What a live session's queue gives first (its prelude): the symbol's definition.
        engine::Event d =
            engine::make_event(engine::EventType::symbol_def, engine::Source::feed, 0, 0, 0);
        std::memcpy(d.payload.symbol_def.name, "USDCHF", 6);
        d.payload.symbol_def.tick_size = engine::Price::from_raw(100'000);
        out.push_back(d);
    }
    for (int k = first; k <= last; ++k)
        out.push_back(engine::make_event(engine::EventType::clock, engine::Source::clock, 0,
                                         kStart + k * kTick, engine::kNoSymbol));
    return out;
}

// One `keel run` of a live session over these inputs, into dir (continuing what it holds).
void run(const engine::Config& config, const fs::path& dir, std::vector<engine::Event> inputs) {
    test::VectorSource source(std::move(inputs));
    std::atomic<bool> stop{false};
    replay::SessionOptions o;
    o.journal_dir = dir;
    o.start_ts_ns = kStart;
    o.wall_time = true;
    o.input = replay::LiveInput{
        [&source](engine::SymbolTable& symbols, std::string&) -> engine::InputSource* {
            (void)symbols.intern("USDCHF");
            return &source;
        }};
    std::string error;
    ASSERT_TRUE(replay::run_session(config, stop, o, error)) << error;
}

std::vector<replay::JournaledRecord> stream(const fs::path& dir, const char* name) {
    std::vector<replay::JournaledRecord> out;
    std::string error;
    EXPECT_TRUE(replay::read_records(dir, name, out, error)) << error;
    return out;
}

}  // namespace

TEST(WallTimeRecovery, ATickingSessionStoppedAndContinuedEqualsOneThatRanThrough) {
    const fs::path base = fs::temp_directory_path() / ("keel_wall_" + std::to_string(::getpid()));
    fs::remove_all(base);
    const engine::ConfigResult cr = engine::parse_config(kConfig, "test", KEEL_SOURCE_DIR, {});
    ASSERT_TRUE(cr.ok()) << cr.errors.front().path << ": " << cr.errors.front().message;

    run(cr.config, base / "through", ticks(1, 12, true));
    run(cr.config, base / "restarted", ticks(1, 5, true));  // stops between two minutes
    run(cr.config, base / "restarted", ticks(6, 12, false));

    const auto input = stream(base / "through", "input");
    ASSERT_FALSE(input.empty());
    EXPECT_EQ(input.front().ts_ns, kStart);  // session_start at the session's wall clock
    std::size_t timers = 0, clocks = 0;
    for (std::size_t i = 1; i < input.size(); ++i) {
        EXPECT_GE(input[i].ts_ns, input[i - 1].ts_ns);
        timers += input[i].type == static_cast<std::uint16_t>(engine::EventType::timer);
        clocks += input[i].type == static_cast<std::uint16_t>(engine::EventType::clock);
    }
    EXPECT_EQ(clocks, 12u);
    EXPECT_EQ(timers, 4u);  // 14:31 .. 14:34 closed by ticks alone
    for (const char* s : {"input", "strategy", "risk", "gateway"}) {
        const auto through = stream(base / "through", s);
        const auto restarted = stream(base / "restarted", s);
        ASSERT_EQ(through.size(), restarted.size()) << s;
        for (std::size_t i = 0; i < through.size(); ++i) {
            EXPECT_EQ(through[i].seq, restarted[i].seq) << s << " record " << i;
            EXPECT_EQ(through[i].type, restarted[i].type) << s << " seq " << through[i].seq;
            EXPECT_EQ(through[i].ts_ns, restarted[i].ts_ns) << s << " seq " << through[i].seq;
            // A live journal draws its own venue id prefix (session_start), nothing else.
            const bool start =
                through[i].type == static_cast<std::uint16_t>(engine::EventType::session_start);
            EXPECT_TRUE(start || through[i].bytes == restarted[i].bytes)
                << s << " seq " << through[i].seq;
        }
    }

    replay::ReplayOptions verify;
    verify.verify = true;
    const replay::ReplayOutcome verified = replay::rerun_journal(base / "restarted", verify);
    EXPECT_TRUE(verified.error.empty()) << verified.error;
    EXPECT_FALSE(verified.divergence.has_value());
    fs::remove_all(base);
}
