// Proves the sequencer: inputs get consecutive sequence numbers and non-decreasing engine time,
// replies are sequenced before the next source event, the stop drain repeats its flush until a
// flush comes back with no reply ahead of it, and only then sends shutdown; and due timers are
// journaled and sequenced before the input that passes their time (never for symbol
// definitions, never past the last input), behind any waiting reply.
#include <gtest/gtest.h>

#include <cstdint>
#include <tuple>
#include <vector>

#include "keel/engine/pipeline/ingest.hpp"
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

// Monday 2024-01-08 09:30 New York (14:30 UTC), the US equity open, plus an offset.
constexpr std::int64_t kMonday = 19730;  // days since 1970-01-01
constexpr std::int64_t kOpen = kMonday * kNsPerDay + (14 * 60 + 30) * kNsPerMinute;
std::int64_t open_plus(int minutes, int seconds = 0) {
    return kOpen + minutes * kNsPerMinute + seconds * kNsPerSecond;
}

Event symbol_def(SymbolId id, std::int64_t ts_ns) {
    return make_event(EventType::symbol_def, Source::feed, 0, ts_ns, id);
}

// 1-minute bar closes of symbol 0 in the US equity session.
TimerSchedule minute_bars() {
    return TimerSchedule({{0, TradingSession::us_equities(), TimerKind::bar_close, 1, 0}});
}

// Journals into a vector; refuses every append after `accept` of them (a disk filling up).
class VectorLog final : public EventLog {
  public:
    explicit VectorLog(std::size_t accept = SIZE_MAX) : accept_(accept) { events.reserve(256); }
    bool append(const Event& e, const void*, std::uint32_t) noexcept override {
        if (events.size() >= accept_)
            return false;
        events.push_back(e);
        return true;
    }
    std::vector<Event> events;

  private:
    std::size_t accept_;
};

// Steps until ingest has sent its first flush (end of data), with no replies.
void run_to_flush(Ingest& ingest, test::Recorder& out) {
    for (int i = 0; i < 10'000; ++i) {
        ingest.step(out);
        if (!out.events().empty() && out.events().back().header.type == EventType::flush)
            return;
    }
    FAIL() << "no flush";
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

TEST(IngestTimers, DueTimersAreJournaledAndSequencedBeforeTheInputThatPassesTheirTime) {
    test::VectorSource source({symbol_def(0, open_plus(0, 30)), test::trade(0, open_plus(0, 30), 1),
                               test::trade(0, open_plus(2, 10), 2),
                               test::trade(0, open_plus(2, 20), 3),
                               test::trade(0, open_plus(3), 4)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    TimerSchedule timers = minute_bars();
    VectorLog log;
    Ingest::Options options;
    options.timers = &timers;
    options.log = &log;
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    run_to_flush(ingest, out);

    const auto& ev = out.events();
    const std::vector<EventType> want_types = {
        EventType::session_start, EventType::symbol_def, EventType::trade,
        EventType::timer,  // 9:31
        EventType::timer,  // 9:32
        EventType::trade,  // 9:32:10
        EventType::trade,  // 9:32:20
        EventType::timer,  // 9:33, at the input's own time: the timer first
        EventType::trade,  // 9:33:00
        EventType::flush};
    ASSERT_EQ(ev.size(), want_types.size());
    for (std::size_t i = 0; i < ev.size(); ++i)
        EXPECT_EQ(ev[i].header.type, want_types[i]) << "event " << i;
    EXPECT_EQ(ev[3].header.ts_ns, open_plus(1));
    EXPECT_EQ(ev[4].header.ts_ns, open_plus(2));
    EXPECT_EQ(ev[7].header.ts_ns, open_plus(3));
    EXPECT_EQ(ev[8].header.ts_ns, open_plus(3));
    // Inputs keep their order and price; timers keep their payload.
    EXPECT_EQ(ev[5].payload.trade.price, Price::from_units(2));
    EXPECT_EQ(ev[6].payload.trade.price, Price::from_units(3));
    EXPECT_EQ(ev[4].payload.timer.kind, TimerKind::bar_close);
    EXPECT_EQ(ev[4].payload.timer.period_start_ns, open_plus(1));
    EXPECT_EQ(ev[4].header.aux, 1);
    // Consecutive sequence numbers, non-decreasing time, and the journal holds exactly what
    // went downstream, in the same order.
    ASSERT_EQ(log.events.size(), ev.size() - 1);  // all but the flush marker
    for (std::size_t i = 0; i + 1 < ev.size(); ++i) {
        EXPECT_EQ(ev[i].header.seq, i + 1);
        EXPECT_EQ(log.events[i].header.seq, ev[i].header.seq);
        EXPECT_EQ(log.events[i].header.type, ev[i].header.type);
        EXPECT_EQ(log.events[i].header.ts_ns, ev[i].header.ts_ns);
        if (i > 0) {
            EXPECT_LE(ev[i - 1].header.ts_ns, ev[i].header.ts_ns);
        }
    }
    EXPECT_EQ(ingest.last_seq(), 9u);
    EXPECT_EQ(timers.fired(), 3u);
}

TEST(IngestTimers, SymbolDefinitionsNeitherStartNorAdvanceTheSchedule) {
    // A definition stamped at the epoch would start the schedule decades early (thousands of
    // closes before the first trade), and one stamped at 9:31 would take the 9:31 close ahead
    // of itself, if definitions counted as time.
    test::VectorSource source({symbol_def(0, 0), test::trade(0, open_plus(0, 30), 1),
                               symbol_def(1, open_plus(1)), test::trade(0, open_plus(1, 5), 2)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    TimerSchedule timers = minute_bars();
    Ingest::Options options;
    options.timers = &timers;
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    run_to_flush(ingest, out);
    const std::vector<EventType> want = {EventType::session_start, EventType::symbol_def,
                                         EventType::trade,         EventType::symbol_def,
                                         EventType::timer,  // only before the 9:31:05 trade
                                         EventType::trade,         EventType::flush};
    const auto& ev = out.events();
    ASSERT_EQ(ev.size(), want.size());
    for (std::size_t i = 0; i < ev.size(); ++i)
        EXPECT_EQ(ev[i].header.type, want[i]) << "event " << i;
    EXPECT_EQ(ev[4].header.ts_ns, open_plus(1));
    EXPECT_EQ(ev[5].payload.trade.price, Price::from_units(2));
    EXPECT_EQ(timers.fired(), 1u);
}

TEST(IngestTimers, AtTheEndOfDataNoTimerFiresPastTheLastInput) {
    test::VectorSource source(
        {test::trade(0, open_plus(0, 30), 1), test::trade(0, open_plus(4), 2)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    TimerSchedule timers = minute_bars();
    Ingest::Options options;
    options.timers = &timers;
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    run_to_flush(ingest, out);
    // 9:31 .. 9:34 closed; the bar 9:34-9:35 holding the last trade never closes.
    const std::vector<Event> fired = out.of_type(EventType::timer);
    ASSERT_EQ(fired.size(), 4u);
    EXPECT_EQ(fired.back().header.ts_ns, open_plus(4));
    EXPECT_EQ(out.events()[out.events().size() - 2].header.type, EventType::trade);
    // The drain sequences nothing more from the schedule.
    ASSERT_TRUE(replies.try_push(flush_ack(1)));
    ingest.step(out);
    ingest.step(out);
    EXPECT_TRUE(ingest.done());
    EXPECT_EQ(out.of_type(EventType::timer).size(), 4u);
    EXPECT_EQ(timers.fired(), 4u);
}

TEST(IngestTimers, RepliesKeepPriorityOverDueTimers) {
    test::VectorSource source(
        {test::trade(0, open_plus(0, 30), 1), test::trade(0, open_plus(3), 2)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    TimerSchedule timers = minute_bars();
    Ingest::Options options;
    options.timers = &timers;
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    ingest.step(out);  // session_start
    ingest.step(out);  // trade 9:30:30
    ASSERT_TRUE(replies.try_push(reply(EventType::venue_ack, open_plus(0, 31))));
    ingest.step(out);  // the ack, though the source's next input holds three due timers
    EXPECT_EQ(out.events().back().header.type, EventType::venue_ack);
    ingest.step(out);  // timer 9:31
    EXPECT_EQ(out.events().back().header.type, EventType::timer);
    ASSERT_TRUE(replies.try_push(reply(EventType::venue_fill, open_plus(1, 30))));
    ingest.step(out);  // the fill, ahead of the 9:32 timer
    EXPECT_EQ(out.events().back().header.type, EventType::venue_fill);
    EXPECT_EQ(out.events().back().header.ts_ns, open_plus(1, 30));
    ingest.step(out);  // timer 9:32
    ingest.step(out);  // timer 9:33
    ingest.step(out);  // trade 9:33
    const auto& ev = out.events();
    ASSERT_EQ(ev.size(), 8u);
    EXPECT_EQ(ev[5].header.type, EventType::timer);
    EXPECT_EQ(ev[5].header.ts_ns, open_plus(2));
    EXPECT_EQ(ev[6].header.type, EventType::timer);
    EXPECT_EQ(ev[6].header.ts_ns, open_plus(3));
    EXPECT_EQ(ev[7].header.type, EventType::trade);
    for (std::size_t i = 0; i < ev.size(); ++i)
        EXPECT_EQ(ev[i].header.seq, i + 1);
}

TEST(IngestTimers, ATimerThatCannotBeJournaledIsNotPassedOnAndStopsTheSession) {
    test::VectorSource source(
        {test::trade(0, open_plus(0, 30), 1), test::trade(0, open_plus(3), 2)});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    TimerSchedule timers = minute_bars();
    VectorLog log(3);  // session_start, the first trade, the 9:31 timer; then the disk is full
    Ingest::Options options;
    options.timers = &timers;
    options.log = &log;
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    run_to_flush(ingest, out);
    EXPECT_EQ(ingest.stop_reason(), StopReason::journal_failed);
    EXPECT_EQ(ingest.last_seq(), 3u);
    const auto& ev = out.events();
    ASSERT_EQ(ev.size(), 4u);  // the three journaled inputs and the flush
    EXPECT_EQ(ev[2].header.type, EventType::timer);
    EXPECT_EQ(ev[3].header.type, EventType::flush);
}

// --- a venue adapter on its own thread (venue_channel.hpp); here the test is the adapter ---

namespace {

// Ingest over `inputs` with one threaded venue (and a tail arena), `options` otherwise.
struct VenueRig {
    VenueRig(std::vector<Event> inputs, Ingest::Options options)
        : source(std::move(inputs)), ingest(source, replies, stop, with_venue(options)) {}
    Ingest::Options with_venue(Ingest::Options options) {
        options.venues = {&venue};
        options.tails = &tails;
        return options;
    }
    test::VectorSource source;
    SpscRing<Event> replies{8};
    VenueChannel venue{8, 8};
    TailArena tails{8};
    std::atomic<bool> stop{false};
    Ingest ingest;
    test::Recorder out;
};

Ingest::Options lockstep() {
    Ingest::Options o;
    o.venue_lockstep = true;
    return o;
}
Ingest::Options drain_ns(std::int64_t ns) {
    Ingest::Options o;
    o.venue_drain_ns = ns;
    return o;
}

}  // namespace

TEST(IngestVenueChannel, SequencesAThreadedVenuesRepliesWithTheirTailsAfterTheReplyRings) {
    VenueRig rig({test::trade(0, 100, 1)}, {});
    auto [ingest, venue, replies, tails, out] =
        std::tie(rig.ingest, rig.venue, rig.replies, rig.tails, rig.out);
    ingest.step(out);  // session_start
    venue.post_reply(reply(EventType::venue_ack, 50), "order 7 is V-123");
    ASSERT_TRUE(replies.try_push(reply(EventType::order_denied, 60)));
    ingest.step(out);
    ingest.step(out);
    ASSERT_EQ(out.events().size(), 3u);
    EXPECT_EQ(out.events()[1].header.type, EventType::order_denied);  // the ring goes first
    EXPECT_EQ(out.events()[2].header.type, EventType::venue_ack);
    EXPECT_EQ(tails.tail(out.events()[2]), "order 7 is V-123");
    EXPECT_EQ(venue.front_reply(), nullptr);
}

TEST(IngestVenueChannel, LockstepReadsNoInputUntilTheVenueHasHandledEveryRequest) {
    VenueRig rig({test::trade(0, 100, 1), test::trade(0, 200, 1)}, lockstep());
    auto [ingest, venue, out] = std::tie(rig.ingest, rig.venue, rig.out);
    ingest.step(out);  // session_start
    ingest.step(out);  // the first trade; the gateway hands the venue an order for it
    venue.push_request(make_event(EventType::order_sent, Source::gateway, 2, 100, 0));
    EXPECT_EQ(ingest.step(out), 0);  // the venue has not handled it: no new input
    EXPECT_EQ(ingest.last_seq(), 2u);
    // The adapter handles it, posting its ack before counting it handled.
    (void)venue.take_requests([&](const Event&) { venue.post_reply(reply(EventType::venue_ack, 100)); },
                              8);
    ASSERT_EQ(ingest.step(out), 1);
    EXPECT_EQ(out.events().back().header.type, EventType::venue_ack);  // before the next trade
    ASSERT_EQ(ingest.step(out), 1);
    EXPECT_EQ(out.events().back().header.type, EventType::trade);
    EXPECT_EQ(out.events().back().header.seq, 4u);
}

TEST(IngestVenueChannel, TheStopDrainWaitsForWhatTheVenueOwesAndCountsTheRestInDoubt) {
    // A minute: the reply below comes long before.
    VenueRig rig({test::trade(0, 100, 1)}, drain_ns(60'000'000'000));
    auto [ingest, venue, replies, out] = std::tie(rig.ingest, rig.venue, rig.replies, rig.out);
    ingest.step(out);
    ingest.step(out);
    venue.set_awaiting(2);  // two orders sent, unanswered
    run_to_flush(ingest, out);
    ASSERT_TRUE(replies.try_push(flush_ack(1)));
    ingest.step(out);                // takes the flush back
    EXPECT_EQ(ingest.step(out), 0);  // the venue still owes two answers: waits
    EXPECT_FALSE(ingest.done());
    venue.post_reply(reply(EventType::venue_fill, 150));
    venue.set_awaiting(1);
    ingest.step(out);  // the fill is sequenced
    EXPECT_EQ(out.events().back().header.type, EventType::venue_fill);
    ASSERT_EQ(ingest.step(out), 1);  // a reply came: another flush round
    EXPECT_EQ(out.events().back().payload.control_token, 2u);
    ASSERT_TRUE(replies.try_push(flush_ack(2)));
    ingest.step(out);
    EXPECT_EQ(ingest.step(out), 0);  // still one owed, still within the drain
    EXPECT_FALSE(ingest.done());
}

TEST(IngestVenueChannel, ADrainThatRunsOutCountsWhatIsStillOwedAsInDoubt) {
    VenueRig rig({test::trade(0, 100, 1)}, drain_ns(0));  // no wait at all
    auto [ingest, venue, replies, out] = std::tie(rig.ingest, rig.venue, rig.replies, rig.out);
    ingest.step(out);
    ingest.step(out);
    venue.push_request(make_event(EventType::order_sent, Source::gateway, 2, 100, 0));
    venue.set_awaiting(1);
    run_to_flush(ingest, out);
    ASSERT_TRUE(replies.try_push(flush_ack(1)));
    ingest.step(out);
    ASSERT_EQ(ingest.step(out), 1);
    EXPECT_EQ(out.events().back().header.type, EventType::shutdown);
    EXPECT_EQ(ingest.in_doubt_at_stop(), 2u);  // one not handed over, one unanswered
}

namespace {

Event clock_tick(std::int64_t ts_ns) {
    return make_event(EventType::clock, Source::clock, 0, ts_ns, kNoSymbol);
}

}  // namespace

// Wall time (live.time "wall"): a session with no market data still keeps time. Its clock
// ticks are inputs like any other: journaled, sequenced, passed on, and the timers due by a
// tick's time go first, so bar closes and session events fire with nothing else arriving.
TEST(IngestTimers, ClockTicksAloneFireDueTimersAndAreJournaledAsInputs) {
    test::VectorSource source({symbol_def(0, 0), clock_tick(open_plus(0, 30)),
                               clock_tick(open_plus(0, 59)), clock_tick(open_plus(1, 0)),
                               clock_tick(open_plus(2, 1))});
    SpscRing<Event> replies(8);
    std::atomic<bool> stop{false};
    TimerSchedule timers = minute_bars();
    VectorLog log;
    Ingest::Options options;
    options.timers = &timers;
    options.log = &log;
    options.start_ts_ns = open_plus(0, 29);  // the wall clock the session started at
    Ingest ingest(source, replies, stop, options);
    test::Recorder out;
    run_to_flush(ingest, out);

    const std::vector<EventType> want = {
        EventType::session_start, EventType::symbol_def, EventType::clock, EventType::clock,
        EventType::timer,  // 9:31, at the tick's own time: the timer first
        EventType::clock,
        EventType::timer,  // 9:32
        EventType::clock,         EventType::flush};
    const auto& ev = out.events();
    ASSERT_EQ(ev.size(), want.size());
    for (std::size_t i = 0; i < ev.size(); ++i)
        EXPECT_EQ(ev[i].header.type, want[i]) << "event " << i;
    EXPECT_EQ(ev[0].header.ts_ns, open_plus(0, 29));
    EXPECT_EQ(ev[1].header.ts_ns, open_plus(0, 29));  // a definition takes the engine time
    EXPECT_EQ(ev[4].header.ts_ns, open_plus(1));
    EXPECT_EQ(ev[6].header.ts_ns, open_plus(2));
    EXPECT_EQ(ev[7].header.ts_ns, open_plus(2, 1));
    EXPECT_EQ(ev[7].header.source, Source::clock);
    EXPECT_FALSE(is_market_data(EventType::clock));
    ASSERT_EQ(log.events.size(), ev.size() - 1);  // every tick journaled, the flush not
    EXPECT_EQ(timers.fired(), 2u);
}

// A live session in wall time starts at the wall clock's time, not the epoch; a backtest's
// session start stays at 0 (its journals do not change).
TEST(Ingest, SessionStartTakesTheStartTimeItIsGiven) {
    for (const std::int64_t start : {std::int64_t{0}, open_plus(0)}) {
        test::VectorSource source({test::trade(0, 5, 1)});
        SpscRing<Event> replies(8);
        std::atomic<bool> stop{false};
        Ingest::Options options;
        options.start_ts_ns = start;
        Ingest ingest(source, replies, stop, options);
        test::Recorder out;
        run_to_flush(ingest, out);
        ASSERT_EQ(out.events()[0].header.type, EventType::session_start);
        EXPECT_EQ(out.events()[0].header.ts_ns, start);
        // Engine time never goes back below the start: the trade stamped 5 ns takes it.
        EXPECT_EQ(out.events()[1].header.ts_ns, std::max<std::int64_t>(start, 5));
    }
}
