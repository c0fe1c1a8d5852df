// Proves the SPSC ring delivers every item exactly once and in order across two threads
// (10M events through small rings, down to the minimum capacity of 2, so indices wrap millions
// of times), consumed in batches and one at a time. Runs under TSan in CI.
#include <gtest/gtest.h>

#include <thread>

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/idle_strategy.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"

using namespace keel::engine;

namespace {

constexpr std::uint64_t kEvents = 10'000'000;

// The producer writes seq and a checksum of it into the payload; the consumer checks both.
std::uint64_t mix(std::uint64_t v) {
    return v * 0x9E3779B97F4A7C15ull ^ (v >> 7);
}

void stress(std::size_t capacity, std::size_t batch) {
    SpscRing<Event> ring(capacity);
    std::thread producer([&] {
        for (std::uint64_t i = 1; i <= kEvents; ++i) {
            Event e{};
            e.header.seq = i;
            e.payload.control_token = mix(i);
            while (!ring.try_push(e))
                std::this_thread::yield();
        }
    });
    std::uint64_t expected = 1;
    bool ok = true;
    while (expected <= kEvents && ok) {
        const std::size_t n = ring.consume_batch(
            [&](const Event& e) {
                if (e.header.seq != expected || e.payload.control_token != mix(expected))
                    ok = false;
                ++expected;
            },
            batch);
        if (n == 0)
            std::this_thread::yield();
    }
    producer.join();
    ASSERT_TRUE(ok) << "out of order or corrupted at " << expected - 1;
    EXPECT_EQ(expected, kEvents + 1);
    Event leftover;
    EXPECT_FALSE(ring.try_pop(leftover));
    EXPECT_LE(ring.high_water(), capacity);
}

}  // namespace

TEST(SpscRingStress, TenMillionEventsInOrderInBatches) {
    stress(1024, 64);
}
TEST(SpscRingStress, TenMillionEventsInOrderOneAtATime) {
    stress(64, 1);
}
TEST(SpscRingStress, TenMillionEventsInOrderAtMinimumCapacity) {
    stress(2, 64);
}

TEST(SpscRing, ReportsFullAndEmptyAtCapacity) {
    SpscRing<Event> ring(4);
    Event e{};
    for (int i = 0; i < 4; ++i)
        EXPECT_TRUE(ring.try_push(e));
    EXPECT_FALSE(ring.try_push(e));
    EXPECT_EQ(ring.depth(), 4u);
    // A full batch leaves a backlog, which counts in the high water: 3 taken + 1 left.
    EXPECT_EQ(ring.consume_batch([](const Event&) {}, 3), 3u);
    EXPECT_EQ(ring.high_water(), 4u);
    EXPECT_TRUE(ring.try_push(e));
    EXPECT_EQ(ring.depth(), 2u);
    EXPECT_EQ(ring.consume_batch([](const Event&) {}, 10), 2u);
    EXPECT_EQ(ring.consume_batch([](const Event&) {}, 10), 0u);
    EXPECT_EQ(ring.depth(), 0u);
    EXPECT_EQ(ring.high_water(), 4u);
}
