// Proves the `live` section: engine time is the wall clock by default when a session takes
// webhook alerts, the data's for a feed-only session, either may be chosen, the clock tick is
// range-checked, and a `live` section without a live session is refused naming it.
#include <gtest/gtest.h>

#include <string>

#include "keel/replay/session/live_config.hpp"

using namespace keel;

namespace {

const std::string kWebhook =
    R"("webhook": {"port": 0, "secret": "a-long-enough-webhook-secret-0f3c"},)";
const std::string kFeed = R"("feed": {"port": 9101},)";

struct Read {
    replay::LiveConfig live;
    std::vector<engine::ConfigError> errors;
};

Read read(const std::string& sections) {
    const std::string text = "{" + sections + R"(
      "session": {"name": "t"},
      "strategies": [{"type": "alert_follower", "symbols": ["USDCHF"], "quantity": "1000"}],
      "risk": {}, "venue": {"type": "sim"}})";
    engine::ConfigResult r = engine::parse_config(text, "t.json", ".", {});
    Read out;
    out.live = replay::read_live_config(r.config, r.errors);
    out.errors = r.errors;
    return out;
}

std::string first_error(const Read& r) {
    return r.errors.empty() ? "" : r.errors.front().path + ": " + r.errors.front().message;
}

}  // namespace

TEST(LiveTimeConfig, AWebhookSessionKeepsWallTimeAndAFeedOnlyOneTheDatasByDefault) {
    const Read webhook = read(kWebhook);
    ASSERT_TRUE(webhook.errors.empty()) << first_error(webhook);
    EXPECT_EQ(webhook.live.time, replay::LiveTime::wall);
    EXPECT_TRUE(webhook.live.wall_time());
    EXPECT_EQ(webhook.live.clock_tick_ms, 100u);

    const Read both = read(kWebhook + kFeed);
    ASSERT_TRUE(both.errors.empty()) << first_error(both);
    EXPECT_EQ(both.live.time, replay::LiveTime::wall);

    const Read feed = read(kFeed);
    ASSERT_TRUE(feed.errors.empty()) << first_error(feed);
    EXPECT_EQ(feed.live.time, replay::LiveTime::data);
    EXPECT_FALSE(feed.live.wall_time());
}

TEST(LiveTimeConfig, EitherTimeMayBeChosenWithItsTick) {
    const Read data = read(kWebhook + R"("live": {"time": "data"},)");
    ASSERT_TRUE(data.errors.empty()) << first_error(data);
    EXPECT_EQ(data.live.time, replay::LiveTime::data);

    const Read wall = read(kFeed + R"("live": {"time": "wall", "clock_tick_ms": 250},)");
    ASSERT_TRUE(wall.errors.empty()) << first_error(wall);
    EXPECT_EQ(wall.live.time, replay::LiveTime::wall);
    EXPECT_EQ(wall.live.clock_tick_ms, 250u);
}

TEST(LiveTimeConfig, MistakesAreNamedByTheirKey) {
    const Read bad = read(kWebhook + R"("live": {"time": "exchange", "clock_tick_ms": 0,
                                                 "tick": 5},)");
    std::string all;
    for (const engine::ConfigError& e : bad.errors)
        all += e.path + ": " + e.message + "\n";
    EXPECT_NE(all.find("live.time: 'exchange' is not one of wall, data"), std::string::npos) << all;
    EXPECT_NE(all.find("live.clock_tick_ms"), std::string::npos) << all;
    EXPECT_NE(all.find("live.tick"), std::string::npos) << all;

    const Read alone = read(R"("live": {"time": "wall"}, "data": {"files": []},)");
    bool named = false;
    for (const engine::ConfigError& e : alone.errors)
        named = named || (e.path == "live" && e.message.find("live session") != std::string::npos);
    EXPECT_TRUE(named) << first_error(alone);
}
