// Proves the e2e latency harness over the real threaded pipeline (config/bench.json: ingest on
// one thread, strategy+risk+gateway on another, journal on): every generated event causes
// exactly one order that reaches the venue and is filled (so the inputs are exactly the
// preamble, and alert, quote, ack and fill per event), every event is marked at every stage,
// open loop and saturated, and the temp journal is removed afterwards. Runs under TSan: the
// marks cross threads only through the rings.
#include <gtest/gtest.h>

#include <filesystem>

#include "keel/engine/config/config.hpp"
#include "keel/replay/ops/latency_harness.hpp"

using namespace keel;
using namespace keel::replay;

namespace {

engine::Config bench_config() {
    engine::ConfigResult r =
        engine::load_config(std::string(KEEL_SOURCE_DIR) + "/config/bench.json", {});
    KEEL_ASSERT(r.ok(), "config/bench.json must be valid");
    return r.config;
}

void expect_every_event_measured(const E2eResult& r, std::uint64_t events) {
    EXPECT_EQ(r.latency.complete, events);
    EXPECT_EQ(r.latency.end_to_end.count, events);
    for (std::size_t h = 0; h < kHops; ++h)
        EXPECT_EQ(r.latency.hops[h].count, events) << kHopNames[h];
    // session_start, symbol_def and the first quote; then alert, quote, ack and fill per event.
    EXPECT_EQ(r.inputs_sequenced, 3 + 4 * events);
    EXPECT_GT(r.latency.end_to_end.max, 0u);
    EXPECT_LE(r.latency.end_to_end.p50, r.latency.end_to_end.max);
    EXPECT_GT(r.latency.achieved_eps(), 0.0);
    EXPECT_EQ(r.thread_plan.size(), 2u);
    EXPECT_EQ(r.durability, "os");
    EXPECT_TRUE(r.journal_error.empty()) << r.journal_error;
}

}  // namespace

TEST(LatencyHarness, OpenLoopMeasuresEveryEventOnTheThreadedPipeline) {
    const engine::Config config = bench_config();
    E2eOptions o;
    o.events = 2'000;
    o.rate_eps = 100'000;
    std::atomic<bool> stop{false};
    std::string error;
    const auto r = run_e2e_bench(config, o, stop, error);
    ASSERT_TRUE(r) << error;
    expect_every_event_measured(*r, o.events);
    EXPECT_FALSE(r->saturate);
    EXPECT_EQ(r->rate_eps, 100'000u);
    EXPECT_FALSE(r->journal_kept);
    EXPECT_FALSE(std::filesystem::exists(r->journal_dir)) << r->journal_dir;
}

TEST(LatencyHarness, SaturatedRunKeepsAGivenJournal) {
    const engine::Config config = bench_config();
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() /
        ("keel-e2e-sat-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    std::filesystem::remove_all(dir);
    E2eOptions o;
    o.events = 3'000;
    o.saturate = true;
    o.journal_dir = dir;
    std::atomic<bool> stop{false};
    std::string error;
    const auto r = run_e2e_bench(config, o, stop, error);
    ASSERT_TRUE(r) << error;
    expect_every_event_measured(*r, o.events);
    EXPECT_TRUE(r->saturate);
    EXPECT_EQ(r->rate_eps, 0u);
    EXPECT_TRUE(r->journal_kept);
    EXPECT_TRUE(std::filesystem::exists(dir / "input.000000.seg"));
    // A second run refuses the journal it would otherwise continue.
    EXPECT_FALSE(run_e2e_bench(config, o, stop, error));
    EXPECT_NE(error.find("not empty"), std::string::npos) << error;
    std::filesystem::remove_all(dir);
}

TEST(LatencyHarness, RefusesAConfigWithoutAnAlertFollower) {
    engine::ConfigResult r =
        engine::load_config(std::string(KEEL_SOURCE_DIR) + "/config/demo.json", {});
    ASSERT_TRUE(r.ok());
    E2eOptions o;
    o.events = 10;
    std::atomic<bool> stop{false};
    std::string error;
    EXPECT_FALSE(run_e2e_bench(r.config, o, stop, error));
    EXPECT_NE(error.find("alert_follower"), std::string::npos) << error;
}
