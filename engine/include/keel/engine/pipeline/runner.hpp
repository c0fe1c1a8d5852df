// Runner: runs the pipeline on the threads a ThreadPlan describes. Each thread is an agent
// that owns a contiguous run of stages; within a thread stages call each other directly,
// between threads events cross an SpscRing. A full ring makes the producer wait (counted in
// ring_full_waits); nothing is ever dropped.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "keel/engine/pipeline/ingest.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/stage_metrics.hpp"
#include "keel/engine/pipeline/thread_plan.hpp"
#include "keel/engine/pipeline/venue_channel.hpp"

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
    // replies must be the ring ingest reads (checked), with at least reply_capacity_for()
    // slots, so that the reply path can never fill while ingest waits on a full ring.
    Runner(Ingest& ingest, std::vector<Stage*> downstream, ReplyRing& replies, Emit& sink,
           ThreadPlan plan, std::size_t venue_capacity, std::size_t fills_per_event = 0);
    ~Runner();
    Runner(const Runner&) = delete;
    Runner& operator=(const Runner&) = delete;

    // Starts the threads, pins them, runs until ingest has sent shutdown and every stage has
    // seen it, then joins. Returns an empty string on success, else why it could not run
    // (for example a CPU that does not exist); in that case no stage saw any event.
    [[nodiscard]] std::string run();

    // The most events the plan's rings, unreleased batches and emit buffers can hold at once:
    // how far ingest can be ahead of the last stage (the tail arena is sized by it). A stage
    // emits at most kStageEmitBudget events per input, per account with several accounts
    // (account_stages.hpp), so `accounts` scales the emit buffers' share.
    [[nodiscard]] static std::size_t in_flight_bound(const ThreadPlan& plan,
                                                     std::size_t stage_count,
                                                     std::size_t accounts = 1) noexcept;
    // A bound on the replies that can be waiting for ingest. Ingest reads its source only when
    // the reply ring looked empty, so what can follow is the replies caused by events already
    // in the pipeline (in rings, unreleased batches and emit buffers): at most two per order
    // (ack then fill, or one reject/denial), kMaxOrdersPerEvent orders per event, plus
    // fills_per_event fills per in-flight event (partial fills of resting orders), plus
    // venue_capacity replies the venue can send once per resting order (cancels, expiries,
    // final fills), plus the flush acknowledgement. Rounded up to a power of two. With several
    // accounts (pipeline/account_stages.hpp) each account's risk and gateway answer an event
    // apart, so the per-order term counts once per account (venue_capacity and
    // fills_per_event are then every venue's summed).
    [[nodiscard]] static std::size_t reply_capacity_for(const ThreadPlan& plan,
                                                        std::size_t stage_count,
                                                        std::size_t venue_capacity,
                                                        std::size_t fills_per_event = 0,
                                                        std::size_t accounts = 1) noexcept;
    // The request ring of a venue adapter on its own thread (venue_channel.hpp): room for what
    // the pipeline can hold in flight; a fuller ring makes the gateway wait (counted).
    [[nodiscard]] static std::size_t venue_request_capacity_for(const ThreadPlan& plan,
                                                                std::size_t stage_count,
                                                                std::size_t accounts = 1) noexcept;
    // Its reply queue: what reply_capacity_for bounds, plus the replies the requests waiting
    // in its request ring can cause (an ack and a fill for an order, fills_per_event fills for
    // a market event): every reply that can be outstanding while ingest is blocked on its own
    // output, so the adapter never waits for room there and the cycle ingest -> gateway ->
    // adapter -> ingest cannot close.
    [[nodiscard]] static std::size_t venue_reply_capacity_for(const ThreadPlan& plan,
                                                              std::size_t stage_count,
                                                              std::size_t venue_capacity,
                                                              std::size_t fills_per_event,
                                                              std::size_t accounts = 1) noexcept;
    static constexpr std::size_t kBatch = 64;  // events an agent takes from its ring per cycle

    [[nodiscard]] std::size_t stage_count() const noexcept { return metrics_.size(); }
    [[nodiscard]] std::string_view stage_name(std::size_t i) const noexcept;
    [[nodiscard]] const StageMetrics& metrics(std::size_t i) const noexcept { return *metrics_[i]; }
    [[nodiscard]] const ThreadPlan& plan() const noexcept { return plan_; }
    // Events waiting on stage i's input ring now (0 for a stage that shares its caller's
    // thread: it has no ring). Any thread.
    [[nodiscard]] std::size_t ring_depth(std::size_t stage) const noexcept;
    // Where stages write state queries (the one ingest was given); optional, before run().
    void set_snapshots(SnapshotExchange* snapshots) noexcept { snapshots_ = snapshots; }
    // Called on the last stage's thread after each batch that did work (a threaded venue's
    // wake-up: venue_channel.hpp); optional, before run().
    void set_batch_end(BatchEnd* batch_end) noexcept { batch_end_ = batch_end; }

  private:
    class Agent;

    Ingest& ingest_;
    std::vector<Stage*> stages_;  // index 0 = nullptr (ingest)
    ReplyRing& replies_;
    Emit& sink_;
    ThreadPlan plan_;
    std::vector<std::unique_ptr<StageMetrics>> metrics_;
    std::vector<std::unique_ptr<SpscRing<Event>>> rings_;  // rings_[t] feeds thread t (t >= 1)
    std::vector<std::unique_ptr<Agent>> agents_;
    // 0 = wait, 1 = go, 2 = abort. A member, so threads never outlive what they spin on.
    std::atomic<int> gate_{0};
    SnapshotExchange* snapshots_ = nullptr;
    BatchEnd* batch_end_ = nullptr;
};

}  // namespace keel::engine
