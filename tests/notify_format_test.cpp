// The notifications' content and each service's message shape: Discord embeds on the
// versioned route, Slack text and blocks, Telegram sendMessage HTML with escaping, the generic
// webhook's documented JSON; the events that make a notification and the ones that do not; the
// overflow summary's wording.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "keel/adapters/notify/notification.hpp"
#include "keel/adapters/notify/notify_format.hpp"

using namespace keel;
using namespace keel::adapters::notify;
using Json = nlohmann::json;

namespace {

struct Names {
    engine::SymbolTable symbols{8};
    NotifyNames names;
    Names() {
        (void)symbols.intern("USDCHF");
        (void)symbols.intern("A<B&C");
        names = {"paper", &symbols, {}};
    }
};

engine::Event fill_event(engine::SymbolId symbol, bool final) {
    engine::Event e = engine::make_event(engine::EventType::venue_fill, engine::Source::venue, 42,
                                         1'700'000'000'123'000'000, symbol);
    e.payload.fill.order_id = 7;
    e.payload.fill.price = engine::Price::from_raw(881'200'000);
    e.payload.fill.quantity = engine::Quantity::from_units(1000);
    e.payload.fill.fee = engine::Money::from_raw(5'000'000'000);
    e.payload.fill.side = engine::Side::buy;
    e.payload.fill.flags = final ? engine::kFillFinal : 0;
    return e;
}

}  // namespace

TEST(NotifyKind, FillsRejectsCancelsCommandsFeedAndSessionMakeNotificationsMarketDataDoesNot) {
    EXPECT_EQ(notify_kind(fill_event(0, true)), NotifyKind::fill);
    EXPECT_EQ(notify_kind(fill_event(0, false)), NotifyKind::partial_fill);
    engine::Event e =
        engine::make_event(engine::EventType::order_denied, engine::Source::risk, 1, 0, 0);
    EXPECT_EQ(notify_kind(e), NotifyKind::rejected);
    e.header.type = engine::EventType::venue_cancel;
    EXPECT_EQ(notify_kind(e), NotifyKind::cancel);
    e = engine::make_event(engine::EventType::command, engine::Source::control, 1, 0,
                           engine::kNoSymbol);
    e.payload.command.code = engine::CommandCode::pause;
    EXPECT_EQ(notify_kind(e), NotifyKind::pause);
    e.payload.command.code = engine::CommandCode::limit_stage;
    EXPECT_EQ(notify_kind(e), std::nullopt);
    e = engine::make_event(engine::EventType::risk_state, engine::Source::risk, 1, 0,
                           engine::kNoSymbol);
    e.payload.risk_state.flags = engine::kRiskHalted;
    e.payload.risk_state.reason = engine::Reason::daily_loss_halt;
    EXPECT_EQ(notify_kind(e), NotifyKind::breaker);
    e.payload.risk_state.command = static_cast<std::uint16_t>(engine::CommandCode::kill);
    EXPECT_EQ(notify_kind(e), std::nullopt);  // told by the command itself
    e = engine::make_event(engine::EventType::feed_status, engine::Source::feed, 1, 0, 3);
    e.payload.feed_status.state = engine::FeedState::stale;
    EXPECT_EQ(notify_kind(e), std::nullopt);  // one symbol's staleness is not a disconnect
    e = engine::make_event(engine::EventType::feed_status, engine::Source::feed, 1, 0,
                           engine::kNoSymbol);
    e.payload.feed_status.state = engine::FeedState::disconnected;
    EXPECT_EQ(notify_kind(e), NotifyKind::feed);
    e = engine::make_event(engine::EventType::trade, engine::Source::feed, 1, 0, 0);
    EXPECT_EQ(notify_kind(e), std::nullopt);
    EXPECT_TRUE(notify_event_types().contains(engine::EventType::venue_fill));
    EXPECT_FALSE(notify_event_types().contains(engine::EventType::trade));
}

TEST(NotifyDescribe, AFillSaysSideQuantitySymbolAndPriceAndCarriesItsSequence) {
    Names n;
    const Notification f = describe(fill_event(0, true), n.names);
    EXPECT_EQ(f.title, "Filled: BUY 1000 USDCHF @ 0.8812");
    EXPECT_EQ(f.seq, 42u);
    EXPECT_EQ(f.level, NotifyLevel::info);
    EXPECT_EQ(describe(fill_event(0, false), n.names).title,
              "Partial fill: BUY 1000 USDCHF @ 0.8812");
    engine::Event r =
        engine::make_event(engine::EventType::order_denied, engine::Source::risk, 9, 0, 0);
    r.payload.order.side = engine::Side::sell;
    r.payload.order.quantity = engine::Quantity::from_units(5);
    r.payload.order.reason = engine::Reason::max_position;
    const Notification d = describe(r, n.names);
    EXPECT_EQ(d.title, "Rejected by risk: SELL 5 USDCHF (max_position)");
    EXPECT_EQ(d.level, NotifyLevel::warning);
}

TEST(NotifyDescribe, AVenueDisconnectIsCriticalAndItsReturnSaysWhatWasResolved) {
    Names n;
    engine::Event e = engine::make_event(engine::EventType::venue_status, engine::Source::venue, 7,
                                         1'700'000'000'000'000'000, engine::kNoSymbol);
    e.payload.venue_status.state = engine::VenueState::disconnected;
    e.payload.venue_status.reason = engine::Reason::venue_disconnected;
    EXPECT_TRUE(notify_event_types().contains(engine::EventType::venue_status));
    ASSERT_EQ(notify_kind(e), NotifyKind::venue);
    const Notification down = describe(e, n.names);
    EXPECT_EQ(down.level, NotifyLevel::critical);
    EXPECT_EQ(down.title, "Venue disconnected: new orders refused until it is back");
    e.payload.venue_status.state = engine::VenueState::reconciling;
    EXPECT_EQ(notify_kind(e), std::nullopt);  // a step on the way back, not news
    e.payload.venue_status.state = engine::VenueState::ready;
    e.payload.venue_status.resolved = 3;
    e.payload.venue_status.reconnects = 2;
    const Notification up = describe(e, n.names);
    EXPECT_EQ(up.level, NotifyLevel::info);
    EXPECT_EQ(up.title, "Venue reconnected: orders resolved, trading again");
    const std::vector<std::pair<std::string, std::string>> want = {
        {"state", "ready"}, {"resolved_orders", "3"}, {"reconnects", "2"}};
    EXPECT_EQ(up.fields, want);
    EXPECT_EQ(parse_notify_kind("venue"), NotifyKind::venue);
}

TEST(NotifyDescribe, AVenueRefusedForForeignOrdersIsCriticalAndPerOrderRecordsAreNotNews) {
    Names n;
    engine::Event e = engine::make_event(engine::EventType::venue_status, engine::Source::venue, 7,
                                         1'700'000'000'000'000'000, engine::kNoSymbol);
    e.payload.venue_status.state = engine::VenueState::refused;
    e.payload.venue_status.reason = engine::Reason::foreign_order;
    e.payload.venue_status.in_doubt = 2;
    ASSERT_EQ(notify_kind(e), NotifyKind::venue);
    const Notification refused = describe(e, n.names);
    EXPECT_EQ(refused.level, NotifyLevel::critical);
    EXPECT_EQ(refused.title, "Venue holds orders this journal never sent: trading refused");
    const std::vector<std::pair<std::string, std::string>> want = {
        {"state", "refused"}, {"reason", "foreign_order"}, {"foreign_orders", "2"}};
    EXPECT_EQ(refused.fields, want);
    for (const auto s :
         {engine::VenueState::order_reconciled, engine::VenueState::resend_gap_filled,
          engine::VenueState::foreign_order}) {
        e.payload.venue_status.state = s;
        EXPECT_EQ(notify_kind(e), std::nullopt) << to_string(s);
    }
}

TEST(NotifyDescribe, ABrokerRefusingTheKeysIsCriticalAndSaysSo) {
    Names n;
    engine::Event e = engine::make_event(engine::EventType::venue_status, engine::Source::venue, 9,
                                         1'700'000'000'000'000'000, engine::kNoSymbol);
    e.payload.venue_status.state = engine::VenueState::refused;
    e.payload.venue_status.reason = engine::Reason::venue_auth_failed;
    ASSERT_EQ(notify_kind(e), NotifyKind::venue);
    const Notification refused = describe(e, n.names);
    EXPECT_EQ(refused.level, NotifyLevel::critical);
    EXPECT_EQ(refused.title,
              "Broker refused the API keys (expired or revoked): trading stopped until keel "
              "restarts with valid keys");
    const std::vector<std::pair<std::string, std::string>> want = {{"state", "refused"},
                                                                   {"reason", "venue_auth_failed"}};
    EXPECT_EQ(refused.fields, want);
}

TEST(NotifyDescribe, APositionTheBrokerDisagreesWithIsCriticalAndNamesItsSymbol) {
    Names n;
    engine::Event e = engine::make_event(engine::EventType::venue_status, engine::Source::venue, 11,
                                         1'700'000'000'000'000'000, 0);
    e.payload.venue_status.state = engine::VenueState::position_mismatch;
    e.payload.venue_status.reason = engine::Reason::position_mismatch;
    ASSERT_EQ(notify_kind(e), NotifyKind::venue);
    const Notification mismatch = describe(e, n.names);
    EXPECT_EQ(mismatch.level, NotifyLevel::critical);
    EXPECT_EQ(mismatch.title,
              "Broker's position differs from the journal's: new orders refused until "
              "acknowledged (POST /api/venue/ack-positions)");
    const std::vector<std::pair<std::string, std::string>> want = {
        {"state", "position_mismatch"}, {"reason", "position_mismatch"}, {"symbol", "USDCHF"}};
    EXPECT_EQ(mismatch.fields, want);
}

TEST(NotifyDescribe, AClosedDaySaysItsPnlEquityFillsAndOpenPositions) {
    Names n;
    n.names.accounts = {"cash", "margin"};
    engine::Event e = engine::make_event(engine::EventType::day_closed, engine::Source::risk, 12,
                                         1'700'086'400'000'000'000, engine::kNoSymbol);
    e.payload.day_closed.day_start_ns = 1'700'000'000'000'000'000;
    e.payload.day_closed.day_pnl = engine::Money::from_raw(125'500'000'000);
    e.payload.day_closed.equity = engine::Money::from_raw(100'125'500'000'000);
    e.payload.day_closed.fills = 4;
    e.payload.day_closed.open_positions = 1;
    e.payload.day_closed.account = 1;
    EXPECT_EQ(notify_kind(e), NotifyKind::daily_summary);
    EXPECT_TRUE(notify_event_types().contains(engine::EventType::day_closed));
    const Notification d = describe(e, n.names);
    EXPECT_EQ(d.kind, NotifyKind::daily_summary);
    EXPECT_EQ(d.level, NotifyLevel::info);
    EXPECT_EQ(d.title, "Day closed: P&L +125.5, equity 100125.5");
    const std::vector<std::pair<std::string, std::string>> want = {
        {"day_start", "2023-11-14T22:13:20.000Z"},
        {"day_pnl", "+125.5"},
        {"equity", "100125.5"},
        {"fills", "4"},
        {"open_positions", "1"},
        {"account", "margin"}};
    EXPECT_EQ(d.fields, want);
    // Its key follows the input that caused it (slot 0) and comes before a breaker of the same
    // account derived from the same input.
    EXPECT_EQ(d.key, 12u * kKeySlots + 3);
    engine::Event b = engine::make_event(engine::EventType::risk_state, engine::Source::risk, 12, 0,
                                         engine::kNoSymbol);
    b.payload.risk_state.account = 1;
    EXPECT_GT(notify_key(b), d.key);
    EXPECT_LT(notify_key(b), through_key(12));
    EXPECT_EQ(describe(fill_event(0, true), n.names).key, 42u * kKeySlots);
}

TEST(NotifySummary, CountsWhatWasNotSentByKindUpToTheLastSequence) {
    std::array<std::uint64_t, kNotifyKinds> lost{};
    lost[static_cast<std::size_t>(NotifyKind::fill)] = 37;
    lost[static_cast<std::size_t>(NotifyKind::cancel)] = 2;
    const Notification s = summarize(lost, 900, 0);
    EXPECT_EQ(s.kind, NotifyKind::summary);
    EXPECT_EQ(s.seq, 900u);
    EXPECT_EQ(s.title.rfind("37 fills, 2 cancels not sent", 0), 0u) << s.title;
}

TEST(NotifyDescribe, TheStopMessageSaysWhyAndTheSessionsFiguresWhenKnown) {
    SessionStop stop;
    stop.why = "stop signal (SIGINT or SIGTERM)";
    stop.known = true;
    stop.fills = 17;
    stop.realized = engine::Money::from_raw(-1'500'000'000);
    stop.total_pnl = engine::Money::from_raw(2'250'000'000);
    stop.equity = engine::Money::from_raw(100'002'250'000'000);
    stop.open_positions = 1;
    const Notification n = describe_stop(stop, NotifyNames{"paper", nullptr, {}});
    EXPECT_EQ(n.kind, NotifyKind::session);
    EXPECT_EQ(n.level, NotifyLevel::warning);
    EXPECT_TRUE(n.awaited);
    EXPECT_EQ(n.title, "Session stopped: paper (stop signal (SIGINT or SIGTERM))");
    const std::vector<std::pair<std::string, std::string>> want = {
        {"session", "paper"},   {"reason", "stop signal (SIGINT or SIGTERM)"},
        {"fills", "17"},        {"realized_pnl", "-1.5"},
        {"total_pnl", "2.25"},  {"equity", "100002.25"},
        {"open_positions", "1"}};
    EXPECT_EQ(n.fields, want);
    stop.known = false;
    EXPECT_EQ(describe_stop(stop, NotifyNames{"paper", nullptr, {}}).fields.size(), 2u);
}

TEST(NotifyFormat, DiscordIsOneEmbedWithFieldsColourTimeAndFooter) {
    Names n;
    const FormattedPost p =
        format_post(NotifyService::discord, describe(fill_event(0, true), n.names), "paper", "");
    EXPECT_EQ(p.content_type, "application/json");
    const Json j = Json::parse(p.body);
    const Json& e = j["embeds"][0];
    EXPECT_EQ(e["title"], "Filled: BUY 1000 USDCHF @ 0.8812");
    EXPECT_EQ(e["timestamp"], "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(e["color"], 0x2ecc71);
    EXPECT_EQ(e["fields"][0]["name"], "symbol");
    EXPECT_EQ(e["fields"][0]["value"], "USDCHF");
    EXPECT_EQ(e["footer"]["text"], "keel · paper · seq 42");
    EXPECT_EQ(discord_route("https://discord.com/api/webhooks/1/abc"),
              "https://discord.com/api/v10/webhooks/1/abc");
    EXPECT_EQ(discord_route("https://discord.com/api/v10/webhooks/1/abc"),
              "https://discord.com/api/v10/webhooks/1/abc");
}

TEST(NotifyFormat, SlackHasFallbackTextAndHeaderSectionContextBlocksEscaped) {
    Names n;
    const Json j = Json::parse(
        format_post(NotifyService::slack, describe(fill_event(1, true), n.names), "paper", "")
            .body);
    EXPECT_EQ(j["text"], "Filled: BUY 1000 A&lt;B&amp;C @ 0.8812");
    EXPECT_EQ(j["blocks"][0]["type"], "header");
    EXPECT_EQ(j["blocks"][1]["type"], "section");
    EXPECT_EQ(j["blocks"][1]["fields"][0]["text"], "*symbol*\nA&lt;B&amp;C");
    EXPECT_EQ(j["blocks"][2]["type"], "context");
}

TEST(NotifyFormat, TelegramIsSendMessageInHtmlWithEverythingEscaped) {
    Names n;
    const Json j =
        Json::parse(format_post(NotifyService::telegram, describe(fill_event(1, true), n.names),
                                "p<1>", "-1001234")
                        .body);
    EXPECT_EQ(j["chat_id"], "-1001234");
    EXPECT_EQ(j["parse_mode"], "HTML");
    const std::string text = j["text"];
    EXPECT_EQ(text.rfind("<b>Filled: BUY 1000 A&lt;B&amp;C @ 0.8812</b>\n", 0), 0u) << text;
    EXPECT_NE(text.find("symbol: <code>A&lt;B&amp;C</code>"), std::string::npos);
    EXPECT_NE(text.find("p&lt;1&gt;"), std::string::npos);
    EXPECT_EQ(telegram_send_url("https://api.telegram.org/", "1:abc"),
              "https://api.telegram.org/bot1:abc/sendMessage");
}

TEST(NotifyFormat, GenericWebhookIsTheDocumentedJson) {
    Names n;
    const Json j = Json::parse(
        format_post(NotifyService::webhook, describe(fill_event(0, true), n.names), "paper", "")
            .body);
    EXPECT_EQ(j["source"], "keel");
    EXPECT_EQ(j["kind"], "fill");
    EXPECT_EQ(j["level"], "info");
    EXPECT_EQ(j["seq"], 42);
    EXPECT_EQ(j["time"], "2023-11-14T22:13:20.123Z");
    EXPECT_EQ(j["session"], "paper");
    EXPECT_EQ(j["fields"]["price"], "0.8812");
    EXPECT_EQ(j["fields"]["order"], "7");
    EXPECT_EQ(json_escape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
}
