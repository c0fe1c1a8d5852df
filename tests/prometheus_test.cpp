// render_prometheus: a populated MetricsSnapshot is valid text exposition 0.0.4 that
// `promtool check metrics` accepts without a lint problem; histograms are cumulative at their
// bounds; values are exact decimals; label values are escaped.
#include "keel/adapters/control/prometheus.hpp"

#include <gtest/gtest.h>
#include <unistd.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

namespace keel::adapters::control {
namespace {

struct PromtoolRun {
    int exit_code = -1;
    std::string output;
};

bool have_promtool() {
    return std::system("command -v promtool >/dev/null 2>&1") == 0;
}

// Feeds text to `promtool check metrics` on stdin; its exit code and everything it printed.
PromtoolRun promtool_check(const std::string& text) {
    // One file per process: ctest runs these tests in parallel processes.
    const std::string path =
        ::testing::TempDir() + "keel_metrics_" + std::to_string(::getpid()) + ".txt";
    {
        std::ofstream f(path, std::ios::binary);
        f << text;
    }
    PromtoolRun run;
    FILE* p = ::popen(("promtool check metrics < '" + path + "' 2>&1").c_str(), "r");
    if (p == nullptr)
        return run;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0)
        run.output.append(buf.data(), n);
    const int status = ::pclose(p);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
}

MetricsSnapshot populated() {
    MetricsSnapshot m;
    engine::LatencyHistogram h;
    for (std::uint64_t v : {80u, 300u, 1'200u, 1'300u, 40'000u, 7'000'000u, 90'000'000u})
        h.record(v);
    for (const char* stage : {"ingest", "strategy", "risk", "gateway"}) {
        StageSnapshot s;
        s.stage = stage;
        s.events_in = 1000;
        s.events_out = 1200;
        s.ring_full_waits = 3;
        s.ring_depth = 5;
        s.ring_high_water = 64;
        s.service = snapshot_histogram(h);
        m.stages.push_back(s);
    }
    m.last_seq = 123456;
    m.input_queue_depth = 2;
    m.input_queue_refused = 1;
    m.journal_bytes = 1 << 20;
    m.journal_records = 5000;
    m.journal_durable_records = 4990;
    m.risk_rejects = {{"max_order_qty", 4}, {"kill_switch", 1}};
    m.alerts = {{"accepted", 10}, {"duplicate", 2}, {"bad_signature", 1}};
    m.webhook_requests = {{"ok", 10}, {"bad_secret", 3}};
    m.feed_connected = true;
    m.feed_messages = 99999;
    m.feed_bad_messages = 7;
    m.feed_reconnects = 1;
    m.feed_stale_symbols = 0;
    m.realized = engine::Money::from_raw(-12'500'000'000);
    m.unrealized = engine::Money::from_raw(3'000'000'001);
    m.equity = engine::Money::from_raw(99'990'500'000'001);
    m.gross_exposure = engine::Money::from_units(54'000);
    m.net_exposure = engine::Money::from_units(-2'000);
    m.api_requests = {{"status", "ok", 3}, {"kill", "unauthorized", 1}};
    m.api_audits_dropped = 0;
    m.venue_threaded = true;
    m.venue_requests = 5000;
    m.venue_unhandled = 2;
    m.venue_wakes = 17;
    m.venue_request_full_waits = 1;
    m.venue_reply_full_waits = 0;
    m.venue_awaiting = 3;
    m.fix = true;
    m.fix_sent = 40;
    m.fix_reports = 55;
    m.fix_duplicates = 2;
    m.fix_malformed = 1;
    m.fix_unknown_order = 1;
    m.fix_stale_gap_filled = 3;
    m.fix_logons = 2;
    m.fix_disconnects = 1;
    m.fix_status_requests = 4;
    m.fix_resolved = 4;
    m.fix_foreign_orders = 1;
    m.fix_sequence_gaps = 2;
    m.fix_session_rejects = 3;
    return m;
}

TEST(Prometheus, PopulatedSnapshotPassesPromtoolCheckMetrics) {
    if (!have_promtool())
        GTEST_SKIP() << "promtool is not installed (scripts/deps.sh installs package prometheus)";
    const PromtoolRun run = promtool_check(render_prometheus(populated()));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.output, "") << "promtool reported problems";
}

TEST(Prometheus, AThreadedVenuesSeamIsCountedAndOnlyWhenThereIsOne) {
    const std::string text = render_prometheus(populated());
    for (const char* line :
         {"keel_venue_requests_total 5000\n", "keel_venue_requests_unhandled 2\n",
          "keel_venue_wakes_total 17\n", "keel_venue_request_full_waits_total 1\n",
          "keel_venue_reply_full_waits_total 0\n", "keel_venue_awaiting 3\n"})
        EXPECT_NE(text.find(line), std::string::npos) << line;
    EXPECT_EQ(render_prometheus(MetricsSnapshot{}).find("keel_venue_"), std::string::npos);
}

TEST(Prometheus, AFixSessionsCountersAreExposedAndOnlyWhenThereIsOne) {
    const std::string text = render_prometheus(populated());
    for (const char* line :
         {"keel_fix_messages_sent_total 40\n", "keel_fix_reports_total 55\n",
          "keel_fix_duplicate_reports_total 2\n", "keel_fix_malformed_reports_total 1\n",
          "keel_fix_unknown_order_reports_total 1\n", "keel_fix_stale_resends_total 3\n",
          "keel_fix_logons_total 2\n", "keel_fix_disconnects_total 1\n",
          "keel_fix_status_requests_total 4\n", "keel_fix_resolved_orders_total 4\n",
          "keel_fix_foreign_orders_total 1\n", "keel_fix_sequence_gaps_total 2\n",
          "keel_fix_session_rejects_total 3\n",
          "keel_fix_refused_offline_total 0\n", "keel_fix_resends_total 0\n"})
        EXPECT_NE(text.find(line), std::string::npos) << line;
    EXPECT_EQ(render_prometheus(MetricsSnapshot{}).find("keel_fix_"), std::string::npos);
}

TEST(Prometheus, EmptySnapshotPassesPromtoolCheckMetrics) {
    if (!have_promtool())
        GTEST_SKIP() << "promtool is not installed (scripts/deps.sh installs package prometheus)";
    const PromtoolRun run = promtool_check(render_prometheus(MetricsSnapshot{}));
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_EQ(run.output, "");
}

// The check above can fail: promtool flags a counter without _total and a malformed sample.
TEST(Prometheus, PromtoolRejectsABrokenExposition) {
    if (!have_promtool())
        GTEST_SKIP() << "promtool is not installed (scripts/deps.sh installs package prometheus)";
    EXPECT_NE(promtool_check("# HELP keel_x Things.\n# TYPE keel_x counter\nkeel_x 1\n").exit_code,
              0);
    EXPECT_NE(promtool_check("keel_y{stage=\"a} 1\n").exit_code, 0);
}

TEST(Prometheus, EveryFamilyHasHelpAndTypeAndTheKeelPrefix) {
    const std::string text = render_prometheus(populated());
    std::size_t families = 0;
    std::size_t pos = 0;
    while ((pos = text.find("# TYPE ", pos)) != std::string::npos) {
        const std::size_t end = text.find(' ', pos + 7);
        const std::string name = text.substr(pos + 7, end - pos - 7);
        EXPECT_EQ(name.rfind("keel_", 0), 0u) << name;
        EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
        ++families;
        pos = end;
    }
    EXPECT_GE(families, 25u);
}

TEST(Prometheus, HistogramIsCumulativeAtItsBoundsInSeconds) {
    engine::LatencyHistogram h;
    for (std::uint64_t v : {50u, 100u, 101u, 400u, 1'000u, 20'000'000u})
        h.record(v);
    const HistogramSnapshot s = snapshot_histogram(h, {100, 500, 1'000, 10'000'000});
    ASSERT_EQ(s.buckets.size(), 4u);
    EXPECT_EQ(s.buckets[0].cumulative, 2u);  // 50, 100
    EXPECT_EQ(s.buckets[1].cumulative, 4u);  // + 101, 400
    EXPECT_EQ(s.buckets[2].cumulative, 5u);  // + 1000
    EXPECT_EQ(s.buckets[3].cumulative, 5u);  // 20 ms is only in +Inf
    EXPECT_EQ(s.count, 6u);
    // Exact below 512 ns; the 1000 ns and 20 ms values are bucket midpoints within 1/256.
    const double sum = static_cast<double>(s.sum_ns);
    EXPECT_NEAR(sum, 50 + 100 + 101 + 400 + 1'000 + 20'000'000, 20'001'651 / 256.0);

    MetricsSnapshot m;
    StageSnapshot st;
    st.stage = "risk";
    st.service = s;
    m.stages.push_back(st);
    const std::string text = render_prometheus(m);
    EXPECT_NE(text.find("keel_stage_service_seconds_bucket{stage=\"risk\",le=\"0.0000001\"} 2\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("keel_stage_service_seconds_bucket{stage=\"risk\",le=\"0.01\"} 5\n"),
              std::string::npos);
    EXPECT_NE(text.find("keel_stage_service_seconds_bucket{stage=\"risk\",le=\"+Inf\"} 6\n"),
              std::string::npos);
    EXPECT_NE(text.find("keel_stage_service_seconds_count{stage=\"risk\"} 6\n"), std::string::npos);
}

TEST(Prometheus, MoneyIsAnExactDecimalAndLagIsAppendedMinusDurable) {
    const std::string text = render_prometheus(populated());
    EXPECT_NE(text.find("\nkeel_pnl_realized -12.5\n"), std::string::npos);
    EXPECT_NE(text.find("\nkeel_pnl_unrealized 3.000000001\n"), std::string::npos);
    EXPECT_NE(text.find("\nkeel_equity 99990.500000001\n"), std::string::npos);
    EXPECT_NE(text.find("\nkeel_exposure_net -2000\n"), std::string::npos);
    EXPECT_NE(text.find("\nkeel_journal_durable_lag_records 10\n"), std::string::npos);
    EXPECT_NE(text.find("\nkeel_risk_rejects_total{reason=\"max_order_qty\"} 4\n"),
              std::string::npos);
    EXPECT_NE(text.find("\nkeel_stage_ring_high_water{stage=\"gateway\"} 64\n"), std::string::npos);
}

TEST(Prometheus, LabelValuesAreEscaped) {
    MetricsSnapshot m;
    m.alerts = {{"a\"b\\c\nd", 1}};
    const std::string text = render_prometheus(m);
    EXPECT_NE(text.find("keel_alerts_total{verdict=\"a\\\"b\\\\c\\nd\"} 1\n"), std::string::npos)
        << text;
    if (have_promtool()) {
        const PromtoolRun run = promtool_check(text);
        EXPECT_EQ(run.exit_code, 0) << run.output;
    }
}

}  // namespace
}  // namespace keel::adapters::control
