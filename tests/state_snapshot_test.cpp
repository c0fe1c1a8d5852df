// State queries travel the pipeline as a control event: a snapshot taken from another thread
// while a threaded session runs reports the state the stages had at that point in the stream,
// and a session that is not running answers nothing rather than hanging.
#include "keel/engine/pipeline/state_snapshot.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "keel/engine/orders/gateway_stage.hpp"
#include "keel/engine/risk/risk_stage.hpp"
#include "keel/engine/pipeline/runner.hpp"
#include "keel/engine/strategy/strategy_stage.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

// Sends a symbol definition and `trades` trades, then idles until released, then ends.
class GatedSource final : public InputSource {
  public:
    explicit GatedSource(int trades) : trades_(trades) {}
    Poll poll(Event& out) noexcept override {
        if (sent_ == 0) {
            out = make_event(EventType::symbol_def, Source::feed, 0, 0, 0);
            std::memcpy(out.payload.symbol_def.name, "ABC", 4);
            out.payload.symbol_def.tick_size = Price::from_raw(10'000'000);
        } else if (sent_ <= trades_) {
            out = make_event(EventType::trade, Source::feed, 0, 1'000'000'000LL * sent_, 0);
            out.payload.trade.price = Price::from_raw(100'000'000'000LL + sent_);
            out.payload.trade.size = Quantity::from_raw(1'000'000'000);
        } else if (!release.load(std::memory_order_acquire)) {
            return Poll::idle;
        } else {
            return Poll::exhausted;
        }
        ++sent_;
        sequenced_all.store(sent_ > trades_, std::memory_order_release);
        return Poll::event;
    }
    std::atomic<bool> release{false};
    std::atomic<bool> sequenced_all{false};

  private:
    int trades_;
    int sent_ = 0;
};

TEST(StateSnapshot, ATakeWhileAThreadedSessionRunsSeesTheStagesStateInStreamOrder) {
    GatedSource source(10);
    ThreadPlan plan;
    plan.ring_capacity = 64;
    plan.threads.push_back({"in", 0, 0, std::nullopt, IdleKind::yield});
    plan.threads.push_back({"core", 1, 3, std::nullopt, IdleKind::yield});
    ReplyRing replies(Runner::reply_capacity_for(plan, 4, 0));
    std::atomic<bool> stop{false};
    SnapshotExchange snapshots(8, 16);
    Ingest::Options options;
    options.symbol_capacity = 8;
    options.snapshots = &snapshots;
    Ingest ingest(source, replies.ring(), stop, options);
    StrategyStage strategy({}, StrategyStageOptions{8});
    RiskStage risk(RiskLimits{}, RiskStageOptions{8, 16});
    test::RecordingVenue venue;
    GatewayStage gateway(venue, replies, 8, 16, GatewayStage::kMaxHeldChildren,
                         Money::from_raw(5'000'000'000'000));
    NullEmit sink;
    Runner runner(ingest, {&strategy, &risk, &gateway}, replies, sink, plan, 0);
    runner.set_snapshots(&snapshots);
    std::string error;
    std::thread run([&] { error = runner.run(); });

    while (!source.sequenced_all.load(std::memory_order_acquire))
        std::this_thread::yield();
    // Ingest sends the query only after the last input it polled, so the snapshot is at least
    // that far down the stream.
    const std::optional<StateSnapshot> s = snapshots.take(std::chrono::seconds(60));
    source.release.store(true, std::memory_order_release);
    run.join();
    ASSERT_TRUE(error.empty()) << error;
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->token, 1u);
    EXPECT_EQ(s->last_seq, 12u);  // session_start, symbol_def, 10 trades
    EXPECT_EQ(s->positions.size(), 8u);
    EXPECT_EQ(s->open_orders.size(), 0u);
    EXPECT_EQ(s->cash.raw, 5'000'000'000'000);
    EXPECT_EQ(s->equity.raw, 5'000'000'000'000);
    EXPECT_EQ(s->risk_flags, 0);
}

TEST(StateSnapshot, ATakeWithNoPipelineRunningTimesOut) {
    SnapshotExchange snapshots(1, 1);
    EXPECT_FALSE(snapshots.take(std::chrono::milliseconds(1)).has_value());
    EXPECT_EQ(snapshots.requested(), 1u);
}

}  // namespace
