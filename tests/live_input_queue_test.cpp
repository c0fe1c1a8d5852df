// LiveInputQueue: producers on many threads, ingest's verdicts reach each producer's ticket,
// durability follows the journal's watermark, and nothing queued is lost or left pending.
#include "keel/adapters/input/live_input_queue.hpp"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace keel::adapters {
namespace {

using engine::Event;
using engine::EventType;
using engine::InputSource;
using engine::Source;

Event alert(std::uint64_t key) {
    Event e = engine::make_event(EventType::alert, Source::webhook, 0, 0, 0);
    e.payload.alert.alert_key = key;
    return e;
}

TEST(LiveInputQueue, TicketBecomesDurableOnlyWhenTheWatermarkPassesItsSequence) {
    LiveInputQueue q(16, 4);
    std::atomic<std::uint64_t> durable{0};
    q.set_durable_watermark(&durable);
    const auto t = q.submit_tracked(alert(7));
    ASSERT_TRUE(t);
    EXPECT_EQ(q.fate(*t), InputPort::Fate::pending);
    Event e{};
    ASSERT_EQ(q.poll(e), InputSource::Poll::event);
    EXPECT_EQ(e.payload.alert.alert_key, 7u);
    e.header.seq = 42;
    q.sequenced(e);
    EXPECT_EQ(q.fate(*t), InputPort::Fate::pending);  // journaled, not yet durable
    EXPECT_EQ(q.seq(*t), 42u);
    durable.store(41);
    EXPECT_EQ(q.fate(*t), InputPort::Fate::pending);
    durable.store(42);
    EXPECT_EQ(q.fate(*t), InputPort::Fate::durable);
    q.release(*t);
}

TEST(LiveInputQueue, ThePreludeComesBeforeAnythingQueued) {
    LiveInputQueue q(16, 4);
    ASSERT_TRUE(q.submit(alert(9)));
    q.set_prelude({alert(1), alert(2)});
    Event e{};
    for (std::uint64_t want : {1u, 2u, 9u}) {
        ASSERT_EQ(q.poll(e), InputSource::Poll::event);
        EXPECT_EQ(e.payload.alert.alert_key, want);
        q.sequenced(e);
    }
    EXPECT_EQ(q.poll(e), InputSource::Poll::idle);
}

TEST(LiveInputQueue, RefusedByIngestIsRefusedToTheProducer) {
    LiveInputQueue q(16, 4);
    const auto t = q.submit_tracked(alert(1));
    Event e{};
    ASSERT_EQ(q.poll(e), InputSource::Poll::event);
    q.refused(e);
    EXPECT_EQ(q.fate(*t), InputPort::Fate::refused);
    EXPECT_EQ(q.seq(*t), 0u);
    q.release(*t);
}

TEST(LiveInputQueue, FullTicketPoolRefusesAtOnceAndReleaseFreesASlot) {
    LiveInputQueue q(16, 2);
    const auto a = q.submit_tracked(alert(1));
    const auto b = q.submit_tracked(alert(2));
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(q.submit_tracked(alert(3)));
    EXPECT_EQ(q.refused_full(), 1u);
    // b's producer gives up while b is still queued: ingest still answers it, then it is free.
    q.release(*b);
    EXPECT_FALSE(q.submit_tracked(alert(4)));
    Event e{};
    ASSERT_EQ(q.poll(e), InputSource::Poll::event);
    e.header.seq = 1;
    q.sequenced(e);
    ASSERT_EQ(q.poll(e), InputSource::Poll::event);
    e.header.seq = 2;
    q.sequenced(e);
    EXPECT_TRUE(q.submit_tracked(alert(5)));
}

TEST(LiveInputQueue, FullQueueRefusesUntrackedEvents) {
    LiveInputQueue q(2, 2);
    EXPECT_TRUE(q.submit(alert(1)));
    EXPECT_TRUE(q.submit(alert(2)));
    EXPECT_FALSE(q.submit(alert(3)));
    EXPECT_EQ(q.submitted(), 2u);
}

TEST(LiveInputQueue, AbandonRefusesEverythingStillQueuedAndCloses) {
    LiveInputQueue q(16, 4);
    const auto t = q.submit_tracked(alert(1));
    q.abandon();
    EXPECT_EQ(q.fate(*t), InputPort::Fate::refused);
    EXPECT_FALSE(q.submit(alert(2)));
    Event e{};
    EXPECT_EQ(q.poll(e), InputSource::Poll::exhausted);
}

TEST(LiveInputQueue, ManyProducersOneConsumerLoseNothingAndEachTailArrivesWithItsEvent) {
    constexpr int kProducers = 4;
    constexpr std::uint64_t kEach = 2000;
    LiveInputQueue q(1 << 14, 64);
    std::vector<std::thread> producers;
    std::atomic<std::uint64_t> durable_answers{0};
    for (int p = 0; p < kProducers; ++p) {
        producers.emplace_back([&, p] {
            for (std::uint64_t i = 0; i < kEach; ++i) {
                const std::uint64_t key = static_cast<std::uint64_t>(p) * kEach + i + 1;
                std::optional<InputPort::Ticket> t;
                const std::string tail = "body of " + std::to_string(key);
                while (!(t = q.submit_tracked(alert(key), tail)))
                    std::this_thread::yield();
                InputPort::Fate f;
                while ((f = q.fate(*t)) == InputPort::Fate::pending)
                    std::this_thread::yield();
                if (f == InputPort::Fate::durable && q.seq(*t) > 0)
                    durable_answers.fetch_add(1);
                q.release(*t);
            }
        });
    }
    std::vector<bool> seen(kProducers * kEach + 1, false);
    std::uint64_t seq = 0;
    std::vector<unsigned char> slot(engine::kMaxTailBytes);
    while (seq < kProducers * kEach) {
        Event e{};
        engine::TailOut tail{slot.data(), engine::kMaxTailBytes, 0};
        if (q.poll(e, tail) != InputSource::Poll::event) {
            std::this_thread::yield();
            continue;
        }
        ASSERT_EQ(std::string(reinterpret_cast<const char*>(slot.data()), tail.length),
                  "body of " + std::to_string(e.payload.alert.alert_key));
        ASSERT_FALSE(seen[e.payload.alert.alert_key]);
        seen[e.payload.alert.alert_key] = true;
        e.header.seq = ++seq;
        q.sequenced(e);
    }
    for (auto& t : producers)
        t.join();
    EXPECT_EQ(durable_answers.load(), kProducers * kEach);
}

}  // namespace
}  // namespace keel::adapters
