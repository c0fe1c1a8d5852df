// Proves config validation lists every problem with its key path, environment overrides
// apply before validation, and secrets are masked in what is printed.
#include <gtest/gtest.h>

#include <algorithm>

#include "keel/engine/config/config.hpp"
#include "keel/engine/config/secrets.hpp"

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
    EXPECT_EQ(r.config.risk.max_order_qty, Quantity::from_units(100));
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

TEST(Config, DataFileFormatKeysAreReadAndBadOnesNamedByKeyPath) {
    std::string text = valid_text();
    const std::string from = R"("bar_interval": "1d"})";
    std::string good = text;
    good.replace(good.find(from), from.size(),
                 R"("bar_interval": "1d", "columns": {"time": "XDATE", "bid": "BID"},
                    "time_format": "%Y%m%d%H%M", "tz": "Europe/Zurich", "delimiter": ";",
                    "skip_rows": 2, "adjusted": true}], "sort": true, "skip_bad_rows": true)");
    good.erase(good.find("]},", good.find("skip_bad_rows")), 1);
    ConfigResult r = parse_config(good, "t.json", kDir, {});
    ASSERT_TRUE(r.ok()) << dump(r);
    const DataFileConfig& f = r.config.data_files[0];
    ASSERT_EQ(f.columns.size(), 2u);
    EXPECT_EQ(f.columns[0], (std::pair<std::string, std::string>{"time", "XDATE"}));
    EXPECT_EQ(f.time_format, "%Y%m%d%H%M");
    EXPECT_EQ(f.tz, "Europe/Zurich");
    EXPECT_EQ(f.delimiter, ';');
    EXPECT_EQ(f.skip_rows, 2u);
    EXPECT_TRUE(f.adjusted);
    EXPECT_TRUE(r.config.sort_rows);
    text.replace(text.find(from), from.size(),
                 R"("bar_interval": "1d", "tz": "Mars/Olympus", "delimiter": ";;",
                    "columns": {"time": 5}})");
    r = parse_config(text, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "data.files[0].tz", "not a time zone")) << dump(r);
    EXPECT_TRUE(has_error(r, "data.files[0].delimiter", "one character")) << dump(r);
    EXPECT_TRUE(has_error(r, "data.files[0].columns.time", "column name")) << dump(r);
}

TEST(Config, EnvironmentOverridesNestedValuesBeforeValidation) {
    const ConfigResult r = parse_config(
        valid_text(), "t.json", kDir,
        {"KEEL__RISK__MAX_ORDER_QTY=2.5", "KEEL__SESSION__NAME=override",
         "KEEL__STRATEGIES__0__SLOW=9", "PATH=/usr/bin", "KEEL__THREADS__0__IDLE=park"});
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.risk.max_order_qty.to_string(), "2.5");
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

TEST(Config, MasksExactlyTheDeclaredSecretPaths) {
    const Json in = Json::parse(R"({"webhook": {"secret": "hunter2", "signature_secret": "k3y",
        "port": 8080}, "control": {"token": "t0k", "host": "127.0.0.1"},
        "strategies": [{"type": "alert_follower", "secret": "not-one"}]})");
    const Json out = mask_secrets(in);
    EXPECT_EQ(out["webhook"]["secret"], "***");
    EXPECT_EQ(out["webhook"]["signature_secret"], "***");
    EXPECT_EQ(out["control"]["token"], "***");
    EXPECT_EQ(out["webhook"]["port"], 8080);
    EXPECT_EQ(out["control"]["host"], "127.0.0.1");
    // By declaration, not by name: a key called "secret" elsewhere is not a declared secret
    // (and a section reader would refuse it as an unknown key).
    EXPECT_EQ(out["strategies"][0]["secret"], "not-one");
    // A null (absent) secret stays null; a config without the sections is unchanged.
    EXPECT_TRUE(mask_secrets(Json::parse(R"({"control": {"token": null}})"))["control"]["token"]
                    .is_null());
    const Json plain = Json::parse(R"({"session": {"name": "x"}})");
    EXPECT_EQ(mask_secrets(plain), plain);
}

TEST(Config, VenueCredentialsAreMaskedInTheVenueSectionAndEveryAccounts) {
    const Json in = Json::parse(R"({"venue": {"type": "sim", "key_id": "AK1", "secret_key": "s1"},
        "accounts": [{"name": "a", "venue": {"type": "sim", "password": "p0", "username": "u0"}},
                     {"name": "b", "venue": {"type": "sim", "client_secret": "c1"}}]})");
    const Json out = mask_secrets(in);
    EXPECT_EQ(out["venue"]["key_id"], "***");
    EXPECT_EQ(out["venue"]["secret_key"], "***");
    EXPECT_EQ(out["venue"]["type"], "sim");
    EXPECT_EQ(out["accounts"][0]["venue"]["password"], "***");
    EXPECT_EQ(out["accounts"][0]["venue"]["username"], "***");
    EXPECT_EQ(out["accounts"][1]["venue"]["client_secret"], "***");
    EXPECT_EQ(out["accounts"][1]["name"], "b");
    EXPECT_TRUE(is_secret_path("accounts[1].venue.password"));  // as config errors name it
    EXPECT_TRUE(is_secret_path("accounts.0.venue.key_id"));
    EXPECT_FALSE(is_secret_path("accounts.0.venue.type"));
}

TEST(Config, AccountsEachNameTheirVenueAndStrategiesNameTheirAccount) {
    std::string text = valid_text();
    text.replace(text.find(R"("venue": {"type": "sim"},)"), 25,
                 R"("accounts": [{"name": "main", "venue": {"type": "sim"}},
                    {"name": "prop-1", "starting_cash": "50000", "venue": {"type": "sim"}}],)");
    text.replace(text.find(R"("quantity": "10")"), 16, R"("quantity": "10", "account": "prop-1")");
    const ConfigResult r = parse_config(text, "t.json", kDir, {});
    ASSERT_TRUE(r.ok()) << dump(r);
    ASSERT_EQ(r.config.accounts.size(), 2u);
    EXPECT_EQ(r.config.accounts[1].name, "prop-1");
    EXPECT_EQ(r.config.accounts[1].starting_cash, Money::from_units(50'000));
    EXPECT_EQ(r.config.accounts[0].starting_cash, r.config.starting_cash);
    EXPECT_EQ(r.config.strategies[0].account, 1);
}

TEST(Config, WithoutAccountsTheVenueSectionIsTheOneAccount) {
    const ConfigResult r = parse_config(valid_text(), "t.json", kDir, {});
    ASSERT_TRUE(r.ok()) << dump(r);
    ASSERT_EQ(r.config.accounts.size(), 1u);
    EXPECT_EQ(r.config.accounts[0].name, "main");
    EXPECT_EQ(r.config.accounts[0].venue_type, "sim");
    EXPECT_EQ(r.config.strategies[0].account, 0);
}

TEST(Config, RefusesBadAccountsNamingWhere) {
    std::string text = valid_text();
    text.replace(text.find(R"("venue": {"type": "sim"},)"), 25,
                 R"("venue": {"type": "sim"}, "accounts": [{"name": "a", "venue": {"type": "sim"}},
                    {"name": "a", "venue": {"type": "ftx"}}, {"name": "b c"}],)");
    text.replace(text.find(R"("quantity": "10")"), 16, R"("quantity": "10", "account": "zz")");
    const ConfigResult r = parse_config(text, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "venue", "gives each account its venue")) << dump(r);
    EXPECT_TRUE(has_error(r, "accounts[1].name", "names two accounts")) << dump(r);
    EXPECT_TRUE(has_error(r, "accounts[1].venue.type",
                          "unknown venue 'ftx' (available: sim, fix, alpaca)"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "accounts[2].name", "letters, digits")) << dump(r);
    EXPECT_TRUE(has_error(r, "accounts[2].venue", "is required")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].account", "unknown account 'zz' (accounts: a, a")) << dump(r);
    std::string one = valid_text();
    one.replace(one.find(R"("venue": {"type": "sim"},)"), 25,
                R"("accounts": [{"name": "a", "venue": {"type": "sim"}}],)");
    EXPECT_TRUE(has_error(parse_config(one, "t.json", kDir, {}), "accounts", "must list 2 to 8"));
}

TEST(Config, SecretPathsAreDeclaredDottedPathsWithArrayWildcards) {
    EXPECT_TRUE(is_secret_path("webhook.secret"));
    EXPECT_TRUE(is_secret_path("control.token"));
    EXPECT_FALSE(is_secret_path("control.host"));
    EXPECT_FALSE(is_secret_path("token"));
    EXPECT_FALSE(is_secret_path("webhook.secret.x"));
}

namespace {

// The valid base config with extra top-level sections and the given strategies list.
std::string config_with(const std::string& sections, const std::string& strategies,
                        const std::string& risk = R"({"max_order_qty": "100"})") {
    return R"({
      "session": {"name": "t", "symbol_capacity": 8},
      "data": {"files": [{"path": "../data/msft_daily.csv", "symbol": "MSFT", "bar_interval": "1d"}]},
      )" + (sections.empty() ? std::string() : sections + ",") +
           R"(
      "strategies": [)" +
           strategies + R"(],
      "risk": )" +
           risk + R"(,
      "venue": {"type": "sim"},
      "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"]}]
    })";
}

const std::string kSma =
    R"({"type": "sma_cross", "symbol": "MSFT", "fast": 2, "slow": 5, "quantity": "1"})";

ConfigResult parse_text(const std::string& text) {
    return parse_config(text, "t.json", kDir, {});
}

}  // namespace

TEST(ConfigSections, AccountSessionsSymbolsAndStrategiesParseIntoTypedValues) {
    const ConfigResult r = parse_text(config_with(
        R"("account": {"starting_cash": "250000.50"},
           "sessions": {
             "us": {"open": "09:30", "close": "16:00", "utc_offset": "-05:00",
                    "days": ["mon", "Tue", "wed", "thu", "fri"]},
             "fx": {"open": "00:00", "close": "24:00", "utc_offset": "+02:00",
                    "days": ["sun", "sat"]},
             "plain": {"open": "08:00", "close": "12:00"}},
           "symbols": {"MSFT": {"tick_size": "0.01", "session": "us"},
                       "EURUSD": {"session": "fx"}, "SPY": {}})",
        R"({"type": "sma_cross", "symbol": "MSFT", "fast": 2, "slow": 5, "timeframe": "1h",
            "sizing": {"type": "fixed_notional", "notional": "10000", "lot": "5"}},
           {"type": "orb", "symbol": "SPY", "timeframe": "5m", "range": "15m",
            "trend_timeframe": "1h", "flat_before_close": "10m", "trend_ema": 10, "volume_sma": 5,
            "atr_period": 7, "volume_factor": "1.5", "stop_atr": "0.5", "target_atr": "3",
            "allow_short": true,
            "sizing": {"type": "percent_risk", "risk": "0.01", "atr_multiple": "2"}},
           {"type": "alert_follower", "symbols": ["EURUSD", "GBPUSD"],
            "sizes": [{"symbol": "EURUSD", "timeframe": "30m", "quantity": "1000"},
                      {"symbol": "GBPUSD", "notional": "5000"}]})"));
    ASSERT_TRUE(r.ok()) << dump(r);
    const Config& c = r.config;
    EXPECT_EQ(c.starting_cash.to_string(), "250000.5");
    ASSERT_EQ(c.sessions.size(), 3u);
    const TradingSession us = c.sessions.at("us");
    EXPECT_EQ(us.open_s, (9 * 60 + 30) * 60);
    EXPECT_EQ(us.close_s, 16 * 3600);
    EXPECT_EQ(us.utc_offset_minutes, -300);
    EXPECT_EQ(us.weekdays, kMondayToFriday);
    const TradingSession fx = c.sessions.at("fx");
    EXPECT_EQ(fx.open_s, 0);
    EXPECT_EQ(fx.close_s, 86400);
    EXPECT_EQ(fx.utc_offset_minutes, 120);
    EXPECT_EQ(fx.weekdays, kSaturday | kSunday);
    const TradingSession plain = c.sessions.at("plain");
    EXPECT_EQ(plain.utc_offset_minutes, 0);
    EXPECT_EQ(plain.weekdays, kMondayToFriday);  // days default to Monday to Friday

    ASSERT_EQ(c.symbols.size(), 3u);
    EXPECT_EQ(c.symbols[0].name, "MSFT");
    EXPECT_EQ(c.symbols[0].tick_size.to_string(), "0.01");
    EXPECT_EQ(c.symbols[0].session, "us");
    EXPECT_EQ(c.symbols[2].tick_size.raw, 0);
    EXPECT_EQ(find_symbol(c, "EURUSD")->session, "fx");
    EXPECT_EQ(find_symbol(c, "GBPUSD"), nullptr);
    EXPECT_EQ(session_for(c, "MSFT").open_s, us.open_s);
    EXPECT_EQ(session_for(c, "EURUSD").utc_offset_minutes, 120);
    const TradingSession any = session_for(c, "SPY");  // no session named: all day, every day
    EXPECT_EQ(any.open_s, 0);
    EXPECT_EQ(any.close_s, 86400);
    EXPECT_EQ(any.weekdays, kEveryDay);

    ASSERT_EQ(c.strategies.size(), 3u);
    const StrategyConfig& sma = c.strategies[0];
    EXPECT_EQ(sma.type, "sma_cross");
    EXPECT_EQ(sma.symbols, std::vector<std::string>{"MSFT"});
    EXPECT_EQ(sma.timeframe_minutes, 60u);
    EXPECT_EQ(sma.sizing.kind, SizingKind::fixed_notional);
    EXPECT_EQ(sma.sizing.notional.to_string(), "10000");
    EXPECT_EQ(sma.sizing.lot.to_string(), "5");
    EXPECT_FALSE(sma.allow_short);

    const StrategyConfig& orb = c.strategies[1];
    EXPECT_EQ(orb.sizing.kind, SizingKind::percent_risk_atr);
    EXPECT_EQ(orb.sizing.risk_fraction.to_string(), "0.01");
    EXPECT_EQ(orb.sizing.atr_multiple.to_string(), "2");
    EXPECT_EQ(orb.orb.interval_minutes, 5u);
    EXPECT_EQ(orb.orb.range_minutes, 15u);
    EXPECT_EQ(orb.orb.trend_interval_minutes, 60u);
    EXPECT_EQ(orb.orb.flat_before_close_minutes, 10u);
    EXPECT_EQ(orb.orb.trend_ema, 10u);
    EXPECT_EQ(orb.orb.volume_sma, 5u);
    EXPECT_EQ(orb.orb.atr_period, 7u);
    EXPECT_EQ(orb.orb.volume_factor_raw, 1'500'000'000);
    EXPECT_EQ(orb.orb.stop_atr_raw, 500'000'000);
    EXPECT_EQ(orb.orb.target_atr_raw, 3'000'000'000);
    EXPECT_TRUE(orb.orb.allow_short);
    EXPECT_EQ(orb.orb.sizing.kind, SizingKind::percent_risk_atr);

    const StrategyConfig& alerts = c.strategies[2];
    EXPECT_EQ(alerts.symbols, (std::vector<std::string>{"EURUSD", "GBPUSD"}));
    EXPECT_TRUE(alerts.allow_short);           // followers take both sides unless told
    EXPECT_EQ(alerts.sizing.quantity.raw, 0);  // no default size: alerts size themselves
    ASSERT_EQ(alerts.alert_sizes.size(), 2u);
    EXPECT_EQ(alerts.alert_sizes[0].symbol, "EURUSD");
    EXPECT_EQ(alerts.alert_sizes[0].timeframe_minutes, 30u);
    EXPECT_EQ(alerts.alert_sizes[0].quantity.to_string(), "1000");
    EXPECT_EQ(alerts.alert_sizes[0].notional.raw, 0);
    EXPECT_EQ(alerts.alert_sizes[1].timeframe_minutes, 0u);
    EXPECT_EQ(alerts.alert_sizes[1].notional.to_string(), "5000");
}

TEST(ConfigSections, DefaultsWithoutTheNewSections) {
    const ConfigResult r = parse_text(config_with("", kSma));
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.starting_cash, Money::from_units(1'000'000));
    EXPECT_EQ(r.config.seed, 0u);
    EXPECT_TRUE(r.config.sessions.empty());
    EXPECT_TRUE(r.config.symbols.empty());
    EXPECT_EQ(r.config.strategies[0].sizing.kind, SizingKind::fixed_quantity);
    EXPECT_EQ(r.config.strategies[0].sizing.quantity, Quantity::from_units(1));
    EXPECT_EQ(r.config.strategies[0].orb.range_minutes, 30u);  // untouched default
}

TEST(ConfigSections, SeedAndStartingCashAreChecked) {
    std::string text = config_with(R"("account": {"starting_cash": "-1", "overdraft": "5"})", kSma);
    text.replace(text.find(R"("symbol_capacity": 8)"), 20, R"("symbol_capacity": 8, "seed": -3)");
    ConfigResult r = parse_text(text);
    EXPECT_TRUE(has_error(r, "account.starting_cash", "must not be negative")) << dump(r);
    EXPECT_TRUE(has_error(r, "account.overdraft", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "session.seed", "must be between 0 and")) << dump(r);
    EXPECT_EQ(r.errors.size(), 3u) << dump(r);

    text = config_with("", kSma);
    text.replace(text.find(R"("symbol_capacity": 8)"), 20, R"("symbol_capacity": 8, "seed": 7)");
    r = parse_text(text);
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.seed, 7u);
}

TEST(ConfigSections, MetricsSamplingIsReadAndAWrongOneIsNamed) {
    EXPECT_EQ(parse_text(config_with("", kSma)).config.metrics.equity_sampling,
              EquitySampling::automatic);
    ConfigResult r =
        parse_text(config_with(R"("metrics": {"equity_sampling": "daily"})", kSma));
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.metrics.equity_sampling, EquitySampling::daily);
    // live_days is gone (live sessions keep every record through a cold thread): unknown.
    r = parse_text(config_with(
        R"("metrics": {"equity_sampling": "hourly", "every": 1, "live_days": 366})", kSma));
    EXPECT_TRUE(has_error(r, "metrics.equity_sampling", "'hourly' is not one of auto, bar, daily"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "metrics.every", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "metrics.live_days", "unknown key")) << dump(r);
    EXPECT_EQ(r.errors.size(), 3u) << dump(r);
}

TEST(ConfigSections, SessionMistakesAreNamedByTheirKey) {
    const ConfigResult r = parse_text(config_with(
        R"("sessions": {
             "hours": {"open": "25:00", "close": "16:00"},
             "midnight": {"open": "24:00", "close": "24:00"},
             "offset": {"open": "09:30", "close": "16:00", "utc_offset": "-5"},
             "far": {"open": "09:30", "close": "16:00", "utc_offset": "+19:00"},
             "days": {"open": "09:30", "close": "16:00", "days": ["mon", "funday", 3]},
             "none": {"open": "09:30", "close": "16:00", "days": []},
             "backwards": {"open": "17:00", "close": "09:00"},
             "half": {"open": "09:30"},
             "extra": {"open": "09:30", "close": "16:00", "lunch": "12:00"},
             "flat": "09:30-16:00"})",
        kSma));
    EXPECT_TRUE(has_error(r, "sessions.hours.open", "'25:00' is not a time of day")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.midnight.open", "'24:00' is not a time of day")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.offset.utc_offset", "'-5' is not an offset")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.far.utc_offset", "within +-18 hours")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.days.days[1]", "expected a weekday")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.days.days[2]", "expected a weekday")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.none.days", "no trading weekday")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.backwards.close", "after the open")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.half.close", "is required")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.extra.lunch", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.flat", "expected an object")) << dump(r);
    EXPECT_EQ(r.errors.size(), 11u) << dump(r);
}

TEST(ConfigSections, SymbolMistakesAreNamedByTheirKey) {
    const ConfigResult r = parse_text(config_with(
        R"("sessions": {"us": {"open": "09:30", "close": "16:00"}},
           "symbols": {"MSFT": {"session": "london"}, "X": {"tick_size": "0"},
                       "Y": {"tick_size": 0.01, "session": "us"}, "Z": {"lot": "1"}, "W": 5})",
        kSma));
    EXPECT_TRUE(has_error(r, "symbols.MSFT.session", "no session named 'london'")) << dump(r);
    EXPECT_TRUE(has_error(r, "symbols.X.tick_size", "must be positive")) << dump(r);
    EXPECT_TRUE(has_error(r, "symbols.Y.tick_size", "decimal string")) << dump(r);
    EXPECT_TRUE(has_error(r, "symbols.Z.lot", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "symbols.W", "expected an object")) << dump(r);
    EXPECT_EQ(r.errors.size(), 5u) << dump(r);
}

TEST(ConfigSections, SizingMistakesAreNamedByTheirKey) {
    auto sma = [](const char* symbol, const std::string& sizing) {
        return std::string(R"({"type": "sma_cross", "symbol": ")") + symbol +
               R"(", "fast": 2, "slow": 5, )" + sizing + "}";
    };
    const ConfigResult r = parse_text(config_with(
        "",
        sma("A", R"("quantity": "1", "sizing": {"type": "fixed_quantity", "quantity": "1"})") +
            "," + sma("B", R"("allow_short": false)") + "," +
            sma("C", R"("sizing": {"type": "kelly"})") + "," +
            sma("D", R"("sizing": {"type": "percent_risk", "risk": "1.5", "atr_multiple": "2"})") +
            "," + sma("E", R"("sizing": {"type": "fixed_notional"})") + "," +
            sma("F", R"("sizing": {"type": "fixed_quantity", "quantity": "0.5", "lot": "1"})") +
            "," + sma("G", R"("quantity": "0")") + "," +
            sma("H", R"("sizing": {"type": "fixed_quantity", "quantity": "1", "max": "9"})") + "," +
            sma("I", R"("sizing": {"quantity": "1"})") + "," +
            sma("J", R"("sizing": {"type": "fixed_quantity", "quantity": "10", "lot": "0"})") +
            "," + sma("K", R"("quantity": "0.5")")));
    EXPECT_TRUE(has_error(r, "strategies[0].quantity", "either quantity or sizing")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[1].sizing", "is required (or the shorthand quantity)"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].sizing.type",
                          "unknown sizing 'kelly' (available: fixed_quantity, fixed_notional, "
                          "percent_risk)"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[3].sizing", "risk fraction must be in (0, 1]")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[4].sizing.notional", "is required")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[5].sizing", "at least one lot")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[6].quantity", "must be positive")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[7].sizing.max", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[8].sizing.type", "is required")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[9].sizing", "lot size must be positive")) << dump(r);
    // The shorthand is checked like the full form: half a share never trades with lot 1.
    EXPECT_TRUE(has_error(r, "strategies[10].quantity", "at least one lot")) << dump(r);
    // One message per mistake.
    EXPECT_EQ(r.errors.size(), 11u) << dump(r);
}

TEST(ConfigSections, RiskLimitsParseByNameWithReadableHoursAndDates) {
    const ConfigResult r =
        parse_text(config_with("", kSma,
                               R"({"max_order_qty": "100", "max_open_orders": 5, "collar_bps": 50,
            "trading_hours": {"open": "09:30", "close": "16:00", "utc_offset": "-05:00",
                              "days": ["mon", "tue"]},
            "pdt_effective_from": "2024-02-29", "restricted_symbols": ["GME"]})"));
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_EQ(r.config.risk.max_order_qty, Quantity::from_units(100));
    EXPECT_EQ(r.config.risk.max_open_orders, 5);
    EXPECT_EQ(r.config.risk.collar_bps, 50);
    EXPECT_EQ(r.config.risk.trading_hours.open_s, 570 * 60);
    EXPECT_EQ(r.config.risk.trading_hours.close_s, 960 * 60);
    EXPECT_EQ(r.config.risk.trading_hours.utc_offset_minutes, -300);
    EXPECT_EQ(r.config.risk.trading_hours.weekdays, 3);
    EXPECT_EQ(r.config.risk.pdt_effective_from_ns, 1'709'164'800'000'000'000);
    EXPECT_EQ(r.config.restricted_symbols, std::vector<std::string>{"GME"});
}

TEST(ConfigSections, RiskMistakesAreNamedByTheirKey) {
    const ConfigResult r = parse_text(config_with(
        "", kSma,
        R"({"max_open_orders": "five", "trading_hours": {"open": "16:00", "close": "09:30"},
            "pdt_effective_to": "2023-02-29", "max_orders": 3})"));
    EXPECT_TRUE(has_error(r, "risk.max_open_orders", "expected an integer")) << dump(r);
    EXPECT_TRUE(has_error(r, "risk.trading_hours.close", "must be after the open")) << dump(r);
    EXPECT_TRUE(has_error(r, "risk.pdt_effective_to", "is not a date")) << dump(r);
    EXPECT_TRUE(has_error(r, "risk.max_orders", "unknown key")) << dump(r);
    EXPECT_EQ(r.errors.size(), 4u) << dump(r);
}

TEST(ConfigSections, UnknownStrategyTypeListsTheAvailableOnes) {
    const ConfigResult r =
        parse_text(config_with("", R"({"type": "grid", "symbol": "MSFT", "quantity": "1"})"));
    EXPECT_TRUE(has_error(r, "strategies[0].type",
                          "unknown strategy 'grid' (available: sma_cross, orb, alert_follower)"))
        << dump(r);
}

TEST(ConfigSections, StrategiesMayShareASymbolButNameEachOfTheirsOnce) {
    const ConfigResult r = parse_text(
        config_with("", kSma + "," + kSma +
                            R"(, {"type": "alert_follower", "symbols": ["EURUSD", "MSFT"]},
                   {"type": "alert_follower", "symbols": ["GBPUSD", "GBPUSD"]})"));
    EXPECT_TRUE(has_error(r, "strategies[3].symbols[1]", "'GBPUSD' is listed twice")) << dump(r);
    EXPECT_EQ(r.errors.size(), 1u) << dump(r);
}

TEST(ConfigSections, StrategiesSharingASymbolTradeOneAccount) {
    std::string text = valid_text();
    text.replace(text.find(R"("venue": {"type": "sim"},)"), 25,
                 R"("accounts": [{"name": "a", "venue": {"type": "sim"}},
                    {"name": "b", "venue": {"type": "sim"}}],)");
    text.replace(text.find(R"("quantity": "10"})"), 17,
                 R"("quantity": "10"}, {"type": "sma_cross", "symbol": "MSFT", "fast": 3,
                    "slow": 8, "quantity": "1", "account": "b"})");
    const ConfigResult r = parse_text(text);
    EXPECT_TRUE(has_error(r, "strategies[1].account",
                          "trades 'MSFT' on another account than strategies[0] (strategies on one "
                          "symbol share one account)"))
        << dump(r);
    EXPECT_EQ(r.errors.size(), 1u) << dump(r);
    // On the same account they are fine.
    text.replace(text.find(R"("account": "b")"), 14, R"("account": "a")");
    EXPECT_TRUE(parse_text(text).ok()) << dump(parse_text(text));
}

TEST(ConfigSections, StrategySymbolListsAreChecked) {
    const ConfigResult r = parse_text(config_with("", R"({"type": "alert_follower", "symbols": []},
               {"type": "alert_follower", "symbols": ["A", 7]},
               {"type": "sma_cross", "symbols": ["MSFT"], "fast": 2, "slow": 5, "quantity": "1"},
               {"type": "orb", "quantity": "1"})"));
    EXPECT_TRUE(has_error(r, "strategies[0].symbols", "needs at least one symbol")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[1].symbols[1]", "expected a string")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].symbol", "is required")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].symbols", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[3].symbol", "is required")) << dump(r);
    EXPECT_EQ(r.errors.size(), 5u) << dump(r);
}

TEST(ConfigSections, OrbParameterMistakesAreNamed) {
    const ConfigResult r = parse_text(config_with(
        "", R"({"type": "orb", "symbol": "A", "quantity": "1", "timeframe": "15m", "range": "5m"},
               {"type": "orb", "symbol": "B", "quantity": "1", "timeframe": "1h"},
               {"type": "orb", "symbol": "C", "quantity": "1", "timeframe": "5x",
                "flat_before_close": "90s", "stop_atr": "0", "trend_ema": 0, "fast": 3})"));
    EXPECT_TRUE(has_error(r, "strategies[0].range", "at least one bar of the timeframe"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[1].trend_timeframe", "must differ from timeframe"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[1].range", "at least one bar")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].timeframe", "'5x' is not a duration")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].flat_before_close", "'90s' is not a duration"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].stop_atr", "must be positive")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].trend_ema", "must be between 1 and")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[2].fast", "unknown key")) << dump(r);
    EXPECT_EQ(r.errors.size(), 8u) << dump(r);
}

TEST(ConfigSections, AlertSizeMistakesAreNamed) {
    const ConfigResult r = parse_text(
        config_with("", R"({"type": "alert_follower", "symbols": ["EURUSD", "GBPUSD"], "sizes": [
                  {"symbol": "EURUSD", "quantity": "1", "notional": "100"},
                  {"symbol": "GBPUSD"},
                  {"symbol": "USDJPY", "quantity": "1"},
                  {"symbol": "EURUSD", "timeframe": "soon", "quantity": "1"},
                  {"symbol": "EURUSD", "notional": "-5"},
                  {"symbol": "EURUSD", "quantity": "1", "side": "buy"},
                  "EURUSD=1"]})"));
    EXPECT_TRUE(
        has_error(r, "strategies[0].sizes[0].quantity", "exactly one of quantity or notional"))
        << dump(r);
    EXPECT_TRUE(
        has_error(r, "strategies[0].sizes[1].quantity", "exactly one of quantity or notional"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].sizes[2].symbol",
                          "'USDJPY' is not one of this strategy's symbols"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].sizes[3].timeframe", "'soon' is not a timeframe"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].sizes[4].notional", "must be positive")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].sizes[5].side", "unknown key")) << dump(r);
    EXPECT_TRUE(has_error(r, "strategies[0].sizes[6]", "expected an object")) << dump(r);
    EXPECT_EQ(r.errors.size(), 7u) << dump(r);
}

TEST(ConfigSections, EnvironmentOverridesReachTheNewSectionsWhateverTheKeysCase) {
    // Variable names are lower-cased, but symbol names are usually upper case: an override
    // must reach symbols.MSFT rather than create a symbol "msft".
    const ConfigResult r =
        parse_config(config_with(R"("sessions": {"us": {"open": "09:30", "close": "16:00"}},
                       "symbols": {"MSFT": {"tick_size": "0.01", "session": "us"}})",
                                 kSma),
                     "t.json", kDir,
                     {"KEEL__SYMBOLS__MSFT__TICK_SIZE=0.05", "KEEL__SESSIONS__US__OPEN=10:00",
                      "KEEL__ACCOUNT__STARTING_CASH=5000", "KEEL__SESSION__SEED=99"});
    ASSERT_TRUE(r.ok()) << dump(r);
    ASSERT_EQ(r.config.symbols.size(), 1u);
    EXPECT_EQ(r.config.symbols[0].tick_size.to_string(), "0.05");
    EXPECT_EQ(r.config.sessions.at("us").open_s, 600 * 60);
    EXPECT_EQ(r.config.starting_cash.to_string(), "5000");
    EXPECT_EQ(r.config.seed, 99u);
}

// A repeated key at any depth is an error naming it, never "the last one wins" (an appended
// "risk": {} used to switch every risk limit off and pass config check).
TEST(ConfigStrictJson, ARepeatedKeyAtAnyDepthIsAnErrorNamingIt) {
    std::string text = valid_text();
    const std::string top = text.substr(0, text.rfind('}')) + R"(, "risk": {}})";
    ConfigResult r = parse_config(top, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "risk", "duplicate key 'risk'")) << dump(r);
    std::string nested = text;
    nested.replace(nested.find(R"("max_order_qty": "100")"), 22,
                   R"("max_order_qty": "100", "max_order_qty": "0")");
    r = parse_config(nested, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "risk.max_order_qty", "duplicate key")) << dump(r);
    std::string in_array = text;
    in_array.replace(in_array.find(R"("fast": 2)"), 9, R"("fast": 2, "fast": 3)");
    r = parse_config(in_array, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "strategies[0].fast", "duplicate key")) << dump(r);
    // The same key in two different objects is fine.
    EXPECT_TRUE(parse_config(text, "t.json", kDir, {}).ok());
}

// Nesting a million deep is refused at 64 levels with an error, not a crash; so is a string
// past 64 KiB; a long value echoed in an error is cut to a readable length.
TEST(ConfigStrictJson, DepthAndSizeAreBoundedAndEchoedValuesAreCut) {
    const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
    ConfigResult r = parse_config(deep, "t.json", kDir, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(dump(r).find("nesting deeper than 64 levels"), std::string::npos) << dump(r).substr(0, 300);
    const std::string deep_obj = R"({"session": )" + std::string(100'000, '[') + "1" +
                                 std::string(100'000, ']') + "}";
    r = parse_config(deep_obj, "t.json", kDir, {});
    EXPECT_NE(dump(r).find("nesting deeper"), std::string::npos);
    std::string text = valid_text();
    const std::string big(100'000, 'x');
    text.replace(text.find(R"("name": "t")"), 11, R"("name": ")" + big + R"(")");
    r = parse_config(text, "t.json", kDir, {});
    EXPECT_TRUE(has_error(r, "session.name", "a string of 100000 bytes")) << dump(r).substr(0, 300);
    std::string venue = valid_text();
    venue.replace(venue.find(R"("type": "sim")"), 13, R"("type": ")" + std::string(50'000, 'v') + R"(")");
    r = parse_config(venue, "t.json", kDir, {});
    ASSERT_FALSE(r.ok());
    EXPECT_LT(dump(r).size(), 2000u) << "an echoed value is cut";
    EXPECT_NE(dump(r).find("(50000 bytes)"), std::string::npos) << dump(r);
}
