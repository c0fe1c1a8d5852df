// replay_bench: how fast a backtest runs and a journal re-runs (replay, and replay --verify's
// re-derivation), in events per second with a real strategy, beside the floor: scanning the
// same journal's input stream (reading and checking every record, nothing else), in one run.
//
// The session is the demo's data (USD/CHF half-hourly trades aggregated into 30-minute bars,
// MSFT daily bars, sma_cross on both: 159,755 events with the timers), always fused.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "bench_support.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/journal/reader.hpp"
#include "keel/replay/replay/replay.hpp"
#include "keel/replay/session/session.hpp"

namespace {

namespace fs = std::filesystem;
using keel::bench::CollectingReporter;
using keel::bench::Goal;
using keel::bench::kNotGated;
using keel::bench::RatioRow;

fs::path scratch(const std::string& name) {
    const fs::path p =
        fs::temp_directory_path() / ("keel_replay_bench_" + std::to_string(::getpid())) / name;
    fs::remove_all(p);
    fs::create_directories(p.parent_path());
    return p;
}

keel::engine::Config demo_config() {
    keel::engine::ConfigResult r =
        keel::engine::load_config(std::string(KEEL_SOURCE_DIR) + "/config/demo.json", {});
    return r.config;
}

// One journal of the demo, written once (fused), that replay and the scan read.
const fs::path& demo_journal() {
    static const fs::path dir = [] {
        const fs::path d = scratch("demo");
        std::atomic<bool> stop{false};
        keel::replay::SessionOptions o;
        o.plan = keel::engine::ThreadPlan::fused(keel::engine::kStageCount);
        o.journal_dir = d;
        std::string error;
        if (!keel::replay::run_session(demo_config(), stop, o, error))
            std::abort();
        return d;
    }();
    return dir;
}

// Events in the demo session (every benchmark handles all of them per iteration).
std::uint64_t g_events = 0;

void report(benchmark::State& state, std::uint64_t events) {
    state.counters["events_per_s"] =
        benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
    state.SetItemsProcessed(static_cast<std::int64_t>(events));
}

// A backtest: CSV files in, the four stages fused, a journal written (durability os).
void bm_backtest(benchmark::State& state) {
    const keel::engine::Config config = demo_config();
    std::uint64_t events = 0;
    int run = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const fs::path dir = scratch("backtest_" + std::to_string(run++));
        state.ResumeTiming();
        std::atomic<bool> stop{false};
        keel::replay::SessionOptions o;
        o.plan = keel::engine::ThreadPlan::fused(keel::engine::kStageCount);
        o.journal_dir = dir;
        std::string error;
        const auto r = keel::replay::run_session(config, stop, o, error);
        if (!r) {
            state.SkipWithError(error.c_str());
            return;
        }
        events += r->events_sequenced;
        g_events = r->events_sequenced;
        state.PauseTiming();
        fs::remove_all(dir);
        state.ResumeTiming();
    }
    report(state, events);
}

// Replay: the journaled inputs (already in memory) through the fused stages, no journal.
void bm_replay(benchmark::State& state) {
    keel::replay::JournaledSession session;
    std::string error;
    if (!keel::replay::read_session(demo_journal(), session, error)) {
        state.SkipWithError(error.c_str());
        return;
    }
    const keel::engine::ConfigResult cr = keel::replay::journaled_config(session.config_text);
    std::uint64_t events = 0;
    for (auto _ : state) {
        std::atomic<bool> stop{false};
        keel::replay::SessionOptions o;
        o.plan = keel::engine::ThreadPlan::fused(keel::engine::kStageCount);
        o.input = keel::replay::RerunInput{&session.inputs};
        const auto r = keel::replay::run_session(cr.config, stop, o, error);
        if (!r) {
            state.SkipWithError(error.c_str());
            return;
        }
        events += r->events_sequenced;
        g_events = r->events_sequenced;
    }
    report(state, events);
}

// The floor: scanning the demo journal's input stream (every record read and CRC-checked).
void bm_scan_floor(benchmark::State& state) {
    std::uint64_t events = 0;
    for (auto _ : state) {
        keel::journal::StreamScan scan;
        if (!keel::journal::scan_stream(demo_journal(), "input", scan, {}).ok() || scan.issue) {
            state.SkipWithError("scan failed");
            return;
        }
        events += scan.records;
        g_events = scan.records;
    }
    report(state, events);
}

constexpr const char* kBacktest = "session/backtest_demo_journal_on";
constexpr const char* kReplay = "session/replay_demo_no_journal";
constexpr const char* kScan = "session/scan_demo_input_floor";

}  // namespace

// Exit status: 0 ran (targets missed or not), 1 a benchmark failed, 2 bad command line.
int main(int argc, char** argv) {
    const bool console = keel::bench::stdout_is_console(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 2;
    benchmark::RegisterBenchmark(kBacktest, bm_backtest)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(kReplay, bm_replay)->UseRealTime()->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(kScan, bm_scan_floor)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
    CollectingReporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    if (!reporter.empty()) {
        // Every iteration handles the whole session: events / seconds per iteration.
        const double events = static_cast<double>(g_events);
        const auto rate = [&](const char* name) {
            const double s = reporter.seconds_per_iteration(name);
            return s > 0 ? events / s / 1e6 : -1.0;
        };
        const std::vector<RatioRow> rows = {
            {"replay, million events/s", rate(kReplay), Goal::at_least, 10.0, kNotGated},
            {"backtest (journal on), million ev/s", rate(kBacktest), Goal::none, 0, kNotGated},
            {"scan floor, million records/s", rate(kScan), Goal::none, 0, kNotGated},
            {"replay / scan floor", keel::bench::rate_ratio(reporter, kReplay, kScan),
             Goal::at_least, 0.18, 0.10},
        };
        keel::bench::print_ratio_table(reporter, rows, console ? stdout : stderr, {});
    }
    fs::remove_all(fs::temp_directory_path() / ("keel_replay_bench_" + std::to_string(::getpid())));
    return reporter.errors() > 0 ? 1 : 0;
}
