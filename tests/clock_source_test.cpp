// ClockSource (live.time "wall"): its thread queues clock ticks stamped with the wall clock when
// nothing else arrives, and skips a tick when another input was queued since the last one, so a
// busy session adds no ticks to its journal.
#include "keel/adapters/input/clock_source.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace keel::adapters {
namespace {

using engine::Event;
using engine::EventType;
using engine::InputSource;

std::int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// Polls q until cond holds, handing what it takes to seen; fails past the deadline.
template <typename Cond, typename Seen>
bool drain_until(LiveInputQueue& q, Cond cond, Seen seen) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!cond()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        Event e{};
        if (q.poll(e) == InputSource::Poll::event) {
            seen(e);
            q.sequenced(e);
        } else {
            std::this_thread::yield();
        }
    }
    return true;
}

TEST(ClockSource, AQuietQueueGetsWallClockTicks) {
    LiveInputQueue q(1024, 4);
    q.set_wall_clock(true);
    ClockSource clock(q, std::chrono::milliseconds(1));
    const std::int64_t before = wall_now_ns();
    clock.start();
    int ticks = 0;
    std::int64_t last_ts = 0;
    ASSERT_TRUE(drain_until(
        q, [&] { return ticks >= 3; },
        [&](const Event& e) {
            EXPECT_EQ(e.header.type, EventType::clock);
            EXPECT_EQ(e.header.source, engine::Source::clock);
            EXPECT_GE(e.header.ts_ns, before);
            EXPECT_LE(e.header.ts_ns, wall_now_ns());
            EXPECT_GE(e.header.ts_ns, last_ts);  // one producer: its stamps in order
            last_ts = e.header.ts_ns;
            ++ticks;
        }));
    clock.stop();
    EXPECT_GE(clock.ticks(), 3u);
}

TEST(ClockSource, SkipsATickWhenAnotherInputCameSinceTheLast) {
    LiveInputQueue q(1 << 12, 4);
    q.set_wall_clock(true);
    ClockSource clock(q, std::chrono::milliseconds(1));
    clock.start();
    // Another producer (this thread) queues without pause: every tick finds an input since the
    // last, until the clock has skipped a few.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::uint64_t ticks_seen = 0;
    while (clock.skipped() < 3 && std::chrono::steady_clock::now() < deadline) {
        (void)q.submit(engine::make_event(EventType::alert, engine::Source::webhook, 0, 0, 0));
        Event e{};
        while (q.poll(e) == InputSource::Poll::event) {
            ticks_seen += e.header.type == EventType::clock ? 1 : 0;
            q.sequenced(e);
        }
    }
    EXPECT_GE(clock.skipped(), 3u);
    // Quiet again: ticks resume.
    const std::uint64_t ticked = clock.ticks();
    EXPECT_TRUE(drain_until(
        q, [&] { return clock.ticks() > ticked + 1; }, [](const Event&) {}));
    clock.stop();
    EXPECT_LE(ticks_seen, clock.ticks());
}

TEST(ClockSource, StopsPromptlyAndTwice) {
    LiveInputQueue q(16, 4);
    ClockSource clock(q, std::chrono::milliseconds(60'000));
    clock.start();
    clock.stop();  // does not wait out the minute
    clock.stop();
    EXPECT_EQ(clock.ticks(), 0u);
}

}  // namespace
}  // namespace keel::adapters
