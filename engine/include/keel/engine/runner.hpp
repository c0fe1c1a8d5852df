// Runner: runs the pipeline on the threads a ThreadPlan describes. Each thread is an agent
// that owns a contiguous run of stages; within a thread stages call each other directly,
// between threads events cross an SpscRing. A full ring makes the producer wait (counted in
// ring_full_waits); nothing is ever dropped.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "keel/engine/ingest.hpp"
#include "keel/engine/spsc_ring.hpp"
#include "keel/engine/stage.hpp"
#include "keel/engine/stage_metrics.hpp"
#include "keel/engine/thread_plan.hpp"

namespace keel::engine {

// Where the last stage's output goes (the journal, a test recorder, or nowhere). It runs on
// the last stage's hot thread: it must not allocate.
class NullEmit final : public Emit {
public:
    void emit(const Event&) noexcept override {}
};

// The reply path back to ingest, used on the last stage's thread by the venue (replies), the
// gateway (risk denials) and the runner (flush acknowledgements). Waits when the ring is full.
class ReplyRing final : public ReplySink {
public:
    explicit ReplyRing(std::size_t capacity) : ring_(capacity) {}
    void post(const Event& event) noexcept override;
    [[nodiscard]] SpscRing<Event>& ring() noexcept { return ring_; }
    [[nodiscard]] std::uint64_t full_waits() const noexcept { return full_waits_.get(); }

private:
    SpscRing<Event> ring_;
    Counter full_waits_;
};

class Runner {
public:
    // stages[0] is unused (ingest has its own slot); stages[i] for i >= 1 are the downstream
    // stages in pipeline order. names has one entry per stage including ingest.
    Runner(Ingest& ingest, std::vector<Stage*> downstream, ReplySink& replies, Emit& sink,
           ThreadPlan plan);
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // Starts the threads, pins them, runs until ingest has sent shutdown and every stage has
    // seen it, then joins. Returns an empty string on success, else why it could not run
    // (for example a CPU that does not exist); in that case no stage saw any event.
    [[nodiscard]] std::string run();

    [[nodiscard]] std::size_t stage_count() const noexcept { return metrics_.size(); }
    [[nodiscard]] std::string_view stage_name(std::size_t i) const noexcept;
    [[nodiscard]] const StageMetrics& metrics(std::size_t i) const noexcept { return *metrics_[i]; }
    [[nodiscard]] const ThreadPlan& plan() const noexcept { return plan_; }

private:
    class Agent;

    Ingest& ingest_;
    std::vector<Stage*> stages_;  // index 0 = nullptr (ingest)
    ReplySink& replies_;
    Emit& sink_;
    ThreadPlan plan_;
    std::vector<std::unique_ptr<StageMetrics>> metrics_;
    std::vector<std::unique_ptr<SpscRing<Event>>> rings_;  // rings_[t] feeds thread t (t >= 1)
    std::vector<std::unique_ptr<Agent>> agents_;
};

}  // namespace keel::engine
