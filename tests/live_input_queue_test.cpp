// LiveInputQueue: producers on many threads, ingest's verdicts reach each producer's ticket,
// durability follows the journal's watermark, and nothing queued is lost or left pending.
#include "keel/adapters/input/live_input_queue.hpp"

#include <gtest/gtest.h>

#include <chrono>
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

std::int64_t wall_now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// live.time "wall": what a producer queues without a time of its own ("now") is stamped with
// the wall clock as it is queued; a time the producer gave (a feed's receipt time) is kept;
// in data time nothing is stamped (ingest gives it the engine time).
TEST(LiveInputQueue, WallClockStampsWhatIsQueuedWithoutATimeAndKeepsAGivenOne) {
    for (const bool wall : {false, true}) {
        LiveInputQueue q(16, 4);
        q.set_wall_clock(wall);
        Event given = alert(2);
        given.header.ts_ns = 1234;
        const std::int64_t before = wall_now_ns();
        ASSERT_TRUE(q.submit(alert(1)));
        const auto t = q.submit_tracked(alert(3), "body");
        ASSERT_TRUE(t);
        const std::int64_t after = wall_now_ns();
        ASSERT_TRUE(q.submit(given));
        for (const std::uint64_t key : {1u, 3u}) {
            Event e{};
            ASSERT_EQ(q.poll(e), InputSource::Poll::event);
            EXPECT_EQ(e.payload.alert.alert_key, key);
            if (wall) {
                EXPECT_GE(e.header.ts_ns, before);
                EXPECT_LE(e.header.ts_ns, after);
            } else {
                EXPECT_EQ(e.header.ts_ns, 0);
            }
            q.sequenced(e);
        }
        Event e{};
        ASSERT_EQ(q.poll(e), InputSource::Poll::event);
        EXPECT_EQ(e.header.ts_ns, 1234);
        q.release(*t);
    }
}

// A short tail (a feed message's exchange time) travels with an untracked event, in the
// queue's own item, and reaches ingest's slot as a tracked event's tail does.
TEST(LiveInputQueue, AnUntrackedEventCarriesItsShortTailToIngest) {
    LiveInputQueue q(16, 4);
    ASSERT_TRUE(q.submit_with_tail(alert(1), "12345678"));
    ASSERT_TRUE(q.submit(alert(2)));
    std::vector<unsigned char> slot(engine::kMaxTailBytes);
    for (const std::string want : {"12345678", ""}) {
        Event e{};
        engine::TailOut tail{slot.data(), engine::kMaxTailBytes, 0};
        ASSERT_EQ(q.poll(e, tail), InputSource::Poll::event);
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(slot.data()), tail.length), want);
        q.sequenced(e);
    }
}

// A port that keeps no short tails refuses an event with one rather than drop its tail.
TEST(InputPort, APortWithoutShortTailsRefusesOneInsteadOfDroppingIt) {
    class Plain final : public InputPort {
      public:
        bool submit(const Event&) noexcept override { return ++submitted, true; }
        std::optional<Ticket> submit_tracked(const Event&, std::string_view) noexcept override {
            return std::nullopt;
        }
        Fate fate(Ticket) const noexcept override { return Fate::refused; }
        std::uint64_t seq(Ticket) const noexcept override { return 0; }
        void release(Ticket) noexcept override {}
        int submitted = 0;
    } port;
    EXPECT_FALSE(port.submit_with_tail(alert(1), "12345678"));
    EXPECT_TRUE(port.submit_with_tail(alert(2), ""));
    EXPECT_EQ(port.submitted, 1);
}

}  // namespace
}  // namespace keel::adapters
