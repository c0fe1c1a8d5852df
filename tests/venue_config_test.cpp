// Proves the venue section maps key by key onto SimVenueConfig (and its threading keys onto
// VenueThreading), and that unknown keys, bad modes and models, wrong types, negative and
// out-of-range numbers are errors with key paths; buying power follows the account's cash.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "keel/adapters/alpaca/alpaca_venue_config.hpp"
#include "keel/adapters/fix/fix_venue_config.hpp"
#include "keel/adapters/sim_venue/venue_config.hpp"
#include "test_support.hpp"

using namespace keel;
using adapters::CommissionModel;
using adapters::MatchMode;
using adapters::SimVenueConfig;
using adapters::SlippageModel;
using engine::ConfigError;
using engine::Json;
using engine::Money;

namespace {

struct Parsed {
    SimVenueConfig config;
    std::vector<ConfigError> errors;
};

Parsed parse(const std::string& text, std::size_t symbol_capacity = 16) {
    Parsed p;
    p.config = adapters::sim_venue_config_from_json(Json::parse(text), symbol_capacity, p.errors);
    return p;
}

bool has_error(const std::vector<ConfigError>& errors, const std::string& path,
               const std::string& fragment) {
    return std::any_of(errors.begin(), errors.end(), [&](const ConfigError& e) {
        return e.path == path && e.message.find(fragment) != std::string::npos;
    });
}

std::string dump(const std::vector<ConfigError>& errors) {
    std::string s;
    for (const auto& e : errors)
        s += e.path + ": " + e.message + "\n";
    return s;
}

}  // namespace

TEST(VenueConfig, EveryKeyMapsOntoTheSimVenueConfig) {
    const Parsed p = parse(R"({
      "type": "sim", "mode": "bars", "resting_capacity": 64, "max_fills_per_event": 3,
      "participation": "0.25", "buying_power": "50000.5", "latency_ns": 1500,
      "latency_jitter_ns": 200,
      "slippage": {"model": "volatility", "bps": "2", "bps_per_pct": "1.5", "volatility_k": "0.1"},
      "commission": {"model": "per_share", "per_share": "0.005", "bps": 3, "min": "1"}
    })",
                           32);
    ASSERT_TRUE(p.errors.empty()) << dump(p.errors);
    const SimVenueConfig& c = p.config;
    EXPECT_EQ(c.mode, MatchMode::bars);
    EXPECT_EQ(c.resting_capacity, 64u);
    EXPECT_EQ(c.max_fills_per_event, 3u);
    EXPECT_EQ(c.symbol_capacity, 32u);
    EXPECT_EQ(c.participation.to_string(), "0.25");
    EXPECT_EQ(c.buying_power.to_string(), "50000.5");
    EXPECT_EQ(c.latency_ns, 1500);
    EXPECT_EQ(c.latency_jitter_ns, 200);
    EXPECT_EQ(c.slippage, SlippageModel::volatility);
    EXPECT_EQ(c.slippage_bps.to_string(), "2");
    EXPECT_EQ(c.slippage_bps_per_pct.to_string(), "1.5");
    EXPECT_EQ(c.volatility_k.to_string(), "0.1");
    EXPECT_EQ(c.commission, CommissionModel::per_share);
    EXPECT_EQ(c.commission_per_share.to_string(), "0.005");
    EXPECT_EQ(c.commission_bps.to_string(), "3");
    EXPECT_EQ(c.commission_min.to_string(), "1");
}

TEST(VenueConfig, OnlyTheTypeGivesPerEventMatchingAndTheDefaults) {
    const Parsed p = parse(R"({"type": "sim"})", 0);
    ASSERT_TRUE(p.errors.empty()) << dump(p.errors);
    const SimVenueConfig defaults;
    EXPECT_EQ(p.config.mode, MatchMode::per_event);
    EXPECT_EQ(p.config.symbol_capacity, 1u);  // never zero, so the venue can be built
    EXPECT_EQ(p.config.resting_capacity, defaults.resting_capacity);
    EXPECT_EQ(p.config.max_fills_per_event, defaults.max_fills_per_event);
    EXPECT_EQ(p.config.buying_power, defaults.buying_power);
    EXPECT_EQ(p.config.slippage, SlippageModel::none);
    EXPECT_EQ(p.config.commission, CommissionModel::none);
    EXPECT_TRUE(adapters::validate(p.config).empty());
}

TEST(VenueConfig, EachModeAndModelIsRecognised) {
    EXPECT_EQ(parse(R"({"mode": "ticks"})").config.mode, MatchMode::ticks);
    EXPECT_EQ(parse(R"({"mode": "per_event"})").config.mode, MatchMode::per_event);
    EXPECT_EQ(parse(R"({"slippage": {"model": "fixed_bps"}})").config.slippage,
              SlippageModel::fixed_bps);
    EXPECT_EQ(parse(R"({"slippage": {"model": "size_based"}})").config.slippage,
              SlippageModel::size_based);
    EXPECT_EQ(parse(R"({"slippage": {"model": "none"}})").config.slippage, SlippageModel::none);
    EXPECT_EQ(parse(R"({"commission": {"model": "bps"}})").config.commission, CommissionModel::bps);
    EXPECT_EQ(parse(R"({"commission": {"model": "none"}})").config.commission,
              CommissionModel::none);
}

TEST(VenueConfig, BadModesAndModelsNameTheirKey) {
    const Parsed p = parse(R"({"type": "sim", "mode": "candles",
        "slippage": {"model": "random"}, "commission": {"model": "flat"}})");
    EXPECT_EQ(p.errors.size(), 3u) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.mode", "'candles' is not one of bars, ticks"))
        << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.slippage.model", "'random' is not one of none"))
        << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.commission.model", "'flat' is not one of none"))
        << dump(p.errors);
}

TEST(VenueConfig, UnknownKeysAtEveryLevelAreErrors) {
    const Parsed p = parse(R"({"type": "sim", "colour": "red",
        "slippage": {"model": "fixed_bps", "bsp": "2"}, "commission": {"minimum": "1"}})");
    EXPECT_EQ(p.errors.size(), 3u) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.colour", "unknown key")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.slippage.bsp", "unknown key")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.commission.minimum", "unknown key")) << dump(p.errors);
}

TEST(VenueConfig, NegativeNumbersAreRefusedUnderTheirKey) {
    const Parsed p = parse(R"({"participation": "-0.1", "buying_power": "-5",
        "latency_ns": -1, "latency_jitter_ns": -2,
        "slippage": {"bps": "-2", "bps_per_pct": -1, "volatility_k": "-0.5"},
        "commission": {"per_share": "-0.01", "bps": "-1", "min": "-1"}})");
    for (const char* path :
         {"venue.participation", "venue.buying_power", "venue.slippage.bps",
          "venue.slippage.bps_per_pct", "venue.slippage.volatility_k", "venue.commission.per_share",
          "venue.commission.bps", "venue.commission.min"}) {
        EXPECT_TRUE(has_error(p.errors, path, "must not be negative")) << path << "\n"
                                                                       << dump(p.errors);
    }
    EXPECT_TRUE(has_error(p.errors, "venue.latency_ns", "expected an integer between 0"))
        << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.latency_jitter_ns", "expected an integer between 0"))
        << dump(p.errors);
    EXPECT_EQ(p.errors.size(), 10u) << dump(p.errors);
}

TEST(VenueConfig, WrongTypesAndOutOfRangeIntegersAreNamed) {
    const Parsed p = parse(R"({"mode": 3, "resting_capacity": 0, "max_fills_per_event": 1.5,
        "participation": 0.5, "buying_power": "1e6", "slippage": "fixed", "commission": []})");
    EXPECT_TRUE(has_error(p.errors, "venue.mode", "expected a string")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.resting_capacity", "between 1 and")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.max_fills_per_event", "between 1 and 4096"))
        << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.participation", "decimal string")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.buying_power", "'1e6'")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.slippage", "expected an object")) << dump(p.errors);
    EXPECT_TRUE(has_error(p.errors, "venue.commission", "expected an object")) << dump(p.errors);
    EXPECT_EQ(p.errors.size(), 7u) << dump(p.errors);
}

TEST(VenueConfig, ParticipationAboveOneIsNamedUnderItsKey) {
    const Parsed p = parse(R"({"participation": "1.5"})");
    ASSERT_EQ(p.errors.size(), 1u) << dump(p.errors);
    EXPECT_EQ(p.errors[0].path, "venue.participation");
    EXPECT_NE(p.errors[0].message.find("between 0 (no cap) and 1"), std::string::npos)
        << p.errors[0].message;
}

TEST(VenueConfig, AdapterValidationChecksOnlyTheSimVenue) {
    engine::Config config;
    config.symbol_capacity = 8;
    config.venue_type = "sim";
    config.venue_json = Json::parse(R"({"type": "sim", "mode": "candles"})");
    std::vector<ConfigError> errors;
    adapters::validate_adapter_config(config, errors);
    EXPECT_TRUE(has_error(errors, "venue.mode", "'candles'")) << dump(errors);

    config.venue_type = "ib";  // the engine's loader already reported it as unknown
    errors.clear();
    adapters::validate_adapter_config(config, errors);
    EXPECT_TRUE(errors.empty()) << dump(errors);
}

TEST(VenueConfig, ThreadingKeysAreReadAndTheirProblemsNamed) {
    std::vector<ConfigError> errors;
    adapters::VenueThreading t = adapters::venue_threading_from_json(
        Json::parse(R"({"type": "sim", "threaded": true, "idle": "busy_spin", "drain_ms": 50})"),
        errors);
    EXPECT_TRUE(errors.empty()) << dump(errors);
    EXPECT_TRUE(t.threaded);
    EXPECT_EQ(t.idle, engine::IdleKind::busy_spin);
    EXPECT_EQ(t.drain_ms, 50);
    t = adapters::venue_threading_from_json(Json::parse(R"({"type": "sim"})"), errors);
    EXPECT_FALSE(t.threaded);
    EXPECT_EQ(t.idle, engine::IdleKind::park);
    EXPECT_EQ(t.drain_ms, 2000);
    (void)adapters::venue_threading_from_json(
        Json::parse(R"({"threaded": "yes", "idle": "backoff", "drain_ms": -1})"), errors);
    EXPECT_TRUE(has_error(errors, "venue.threaded", "true or false")) << dump(errors);
    EXPECT_TRUE(has_error(errors, "venue.idle", "not one of busy_spin, yield, park"))
        << dump(errors);
    EXPECT_TRUE(has_error(errors, "venue.drain_ms", "between 0 and 600000")) << dump(errors);
    // The simulator's reader knows the keys are not its own unknowns.
    const Parsed p = parse(R"({"type": "sim", "threaded": true, "idle": "yield", "drain_ms": 5})");
    EXPECT_TRUE(p.errors.empty()) << dump(p.errors);
}

TEST(VenueConfig, BuyingPowerFollowsTheAccountsStartingCashUnlessTheVenueSetsIt) {
    std::vector<ConfigError> errors;
    const Money cash = Money::from_units(10'000'000);
    SimVenueConfig c =
        adapters::sim_venue_config_from_json(Json::parse(R"({"type": "sim"})"), 16, errors, cash);
    EXPECT_TRUE(errors.empty()) << dump(errors);
    EXPECT_EQ(c.buying_power, cash);
    c = adapters::sim_venue_config_from_json(
        Json::parse(R"({"type": "sim", "buying_power": "5000"})"), 16, errors, cash);
    EXPECT_EQ(c.buying_power, Money::from_units(5000));
}

// An account of 10,000,000 whose venue says nothing of buying power: forty orders worth 2.5% of
// it each (the whole account) are never refused insufficient_buying_power.
TEST(VenueConfig, OrdersWorthTwoAndAHalfPercentOfTenMillionAreNeverRefusedForBuyingPower) {
    std::vector<ConfigError> errors;
    SimVenueConfig c =
        adapters::sim_venue_config_from_json(Json::parse(R"({"type": "sim", "mode": "ticks"})"), 16,
                                             errors, Money::from_units(10'000'000));
    test::RecordingReplies replies;
    adapters::SimVenue venue(replies, c, 1);
    engine::Event t = engine::make_event(engine::EventType::trade, engine::Source::feed, 0, 1, 0);
    t.payload.trade.price = engine::Price::from_units(100);
    t.payload.trade.size = engine::kSizeUnknown;
    venue.on_market_data(t);
    for (std::uint64_t id = 1; id <= 40; ++id) {
        engine::Event o =
            engine::make_event(engine::EventType::order_sent, engine::Source::gateway, 0, 10, 0);
        o.payload.order.order_id = id;
        o.payload.order.side = engine::Side::buy;
        o.payload.order.order_type = engine::OrderType::market;
        o.payload.order.quantity = engine::Quantity::from_units(2500);  // 250,000 at 100
        o.payload.order.tif = engine::TimeInForce::gtc;
        o.payload.order.action = engine::OrderAction::new_order;
        venue.submit(o);
        EXPECT_EQ(replies.posted.back().header.type, engine::EventType::venue_ack) << id;
        t.header.ts_ns = 10 + static_cast<std::int64_t>(id);
        venue.on_market_data(t);
        EXPECT_EQ(replies.posted.back().header.type, engine::EventType::venue_fill) << id;
    }
}

TEST(FixVenueConfig, ReadsEverySettingWithItsDefaults) {
    std::vector<ConfigError> errors;
    const auto c = adapters::fix::fix_venue_config_from_json(
        Json::parse(R"({"type": "fix", "port": 9878, "sender_comp_id": "KEEL",
                        "target_comp_id": "VENUE", "max_resend_age_ms": 250,
                        "password": "p4ss-from-the-environment"})"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(c.session.host, "127.0.0.1");
    EXPECT_EQ(c.session.port, 9878);
    EXPECT_EQ(c.session.heartbeat_s, 30);
    EXPECT_EQ(c.session.reconnect_s, 5);
    EXPECT_EQ(c.session.start_time, "00:00:00");
    EXPECT_EQ(c.max_resend_age_ms, 250);
    EXPECT_EQ(c.status_retry_ms, 5000);
    EXPECT_EQ(c.session.password, "p4ss-from-the-environment");
    EXPECT_FALSE(c.mass_status);
    const auto with = adapters::fix::fix_venue_config_from_json(
        Json::parse(R"({"type": "fix", "port": 9878, "sender_comp_id": "KEEL",
                        "target_comp_id": "VENUE", "reconcile": {"mass_status": true}})"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(with.mass_status);
    EXPECT_FALSE(with.adopt_unknown);
    const auto adopting = adapters::fix::fix_venue_config_from_json(
        Json::parse(R"({"type": "fix", "port": 9878, "sender_comp_id": "KEEL",
                        "target_comp_id": "VENUE",
                        "reconcile": {"mass_status": true, "adopt_unknown": true}})"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_TRUE(adopting.adopt_unknown);
}

TEST(FixVenueConfig, AdoptingUnknownOrdersNeedsTheMassStatusThatFindsThem) {
    std::vector<ConfigError> errors;
    (void)adapters::fix::fix_venue_config_from_json(
        Json::parse(R"({"type": "fix", "port": 9878, "sender_comp_id": "KEEL",
                        "target_comp_id": "VENUE", "reconcile": {"adopt_unknown": true}})"),
        errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].path, "venue.reconcile.adopt_unknown");
    EXPECT_NE(errors[0].message.find("needs mass_status"), std::string::npos);
}

TEST(FixVenueConfig, NamesEveryProblemByItsKeyPath) {
    std::vector<ConfigError> errors;
    (void)adapters::fix::fix_venue_config_from_json(
        Json::parse(R"({"type": "fix", "port": 70000, "sender_comp_id": "K E",
                        "start_time": "9:30", "heartbeat_s": 0, "colour": "red",
                        "reconcile": {"mass_status": 1, "adopt": true}})"),
        errors);
    const auto has = [&](const std::string& path, const std::string& what) {
        return std::any_of(errors.begin(), errors.end(), [&](const ConfigError& e) {
            return e.path == path && e.message.find(what) != std::string::npos;
        });
    };
    EXPECT_TRUE(has("venue.port", "")) << errors.size();
    EXPECT_TRUE(has("venue.target_comp_id", "required"));
    EXPECT_TRUE(has("venue.sender_comp_id", "spaces"));
    EXPECT_TRUE(has("venue.start_time", "HH:MM:SS"));
    EXPECT_TRUE(has("venue.heartbeat_s", ""));
    EXPECT_TRUE(has("venue.colour", "unknown key"));
    EXPECT_TRUE(has("venue.reconcile.mass_status", "true or false"));
    EXPECT_TRUE(has("venue.reconcile.adopt", "unknown key"));
}

TEST(AlpacaVenueConfig, PaperIsTheDefaultAndLiveNamesAlpacasLiveHosts) {
    std::vector<ConfigError> errors;
    const auto paper = adapters::alpaca::alpaca_venue_config_from_json(
        Json::parse(R"({"type": "alpaca", "key_id": "PKABCDEFGHIJKLMNOPQR",
                        "secret_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCD"})"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(paper.base_url, "https://paper-api.alpaca.markets");
    EXPECT_EQ(paper.stream_url, "wss://paper-api.alpaca.markets/stream");
    EXPECT_EQ(paper.request_timeout_ms, 5000);
    EXPECT_EQ(paper.rate_limit_per_min, 200u);
    EXPECT_EQ(paper.account_poll_ms, 5000);
    EXPECT_EQ(paper.max_order_age_ms, 5000);
    EXPECT_FALSE(paper.adopt_unknown);
    const auto live = adapters::alpaca::alpaca_venue_config_from_json(
        Json::parse(R"({"type": "alpaca", "environment": "live", "key_id": "AKABCDEFGHIJKLMNOPQR",
                        "secret_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
                        "reconcile": {"adopt_unknown": true}})"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(live.base_url, "https://api.alpaca.markets");
    EXPECT_EQ(live.stream_url, "wss://api.alpaca.markets/stream");
    EXPECT_TRUE(live.adopt_unknown);
    const auto local = adapters::alpaca::alpaca_venue_config_from_json(
        Json::parse(R"({"type": "alpaca", "base_url": "https://localhost:8443/",
                        "stream_url": "wss://localhost:8443/stream", "ca_file": "ca.pem",
                        "key_id": "PKABCDEFGHIJKLMNOPQR",
                        "secret_key": "abcdefghijklmnopqrstuvwxyz0123456789ABCD"})"),
        errors);
    EXPECT_TRUE(errors.empty());
    EXPECT_EQ(local.base_url, "https://localhost:8443");  // no trailing slash
    EXPECT_EQ(local.ca_file, "ca.pem");
}

TEST(AlpacaVenueConfig, RefusesPlaceholderKeysPlainUrlsAndNamesEveryProblemWithoutTheKey) {
    std::vector<ConfigError> errors;
    (void)adapters::alpaca::alpaca_venue_config_from_json(
        Json::parse(R"({"type": "alpaca", "environment": "sandbox",
                        "base_url": "http://localhost:8443", "stream_url": "ws://x/stream",
                        "key_id": "change-me: set KEEL__VENUE__KEY_ID", "secret_key": "short1",
                        "rate_limit_per_min": 0, "colour": "red"})"),
        errors);
    const auto has = [&](const std::string& path, const std::string& text) {
        for (const ConfigError& e : errors)
            if (e.path == path && e.message.find(text) != std::string::npos)
                return true;
        return false;
    };
    EXPECT_TRUE(has("venue.environment", "expected paper or live"));
    EXPECT_TRUE(has("venue.base_url", "must start with https://"));
    EXPECT_TRUE(has("venue.stream_url", "must start with wss://"));
    EXPECT_TRUE(has("venue.key_id", "placeholder"));
    EXPECT_TRUE(has("venue.secret_key", "6 characters long"));
    EXPECT_TRUE(has("venue.rate_limit_per_min", ""));
    EXPECT_TRUE(has("venue.colour", ""));
    for (const ConfigError& e : errors)
        EXPECT_EQ(e.message.find("short1"), std::string::npos) << e.message;
    errors.clear();
    (void)adapters::alpaca::alpaca_venue_config_from_json(Json::parse(R"({"type": "alpaca"})"),
                                                          errors);
    EXPECT_TRUE(has("venue.key_id", ""));
    EXPECT_TRUE(has("venue.secret_key", ""));
}
