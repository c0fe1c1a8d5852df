// ControlApi as a plain handler: bearer-token checks, every route's answers and error codes,
// commands journaled (and answered only once durable) with /api/risk staging then committing,
// an audit event for every call, and the token never in an event or a response.
#include "keel/adapters/control/control_api.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "keel/engine/pipeline/state_snapshot.hpp"

namespace keel::adapters::control {
namespace {

using engine::ApiCode;
using engine::ApiEndpoint;
using engine::CommandCode;
using engine::Event;
using engine::EventType;
using engine::HttpMethod;
using engine::Money;
using engine::Quantity;
using engine::RiskLimit;
using http::HttpRequest;
using http::HttpResponse;
using Json = nlohmann::json;

constexpr const char* kToken = "tok-3f9a1c77e2b04d6a8e51";

// Records every submitted event; tracked events are answered per mode.
class FakePort final : public InputPort {
  public:
    enum class Mode { ack, never, refuse };
    Mode mode = Mode::ack;
    // Command events accepted before the queue reports itself full (audits always fit unless
    // audits_full is set).
    std::size_t commands_left = 1000;
    bool audits_full = false;
    // Command submissions (counted from 0, refused ones included) the queue refuses.
    std::vector<std::size_t> refuse_attempts;
    std::size_t command_attempts = 0;

    bool submit(const Event& e) noexcept override { return accept(e, false); }
    std::optional<Ticket> submit_tracked(const Event& e, std::string_view) noexcept override {
        if (!accept(e, true))
            return std::nullopt;
        return static_cast<Ticket>(events.size() - 1);
    }
    Fate fate(Ticket) const noexcept override {
        switch (mode) {
            case Mode::ack:
                return Fate::durable;
            case Mode::never:
                return Fate::pending;
            case Mode::refuse:
                return Fate::refused;
        }
        return Fate::pending;
    }
    std::uint64_t seq(Ticket t) const noexcept override { return mode == Mode::ack ? 1000 + t : 0; }
    void release(Ticket t) noexcept override { released.push_back(t); }

    std::vector<Event> of_type(EventType type) const {
        std::vector<Event> out;
        for (const Event& e : events) {
            if (e.header.type == type)
                out.push_back(e);
        }
        return out;
    }

    std::vector<Event> events;
    std::vector<bool> tracked;
    std::vector<Ticket> released;

  private:
    bool accept(const Event& e, bool is_tracked) {
        if (e.header.type != EventType::audit &&
            std::find(refuse_attempts.begin(), refuse_attempts.end(), command_attempts++) !=
                refuse_attempts.end())
            return false;
        if (e.header.type == EventType::audit ? audits_full : commands_left == 0)
            return false;
        if (e.header.type != EventType::audit)
            --commands_left;
        events.push_back(e);
        tracked.push_back(is_tracked);
        return true;
    }
};

// Runs tasks in time order on a manual clock.
class ManualScheduler final : public Scheduler {
  public:
    Clock::time_point now() const override { return now_; }
    void after(Clock::duration delay, std::function<void()> task) override {
        tasks_.emplace(now_ + delay, std::move(task));
    }
    // Runs the earliest task; false when none is left.
    bool step() {
        if (tasks_.empty())
            return false;
        auto it = tasks_.begin();
        now_ = it->first;
        auto task = std::move(it->second);
        tasks_.erase(it);
        task();
        return true;
    }
    [[nodiscard]] std::size_t pending() const { return tasks_.size(); }

  private:
    Clock::time_point now_{};
    std::multimap<Clock::time_point, std::function<void()>> tasks_;
};

class ControlApiTest : public ::testing::Test {
  protected:
    ControlApiTest() {
        board.set_journal_recovered(true);
        board.set_feed_connected(true);
        board.set_venue_connected(true);
    }

    ControlApi& api() {
        if (!api_) {
            ControlApiOptions options;
            options.token = require_token ? kToken : "";
            options.require_token = require_token;
            options.poll_interval = std::chrono::milliseconds(1);
            options.durable_timeout = std::chrono::milliseconds(50);
            options.max_body_bytes = 1024;
            options.accounts = accounts;
            api_.emplace(
                ControlApiDeps{port, scheduler, publisher, board, [this] { return metrics; }},
                std::move(options));
        }
        return *api_;
    }

    // Sends one request and runs scheduled tasks until it is answered (at most 10000 steps).
    std::optional<HttpResponse> call(HttpMethod method, std::string target, std::string body = "",
                                     std::optional<std::string> auth = std::string("Bearer ") +
                                                                       kToken) {
        HttpRequest r;
        r.method = method;
        r.target = std::move(target);
        r.body = std::move(body);
        r.remote_ipv4 = 0x0A000005;  // 10.0.0.5
        r.remote = "10.0.0.5";
        if (auth)
            r.headers.emplace_back("authorization", *auth);
        std::optional<HttpResponse> answer;
        int answers = 0;
        api().handle(std::move(r), [&](HttpResponse resp) {
            ++answers;
            answer = std::move(resp);
        });
        for (int i = 0; i < 10000 && !answer && scheduler.step(); ++i) {
        }
        EXPECT_LE(answers, 1) << "a request was answered more than once";
        responses.push_back(answer);
        return answer;
    }
    std::optional<HttpResponse> get(std::string target) {
        return call(HttpMethod::get, std::move(target));
    }
    std::optional<HttpResponse> post(std::string target, std::string body = "") {
        return call(HttpMethod::post, std::move(target), std::move(body));
    }

    static std::string error_of(const std::optional<HttpResponse>& r) {
        if (!r)
            return "<no answer>";
        return Json::parse(r->body).at("error").get<std::string>();
    }
    static std::string header_of(const HttpResponse& r, std::string_view name) {
        for (const auto& [k, v] : r.headers) {
            if (k == name)
                return v;
        }
        return {};
    }

    std::vector<Event> commands() const { return port.of_type(EventType::command); }

    FakePort port;
    ManualScheduler scheduler;
    StatePublisher publisher;
    ReadinessBoard board;
    MetricsSnapshot metrics;
    std::vector<std::optional<HttpResponse>> responses;
    std::vector<std::string> accounts{"main"};  // set before the first call
    bool require_token = true;                  // set before the first call (control.auth)

  private:
    std::optional<ControlApi> api_;
};

TEST_F(ControlApiTest, EmptyTokenIsAStartUpError) {
    ControlApiOptions options;
    EXPECT_THROW(ControlApi(ControlApiDeps{port, scheduler, publisher, board,
                                           [] { return MetricsSnapshot{}; }},
                            options),
                 std::invalid_argument);
}

TEST_F(ControlApiTest, ATokenThatIsNotRequiredIsAStartUpError) {
    ControlApiOptions options;
    options.token = kToken;
    options.require_token = false;
    EXPECT_THROW(ControlApi(ControlApiDeps{port, scheduler, publisher, board,
                                           [] { return MetricsSnapshot{}; }},
                            options),
                 std::invalid_argument);
}

// control.auth "none" (the config allows it on loopback only): every route answers without a
// token, and a command is journaled as with one.
TEST_F(ControlApiTest, WithoutARequiredTokenProtectedRoutesAnswerWithoutOne) {
    require_token = false;
    const auto metrics_page = call(HttpMethod::get, "/metrics", "", std::nullopt);
    ASSERT_TRUE(metrics_page);
    EXPECT_EQ(metrics_page->status, 200u);
    const auto kill = call(HttpMethod::post, "/api/kill", "", std::nullopt);
    ASSERT_TRUE(kill);
    EXPECT_EQ(kill->status, 200u) << kill->body;
    ASSERT_EQ(commands().size(), 1u);
    EXPECT_EQ(commands()[0].payload.command.code, CommandCode::kill);
}

TEST_F(ControlApiTest, HealthLiveAnswersWithoutAToken) {
    const auto r = call(HttpMethod::get, "/health/live", "", std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(Json::parse(r->body).at("live"), true);
}

TEST_F(ControlApiTest, HealthReadyIs200WhenEveryCheckPasses) {
    const auto r = call(HttpMethod::get, "/health/ready", "", std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(Json::parse(r->body).at("ready"), true);
}

TEST_F(ControlApiTest, HealthReadyIs503ListingTheFailingChecks) {
    board.set_journal_recovered(false);
    board.set_stale_symbols(2);
    auto r = call(HttpMethod::get, "/health/ready", "", std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503u);
    Json j = Json::parse(r->body);
    EXPECT_EQ(j.at("error"), "not_ready");
    EXPECT_EQ(j.at("failing"), Json::array({"journal_recovered", "feed_fresh"}));
    EXPECT_NE(j.at("message").get<std::string>().find("feed_fresh"), std::string::npos);

    board.set_journal_recovered(true);
    board.set_stale_symbols(0);
    board.set_feed_connected(false);
    board.set_venue_connected(false);
    r = get("/health/ready");
    ASSERT_TRUE(r);
    EXPECT_EQ(Json::parse(r->body).at("failing"), Json::array({"feed_fresh", "venue_connected"}));
}

TEST_F(ControlApiTest, ProtectedRoutesRefuseAMissingOrWrongToken) {
    const std::vector<std::optional<std::string>> bad = {
        std::nullopt,
        std::string(""),
        std::string("Bearer"),
        std::string("Bearer "),
        std::string("Bearer wrong"),
        std::string("Bearer ") + kToken + "x",
        std::string("Bearer ") + std::string(kToken).substr(1),
        std::string("Basic ") + kToken,
        std::string(kToken),
    };
    for (const char* path :
         {"/metrics", "/api/status", "/api/positions", "/api/orders", "/api/account", "/api/pause",
          "/api/resume", "/api/kill", "/api/unkill", "/api/risk", "/api/venue/ack-positions",
          "/no/such/route"}) {
        for (const auto& auth : bad) {
            const auto r = call(HttpMethod::get, path, "", auth);
            ASSERT_TRUE(r);
            EXPECT_EQ(r->status, 401u) << path << " with " << auth.value_or("<none>");
            EXPECT_EQ(error_of(r), "unauthorized");
            EXPECT_EQ(header_of(*r, "WWW-Authenticate"), "Bearer");
        }
    }
    EXPECT_TRUE(commands().empty());
}

TEST_F(ControlApiTest, BearerSchemeIsCaseInsensitiveAndSurroundingSpaceIgnored) {
    publisher.publish(StateView{});
    for (const std::string& auth :
         {std::string("bearer ") + kToken, std::string("BEARER ") + kToken,
          std::string("  Bearer   ") + kToken + "  "}) {
        const auto r = call(HttpMethod::get, "/api/status", "", auth);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200u) << auth;
    }
}

TEST_F(ControlApiTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    auto r = get("/api/nothing");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 404u);
    EXPECT_EQ(error_of(r), "not_found");

    r = get("/api/kill");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u);
    EXPECT_EQ(error_of(r), "method_not_allowed");
    EXPECT_EQ(header_of(*r, "Allow"), "POST");

    r = post("/api/status");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u);
    EXPECT_EQ(header_of(*r, "Allow"), "GET");

    r = call(HttpMethod::post, "/health/live", "", std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 405u);
    EXPECT_TRUE(commands().empty());
}

TEST_F(ControlApiTest, QueryStringDoesNotChangeTheRoute) {
    const auto r = call(HttpMethod::get, "/health/live?probe=1", "", std::nullopt);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
}

TEST_F(ControlApiTest, StateRoutesAre503UntilTheFirstPublish) {
    for (const char* path : {"/api/status", "/api/positions", "/api/orders", "/api/account"}) {
        const auto r = get(path);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 503u) << path;
        EXPECT_EQ(error_of(r), "not_ready");
    }
}

StateView sample_view() {
    StateView v;
    v.session = "paper \"eu\"";
    v.state = RunState::running;
    v.last_seq = 812;
    v.events = 811;
    v.risk_flags = engine::kRiskPaused | engine::kRiskHalted;
    v.limits.max_order_qty = engine::Quantity::from_raw(500 * engine::kScale);
    v.limits.max_open_orders = 7;
    v.limits.max_drawdown_pct = 5'500'000'000;  // 5.5%
    v.limits.trading_hours.utc_offset_minutes = -300;
    v.restricted_symbols = {"GME"};
    v.positions.push_back({"EURUSD", engine::Quantity::from_raw(-1'500'000'000'000),
                           engine::Price::from_raw(1'085'430'000),
                           engine::Money::from_raw(12'345'678'901), engine::Money::from_raw(-1)});
    OrderView o;
    o.id = (std::uint64_t{1} << 63) | 77;
    o.symbol = "EURUSD";
    o.side = engine::Side::buy;
    o.type = engine::OrderType::limit;
    o.price = engine::Price::from_raw(1'080'000'000);
    o.quantity = engine::Quantity::from_raw(1000 * engine::kScale);
    o.filled = engine::Quantity::from_raw(250 * engine::kScale);
    o.status = engine::OrderStatus::partially_filled;
    v.orders.push_back(o);
    v.account.starting_cash = engine::Money::from_units(100'000);
    v.account.cash = engine::Money::from_raw(101'234'567'890'123);
    v.account.equity = engine::Money::from_raw(100'000'000'000'001);
    v.account.realized = engine::Money::from_raw(12'345'678'901);
    v.account.unrealized = engine::Money::from_raw(-1);
    v.account.fees = engine::Money::from_raw(2'500'000'000);
    v.account.max_drawdown = engine::Money::from_raw(310'000'000'000);
    return v;
}

TEST_F(ControlApiTest, StatusReportsSessionRiskFlagsAndLimitsInForce) {
    publisher.publish(sample_view());
    const auto r = get("/api/status");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200u);
    EXPECT_EQ(r->content_type, "application/json");
    const Json j = Json::parse(r->body);
    EXPECT_EQ(j.at("session"), "paper \"eu\"");
    EXPECT_EQ(j.at("state"), "running");
    EXPECT_EQ(j.at("last_seq"), 812);
    EXPECT_EQ(j.at("events"), 811);
    EXPECT_EQ(j.at("risk"), Json({{"killed", false},
                                  {"paused", true},
                                  {"halted", true},
                                  {"positions_mismatch", false}}));
    const Json& limits = j.at("limits");
    EXPECT_EQ(limits.at("max_order_qty"), "500");
    EXPECT_EQ(limits.at("max_open_orders"), "7");
    EXPECT_EQ(limits.at("max_drawdown_pct"), "5.5");
    EXPECT_EQ(limits.at("utc_offset_minutes"), "-300");
    EXPECT_EQ(limits.at("trading_days_mask"), "31");
    EXPECT_EQ(limits.size(), 23u);  // every global limit, none of the per-symbol ones
    EXPECT_FALSE(limits.contains("tick_size"));
    EXPECT_EQ(j.at("restricted_symbols"), Json::array({"GME"}));
}

TEST_F(ControlApiTest, PositionsOrdersAndAccountAreExactDecimalStrings) {
    publisher.publish(sample_view());
    auto r = get("/api/positions");
    ASSERT_TRUE(r);
    Json p = Json::parse(r->body).at("positions").at(0);
    EXPECT_EQ(p, Json({{"symbol", "EURUSD"},
                       {"quantity", "-1500"},
                       {"average_price", "1.08543"},
                       {"realized", "12.345678901"},
                       {"unrealized", "-0.000000001"}}));

    r = get("/api/orders");
    ASSERT_TRUE(r);
    Json o = Json::parse(r->body).at("orders").at(0);
    EXPECT_EQ(o, Json({{"id", "9223372036854775885"},
                       {"symbol", "EURUSD"},
                       {"side", "buy"},
                       {"type", "limit"},
                       {"price", "1.08"},
                       {"stop_price", "0"},
                       {"quantity", "1000"},
                       {"filled", "250"},
                       {"status", "partially_filled"}}));

    r = get("/api/account");
    ASSERT_TRUE(r);
    EXPECT_EQ(Json::parse(r->body), Json({{"starting_cash", "100000"},
                                          {"cash", "101234.567890123"},
                                          {"equity", "100000.000000001"},
                                          {"realized", "12.345678901"},
                                          {"unrealized", "-0.000000001"},
                                          {"fees", "2.5"},
                                          {"max_drawdown", "310"}}));
}

TEST_F(ControlApiTest, ABrokersFiguresAndAnUnacknowledgedPositionMismatchAreShown) {
    StateView v = sample_view();
    v.account.broker = true;
    v.account.broker_cash = engine::Money::from_units(99'000);
    v.account.broker_buying_power = engine::Money::from_units(198'000);
    v.account.broker_equity = engine::Money::from_units(100'500);
    v.risk_flags = engine::kRiskPositionsUnconfirmed;
    publisher.publish(v);
    const Json account = Json::parse(get("/api/account")->body);
    EXPECT_EQ(account.at("broker"), Json({{"cash", "99000"},
                                          {"buying_power", "198000"},
                                          {"equity", "100500"}}));
    const Json risk = Json::parse(get("/api/status")->body).at("risk");
    EXPECT_EQ(risk.at("positions_mismatch"), true);
    EXPECT_EQ(risk.at("killed"), false);
    publisher.publish(sample_view());  // a simulated venue: no broker, nothing to acknowledge
    EXPECT_FALSE(Json::parse(get("/api/account")->body).contains("broker"));
    EXPECT_EQ(Json::parse(get("/api/status")->body).at("risk").at("positions_mismatch"), false);
}

TEST_F(ControlApiTest, PublishedStateReplacesTheOldSnapshot) {
    StateView v;
    v.last_seq = 1;
    publisher.publish(v);
    const auto before = publisher.current();
    v.last_seq = 2;
    publisher.publish(v);
    EXPECT_EQ(before->last_seq, 1u);  // a reader's snapshot stays as it was
    const auto r = get("/api/status");
    ASSERT_TRUE(r);
    EXPECT_EQ(Json::parse(r->body).at("last_seq"), 2);
}

TEST_F(ControlApiTest, PauseResumeUnkillAckPositionsAreAnsweredWithTheirSeqOnlyOnceDurable) {
    const std::pair<const char*, CommandCode> routes[] = {
        {"/api/pause", CommandCode::pause},
        {"/api/resume", CommandCode::resume},
        {"/api/unkill", CommandCode::unkill},
        {"/api/venue/ack-positions", CommandCode::ack_positions}};
    for (const auto& [path, code] : routes) {
        port.events.clear();
        port.tracked.clear();
        HttpRequest req;
        req.method = HttpMethod::post;
        req.target = path;
        req.headers.emplace_back("authorization", std::string("Bearer ") + kToken);
        std::optional<HttpResponse> answer;
        api().handle(std::move(req), [&](HttpResponse r) { answer = std::move(r); });
        // Durable already, but the answer still comes from the poll task, never inline: the
        // I/O thread is not held while the journal works.
        EXPECT_FALSE(answer) << path;
        ASSERT_EQ(port.events.size(), 1u);
        EXPECT_TRUE(port.tracked[0]);
        const Event& e = port.events[0];
        EXPECT_EQ(e.header.type, EventType::command);
        EXPECT_EQ(e.header.source, engine::Source::control);
        EXPECT_EQ(e.payload.command.code, code);
        EXPECT_EQ(e.payload.command.arg, 0);
        while (!answer && scheduler.step()) {
        }
        ASSERT_TRUE(answer) << path;
        EXPECT_EQ(answer->status, 200u);
        EXPECT_EQ(Json::parse(answer->body), Json({{"accepted", true}, {"seq", 1000}}));
        EXPECT_EQ(port.released.back(), 0u);
    }
}

TEST_F(ControlApiTest, CommandsTakeAnEmptyObjectButNoFields) {
    auto r = post("/api/pause", "  {}  ");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    r = post("/api/resume", R"({"now":true})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(error_of(r), "bad_field");
    EXPECT_NE(r->body.find("'now'"), std::string::npos);
    EXPECT_EQ(commands().size(), 1u);
}

TEST_F(ControlApiTest, KillFlattenSetsArgOneAndDefaultsToNoFlatten) {
    auto r = post("/api/kill", R"({"flatten":true})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    r = post("/api/kill");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    r = post("/api/kill", R"({"flatten":false})");
    ASSERT_TRUE(r);
    const auto c = commands();
    ASSERT_EQ(c.size(), 3u);
    EXPECT_EQ(c[0].payload.command.code, CommandCode::kill);
    EXPECT_EQ(c[0].payload.command.arg, 1);
    EXPECT_EQ(c[1].payload.command.arg, 0);
    EXPECT_EQ(c[2].payload.command.arg, 0);
}

TEST_F(ControlApiTest, CommandsNamingAnAccountActOnItAloneAndUnknownAccountsAre400) {
    accounts = {"fx", "stocks"};
    ASSERT_EQ(post("/api/kill", R"({"flatten":true,"account":"stocks"})")->status, 200u);
    ASSERT_EQ(post("/api/pause", R"({"account":"fx"})")->status, 200u);
    ASSERT_EQ(post("/api/resume")->status, 200u);
    ASSERT_EQ(post("/api/risk", R"({"account":"stocks","max_order_qty":"5"})")->status, 200u);
    auto r = post("/api/unkill", R"({"account":"bonds"})");
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(error_of(r), "bad_field");
    EXPECT_NE(r->body.find("unknown account 'bonds' (accounts: fx, stocks)"), std::string::npos)
        << r->body;
    EXPECT_EQ(post("/api/kill", R"({"account":2})")->status, 400u);
    EXPECT_EQ(post("/api/risk", R"({"account":"fx"})")->status, 400u);  // no limits
    const auto c = commands();
    ASSERT_EQ(c.size(), 5u);
    // 1-based: account k of several is k+1; 0 is every account.
    EXPECT_EQ(c[0].payload.command.code, CommandCode::kill);
    EXPECT_EQ(c[0].payload.command.arg, 1);
    EXPECT_EQ(c[0].payload.command.account, 2);
    EXPECT_EQ(c[1].payload.command.account, 1);
    EXPECT_EQ(c[2].payload.command.account, 0);
    EXPECT_EQ(c[3].payload.command.code, CommandCode::limit_stage);
    EXPECT_EQ(c[3].payload.command.account, 2);
    EXPECT_EQ(c[4].payload.command.code, CommandCode::limit_commit);
    EXPECT_EQ(c[4].payload.command.account, 2);
}

TEST_F(ControlApiTest, ASessionWithOneAccountAnswersAsBeforeAccounts) {
    auto r = post("/api/kill", R"({"account":"main"})");
    EXPECT_EQ(r->status, 400u);
    EXPECT_NE(r->body.find("(kill takes only flatten)"), std::string::npos) << r->body;
    r = post("/api/pause", R"({"account":"main"})");
    EXPECT_NE(r->body.find("(pause takes no body)"), std::string::npos) << r->body;
    EXPECT_TRUE(commands().empty());
}

TEST_F(ControlApiTest, SeveralAccountsListPositionsAndOrdersWithTheirAccount) {
    StateView v;
    v.session = "s";
    for (const char* name : {"fx", "stocks"}) {
        StateView a;
        a.account_name = name;
        a.positions.push_back({std::string(name) + "-sym", Quantity::from_units(1), {}, {}, {}});
        a.account.cash = Money::from_units(std::string(name) == "fx" ? 10 : 5);
        a.risk_flags = std::string(name) == "fx" ? 0 : engine::kRiskKilled;
        v.accounts.push_back(std::move(a));
    }
    v.account.cash = Money::from_units(15);
    v.risk_flags = engine::kRiskKilled;
    publisher.publish(v);
    const Json positions = Json::parse(get("/api/positions")->body).at("positions");
    ASSERT_EQ(positions.size(), 2u);
    EXPECT_EQ(positions[0].at("account"), "fx");
    EXPECT_EQ(positions[1].at("account"), "stocks");
    EXPECT_EQ(positions[1].at("symbol"), "stocks-sym");
    const Json account = Json::parse(get("/api/account")->body);
    EXPECT_EQ(account.at("cash"), "15");
    EXPECT_EQ(account.at("accounts").at(1).at("name"), "stocks");
    EXPECT_EQ(account.at("accounts").at(1).at("cash"), "5");
    const Json status = Json::parse(get("/api/status")->body);
    EXPECT_EQ(status.at("accounts").at(0).at("risk").at("killed"), false);
    EXPECT_EQ(status.at("accounts").at(1).at("risk").at("killed"), true);
}

TEST_F(ControlApiTest, KillRefusesBadBodiesWithoutSubmitting) {
    auto r = post("/api/kill", R"({"flatten":"yes"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(error_of(r), "bad_field");
    r = post("/api/kill", R"({"flaten":true})");
    EXPECT_EQ(error_of(r), "bad_field");
    EXPECT_NE(r->body.find("flaten"), std::string::npos);
    r = post("/api/kill", R"({"flatten":tru)");
    EXPECT_EQ(r->status, 400u);
    r = post("/api/kill", "[1,2]");
    EXPECT_EQ(error_of(r), "malformed_json");
    r = post("/api/kill", R"({"flatten":true} trailing)");
    EXPECT_EQ(error_of(r), "malformed_json");
    // A repeated key is refused whole, whichever value came last.
    r = post("/api/kill", R"({"flatten":true,"flatten":false})");
    EXPECT_EQ(r->status, 400u);
    EXPECT_EQ(error_of(r), "bad_field");
    EXPECT_NE(r->body.find("repeated key 'flatten'"), std::string::npos) << r->body;
    EXPECT_TRUE(commands().empty());
}

TEST_F(ControlApiTest, RefusedByTheJournalIs503NotJournaled) {
    port.mode = FakePort::Mode::refuse;
    const auto r = post("/api/pause");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503u);
    EXPECT_EQ(error_of(r), "not_journaled");
    EXPECT_EQ(port.released.size(), 1u);
}

TEST_F(ControlApiTest, NeverDurableTimesOutWith503AndReleasesTheTicket) {
    port.mode = FakePort::Mode::never;
    const auto start = scheduler.now();
    const auto r = post("/api/kill");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503u);
    EXPECT_EQ(error_of(r), "timeout");
    EXPECT_GE(scheduler.now() - start, std::chrono::milliseconds(50));
    EXPECT_EQ(port.released.size(), 1u);
    EXPECT_EQ(scheduler.pending(), 0u);  // nothing left polling
}

TEST_F(ControlApiTest, FullInputQueueIs503BusyWithRetryAfter) {
    port.commands_left = 0;
    const auto r = post("/api/pause");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503u);
    EXPECT_EQ(error_of(r), "busy");
    EXPECT_EQ(header_of(*r, "Retry-After"), "1");
}

TEST_F(ControlApiTest, BodyLargerThanTheLimitIs413) {
    const auto r = post("/api/risk", "{\"max_order_qty\":\"" + std::string(2000, '1') + "\"}");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413u);
    EXPECT_EQ(error_of(r), "body_too_large");
    EXPECT_TRUE(commands().empty());
}

TEST_F(ControlApiTest, RiskStagesEachLimitInBodyOrderThenCommitsTrackingTheCommit) {
    const auto r =
        post("/api/risk", R"({"max_order_qty":"500","max_open_orders":7,"max_drawdown_pct":"2.5",)"
                          R"("utc_offset_minutes":"-300","max_order_notional":1000000.25})");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200u) << r->body;
    const auto c = commands();
    ASSERT_EQ(c.size(), 6u);
    const std::pair<RiskLimit, std::int64_t> expected[] = {
        {RiskLimit::max_order_qty, 500 * engine::kScale},
        {RiskLimit::max_open_orders, 7},
        {RiskLimit::max_drawdown_pct, 2'500'000'000},
        {RiskLimit::utc_offset_minutes, -300},
        {RiskLimit::max_order_notional, 1'000'000'250'000'000},
    };
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(c[i].payload.command.code, CommandCode::limit_stage) << i;
        EXPECT_EQ(c[i].payload.command.param, static_cast<std::uint16_t>(expected[i].first)) << i;
        EXPECT_EQ(c[i].payload.command.arg, expected[i].second) << i;
    }
    EXPECT_EQ(c[5].payload.command.code, CommandCode::limit_commit);
    // Only the commit is tracked: it is the last, so its durability covers the whole batch.
    std::vector<bool> tracked_commands;
    for (std::size_t i = 0; i < port.events.size(); ++i) {
        if (port.events[i].header.type == EventType::command)
            tracked_commands.push_back(port.tracked[i]);
    }
    EXPECT_EQ(tracked_commands, (std::vector<bool>{false, false, false, false, false, true}));
    EXPECT_EQ(Json::parse(r->body).at("seq"), 1005);
}

TEST_F(ControlApiTest, RiskRefusesBadLimitsNamingTheKeyAndSubmitsNothing) {
    const std::pair<const char*, const char*> cases[] = {
        {R"({"max_order_qty":"500","max_ordr_qty":"5"})", "'max_ordr_qty'"},
        {R"({"max_open_orders":"2.5"})", "'max_open_orders'"},
        {R"({"max_position":"-1"})", "'max_position'"},
        {R"({"max_drawdown_pct":"101"})", "'max_drawdown_pct'"},
        {R"({"max_position":"1e3"})", "'max_position'"},
        {R"({"max_position":"0.0000000001"})", "'max_position'"},
        {R"({"max_position":true})", "'max_position'"},
        {R"({"max_position":null})", "'max_position'"},
        {R"({"tick_size":"0.01"})", "'tick_size'"},
        {R"({"max_position":"1","max_position":"2"})", "'max_position'"},
        {R"({})", "no limits"},
    };
    for (const auto& [body, names] : cases) {
        const auto r = post("/api/risk", body);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400u) << body;
        EXPECT_EQ(error_of(r), "bad_field") << body;
        EXPECT_NE(r->body.find(names), std::string::npos) << body << " -> " << r->body;
    }
    for (const char* body :
         {"", "{", R"({"max_position":"1",})", "\"max_position\"", R"({"max_position":"1"}{})"}) {
        const auto r = post("/api/risk", body);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400u) << body;
        const std::string code = error_of(r);
        EXPECT_TRUE(code == "malformed_json" || code == "bad_field") << body << " " << code;
    }
    EXPECT_TRUE(commands().empty());
}

TEST_F(ControlApiTest, SecondRiskChangeIsBusyUntilTheFirstCommitResolves) {
    port.mode = FakePort::Mode::never;
    auto r = post("/api/risk", R"({"max_position":"10"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(error_of(r), "timeout");
    // The first batch's commit is still followed after its timeout.
    EXPECT_EQ(scheduler.pending(), 1u);
    r = post("/api/risk", R"({"max_position":"20"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503u);
    EXPECT_EQ(error_of(r), "busy");
    EXPECT_EQ(commands().size(), 2u);  // the first batch only

    // Other commands are not held up by it.
    port.mode = FakePort::Mode::ack;
    r = post("/api/pause");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);

    // Once the first commit resolves the follower stops and a new change goes through.
    while (scheduler.step()) {
    }
    r = post("/api/risk", R"({"max_position":"20"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
}

TEST_F(ControlApiTest, RiskBatchCutShortIsDiscardedBeforeTheNextOne) {
    // Room for the first stage only: the second is refused, and so is the discard that would
    // undo the first, so the next batch must start with one.
    port.commands_left = 1;
    auto r = post("/api/risk", R"({"max_position":"10","max_order_qty":"5"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(error_of(r), "busy");
    port.commands_left = 1000;
    r = post("/api/risk", R"({"max_order_qty":"7"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    const auto c = commands();
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c[0].payload.command.code, CommandCode::limit_stage);
    EXPECT_EQ(c[1].payload.command.code, CommandCode::limit_discard);
    EXPECT_EQ(c[2].payload.command.code, CommandCode::limit_stage);
    EXPECT_EQ(c[3].payload.command.code, CommandCode::limit_commit);

    // When the discard itself fits, it follows the cut batch at once.
    port.events.clear();
    port.command_attempts = 0;
    port.refuse_attempts = {1};  // the second stage
    r = post("/api/risk", R"({"max_position":"10","max_order_qty":"5"})");
    EXPECT_EQ(error_of(r), "busy");
    r = post("/api/risk", R"({"max_order_qty":"8"})");
    EXPECT_EQ(r->status, 200u);
    const auto d = commands();
    ASSERT_EQ(d.size(), 4u);
    EXPECT_EQ(d[0].payload.command.code, CommandCode::limit_stage);
    EXPECT_EQ(d[1].payload.command.code, CommandCode::limit_discard);
    EXPECT_EQ(d[2].payload.command.code, CommandCode::limit_stage);  // no second discard
    EXPECT_EQ(d[3].payload.command.code, CommandCode::limit_commit);
}

TEST_F(ControlApiTest, EveryCallIsAuditedWithRouteMethodStatusCodeAndPeer) {
    publisher.publish(sample_view());
    struct Case {
        HttpMethod method;
        const char* path;
        std::optional<std::string> auth;
        ApiEndpoint endpoint;
        unsigned status;
        ApiCode code;
    };
    const std::string good = std::string("Bearer ") + kToken;
    const Case cases[] = {
        {HttpMethod::get, "/health/live", std::nullopt, ApiEndpoint::health_live, 200, ApiCode::ok},
        {HttpMethod::get, "/metrics", good, ApiEndpoint::metrics, 200, ApiCode::ok},
        {HttpMethod::get, "/api/orders", std::nullopt, ApiEndpoint::orders, 401,
         ApiCode::unauthorized},
        {HttpMethod::get, "/nope", good, ApiEndpoint::unknown, 404, ApiCode::not_found},
        {HttpMethod::del, "/api/kill", good, ApiEndpoint::kill, 405, ApiCode::method_not_allowed},
        {HttpMethod::post, "/api/kill", good, ApiEndpoint::kill, 200, ApiCode::ok},
    };
    for (const Case& c : cases) {
        const auto r = call(c.method, c.path, "", c.auth);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, c.status) << c.path;
        const auto audits = port.of_type(EventType::audit);
        ASSERT_FALSE(audits.empty());
        const Event& a = audits.back();
        EXPECT_EQ(a.header.source, engine::Source::control);
        EXPECT_EQ(a.payload.audit.endpoint, c.endpoint) << c.path;
        EXPECT_EQ(a.payload.audit.method, c.method) << c.path;
        EXPECT_EQ(a.payload.audit.status, c.status) << c.path;
        EXPECT_EQ(a.payload.audit.code, c.code) << c.path;
        EXPECT_EQ(a.payload.audit.remote_ipv4, 0x0A000005u);
        EXPECT_EQ(a.payload.audit.request_key, 0u);
    }
    EXPECT_EQ(port.of_type(EventType::audit).size(), std::size(cases));
    // Audits are never tracked: nothing waits for them.
    for (std::size_t i = 0; i < port.events.size(); ++i) {
        if (port.events[i].header.type == EventType::audit) {
            EXPECT_FALSE(port.tracked[i]);
        }
    }
}

TEST_F(ControlApiTest, AuditTheQueueRefusesIsCountedAndTheCallStillAnswered) {
    port.audits_full = true;
    const auto r = get("/health/live");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(api().audits_dropped(), 1u);
    port.audits_full = false;
    const auto m = get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find("keel_api_audits_dropped_total 1\n"), std::string::npos);
}

TEST_F(ControlApiTest, MetricsIsPrometheusTextWithTheApiCounts) {
    metrics.last_seq = 99;
    (void)call(HttpMethod::get, "/api/status", "", std::nullopt);
    (void)call(HttpMethod::get, "/api/status", "", std::string("Bearer nope"));
    const auto r = get("/metrics");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    EXPECT_EQ(r->content_type, "text/plain; version=0.0.4");
    EXPECT_NE(r->body.find("keel_last_seq 99\n"), std::string::npos);
    EXPECT_NE(
        r->body.find("keel_api_requests_total{endpoint=\"status\",code=\"unauthorized\"} 2\n"),
        std::string::npos)
        << r->body;
}

TEST_F(ControlApiTest, TheTokenNeverReachesAnEventOrAResponse) {
    publisher.publish(sample_view());
    const std::string token = kToken;
    const std::string good = "Bearer " + token;
    const std::vector<std::optional<std::string>> auths = {good, "Bearer " + token + "x",
                                                           "Basic " + token, std::nullopt};
    for (const auto& auth : auths) {
        for (const char* path : {"/health/live", "/health/ready", "/metrics", "/api/status",
                                 "/api/positions", "/api/orders", "/api/account", "/nope"})
            (void)call(HttpMethod::get, path, "", auth);
        for (const char* path : {"/api/pause", "/api/resume", "/api/kill", "/api/unkill"})
            (void)call(HttpMethod::post, path, "", auth);
        (void)call(HttpMethod::post, "/api/risk", R"({"max_position":"5"})", auth);
        (void)call(HttpMethod::post, "/api/risk", R"({"max_positio":"5"})", auth);
    }
    ASSERT_GT(port.of_type(EventType::audit).size(), 40u);
    ASSERT_FALSE(commands().empty());
    // Any 8 consecutive bytes of the token would be a leak (an event holds 40 payload bytes,
    // less than the token).
    for (const Event& e : port.events) {
        const auto* bytes = reinterpret_cast<const char*>(&e);
        const std::string_view raw(bytes, sizeof e);
        for (std::size_t k = 0; k + 8 <= token.size(); ++k)
            EXPECT_EQ(raw.find(std::string_view(token).substr(k, 8)), std::string_view::npos);
    }
    for (const auto& r : responses) {
        ASSERT_TRUE(r);
        EXPECT_EQ(r->body.find(token), std::string::npos) << r->body;
        for (const auto& [k, v] : r->headers)
            EXPECT_EQ(v.find(token), std::string::npos);
    }
}

}  // namespace
}  // namespace keel::adapters::control
