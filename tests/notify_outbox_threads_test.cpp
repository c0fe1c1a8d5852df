// The notification outbox on its own thread, with a fake service: events from the tap are
// posted in order and each outcome is journaled as a notify audit; after a restart, recover()
// re-queues exactly what the journal's audits do not show as delivered; while held (the stop
// signal) it starts no attempt; the session-stop message is announced and waited for, within a
// bound, behind what each target is owed.
#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "keel/adapters/input/live_input_queue.hpp"
#include "keel/adapters/notify/notify_outbox.hpp"

using namespace keel;
using namespace keel::adapters::notify;

namespace {

struct FakeService {
    std::mutex mutex;
    std::vector<std::string> bodies;
    unsigned status = 200;
    HttpResult post(std::string_view body) {
        std::lock_guard<std::mutex> lock(mutex);
        bodies.emplace_back(body);
        return {status, "", "", status == 0 ? "refused" : ""};
    }
    std::size_t count() {
        std::lock_guard<std::mutex> lock(mutex);
        return bodies.size();
    }
};

engine::Event fill(std::uint64_t seq) {
    engine::Event e =
        engine::make_event(engine::EventType::venue_fill, engine::Source::venue, seq, 0, 0);
    e.payload.fill.flags = engine::kFillFinal;
    e.payload.fill.side = engine::Side::buy;
    return e;
}

engine::Event delivered_audit(std::uint64_t seq, std::uint8_t target) {
    engine::Event e = engine::make_event(engine::EventType::audit, engine::Source::control, 0, 0,
                                         engine::kNoSymbol);
    e.payload.audit.endpoint = engine::ApiEndpoint::notify;
    e.payload.audit.code = engine::ApiCode::ok;
    e.payload.audit.status = 200;
    e.payload.audit.request_key = seq * kKeySlots;  // an input's notify_key
    e.payload.audit.flags = target;
    return e;
}

// What each outbox here is given: the tap, the audit queue, a session "s", an optional hold
// flag, and the fake service as its poster.
NotifyDeps deps(engine::DerivedEventTap& tap, adapters::LiveInputQueue& queue, FakeService& service,
                const std::atomic<bool>* hold) {
    return NotifyDeps{tap, queue, NotifyNames{"s", nullptr, {}}, hold,
                      [&service](const ParsedUrl&, std::string_view, std::string_view body,
                                 std::chrono::milliseconds) { return service.post(body); }};
}

NotifyOptions webhook_target() {
    NotifyTarget t;
    t.service = NotifyService::webhook;
    t.url = "http://127.0.0.1:9/hook";
    t.kinds.fill(true);
    t.backoff = Backoff{1, 2};
    NotifyOptions o;
    o.targets.push_back(t);
    return o;
}

template <class F>
bool eventually(F cond) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
        if (cond())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return cond();
}

std::vector<engine::Event> audits(adapters::LiveInputQueue& q) {
    std::vector<engine::Event> out;
    engine::Event e{};
    while (q.poll(e) == engine::InputSource::Poll::event)
        out.push_back(e);
    return out;
}

}  // namespace

TEST(NotifyOutboxThread, PostsTappedFillsInOrderAndJournalsEachOutcome) {
    FakeService service;
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(webhook_target(),
                        deps(tap, queue, service, nullptr));
    outbox.start();
    for (std::uint64_t s = 1; s <= 5; ++s)
        tap.emit(fill(s));
    ASSERT_TRUE(eventually([&] { return service.count() == 5; }));
    outbox.stop();
    for (std::size_t i = 0; i < 5; ++i)
        EXPECT_NE(service.bodies[i].find("\"seq\":" + std::to_string(i + 1)), std::string::npos);
    const std::vector<engine::Event> a = audits(queue);
    ASSERT_EQ(a.size(), 5u);
    EXPECT_EQ(a[4].payload.audit.request_key, 5u * kKeySlots);
    EXPECT_EQ(a[4].payload.audit.code, engine::ApiCode::ok);
    EXPECT_EQ(a[4].payload.audit.endpoint, engine::ApiEndpoint::notify);
    EXPECT_EQ(outbox.counters().delivered.load(), 5u);
}

TEST(NotifyOutboxThread, RecoveryRequeuesOnlyWhatTheJournalDoesNotShowDelivered) {
    FakeService service;
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(webhook_target(),
                        deps(tap, queue, service, nullptr));
    // Fills 1-4 journaled, 1 and 2 delivered to target 0 (and 3 to a target 1 that is not
    // this one's).
    const std::vector<engine::Event> journal = {fill(1),
                                                fill(2),
                                                delivered_audit(1, 0),
                                                delivered_audit(2, 0),
                                                fill(3),
                                                delivered_audit(3, 1),
                                                fill(4)};
    EXPECT_EQ(outbox.recover(journal), 2u);
    outbox.start();
    tap.emit(fill(5));
    ASSERT_TRUE(eventually([&] { return service.count() == 3; }));
    outbox.stop();
    EXPECT_NE(service.bodies[0].find("\"seq\":3"), std::string::npos);
    EXPECT_NE(service.bodies[1].find("\"seq\":4"), std::string::npos);
    EXPECT_NE(service.bodies[2].find("\"seq\":5"), std::string::npos);
}

// A fill and the day it closed share a sequence number (risk derives the day_closed from the
// fill that started the next day): the fill's delivery does not settle the daily summary.
TEST(NotifyOutboxThread, RecoveryTellsADerivedEventFromTheInputThatCausedIt) {
    FakeService service;
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(webhook_target(),
                        deps(tap, queue, service, nullptr));
    engine::Event day =
        engine::make_event(engine::EventType::day_closed, engine::Source::risk, 7, 0, 0);
    day.payload.day_closed.fills = 3;
    const std::vector<engine::Event> journal = {fill(7), day, delivered_audit(7, 0)};
    EXPECT_EQ(outbox.recover(journal), 1u);
    outbox.start();
    ASSERT_TRUE(eventually([&] { return service.count() == 1; }));
    outbox.stop();
    EXPECT_NE(service.bodies[0].find("\"kind\":\"daily_summary\""), std::string::npos)
        << service.bodies[0];
    const std::vector<engine::Event> a = audits(queue);
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].payload.audit.request_key, 7u * kKeySlots + 1);
    // Once that is journaled too, nothing is owed.
    NotifyOutbox again(webhook_target(),
                       deps(tap, queue, service, nullptr));
    EXPECT_EQ(again.recover({fill(7), day, delivered_audit(7, 0), a[0]}), 0u);
}

TEST(NotifyOutboxThread, HeldItStartsNoAttemptAndADeadServiceIsRetried) {
    FakeService service;
    service.status = 0;
    std::atomic<bool> hold{true};
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(webhook_target(),
                        deps(tap, queue, service, &hold));
    outbox.start();
    tap.emit(fill(1));
    ASSERT_TRUE(eventually([&] { return outbox.counters().queued.load() == 1; }));
    EXPECT_EQ(service.count(), 0u);
    hold = false;
    ASSERT_TRUE(eventually([&] { return outbox.counters().failed.load() >= 3; }));
    outbox.stop();
    EXPECT_EQ(outbox.counters().delivered.load(), 0u);
    EXPECT_EQ(outbox.counters().queued.load(), 1u);
}

namespace {

NotifyOptions session_target(bool wants_session) {
    NotifyOptions o = webhook_target();
    o.targets[0].kinds[static_cast<std::size_t>(NotifyKind::session)] = wants_session;
    o.targets[0].timeout = std::chrono::milliseconds(300);
    return o;
}

Notification stop_message() {
    SessionStop s;
    s.why = "stop signal";
    return describe_stop(s, NotifyNames{"s", nullptr, {}});
}

}  // namespace

TEST(NotifyOutboxThread, AnnounceWaitsForTheStopMessageBehindWhatIsOwedEvenWhileHeld) {
    FakeService service;
    std::atomic<bool> hold{true};
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(session_target(true),
                        deps(tap, queue, service, &hold));
    outbox.start();
    tap.emit(fill(7));
    ASSERT_TRUE(eventually([&] { return outbox.counters().queued.load() == 1; }));
    // The hold keeps the fill queued; announcing lifts it until the stop message is settled.
    EXPECT_TRUE(outbox.announce(stop_message(), std::chrono::seconds(10)));
    EXPECT_EQ(service.count(), 2u);
    EXPECT_NE(service.bodies[0].find("\"seq\":7"), std::string::npos);
    EXPECT_NE(service.bodies[1].find("Session stopped: s (stop signal)"), std::string::npos);
    // The stop message carries the newest sequence, so its audit settles what came before.
    EXPECT_NE(service.bodies[1].find("\"seq\":7"), std::string::npos);
    // A fill after the announce: taken from the tap (the same turn of the loop decides on the
    // hold), and not attempted.
    tap.emit(fill(8));
    ASSERT_TRUE(eventually([&] { return tap.depth() == 0; }));
    outbox.stop();
    EXPECT_EQ(service.count(), 2u);  // held again once the announce returned
    const std::vector<engine::Event> a = audits(queue);
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[1].payload.audit.request_key, through_key(7));
    EXPECT_EQ(a[1].payload.audit.code, engine::ApiCode::ok);
}

TEST(NotifyOutboxThread, AnnounceGivesUpAtItsBoundWhenTheServiceIsDead) {
    FakeService service;
    service.status = 0;
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(session_target(true),
                        deps(tap, queue, service, nullptr));
    EXPECT_EQ(outbox.stop_bound(), std::chrono::milliseconds(300));
    outbox.start();
    EXPECT_FALSE(outbox.announce(stop_message(), outbox.stop_bound()));
    outbox.stop();
    EXPECT_GE(service.count(), 1u);
    EXPECT_EQ(outbox.counters().delivered.load(), 0u);
}

TEST(NotifyOutboxThread, AnnounceDoesNotWaitForATargetThatDoesNotWantSessionMessages) {
    FakeService service;
    engine::DerivedEventTap tap(64, notify_event_types());
    adapters::LiveInputQueue queue(64, 16);
    NotifyOutbox outbox(session_target(false),
                        deps(tap, queue, service, nullptr));
    EXPECT_EQ(outbox.stop_bound(), std::chrono::milliseconds(0));
    outbox.start();
    EXPECT_TRUE(outbox.announce(stop_message(), std::chrono::seconds(10)));
    outbox.stop();
    EXPECT_EQ(service.count(), 0u);
}
