// Proves the asynchronous venue seam (engine/pipeline/venue_channel.hpp) across real threads:
// requests reach the adapter in order; replies reach ingest in order with their tails intact
// while the tail ring wraps many times; a parked adapter is woken at most once per batch and a
// spinning one never; settled and in-doubt count what the adapter has handled and still owes;
// and, through the whole session, a threaded simulator gives the synchronous one's journal.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "keel/engine/pipeline/venue_channel.hpp"
#include "keel/replay/session/backtest.hpp"
#include "keel/replay/assembly/journal_read.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

Event request(std::uint64_t n) {
    Event e = make_event(EventType::order_sent, Source::gateway, n, 0, 0);
    e.payload.order.order_id = n;
    return e;
}

// A reply's tail for request n: n's digits repeated, 0 to kMaxTailBytes bytes long.
std::string tail_for(std::uint64_t n) {
    const std::size_t length = (n * 7919) % (kMaxTailBytes + 1);
    const std::string digits = std::to_string(n) + ",";
    std::string t;
    while (t.size() < length)
        t += digits;
    t.resize(length);
    return t;
}

// The adapter: answers every request with one reply carrying tail_for(its id), until stopped.
class EchoAdapter {
  public:
    EchoAdapter(VenueChannel& channel, bool park)
        : channel_(channel), thread_([this, park] { run(park); }) {}
    ~EchoAdapter() {
        stop_.store(true);
        channel_.wake();
        thread_.join();
    }
    [[nodiscard]] std::uint64_t out_of_order() const { return out_of_order_.load(); }

  private:
    void run(bool park) {
        std::uint64_t expected = 1;
        while (!stop_.load()) {
            const std::size_t n = channel_.take_requests(
                [&](const Event& e) {
                    const std::uint64_t id = e.payload.order.order_id;
                    if (id != expected)
                        out_of_order_.fetch_add(1);
                    expected = id + 1;
                    Event r = make_event(EventType::venue_ack, Source::venue, 0, 0, 0);
                    r.payload.order.order_id = id;
                    const std::string t = tail_for(id);
                    channel_.post_reply(r, t);
                },
                64);
            if (n == 0) {
                if (park)
                    channel_.park(60'000'000'000);  // a missed wake hangs the test, never passes
                else
                    cpu_relax();
            }
        }
    }
    VenueChannel& channel_;
    std::atomic<bool> stop_{false};
    std::atomic<std::uint64_t> out_of_order_{0};
    std::thread thread_;
};

// The gateway pushes `total` requests in batches of `batch`, ending each with end_batch, while
// this thread also reads the replies as ingest would and checks their order and tails. In
// lockstep a batch is pushed only once the last one is answered (a fused backtest's rhythm).
void run_session(VenueChannel& channel, std::uint64_t total, std::uint64_t batch,
                 std::uint64_t& bad_tails, std::uint64_t& out_of_order_replies,
                 bool lockstep = false) {
    std::uint64_t pushed = 0;
    std::uint64_t next_reply = 1;
    while (next_reply <= total) {
        const bool answered = next_reply > pushed;
        for (std::uint64_t i = 0; i < batch && pushed < total && (!lockstep || answered); ++i)
            channel.push_request(request(++pushed));
        channel.end_batch();
        while (const VenueReply* r = channel.front_reply()) {
            if (r->event.payload.order.order_id != next_reply)
                ++out_of_order_replies;
            if (channel.tail(*r) != tail_for(r->event.payload.order.order_id))
                ++bad_tails;
            ++next_reply;
            channel.pop_reply();
        }
        std::this_thread::yield();
    }
}

}  // namespace

TEST(VenueChannel, RepliesArriveInOrderWithTheirTailsWhileTheTailRingWraps) {
    VenueChannel channel(64, 64);
    // 12,000 tails averaging 2 KiB: the 16 MiB tail ring wraps about once and a half.
    const std::uint64_t total = 12'000;
    std::uint64_t bad_tails = 0;
    std::uint64_t out_of_order = 0;
    {
        EchoAdapter adapter(channel, /*park=*/true);
        run_session(channel, total, 16, bad_tails, out_of_order);
        EXPECT_EQ(adapter.out_of_order(), 0u);
    }
    EXPECT_EQ(bad_tails, 0u);
    EXPECT_EQ(out_of_order, 0u);
    EXPECT_TRUE(channel.settled());
    EXPECT_EQ(channel.in_doubt(), 0u);
    EXPECT_EQ(channel.requests_pushed(), total);
}

TEST(VenueChannel, AParkedAdapterIsWokenAtMostOncePerBatch) {
    VenueChannel channel(1024, 1024);
    const std::uint64_t total = 4'000;
    const std::uint64_t batch = 40;
    std::uint64_t bad_tails = 0;
    std::uint64_t out_of_order = 0;
    {
        EchoAdapter adapter(channel, /*park=*/true);
        run_session(channel, total, batch, bad_tails, out_of_order, /*lockstep=*/true);
    }
    EXPECT_EQ(out_of_order, 0u);
    // The ring never fills in lockstep (1024 slots, 40 a batch), so every wake is an end_batch
    // one.
    EXPECT_EQ(channel.request_full_waits(), 0u);
    EXPECT_LE(channel.wakes(), total / batch);
}

TEST(VenueChannel, ASpinningAdapterIsNeverWoken) {
    VenueChannel channel(1024, 1024);
    std::uint64_t bad_tails = 0;
    std::uint64_t out_of_order = 0;
    {
        EchoAdapter adapter(channel, /*park=*/false);
        run_session(channel, 2'000, 10, bad_tails, out_of_order);
    }
    EXPECT_EQ(bad_tails, 0u);
    EXPECT_EQ(channel.wakes(), 0u);
}

TEST(VenueChannel, SettledAndInDoubtCountWhatTheAdapterHasHandledAndStillOwes) {
    VenueChannel channel(8, 8);
    EXPECT_TRUE(channel.settled());
    channel.push_request(request(1));
    channel.push_request(request(2));
    EXPECT_FALSE(channel.settled());
    EXPECT_EQ(channel.in_doubt(), 2u);
    EXPECT_EQ(channel.take_requests([](const Event&) {}, 1), 1u);
    EXPECT_FALSE(channel.settled());
    EXPECT_EQ(channel.take_requests([](const Event&) {}, 8), 1u);
    EXPECT_TRUE(channel.settled());
    channel.set_awaiting(1);  // sent, the venue has not answered
    EXPECT_EQ(channel.in_doubt(), 1u);
}

TEST(VenueChannel, AnAdapterWaitingForRoomGivesUpOnceTheChannelIsClosed) {
    VenueChannel channel(8, 2);
    const Event r = make_event(EventType::venue_ack, Source::venue, 0, 0, 0);
    ASSERT_TRUE(channel.post_reply(r, "a"));
    ASSERT_TRUE(channel.post_reply(r, "b"));
    // The queue is full and nobody reads it: a third post waits until the channel closes.
    std::atomic<bool> posted{true};
    std::thread adapter([&] { posted = channel.post_reply(r, "c"); });
    channel.close();
    adapter.join();
    EXPECT_FALSE(posted.load());
    EXPECT_EQ(channel.replies_dropped_at_close(), 1u);
}

TEST(ThreadedVenue, ABacktestOnTheThreadedSimulatorJournalsWhatTheSynchronousOneDoes) {
    const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                      ("keel_threaded_venue_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::string error;
    std::vector<std::vector<Event>> inputs;
    for (const bool threaded : {false, true}) {
        replay::BacktestConfigOptions options;
        options.overrides.push_back({"venue.threaded", threaded ? "true" : "false", "--set"});
        engine::ConfigResult loaded = replay::load_backtest_config(
            std::filesystem::path(KEEL_SOURCE_DIR) / "config/backtest.json", options);
        ASSERT_TRUE(loaded.errors.empty()) << loaded.errors.front().message;
        std::atomic<bool> stop{false};
        const std::filesystem::path journal = dir / (threaded ? "threaded" : "sync");
        const auto report = replay::run_backtest(loaded.config, journal, stop, error);
        ASSERT_TRUE(report) << error;
        EXPECT_EQ(report->venue_threaded, threaded);
        EXPECT_EQ(report->venue_in_doubt, 0u);
        replay::JournaledSession session;
        ASSERT_TRUE(replay::read_session(journal, session, error)) << error;
        inputs.push_back(session.inputs.events());
    }
    // Every input after session_start (whose config differs by venue.threaded) is the same:
    // the same replies at the same places, so the same fills, positions and cash.
    ASSERT_EQ(inputs[0].size(), inputs[1].size());
    std::size_t replies = 0;
    for (std::size_t i = 1; i < inputs[0].size(); ++i) {
        ASSERT_EQ(0, std::memcmp(&inputs[0][i], &inputs[1][i], sizeof(Event))) << "input " << i;
        replies += inputs[0][i].header.source == Source::venue;
    }
    EXPECT_GT(replies, 10u);
    std::filesystem::remove_all(dir);
}
