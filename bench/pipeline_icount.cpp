// pipeline_icount: runs the demo session once through the fused pipeline (ingest, strategy,
// risk, gateway and the simulated venue on one thread; no journal) so that callgrind can count
// the instructions the pipeline thread spends per event. Instruction counts, unlike wall time,
// do not move with the load on a shared machine, so CI can hold them to a committed baseline
// (bench/gate.py, bench/baseline/icount.json).
//
// Run it under callgrind as bench/icount.sh does (valgrind --tool=callgrind --instr-atstart=no
// --collect-atstart=no --toggle-collect='*Runner::Agent::start*' pipeline_icount).
// It prints one JSON object to stdout: the events sequenced and the input, which the caller
// divides the collected instruction total by.
//
// With KEEL_BENCH_NOTIFY_TAP=1 in the environment the session carries the notification
// outbox's derived-event tap (engine/pipeline/derived_event_tap.hpp) with a consumer that never
// drains it: the dead-endpoint worst case, its ring full after 64 events and every later fill,
// reject or command dropped and counted. bench/README.md compares the two counts.
//
// Built twice: as pipeline_icount, and as pipeline_icount_slowdown with
// KEEL_BENCH_DELIBERATE_SLOWDOWN, which adds work per event on the pipeline thread so a test
// can show that the instruction-count gate catches a slower hot path.
#include <valgrind/callgrind.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "keel/adapters/notify/notification.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/pipeline/derived_event_tap.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/thread_plan.hpp"
#include "keel/replay/session/session.hpp"

namespace {

// The input named in the baseline file: if it changes, the baseline must be re-recorded.
constexpr const char* kInput = "config/demo.json, backtest fused, no journal";

#ifdef KEEL_BENCH_DELIBERATE_SLOWDOWN
// Runs on the pipeline thread for every event that leaves the gateway (the session's tap):
// a dependent chain the compiler cannot fold away, standing in for a regression on the hot
// path.
class SlowTap final : public keel::engine::Emit {
  public:
    void emit(const keel::engine::Event& e) noexcept override {
        std::uint64_t x = e.header.seq;
        for (int i = 0; i < KEEL_BENCH_DELIBERATE_SLOWDOWN; ++i) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            asm volatile("" : "+r"(x));
        }
        sink_ ^= x;
    }
    std::uint64_t sink_ = 0;
};
#endif

// Callgrind counts nothing before the pipeline starts (data loading, set-up): instrumentation
// is switched on here, once the session is assembled and about to start its thread.
void start_instrumentation() {
    CALLGRIND_START_INSTRUMENTATION;
}

}  // namespace

// Exit status: 0 the session ran, 2 it could not (bad config, missing data).
int main() {
    const std::string path = std::string(KEEL_SOURCE_DIR) + "/config/demo.json";
    const keel::engine::ConfigResult cr = keel::engine::load_config(path, {});
    if (!cr.errors.empty()) {
        std::fprintf(stderr, "pipeline_icount: %s: %s: %s\n", path.c_str(),
                     cr.errors[0].path.c_str(), cr.errors[0].message.c_str());
        return 2;
    }
    std::atomic<bool> stop{false};
    keel::replay::SessionOptions o;
    o.plan = keel::engine::ThreadPlan::fused(keel::engine::kStageCount);
    o.on_running = start_instrumentation;
#ifdef KEEL_BENCH_DELIBERATE_SLOWDOWN
    SlowTap tap;
    o.tap = &tap;
#endif
    std::unique_ptr<keel::engine::DerivedEventTap> notify_tap;
    if (const char* v = std::getenv("KEEL_BENCH_NOTIFY_TAP"); v != nullptr && v[0] == '1') {
        notify_tap = std::make_unique<keel::engine::DerivedEventTap>(
            64, keel::adapters::notify::notify_event_types());
        o.derived_tap = notify_tap.get();
    }
    std::string error;
    const auto report = keel::replay::run_session(cr.config, stop, o, error);
    CALLGRIND_STOP_INSTRUMENTATION;
    if (!report) {
        std::fprintf(stderr, "pipeline_icount: %s\n", error.c_str());
        return 2;
    }
    std::printf("{\"events\": %llu, \"input\": \"%s\"}\n",
                static_cast<unsigned long long>(report->events_sequenced), kInput);
    return 0;
}
