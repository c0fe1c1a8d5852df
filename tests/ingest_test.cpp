// Proves the sequencer: inputs get consecutive sequence numbers and non-decreasing engine time,
// replies are sequenced before the next source event, and the stop drain repeats its flush
// until a flush comes back with no reply ahead of it, and only then sends shutdown.
#include <gtest/gtest.h>

#include "keel/engine/ingest.hpp"
#include "test_support.hpp"

using namespace keel;
using namespace keel::engine;

namespace {

Event reply(EventType type, std::int64_t ts_ns) {
    return make_event(type, Source::venue, 0, ts_ns, 0);
}
Event flush_ack(std::uint64_t token) {
    Event e = make_event(EventType::flush, Source::engine, 0, 0, kNoSymbol);
    e.payload.control_token = token;
    return e;
}

}  // namespace

TEST(Ingest, SequencesRepliesBeforeTheNextSourceEventWithMonotonicTime) {
    test::VectorSource source({test::trade(0, 100, 1), test::trade(0, 200, 2)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    Ingest::Options options;
    options.config_hash = 7;
    options.symbol_capacity = 4;
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    ASSERT_EQ(ingest.step(out), 1);  // session_start
    EXPECT_EQ(out.events()[0].header.type, EventType::session_start);
    EXPECT_EQ(out.events()[0].payload.session.config_hash, 7u);
    ASSERT_EQ(ingest.step(out), 1);                                   // trade @100
    ASSERT_TRUE(replies.try_push(reply(EventType::venue_fill, 50)));  // stamped in the past
    ASSERT_EQ(ingest.step(out), 1);  // the fill, before the next trade
    ASSERT_EQ(ingest.step(out), 1);  // trade @200
    const auto& ev = out.events();
    ASSERT_EQ(ev.size(), 4u);
    EXPECT_EQ(ev[2].header.type, EventType::venue_fill);
    EXPECT_EQ(ev[2].header.ts_ns, 100);  // engine time never goes backwards
    for (std::size_t i = 0; i < ev.size(); ++i)
        EXPECT_EQ(ev[i].header.seq, i + 1);
}

TEST(Ingest, DrainRepeatsFlushUntilNoReplyPrecedesItsAcknowledgement) {
    test::VectorSource source({test::trade(0, 100, 1)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    Ingest ingest(source, replies, stop, {});
    test::Recorder out;
    ingest.step(out);                // session_start
    ingest.step(out);                // trade
    ASSERT_EQ(ingest.step(out), 1);  // source exhausted -> flush 1
    EXPECT_EQ(out.events().back().header.type, EventType::flush);
    EXPECT_EQ(out.events().back().payload.control_token, 1u);
    EXPECT_EQ(ingest.step(out), 0);  // waits for the acknowledgement

    // A reply the trade caused comes back ahead of the flush.
    ASSERT_TRUE(replies.try_push(reply(EventType::venue_ack, 100)));
    ASSERT_TRUE(replies.try_push(flush_ack(1)));
    ingest.step(out);  // sequences the ack
    EXPECT_EQ(out.events().back().header.type, EventType::venue_ack);
    EXPECT_EQ(out.events().back().header.seq, 3u);
    ingest.step(out);                // takes flush 1 back
    ASSERT_EQ(ingest.step(out), 1);  // a reply preceded it: flush again
    EXPECT_EQ(out.events().back().header.type, EventType::flush);
    EXPECT_EQ(out.events().back().payload.control_token, 2u);
    EXPECT_FALSE(ingest.done());

    ASSERT_TRUE(replies.try_push(flush_ack(2)));
    ingest.step(out);
    ASSERT_EQ(ingest.step(out), 1);  // nothing ahead of flush 2: shutdown
    EXPECT_EQ(out.events().back().header.type, EventType::shutdown);
    EXPECT_TRUE(ingest.done());
    EXPECT_EQ(ingest.stop_reason(), StopReason::end_of_data);
    EXPECT_EQ(ingest.flush_rounds(), 2u);
    EXPECT_EQ(ingest.step(out), 0);
}

TEST(Ingest, StopRequestEndsReadingTheSourceAndStartsTheDrain) {
    test::VectorSource source({test::trade(0, 1, 1), test::trade(0, 2, 1), test::trade(0, 3, 1)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    Ingest ingest(source, replies, stop, {});
    test::Recorder out;
    ingest.step(out);
    ingest.step(out);
    stop.store(true);
    ingest.step(out);
    EXPECT_EQ(out.events().back().header.type, EventType::flush);
    EXPECT_EQ(ingest.stop_reason(), StopReason::stop_requested);
    EXPECT_EQ(ingest.last_seq(), 2u);  // session_start and one trade; the rest never read
}
