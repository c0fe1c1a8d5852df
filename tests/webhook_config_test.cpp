// The config keys of webhook intake: webhook.extra_fields (a near miss of a field that sets size,
// price, side or symbol cannot be one), webhook.body_dedupe_window_s, and a symbol's exchange and
// aliases (an alias names one symbol only), read as keel run reads them.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "keel/engine/config/config.hpp"
#include "keel/replay/session/live_config.hpp"

using namespace keel;

namespace {

struct Read {
    engine::ConfigResult result;
    replay::LiveConfig live;
};

Read read(const std::string& symbols, const std::string& webhook_extra) {
    const std::string text = R"({"session":{"name":"t"},"symbols":)" + symbols +
                             R"(,"webhook":{"port":0,"secret":"a-long-enough-webhook-secret-0f3c")" +
                             webhook_extra +
                             R"(},"strategies":[{"type":"alert_follower","symbols":["AAPL"],)"
                             R"("quantity":"1"}],"risk":{"max_order_qty":"100"},"venue":{"type":"sim"}})";
    Read r{engine::parse_config(text, "t.json", ".", {}, {}), {}};
    if (r.result.ok())
        r.live = replay::read_live_config(r.result.config, r.result.errors);
    return r;
}

bool names(const std::vector<engine::ConfigError>& errors, const std::string& path,
           const std::string& part) {
    for (const engine::ConfigError& e : errors) {
        if (e.path == path && e.message.find(part) != std::string::npos)
            return true;
    }
    return false;
}

}  // namespace

TEST(WebhookConfig, ExtraFieldsAndTheBodyWindowAreRead) {
    const Read r = read(R"({"AAPL":{}})", R"(,"extra_fields":["my_note","bar_index"],)"
                                          R"("body_dedupe_window_s":1)");
    ASSERT_TRUE(r.result.errors.empty())
        << r.result.errors.front().path << ": " << r.result.errors.front().message;
    ASSERT_TRUE(r.live.webhook.has_value());
    EXPECT_EQ(r.live.webhook->receiver.extra_fields,
              (std::vector<std::string>{"my_note", "bar_index"}));
    EXPECT_EQ(r.live.webhook->receiver.body_dedupe_window_s, 1);
    EXPECT_EQ(read(R"({"AAPL":{}})", "").live.webhook->receiver.body_dedupe_window_s, 10);
}

TEST(WebhookConfig, AnExtraFieldThatIsANearMissOfAProtectedFieldIsAConfigError) {
    const Read r = read(R"({"AAPL":{}})", R"(,"extra_fields":["ok_field","quantiy",7])");
    EXPECT_TRUE(names(r.result.errors, "webhook.extra_fields[1]", "'quantity'"));
    EXPECT_TRUE(names(r.result.errors, "webhook.extra_fields[2]", "field name"));
}

TEST(WebhookConfig, ASymbolsExchangeAndAliasesAreReadAndAnAliasNamesOneSymbolOnly) {
    Read r = read(R"({"AAPL":{"exchange":"NASDAQ","aliases":["AAPL.O"]},"MSFT":{}})", "");
    ASSERT_TRUE(r.result.errors.empty())
        << r.result.errors.front().path << ": " << r.result.errors.front().message;
    const engine::SymbolConfig* aapl = engine::find_symbol(r.result.config, "AAPL");
    ASSERT_NE(aapl, nullptr);
    EXPECT_EQ(aapl->exchange, "NASDAQ");
    EXPECT_EQ(aapl->aliases, (std::vector<std::string>{"AAPL.O"}));
    r = read(R"({"AAPL":{"aliases":["MSFT"]},"MSFT":{}})", "");
    EXPECT_TRUE(names(r.result.errors, "symbols.AAPL.aliases[0]", "already names symbol MSFT"));
    r = read(R"({"AAPL":{"exchange":"NAS:DAQ"}})", "");
    EXPECT_TRUE(names(r.result.errors, "symbols.AAPL.exchange", "':'"));
}
