// The notification outbox's logic without threads or clocks: the retry policy (429 honours the
// Retry-After header and each service's body, failures back off doubling to a cap, other 4xx
// give up), a target's bounded queue with its overflow summary kept in sequence order, the
// derived-event tap's drop counting when its ring is full, which audits settle a notification
// for restart recovery, and the `notify` config (secrets from the environment, masked).
#include <gtest/gtest.h>

#include "keel/adapters/notify/notify_outbox.hpp"
#include "keel/adapters/notify/target_outbox.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/config/secrets.hpp"
#include "keel/engine/pipeline/derived_event_tap.hpp"
#include "keel/replay/session/live_config.hpp"

using namespace keel;
using namespace keel::adapters::notify;

namespace {

Notification note(std::uint64_t seq, NotifyKind kind = NotifyKind::fill) {
    Notification n;
    n.seq = seq;
    n.kind = kind;
    n.title = "n" + std::to_string(seq);
    return n;
}

}  // namespace

TEST(NotifyRetry, A429WaitsWhatTheHeaderOrTheServiceBodyAsks) {
    const Backoff b{100, 1000};
    EXPECT_EQ(retry_after_ms("2", ""), 2000u);
    EXPECT_EQ(retry_after_ms("", R"({"retry_after": 0.25, "global": false})"), 250u);  // Discord
    EXPECT_EQ(retry_after_ms("", R"({"ok":false,"parameters":{"retry_after":3}})"), 3000u);
    EXPECT_EQ(retry_after_ms("1", R"({"retry_after": 2.5})"), 2500u);  // the longer
    EXPECT_EQ(retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", "not json"), 0u);
    const RetryDecision d = decide(429, "", R"({"retry_after": 0.25})", 0, b);
    EXPECT_EQ(d.verdict, Verdict::retry);
    EXPECT_TRUE(d.rate_limited);
    EXPECT_EQ(d.delay_ms, 250u);
    EXPECT_EQ(decide(429, "", "", 0, b).delay_ms, 100u);  // none named: the backoff's
}

TEST(NotifyRetry, FailuresBackOffDoublingToTheCapAndOther4xxGiveUp) {
    const Backoff b{100, 1000};
    EXPECT_EQ(decide(0, "", "", 0, b).delay_ms, 100u);
    EXPECT_EQ(decide(503, "", "", 1, b).delay_ms, 200u);
    EXPECT_EQ(decide(408, "", "", 2, b).delay_ms, 400u);
    EXPECT_EQ(decide(500, "", "", 30, b).delay_ms, 1000u);
    EXPECT_EQ(decide(204, "", "", 3, b).verdict, Verdict::delivered);
    EXPECT_EQ(decide(404, "", "", 0, b).verdict, Verdict::give_up);
    EXPECT_EQ(decide(400, "", "", 0, b).verdict, Verdict::give_up);
}

TEST(TargetOutbox, RetriesTheHeadUntilDeliveredThenMovesOnInOrder) {
    TargetOutbox o(8, Backoff{100, 1000});
    ASSERT_TRUE(o.offer(note(1)));
    ASSERT_TRUE(o.offer(note(2)));
    ASSERT_EQ(o.due(0)->seq, 1u);
    EXPECT_EQ(o.settle(0, "", "", 0).verdict, Verdict::retry);
    EXPECT_EQ(o.due(99), nullptr);  // backing off
    ASSERT_EQ(o.due(100)->seq, 1u);
    EXPECT_EQ(o.settle(429, "1", "", 100).verdict, Verdict::retry);
    EXPECT_EQ(o.due(1099), nullptr);  // what the 429 asked
    ASSERT_EQ(o.due(1100)->seq, 1u);
    EXPECT_EQ(o.settle(200, "", "", 1100).verdict, Verdict::delivered);
    ASSERT_EQ(o.due(1100)->seq, 2u);
}

TEST(TargetOutbox, AFullOutboxCountsTheRestAndSendsOneSummaryBeforeAnythingNewer) {
    TargetOutbox o(3, Backoff{100, 1000});
    for (std::uint64_t s = 1; s <= 3; ++s)
        ASSERT_TRUE(o.offer(note(s)));
    for (std::uint64_t s = 4; s <= 40; ++s)
        EXPECT_FALSE(o.offer(note(s)));
    EXPECT_FALSE(o.offer(note(41, NotifyKind::cancel)));
    EXPECT_TRUE(o.overflow_pending());
    std::vector<Notification> sent;
    for (std::uint64_t now = 0; now < 10; ++now) {
        if (const Notification* n = o.due(now)) {
            sent.push_back(*n);
            (void)o.settle(200, "", "", now);
            if (sent.size() == 2) {
                EXPECT_TRUE(o.offer(note(50)));  // newer than the summary: after it
            }
        }
    }
    ASSERT_EQ(sent.size(), 5u);
    EXPECT_EQ(sent[2].seq, 3u);
    EXPECT_EQ(sent[3].kind, NotifyKind::summary);
    EXPECT_EQ(sent[3].seq, 41u);
    EXPECT_EQ(sent[3].title.rfind("37 fills, 1 cancels not sent", 0), 0u) << sent[3].title;
    EXPECT_EQ(sent[4].seq, 50u);
}

TEST(DerivedEventTap, CopiesOnlyItsTypesAndCountsWhatAFullRingDrops) {
    engine::DerivedEventTap tap(4, {engine::EventType::venue_fill});
    engine::Event fill =
        engine::make_event(engine::EventType::venue_fill, engine::Source::venue, 1, 0, 0);
    const engine::Event trade =
        engine::make_event(engine::EventType::trade, engine::Source::feed, 2, 0, 0);
    for (std::uint64_t s = 1; s <= 10; ++s) {
        fill.header.seq = s;
        tap.emit(fill);
        tap.emit(trade);
    }
    EXPECT_EQ(tap.depth(), 4u);
    EXPECT_EQ(tap.dropped(engine::EventType::venue_fill), 6u);
    EXPECT_EQ(tap.dropped(engine::EventType::trade), 0u);
    EXPECT_EQ(tap.dropped_total(), 6u);
    std::vector<std::uint64_t> seen;
    EXPECT_EQ(tap.drain([&](const engine::Event& e) { seen.push_back(e.header.seq); }, 100), 4u);
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TEST(DerivedEventTap, OffersEveryEventToTheNextTapOfTheChainWhichWantsItsOwnTypes) {
    engine::DerivedEventTap second(4, {engine::EventType::trade});
    engine::DerivedEventTap first(4, {engine::EventType::venue_fill}, &second);
    first.offer(engine::make_event(engine::EventType::trade, engine::Source::feed, 1, 0, 0));
    first.offer(engine::make_event(engine::EventType::venue_fill, engine::Source::venue, 2, 0, 0));
    EXPECT_EQ(first.depth(), 1u);
    EXPECT_EQ(second.depth(), 1u);
    const engine::EventTypeSet all = first.chain_types();
    EXPECT_TRUE(all.contains(engine::EventType::trade));
    EXPECT_TRUE(all.contains(engine::EventType::venue_fill));
    EXPECT_FALSE(all.contains(engine::EventType::quote));
}

TEST(NotifyRecovery, DeliveredAndRefusedForGoodSettleFailuresAndRateLimitsDoNot) {
    engine::AuditPayload a{};
    a.endpoint = engine::ApiEndpoint::notify;
    a.code = engine::ApiCode::ok;
    a.status = 204;
    EXPECT_TRUE(settles(a));
    a.code = engine::ApiCode::notify_failed;
    a.status = 404;
    EXPECT_TRUE(settles(a));
    a.status = 503;
    EXPECT_FALSE(settles(a));
    a.status = 0;
    EXPECT_FALSE(settles(a));
    a.code = engine::ApiCode::rate_limited;
    a.status = 429;
    EXPECT_FALSE(settles(a));
    a.code = engine::ApiCode::ok;
    a.endpoint = engine::ApiEndpoint::kill;
    EXPECT_FALSE(settles(a));
}

TEST(NotifyConfig, UrlsAndTokensComeFromTheEnvironmentAndAreMaskedAndNeverQuoted) {
    const std::string text = R"({"session": {"name": "n"},
        "webhook": {"port": 0, "secret": "0123456789abcdef0123"},
        "notify": [{"type": "discord", "events": ["fill", "kill"], "min_level": "warning"},
                   {"type": "telegram", "chat_id": "-100"},
                   {"type": "slack", "url": "ftp://hooks.slack.com/services/secret-part"},
                   {"type": "pager", "url": "https://x.example/", "events": ["fills"]}]})";
    engine::ConfigResult r = engine::parse_config(
        text, "test", ".",
        {"KEEL__NOTIFY__0__URL=https://discord.com/api/webhooks/1/discord-secret-token",
         "KEEL__NOTIFY__1__TOKEN=123:telegram-secret-token"});
    const replay::LiveConfig live = replay::read_live_config(r.config, r.errors);
    std::string errors;
    for (const engine::ConfigError& e : r.errors)
        errors += e.path + ": " + e.message + "\n";
    EXPECT_NE(errors.find("notify[2].url: is not an http:// or https:// URL"), std::string::npos)
        << errors;
    EXPECT_NE(errors.find("notify[3].type: 'pager' is not one of"), std::string::npos) << errors;
    EXPECT_NE(errors.find("notify[3].events[0]: expected one of fill"), std::string::npos)
        << errors;
    EXPECT_EQ(errors.find("secret"), std::string::npos) << errors;
    ASSERT_TRUE(live.notify.has_value());
    const NotifyTarget& d = live.notify->targets[0];
    EXPECT_EQ(d.url, "https://discord.com/api/v10/webhooks/1/discord-secret-token");
    EXPECT_TRUE(d.kinds[static_cast<std::size_t>(NotifyKind::kill)]);
    EXPECT_FALSE(d.kinds[static_cast<std::size_t>(NotifyKind::cancel)]);
    EXPECT_TRUE(d.kinds[static_cast<std::size_t>(NotifyKind::summary)]);
    EXPECT_EQ(d.min_level, NotifyLevel::warning);
    EXPECT_EQ(live.notify->targets[1].url,
              "https://api.telegram.org/bot123:telegram-secret-token/sendMessage");
    const std::string masked = engine::mask_secrets(r.config.effective).dump();
    EXPECT_EQ(masked.find("secret-token"), std::string::npos) << masked;
    EXPECT_EQ(masked.find("secret-part"), std::string::npos) << masked;
}
