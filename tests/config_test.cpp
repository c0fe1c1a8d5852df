// Proves config validation lists every problem with its key path, environment overrides
// apply before validation, and secrets are masked in what is printed.
#include <gtest/gtest.h>

#include <algorithm>

#include "keel/engine/config.hpp"

using namespace keel::engine;

namespace {

const std::string kDir = std::string(KEEL_SOURCE_DIR) + "/config";

std::string valid_text() {
    return R"({
      "session": {"name": "t", "symbol_capacity": 8},
      "data": {"files": [{"path": "../data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
      "strategies": [{"type": "sma_cross", "symbol": "MSFT", "fast": 2, "slow": 5, "quantity": "10"}],
      "risk": {"max_order_qty": "100"},
      "venue": {"type": "sim"},
      "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"], "idle": "yield"}]
    })";
}

bool has_error(const ConfigResult& r, const std::string& path, const std::string& fragment) {
    return std::any_of(r.errors.begin(), r.errors.end(), [&](const ConfigError& e) {
        return e.path == path && e.message.find(fragment) != std::string::npos;
    });
}

std::string dump(const ConfigResult& r) {
    std::string s;
    for (const auto& e : r.errors)
        s += e.path + ": " + e.message + "\n";
    return s;
}

}  // namespace

TEST(Config, ShippedDemoConfigIsValid) {
    const ConfigResult r = load_config(kDir + "/demo.json", {});
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.session_name, "demo");
    EXPECT_EQ(r.config.plan.threads.size(), 2u);
    EXPECT_EQ(r.config.plan.threads[1].first_stage, 1u);
    EXPECT_EQ(r.config.plan.threads[1].last_stage, 3u);
}

TEST(Config, ValidTextParsesIntoTypedValues) {
    const ConfigResult r = parse_config(valid_text(), "t.json", kDir, {});
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.symbol_capacity, 8u);
    EXPECT_EQ(r.config.max_order_qty, Quantity::from_units(100));
    EXPECT_EQ(r.config.data_files[0].bar_interval_s, 86400);
    EXPECT_EQ(r.config.plan.threads[0].idle, IdleKind::yield);
    EXPECT_FALSE(r.config.plan.threads[0].cpu.has_value());
}

TEST(Config, ListsEveryMistakeAtOnceWithKeyPaths) {
    std::string text = valid_text();
    text.replace(text.find(R"("symbol_capacity": 8)"), 20,
                 R"("symbol_capacity": 8, "colour": "red")");      // unknown key
    text.replace(text.find(R"("fast": 2)"), 9, R"("fast": "2")");  // wrong type
    text.replace(text.find(R"("idle": "yield")"), 15, R"("idle": "yield", "cpu": 999)");  // no CPU
    const ConfigResult r = parse_config(text, "t.json", kDir, {});
    EXPECT_EQ(r.errors.size(), 3u) << dump(r);
    EXPECT_TRUE(has_error(r, "session.colour", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].fast", "expected an integer, got string")) << dump(r);
    EXPECT_TRUE(has_error(r, "threads[0].cpu", "CPU 999 does not exist")) << dump(r);
}

TEST(Config, ReportsMalformedJsonWithPosition) {
    const ConfigResult r = parse_config("{\n  \"session\": {,}\n}", "bad.json", kDir, {});
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0].path, "bad.json");
    EXPECT_NE(r.errors[0].message.find("at byte offset 16"), std::string::npos)
        << r.errors[0].message;
    EXPECT_NE(r.errors[0].message.find("line 2"), std::string::npos) << r.errors[0].message;
}

TEST(Config, RefusesFloatsForQuantitiesAndChecksStageOrder) {
    std::string text = valid_text();
    text.replace(text.find(R"("quantity": "10")"), 16, R"("quantity": 0.1)");
    text.replace(text.find(R"(["ingest", "strategy", "risk", "gateway"])"), 41,
                 R"(["ingest", "risk", "strategy", "gateway"])");
    const ConfigResult r = parse_config(text, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "strategies[0].quantity", "floats") ||
                has_error(r, "strategies[0].quantity", "decimal string"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "threads[0].stages[1]", "expected 'strategy'")) << dump(r);
}

TEST(Config, MissingDataFileAndUnknownStrategyAreNamed) {
    std::string text = valid_text();
    text.replace(text.find("msft_daily.csv"), 14, "nope.csv");
    text.replace(text.find(R"("sma_cross")"), 11, R"("martingale")");
    const ConfigResult r = parse_config(text, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "data.files[0].path", "file not found")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].type", "unknown strategy 'martingale'")) << dump(r);
}

TEST(Config, EnvironmentOverridesNestedValuesBeforeValidation) {
    const ConfigResult r = parse_config(
        valid_text(), "t.json", kDir,
        {"KEEL__RISK__MAX_ORDER_QTY=2.5", "KEEL__SESSION__NAME=override",
         "KEEL__STRATEGIES__0__SLOW=9", "PATH=/usr/bin", "KEEL__THREADS__0__IDLE=park"});
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.max_order_qty.to_string(), "2.5");
    EXPECT_EQ(r.config.session_name, "override");
    EXPECT_EQ(r.config.strategies[0].slow, 9u);
    EXPECT_EQ(r.config.plan.threads[0].idle, IdleKind::park);
    EXPECT_EQ(r.config.effective["risk"]["max_order_qty"], "2.5");
}

TEST(Config, EnvironmentOverrideErrorsNameTheVariable) {
    const ConfigResult r = parse_config(valid_text(), "t.json", kDir,
                                        {"KEEL__STRATEGIES__4__FAST=1", "KEEL__RISK__LIMIT=1"});
    EXPECT_TRUE(has_error(r, "env KEEL__STRATEGIES__4__FAST", "no array element")) << dump(r);
    EXPECT_TRUE(has_error(r, "risk.limit", "unknown key")) << dump(r);
}

TEST(Config, MasksSecretsAtAnyDepth) {
    const Json in = Json::parse(R"({"webhook": {"secret": "hunter2", "port": 8080},
        "brokers": [{"api_key": "abc", "name": "x"}], "auth_token": "t0k"})");
    const std::string out = mask_secrets(in).dump();
    EXPECT_EQ(out.find("hunter2"), std::string::npos);
    EXPECT_EQ(out.find("abc"), std::string::npos);
    EXPECT_EQ(out.find("t0k"), std::string::npos);
    EXPECT_NE(out.find("8080"), std::string::npos);
    EXPECT_NE(out.find(R"("name":"x")"), std::string::npos);
}
