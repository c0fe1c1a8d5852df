// WebhookReceiver with a fake InputPort and injected clocks: every check answers its own status
// and code, numbers parse exactly, duplicates (also seeded from a journal) trade nothing, no 200
// goes out before the alert is durable, refusals are audited, and the secret never leaks.
#include "keel/adapters/webhook/webhook_receiver.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include <boost/asio/io_context.hpp>

#include <cstring>
#include <memory>
#include <optional>

#include "keel/adapters/webhook/alert_json.hpp"

namespace keel::adapters::webhook {
namespace {

using engine::AlertAction;
using engine::ApiCode;
using engine::Event;
using engine::EventType;
using http::HttpRequest;
using http::HttpResponse;

constexpr const char* kSecret = "planted-S3CRET-9f2c";
constexpr engine::SymbolId kAapl = 3;

// Acks immediately, never (until told), or refuses; records everything submitted.
class FakePort final : public InputPort {
  public:
    enum class Mode { durable, pending };
    Mode mode = Mode::durable;
    bool full = false;
    std::vector<Event> tracked;
    std::vector<std::string> tails;  // what each tracked alert carries to the journal
    std::vector<Event> untracked;
    std::vector<Fate> fates;
    std::vector<bool> released;

    bool submit(const Event& e) noexcept override {
        if (full)
            return false;
        untracked.push_back(e);
        return true;
    }
    std::optional<Ticket> submit_tracked(const Event& e, std::string_view tail) noexcept override {
        if (full)
            return std::nullopt;
        tracked.push_back(e);
        tails.emplace_back(tail);
        fates.push_back(mode == Mode::durable ? Fate::durable : Fate::pending);
        released.push_back(false);
        return static_cast<Ticket>(tracked.size() - 1);
    }
    Fate fate(Ticket t) const noexcept override { return fates.at(t); }
    std::uint64_t seq(Ticket t) const noexcept override {
        return fates.at(t) == Fate::durable ? 100 + t : 0;
    }
    void release(Ticket t) noexcept override { released.at(t) = true; }

    std::vector<Event> audits() const {
        std::vector<Event> out;
        for (const Event& e : untracked) {
            if (e.header.type == EventType::audit)
                out.push_back(e);
        }
        return out;
    }
};

WebhookOptions base_options() {
    WebhookOptions o;
    o.secret = kSecret;
    o.symbols = {{"AAPL", kAapl}, {"MSFT", 4}};
    o.ack_deadline = std::chrono::milliseconds(2'500);
    return o;
}

std::string alert(std::string_view extra = R"("quantity":10)", std::string_view secret = kSecret) {
    return std::string(R"({"ticker":"AAPL","action":"buy",)") + std::string(extra) +
           R"(,"secret":")" + std::string(secret) + "\"}";
}

constexpr std::uint32_t kLoopback = 0x7F000001;

struct Harness {
    explicit Harness(WebhookOptions o = base_options())
        : rx(std::move(o), port, ioc.get_executor(),
             WebhookClock{[this] { return wall_ns; }, [this] { return steady_ns; }}) {}

    // Sends one request; the answer lands in `last` (maybe later, as the io_context runs).
    void send(std::string body, std::vector<std::pair<std::string, std::string>> headers = {},
              std::uint32_t ip = kLoopback, std::string path = "/webhook/tradingview",
              engine::HttpMethod method = engine::HttpMethod::post) {
        last = std::make_shared<std::optional<HttpResponse>>();
        HttpRequest r;
        r.method = method;
        r.target = std::move(path);
        r.headers = std::move(headers);
        r.body = std::move(body);
        r.remote_ipv4 = ip;
        r.remote = "ip";
        auto slot = last;
        rx.handle(std::move(r), [slot](HttpResponse res) { *slot = std::move(res); });
    }
    HttpResponse post(std::string body, std::vector<std::pair<std::string, std::string>> h = {},
                      std::uint32_t ip = kLoopback) {
        send(std::move(body), std::move(h), ip);
        run_until_answered();
        EXPECT_TRUE(last->has_value()) << "no answer";
        return last->value_or(HttpResponse{});
    }
    // Drives the durability polls (each waits for its timer) until the answer is in.
    void run_until_answered() {
        for (int i = 0; i < 100'000 && !last->has_value(); ++i) {
            ioc.restart();
            ioc.run_one();
        }
    }
    bool answered() const { return last->has_value(); }

    boost::asio::io_context ioc;
    FakePort port;
    std::int64_t wall_ns = 1'700'000'000'000'000'000;
    std::int64_t steady_ns = 1'000'000'000;
    WebhookReceiver rx;
    std::shared_ptr<std::optional<HttpResponse>> last;
};

bool has(const std::string& hay, std::string_view needle) {
    return hay.find(needle) != std::string::npos;
}

TEST(WebhookReceiver, AcceptedAlertIsAnswered200WithItsSequenceAndSubmittedAsAnAlertEvent) {
    WebhookOptions o = base_options();
    o.extra_fields = {"extra"};  // an extra field may hold any JSON
    Harness h(o);
    const HttpResponse r =
        h.post(alert(R"("quantity":"10","price":187.30,"timeframe":"5","strategy":"s1",)"
                     R"("time":"2024-01-02T15:30:00Z","id":"a-1","extra":{"x":[1,2]})"));
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body, R"({"accepted":true,"duplicate":false,"seq":100})");
    ASSERT_EQ(h.port.tracked.size(), 1u);
    const Event& e = h.port.tracked[0];
    EXPECT_EQ(e.header.type, EventType::alert);
    EXPECT_EQ(e.header.source, engine::Source::webhook);
    EXPECT_EQ(e.header.symbol, kAapl);
    EXPECT_EQ(e.payload.alert.action, AlertAction::buy);
    EXPECT_EQ(e.payload.alert.quantity.raw, 10 * engine::kScale);
    EXPECT_EQ(e.payload.alert.price.raw, 187'300'000'000);
    EXPECT_EQ(e.payload.alert.timeframe_minutes, 5);
    EXPECT_EQ(e.payload.alert.alert_key, WebhookReceiver::id_key("a-1"));
    EXPECT_EQ(e.payload.alert.flags, engine::kAlertAuthenticated);
    EXPECT_TRUE(h.port.released[0]);
    EXPECT_EQ(h.rx.counters().accepted.load(), 1u);
    EXPECT_EQ(h.rx.counters().latency_ns.count(), 1u);
    EXPECT_TRUE(h.port.audits().empty());
}

TEST(WebhookReceiver, TheBodyGoesToTheJournalWithTheAlertItsSecretMasked) {
    Harness h;
    const std::string note(1800, 'n');
    const std::string body =
        alert(R"("quantity":10,"strategy":"s1","message":"also )" + std::string(kSecret) +
              R"(","comment":")" + note + "\"");
    const HttpResponse r = h.post(body);
    EXPECT_EQ(r.status, 200u) << r.body;
    ASSERT_EQ(h.port.tails.size(), 1u);
    const std::string& tail = h.port.tails[0];
    EXPECT_EQ(tail, R"({"ticker":"AAPL","action":"buy","quantity":10,"strategy":"s1",)"
                    R"("message":"also <redacted>","comment":")" + note +
                        R"(","secret":"<redacted>"})");
    EXPECT_EQ(tail.find(kSecret), std::string::npos);
}

TEST(WebhookReceiver, ABodyOverATailsBytesIs413AndQueuesNothing) {
    Harness h;
    const HttpResponse r =
        h.post(alert(R"("quantity":10,"comment":")" + std::string(engine::kMaxTailBytes, 'n') + "\""));
    EXPECT_EQ(r.status, 413u) << r.body;
    EXPECT_TRUE(has(r.body, "body_too_large")) << r.body;
    EXPECT_TRUE(has(r.body, "at most 4096 bytes")) << r.body;
    EXPECT_TRUE(h.port.tracked.empty());
    // The key was not taken: the same alert, shorter, is accepted.
    EXPECT_EQ(h.post(alert(R"("quantity":10,"comment":"short")")).status, 200u);
}

TEST(WebhookReceiver, OrderFieldsAreCheckedBeforeTheAnswerAndAProblemIs400NamingTheField) {
    Harness h;
    HttpResponse r = h.post(alert(R"("quantity":10,"order_type":"limit")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "bad_field")) << r.body;
    EXPECT_TRUE(has(r.body, "field 'limit_price': is required by order_type limit")) << r.body;
    r = h.post(alert(R"("quantity":10,"order_type":"limit","limit_price":"abc")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "field 'limit_price'")) << r.body;
    r = h.post(alert(R"("quantity":10,"time_in_force":"forever")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "field 'time_in_force'")) << r.body;
    EXPECT_TRUE(h.port.tracked.empty());
    r = h.post(alert(R"("quantity":10,"order_type":"limit","limit_price":"187.5",)"
                     R"("time_in_force":"gtc")"));
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(h.port.tracked.size(), 1u);
}

TEST(WebhookReceiver, NumbersAndDecimalStringsParseExactlyIntoFixedPoint) {
    Harness h;
    h.post(alert(R"("quantity":0.123456789,"id":"n1")"));
    h.post(alert(R"("quantity":"0.123456789","id":"n2")"));
    h.post(alert(R"("notional":"1000.5","id":"n3")"));
    h.post(alert(R"("notional":12345678.000000001,"id":"n4")"));
    ASSERT_EQ(h.port.tracked.size(), 4u);
    EXPECT_EQ(h.port.tracked[0].payload.alert.quantity.raw, 123'456'789);
    EXPECT_EQ(h.port.tracked[1].payload.alert.quantity.raw, 123'456'789);
    EXPECT_EQ(h.port.tracked[2].payload.alert.notional.raw, 1'000'500'000'000);
    // A double would round this one; the text does not.
    EXPECT_EQ(h.port.tracked[3].payload.alert.notional.raw, 12'345'678'000'000'001);
}

TEST(WebhookReceiver, KeysWrittenWithJsonEscapesNameTheSameFields) {
    Harness h;
    // "tick\u0065r" is "ticker" and "qu\u0061ntity" is "quantity"; keys are compared as written
    // unless they hold an escape.
    const HttpResponse r =
        h.post(R"({"tick\u0065r":"AAPL","action":"buy","qu\u0061ntity":"7","secret":")" +
               std::string(kSecret) + "\"}");
    EXPECT_EQ(r.status, 200u) << r.body;
    ASSERT_EQ(h.port.tracked.size(), 1u);
    EXPECT_EQ(h.port.tracked[0].payload.alert.quantity.raw, 7 * engine::kScale);
}

TEST(WebhookReceiver, TextPlainBodyIsAcceptedWhenItIsJson) {
    Harness h;
    const HttpResponse r = h.post(alert(), {{"content-type", "text/plain; charset=utf-8"}});
    EXPECT_EQ(r.status, 200u) << r.body;
}

TEST(WebhookReceiver, MalformedJsonIs400NamingTheByteOffset) {
    Harness h;
    HttpResponse r = h.post(R"({"ticker":"AAPL","action":)");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(has(r.body, R"("error":"malformed_json")")) << r.body;
    EXPECT_TRUE(has(r.body, "at byte")) << r.body;
    r = h.post(R"({"ticker":"AAPL","action":"buy", nonsense})");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(has(r.body, "malformed_json")) << r.body;
    r = h.post("[1,2]");
    EXPECT_TRUE(has(r.body, "must be a JSON object")) << r.body;
    r = h.post(alert() + " trailing");
    EXPECT_EQ(r.status, 400u);
    EXPECT_TRUE(has(
        r.body, "at byte " + std::to_string(alert().size()) + ": content after the JSON object"))
        << r.body;
    r = h.post(R"({"ticker":"AAPL","quantity":1,"extra":tru})");
    EXPECT_TRUE(has(r.body, "malformed_json")) << r.body;
    r = h.post(R"({"ticker":"AAPL","action":"buy", nonsense})");
    EXPECT_TRUE(has(r.body, "at byte 33")) << r.body;
    EXPECT_TRUE(h.port.tracked.empty());
}

TEST(WebhookReceiver, BadOrMissingFieldIs400NamingTheFieldAndWhy) {
    Harness h;
    struct Case {
        std::string body;
        std::string_view expect;
    };
    const Case cases[] = {
        {R"({"ticker":"AAPL","quantity":1,"secret":")" + std::string(kSecret) + "\"}",
         "field 'action': is required"},
        {alert(R"("quantity":"1e3")"), "field 'quantity'"},
        {alert(R"("quantity":"0.0000000001")"), "more than 9 decimal places"},
        {alert(R"("quantity":-5)"), "must be positive"},
        {alert(R"("quantity":1,"notional":5)"), "not both"},
        {alert(R"("quantity":1,"timeframe":"30S")"), "whole minutes"},
        {alert(R"("quantity":1,"time":"yesterday")"), "field 'time'"},
        {alert(R"("quantity":true)"), "must be a number or a decimal string"},
        {R"({"ticker":"AAPL","action":"hold","secret":")" + std::string(kSecret) + "\"}",
         "'hold' is not one of buy"},
        {alert(R"("quantity":1,"ticker":"MSFT")"), "field 'ticker': given more than once"},
    };
    for (const Case& c : cases) {
        const HttpResponse r = h.post(c.body);
        EXPECT_EQ(r.status, 400u) << c.body;
        EXPECT_TRUE(has(r.body, R"("error":"bad_field")")) << r.body;
        EXPECT_TRUE(has(r.body, c.expect)) << c.body << " -> " << r.body;
    }
    EXPECT_TRUE(h.port.tracked.empty());
}

TEST(WebhookReceiver, TimeframesFollowTradingViewsIntervals) {
    std::uint16_t m = 0;
    std::string why;
    ASSERT_TRUE(parse_timeframe("5", m, why));
    EXPECT_EQ(m, 5);
    ASSERT_TRUE(parse_timeframe("60", m, why));
    EXPECT_EQ(m, 60);
    ASSERT_TRUE(parse_timeframe("1D", m, why));
    EXPECT_EQ(m, 1440);
    ASSERT_TRUE(parse_timeframe("D", m, why));
    EXPECT_EQ(m, 1440);
    ASSERT_TRUE(parse_timeframe("1W", m, why));
    EXPECT_EQ(m, 10080);
    EXPECT_FALSE(parse_timeframe("2M", m, why));  // 86400 minutes do not fit
    EXPECT_FALSE(parse_timeframe("0", m, why));
    EXPECT_FALSE(parse_timeframe("5X", m, why));
}

TEST(WebhookReceiver, WrongOrMissingSecretIs401EvenWhenFieldsAreAlsoBad) {
    Harness h;
    HttpResponse r = h.post(alert(R"("quantity":1)", "wrong"));
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(has(r.body, R"("error":"bad_secret")"));
    r = h.post(R"({"ticker":"AAPL","action":"buy"})");
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(has(r.body, "'secret' is required"));
    // An unauthenticated sender learns nothing about its fields.
    r = h.post(alert(R"("quantity":"bogus")", "wrong"));
    EXPECT_EQ(r.status, 401u);
    // A prefix of the secret, the secret with more after it, one byte changed, and nothing.
    const std::string secret(kSecret);
    std::string changed = secret;
    changed.back() = static_cast<char>(changed.back() ^ 1);
    for (const std::string& near : {secret.substr(0, secret.size() - 1), secret + "x",
                                    secret + secret, changed, std::string()}) {
        r = h.post(alert(R"("quantity":1)", near));
        EXPECT_EQ(r.status, 401u) << "secret '" << near << "'";
    }
    EXPECT_TRUE(h.port.tracked.empty());
    EXPECT_EQ(h.post(alert(R"("quantity":1)")).status, 200u);
}

std::string sign(std::string_view key, std::string_view ts, std::string_view body) {
    const std::string msg = std::string(ts) + "." + std::string(body);
    unsigned char mac[32];
    unsigned len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
    std::string hex = "sha256=";
    char b[3];
    for (unsigned char c : mac) {
        std::snprintf(b, sizeof b, "%02x", c);
        hex += b;
    }
    return hex;
}

TEST(WebhookReceiver, HmacSignatureIsVerifiedWithinItsWindow) {
    WebhookOptions o = base_options();
    o.signature_key = "hmac-key";
    o.signature_window_s = 60;
    Harness h(o);
    const std::string now_s = std::to_string(h.wall_ns / 1'000'000'000);
    const std::string body = alert(R"("quantity":1,"id":"s1")");
    HttpResponse r = h.post(
        body, {{"x-keel-signature", sign("hmac-key", now_s, body)}, {"x-keel-timestamp", now_s}});
    EXPECT_EQ(r.status, 200u) << r.body;
    ASSERT_EQ(h.port.tracked.size(), 1u);
    EXPECT_EQ(h.port.tracked[0].payload.alert.flags,
              engine::kAlertAuthenticated | engine::kAlertSigned);

    const std::string body2 = alert(R"("quantity":2,"id":"s2")");
    r = h.post(body2,
               {{"x-keel-signature", sign("hmac-key", now_s, body)}, {"x-keel-timestamp", now_s}});
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(has(r.body, R"("error":"bad_signature")")) << r.body;

    const std::string old_s = std::to_string(h.wall_ns / 1'000'000'000 - 61);
    r = h.post(body2,
               {{"x-keel-signature", sign("hmac-key", old_s, body2)}, {"x-keel-timestamp", old_s}});
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(has(r.body, R"("error":"stale_signature")")) << r.body;

    // Unsigned requests still pass while signatures are optional...
    EXPECT_EQ(h.post(alert(R"("quantity":3,"id":"s3")")).status, 200u);
    // ...and are refused once they are required.
    o.require_signature = true;
    Harness strict(o);
    r = strict.post(alert(R"("quantity":3,"id":"s4")"));
    EXPECT_EQ(r.status, 401u);
    EXPECT_TRUE(has(r.body, "bad_signature"));
}

TEST(WebhookReceiver, PerSourceAndGlobalRateLimitsAnswer429WithRetryAfter) {
    WebhookOptions o = base_options();
    o.per_source = {1.0, 2.0};
    o.global = {10.0, 3.0};
    Harness h(o);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"r1")")).status, 200u);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"r2")")).status, 200u);
    HttpResponse r = h.post(alert(R"("quantity":1,"id":"r3")"));
    EXPECT_EQ(r.status, 429u);
    EXPECT_TRUE(has(r.body, R"("error":"rate_limited")"));
    ASSERT_EQ(r.headers.size(), 1u);
    EXPECT_EQ(r.headers[0].first, "Retry-After");
    EXPECT_EQ(r.headers[0].second, "1");
    // Another source still has its own bucket, until the global one runs dry.
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"r4")"), {}, 0x0A000001).status, 200u);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"r5")"), {}, 0x0A000002).status, 429u);
    // A second later the first source may send again.
    h.steady_ns += 1'000'000'000;
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"r6")")).status, 200u);
    EXPECT_EQ(h.rx.counters().refused_with(ApiCode::rate_limited), 2u);
    const auto audits = h.port.audits();
    ASSERT_EQ(audits.size(), 2u);
    EXPECT_EQ(audits[0].payload.audit.flags & engine::kAlertRateLimited, engine::kAlertRateLimited);
    EXPECT_EQ(audits[0].payload.audit.status, 429);
}

TEST(WebhookReceiver, AllowlistRefusesOtherAddressesWith403) {
    WebhookOptions o = base_options();
    o.allowlist = {"10.0.0.0/8", "52.89.214.238"};
    Harness h(o);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"x1")"), {}, 0x0A010203).status, 200u);
    EXPECT_EQ(h.port.tracked[0].payload.alert.flags,
              engine::kAlertAuthenticated | engine::kAlertAllowlisted);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"x2")"), {}, 0x3459D6EE).status, 200u);
    const HttpResponse r = h.post(alert(R"("quantity":1,"id":"x3")"), {}, 0xC0A80101);
    EXPECT_EQ(r.status, 403u);
    EXPECT_TRUE(has(r.body, R"("error":"ip_not_allowed")"));
    EXPECT_TRUE(has(r.body, "192.168.1.1")) << r.body;

    WebhookOptions bad = base_options();
    bad.allowlist = {"10.0.0.0/33"};
    boost::asio::io_context ioc;
    FakePort port;
    EXPECT_THROW(WebhookReceiver(bad, port, ioc.get_executor()), std::invalid_argument);
}

TEST(WebhookReceiver, UnknownSymbolIs422AndExchangePrefixedTickersResolve) {
    Harness h;
    HttpResponse r =
        h.post(R"({"ticker":"TSLA","action":"buy","secret":")" + std::string(kSecret) + "\"}");
    EXPECT_EQ(r.status, 422u);
    EXPECT_TRUE(has(r.body, R"("error":"unknown_symbol")"));
    EXPECT_TRUE(has(r.body, "TSLA"));
    r = h.post(R"({"ticker":"NASDAQ:MSFT","action":"sell","secret":")" + std::string(kSecret) +
               "\"}");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(h.port.tracked.back().header.symbol, 4u);
}

TEST(WebhookReceiver, RepeatWithinTheWindowIs200DuplicateAndSubmitsNoAlert) {
    Harness h;
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"d1")")).status, 200u);
    const HttpResponse r = h.post(alert(R"("quantity":1,"id":"d1")"));
    EXPECT_EQ(r.status, 200u);
    EXPECT_TRUE(has(r.body, R"("accepted":true,"duplicate":true)")) << r.body;
    EXPECT_EQ(h.port.tracked.size(), 1u);
    const auto audits = h.port.audits();
    ASSERT_EQ(audits.size(), 1u);
    EXPECT_EQ(audits[0].payload.audit.code, ApiCode::duplicate);
    EXPECT_EQ(audits[0].payload.audit.request_key, WebhookReceiver::id_key("d1"));
    EXPECT_EQ(audits[0].payload.audit.flags, engine::kAlertAuthenticated | engine::kAlertDuplicate);
    EXPECT_EQ(h.rx.counters().duplicate.load(), 1u);
}

TEST(WebhookReceiver, AlertsWithoutIdAreKeyedByTheirBodyWithoutTheSecret) {
    WebhookOptions o = base_options();
    o.secret.clear();  // so that two different secrets both pass
    Harness h(o);
    EXPECT_EQ(h.post(alert(R"("quantity":1)", "one")).status, 200u);
    const HttpResponse r = h.post(alert(R"("quantity":1)", "another"));
    EXPECT_TRUE(has(r.body, R"("duplicate":true)")) << r.body;
    EXPECT_EQ(h.post(alert(R"("quantity":2)", "one")).status, 200u);
    EXPECT_EQ(h.port.tracked.size(), 2u);
    EXPECT_NE(h.port.tracked[0].payload.alert.alert_key, h.port.tracked[1].payload.alert.alert_key);
}

TEST(WebhookReceiver, DedupeWindowExpiresAndTheCapacityEvictsTheOldestKey) {
    WebhookOptions o = base_options();
    o.dedupe_window_s = 60;
    o.dedupe_capacity = 2;
    Harness h(o);
    h.post(alert(R"("quantity":1,"id":"a")"));
    h.wall_ns += 1'000'000'000;
    h.post(alert(R"("quantity":1,"id":"b")"));
    h.wall_ns += 1'000'000'000;
    h.post(alert(R"("quantity":1,"id":"c")"));  // evicts a
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"c")")).body, R"("duplicate":true)"));
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"a")")).body, R"("duplicate":false)"));
    h.wall_ns += 61'000'000'000;
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"c")")).body, R"("duplicate":false)"));
}

TEST(WebhookReceiver, SeededKeysFromTheJournalMakeARepeatADuplicateAfterRestart) {
    Harness h;
    const WebhookReceiver::SeenKey keys[] = {
        {WebhookReceiver::id_key("before-restart"), h.wall_ns - 10'000'000'000, false},
        {WebhookReceiver::id_key("long-ago"), h.wall_ns - 25 * 3600 * 1'000'000'000LL, false},
    };
    h.rx.seed_keys(keys);
    EXPECT_TRUE(
        has(h.post(alert(R"("quantity":1,"id":"before-restart")")).body, R"("duplicate":true)"));
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"long-ago")")).body, R"("duplicate":false)"));
    EXPECT_EQ(h.port.tracked.size(), 1u);
}

TEST(WebhookReceiver, No200GoesOutBeforeTheAlertIsDurable) {
    // The ack deadline runs on the real clock; far enough that a slow machine never hits it
    // (its own test below).
    WebhookOptions o = base_options();
    o.ack_deadline = std::chrono::hours(1);
    Harness h(o);
    h.port.mode = FakePort::Mode::pending;
    h.send(alert(R"("quantity":1,"id":"p1")"));
    for (int i = 0; i < 20; ++i) {  // twenty durability polls
        h.ioc.restart();
        h.ioc.run_one();
        ASSERT_FALSE(h.answered());
    }
    ASSERT_EQ(h.port.tracked.size(), 1u);
    EXPECT_FALSE(h.port.released[0]);
    h.port.fates[0] = InputPort::Fate::durable;
    h.run_until_answered();
    ASSERT_TRUE(h.answered());
    EXPECT_EQ(h.last->value().status, 200u);
    EXPECT_EQ(h.last->value().body, R"({"accepted":true,"duplicate":false,"seq":100})");
    EXPECT_TRUE(h.port.released[0]);
}

TEST(WebhookReceiver, NotDurableWithinTheDeadlineIs503TimeoutAndARetryLearnsTheFate) {
    WebhookOptions o = base_options();
    o.ack_deadline = std::chrono::milliseconds(5);
    Harness h(o);
    h.port.mode = FakePort::Mode::pending;
    HttpResponse r = h.post(alert(R"("quantity":1,"id":"t1")"));
    EXPECT_EQ(r.status, 503u);
    EXPECT_TRUE(has(r.body, R"("error":"timeout")")) << r.body;
    // Still in doubt: a retry is neither traded again nor called a duplicate.
    r = h.post(alert(R"("quantity":1,"id":"t1")"));
    EXPECT_EQ(r.status, 503u);
    EXPECT_TRUE(has(r.body, R"("error":"busy")")) << r.body;
    EXPECT_EQ(h.port.tracked.size(), 1u);
    // Ingest journals it after all: the ticket is released and the key is committed.
    h.port.fates[0] = InputPort::Fate::durable;
    for (int i = 0; i < 100'000 && !h.port.released[0]; ++i) {
        h.ioc.restart();
        h.ioc.run_one();
    }
    EXPECT_TRUE(h.port.released[0]);
    EXPECT_EQ(h.rx.counters().durable_after_timeout.load(), 1u);
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"t1")")).body, R"("duplicate":true)"));
}

TEST(WebhookReceiver, RefusedByTheJournalIs503NotJournaledAndTheKeyIsFree) {
    Harness h;
    h.port.mode = FakePort::Mode::pending;
    h.send(alert(R"("quantity":1,"id":"j1")"));
    h.port.fates[0] = InputPort::Fate::refused;
    h.run_until_answered();
    EXPECT_EQ(h.last->value().status, 503u);
    EXPECT_TRUE(has(h.last->value().body, "not_journaled"));
    EXPECT_TRUE(h.port.released[0]);
    h.port.mode = FakePort::Mode::durable;
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"j1")")).body, R"("duplicate":false)"));
}

TEST(WebhookReceiver, FullQueueIs503Busy) {
    Harness h;
    h.port.full = true;
    const HttpResponse r = h.post(alert());
    EXPECT_EQ(r.status, 503u);
    EXPECT_TRUE(has(r.body, R"("error":"busy")"));
    EXPECT_EQ(h.rx.counters().refused_with(ApiCode::busy), 1u);
    EXPECT_EQ(h.rx.counters().audit_dropped.load(), 0u);
}

TEST(WebhookReceiver, OtherPathsAre404AndOtherMethods405) {
    Harness h;
    h.send(alert(), {}, kLoopback, "/elsewhere");
    EXPECT_EQ(h.last->value().status, 404u);
    h.send(alert(), {}, kLoopback, "/webhook/tradingview?x=1", engine::HttpMethod::get);
    EXPECT_EQ(h.last->value().status, 405u);
    EXPECT_TRUE(has(h.last->value().body, "method_not_allowed"));
}

TEST(WebhookReceiver, EveryRefusalIsAuditedWithItsCodeStatusAndSource) {
    Harness h;
    h.post(alert(R"("quantity":1)", "wrong"));  // 401
    h.post("{");                                // 400 malformed
    h.post(alert(R"("quantity":"x")"));         // 400 bad_field
    h.post(R"({"ticker":"ZZZ","action":"buy","secret":")" + std::string(kSecret) + "\"}");  // 422
    http::Refusal big;
    big.status = 413;
    big.code = ApiCode::body_too_large;
    big.method = engine::HttpMethod::post;
    big.remote_ipv4 = kLoopback;
    big.target = "/webhook/tradingview";
    h.rx.audit_server_refusal(big);
    big.target = "/api/status";  // not the receiver's: the control API audits its own
    h.rx.audit_server_refusal(big);
    const auto audits = h.port.audits();
    ASSERT_EQ(audits.size(), 5u);
    const std::pair<unsigned, ApiCode> expect[] = {{401, ApiCode::bad_secret},
                                                   {400, ApiCode::malformed_json},
                                                   {400, ApiCode::bad_field},
                                                   {422, ApiCode::unknown_symbol},
                                                   {413, ApiCode::body_too_large}};
    for (std::size_t i = 0; i < audits.size(); ++i) {
        const auto& a = audits[i].payload.audit;
        EXPECT_EQ(a.status, expect[i].first) << i;
        EXPECT_EQ(a.code, expect[i].second) << i;
        EXPECT_EQ(a.endpoint, engine::ApiEndpoint::webhook);
        EXPECT_EQ(a.method, engine::HttpMethod::post);
        EXPECT_EQ(a.remote_ipv4, kLoopback);
        EXPECT_EQ(audits[i].header.source, engine::Source::webhook);
    }
    // The key is known once the body parsed: a wrong-secret alert still names its request.
    EXPECT_NE(audits[0].payload.audit.request_key, 0u);
    EXPECT_EQ(audits[3].header.symbol, engine::kNoSymbol);
    EXPECT_TRUE(h.port.tracked.empty());
}

TEST(WebhookReceiver, PlantedSecretAppearsInNoResponseAndNoSubmittedEvent) {
    Harness h;
    const std::string s = kSecret;
    const std::vector<std::string> bodies = {
        alert(R"("quantity":1,"id":"ok1")"),
        alert(R"("quantity":1,"id":"ok1")"),                                   // duplicate
        alert(R"("quantity":1)", s + "x"),                                     // wrong, contains it
        alert(R"("quantity":1)", "nope"),                                      // wrong
        R"({"ticker":")" + s + R"(","action":"buy","secret":")" + s + "\"}",   // 422 echo
        R"({"ticker":"AAPL","action":")" + s + R"(","secret":")" + s + "\"}",  // 400 echo
        alert(R"("quantity":")" + s + "\""),                                   // 400 echo
        R"({"secret":")" + s + R"(", broken)",                                 // malformed
        R"({"ticker":"AAPL","action":"buy","secret":)" + s + "}",              // malformed, bare
    };
    std::string all;
    for (const std::string& b : bodies) {
        const HttpResponse r =
            h.post(b, {{"authorization", "Bearer " + s}, {"content-type", "text/plain"}});
        all += r.body;
        for (const auto& [k, v] : r.headers)
            all += k + v;
    }
    EXPECT_GE(h.port.audits().size(), 7u);
    EXPECT_EQ(all.find(s), std::string::npos) << all;
    std::string bytes;
    for (const auto* v : {&h.port.tracked, &h.port.untracked}) {
        for (const Event& e : *v)
            bytes.append(reinterpret_cast<const char*>(&e), sizeof e);
    }
    for (const std::string& tail : h.port.tails)
        bytes += tail;  // the bodies journaled with the alerts
    EXPECT_FALSE(bytes.empty());
    EXPECT_EQ(bytes.find(s), std::string::npos);
    // Nor a prefix long enough to matter.
    EXPECT_EQ(bytes.find(s.substr(0, 8)), std::string::npos);
    EXPECT_EQ(all.find(s.substr(0, 8)), std::string::npos) << all;
}

// --- TradingView spellings, strict fields, windows (issue 17) ---

std::string with_secret(std::string_view fields) {
    return "{" + std::string(fields) + R"(,"secret":")" + kSecret + "\"}";
}

TEST(WebhookReceiver, TradingViewSpellingsAreAccepted) {
    WebhookOptions o = base_options();
    o.exchanges = {"", "", "", "NASDAQ", ""};
    Harness h(o);
    HttpResponse r = h.post(with_secret(
        R"("symbol":"NASDAQ:AAPL","action":"BUY","quantity":"10","price":"187.5",)"
        R"("timeframe":"15 Min","id":"tv-1")"));
    ASSERT_EQ(r.status, 200u) << r.body;
    const engine::AlertPayload& a = h.port.tracked.back().payload.alert;
    EXPECT_EQ(h.port.tracked.back().header.symbol, kAapl);
    EXPECT_EQ(a.action, AlertAction::buy);
    EXPECT_EQ(a.quantity.raw, 10 * engine::kScale);
    EXPECT_EQ(a.price.raw, 187'500'000'000);
    EXPECT_EQ(a.timeframe_minutes, 15);
    r = h.post(with_secret(R"("ticker":"nasdaq:AAPL","action":"Sell","interval":"1H","id":"tv-2")"));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(h.port.tracked.back().payload.alert.action, AlertAction::sell);
    EXPECT_EQ(h.port.tracked.back().payload.alert.timeframe_minutes, 60);
}

TEST(WebhookReceiver, TickerAndSymbolTogetherOrTimeframeAndIntervalTogetherAre400NamingBoth) {
    Harness h;
    HttpResponse r = h.post(with_secret(R"("ticker":"AAPL","symbol":"AAPL","action":"buy")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "field 'symbol': and 'ticker' both name the symbol")) << r.body;
    r = h.post(with_secret(R"("ticker":"AAPL","action":"buy","timeframe":"5","interval":"5")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "field 'interval'") && has(r.body, "timeframe/interval")) << r.body;
    r = h.post(with_secret(R"("action":"buy")"));
    EXPECT_TRUE(has(r.body, "field 'ticker': is required (or 'symbol')")) << r.body;
    EXPECT_TRUE(h.port.tracked.empty());
}

TEST(WebhookReceiver, ExchangePrefixesAndAliasesResolveThroughTheSymbolConfig) {
    WebhookOptions o = base_options();
    o.symbols.emplace_back("USDCHF", 5);
    o.symbols.emplace_back("EURUSD", 6);
    o.symbols.emplace_back("FX:EURUSD_ALT", 6);  // an alias written with its prefix
    o.exchanges = {"", "", "", "NASDAQ"};
    Harness h(o);
    const auto post = [&](std::string_view ticker, std::string_view extra = "") {
        return h.post(with_secret(R"("ticker":")" + std::string(ticker) +
                                  R"(","action":"buy")" + std::string(extra)));
    };
    HttpResponse r = post(":USDCHF");
    EXPECT_EQ(r.status, 422u) << r.body;
    EXPECT_TRUE(has(r.body, "unknown_symbol") && has(r.body, "empty exchange prefix")) << r.body;
    r = post("NYSE:AAPL");
    EXPECT_EQ(r.status, 422u) << r.body;
    EXPECT_TRUE(has(r.body, "'NYSE' is not 'NASDAQ'")) << r.body;
    r = post("AAPL", R"(,"exchange":"NYSE")");
    EXPECT_EQ(r.status, 422u) << r.body;
    r = post("NASDAQ:");
    EXPECT_EQ(r.status, 422u) << r.body;
    r = post("OANDA:USDCHF");  // no exchange configured for it: any prefix
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(h.port.tracked.back().header.symbol, 5u);
    r = post("FX:EURUSD_ALT");
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(h.port.tracked.back().header.symbol, 6u);
    r = post("AAPL", R"(,"exchange":"NASDAQ")");
    EXPECT_EQ(r.status, 200u) << r.body;
}

TEST(WebhookReceiver, TimeframesTakeTheSpellingsTradingViewAndPeopleUse) {
    const std::pair<std::string_view, std::uint16_t> ok[] = {
        {"15", 15},   {"60", 60},      {"1H", 60},     {"4h", 240},   {"D", 1440},
        {"W", 10080}, {"15 Min", 15},  {"15m", 15},    {"1M", 43200}, {"2 hours", 120},
        {"1D", 1440}, {"3 min", 3}};
    for (const auto& [text, minutes] : ok) {
        std::uint16_t m = 0;
        std::string why;
        EXPECT_TRUE(parse_timeframe(text, m, why)) << text << ": " << why;
        EXPECT_EQ(m, minutes) << text;
    }
    for (const std::string_view bad : {"30S", "15 Mins X", "H1", "", " 15", "15 sec"}) {
        std::uint16_t m = 0;
        std::string why;
        EXPECT_FALSE(parse_timeframe(bad, m, why)) << bad;
        EXPECT_FALSE(why.empty()) << bad;
    }
}

TEST(WebhookReceiver, ActionsAndMarketPositionsBecomeTargets) {
    Harness h;
    const auto action_of = [&](std::string_view fields) {
        const HttpResponse r = h.post(with_secret(R"("ticker":"AAPL",)" + std::string(fields)));
        EXPECT_EQ(r.status, 200u) << fields << " -> " << r.body;
        return h.port.tracked.empty() ? AlertAction::none : h.port.tracked.back().payload.alert.action;
    };
    EXPECT_EQ(action_of(R"("action":"LONG","id":"t1")"), AlertAction::target_long);
    EXPECT_EQ(action_of(R"("action":"short","id":"t2")"), AlertAction::target_short);
    EXPECT_EQ(action_of(R"("market_position":"flat","id":"t3")"), AlertAction::target_flat);
    // {{strategy.order.action}} with {{strategy.market_position}}: the position wins (a buy that
    // covers a short leaves the strategy flat, not long).
    EXPECT_EQ(action_of(R"("action":"buy","market_position":"flat","id":"t4")"),
              AlertAction::target_flat);
    EXPECT_EQ(action_of(R"("action":"close_long","id":"t5")"), AlertAction::close_long);
    HttpResponse r =
        h.post(with_secret(R"("ticker":"AAPL","action":"short","market_position":"long")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "field 'market_position'")) << r.body;
    r = h.post(with_secret(R"("ticker":"AAPL","market_position":"buy")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "not one of long, short, flat")) << r.body;
}

TEST(WebhookReceiver, AnUnknownFieldIs400UnknownFieldUnlessExtraFieldsNameIt) {
    Harness strict;
    HttpResponse r = strict.post(alert(R"("quantity":1,"my_note":"x")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, R"("error":"unknown_field")")) << r.body;
    EXPECT_TRUE(has(r.body, "field 'my_note'")) << r.body;
    // The TradingView placeholders are accepted and kept in the body only.
    r = strict.post(alert(R"("quantity":1,"exchange":"NASDAQ","open":"1.5","close":2,)"
                          R"("volume":"100","timenow":"2024-01-02T15:30:00Z","contracts":"3",)"
                          R"("position_size":-3,"prev_market_position":"long","order_id":"L",)"
                          R"("order_comment":"c","alert_message":"m","comment":"c","high":null)"));
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(strict.port.tracked.back().payload.alert.quantity.raw, engine::kScale);

    WebhookOptions o = base_options();
    o.extra_fields = {"my_note"};
    Harness lax(o);
    EXPECT_EQ(lax.post(alert(R"("quantity":1,"my_note":"x")")).status, 200u);
}

TEST(WebhookReceiver, ANearMissOfASizePriceSideOrSymbolFieldIs400EvenWhenExtraFieldsNameIt) {
    WebhookOptions o = base_options();
    o.extra_fields = {"quantiy"};
    Harness h(o);
    const HttpResponse r = h.post(alert(R"("quantiy":"5000000")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    EXPECT_TRUE(has(r.body, "unknown_field")) << r.body;
    EXPECT_TRUE(has(r.body, "field 'quantiy'") && has(r.body, "did you mean 'quantity'?"))
        << r.body;
    for (const std::string_view field : {"Ticker", "prise", "notionl", "acton", "stop_los"}) {
        EXPECT_TRUE(near_miss_of(field).has_value()) << field;
        const HttpResponse m = h.post(alert(R"("quantity":1,")" + std::string(field) + R"(":"1")"));
        EXPECT_EQ(m.status, 400u) << field;
    }
    for (const std::string_view field : {"quantity", "close", "time", "my_note", "qty_hint"})
        EXPECT_FALSE(near_miss_of(field).has_value()) << field;
    EXPECT_TRUE(h.port.tracked.empty());
}

TEST(WebhookReceiver, NumbersAreHeldToJsonsGrammarInEveryField) {
    Harness h;
    for (const std::string_view fields :
         {R"("quantity":00010)", R"("quantity":"00010")", R"("quantity":1,"open":00010)",
          R"("quantity":1.)", R"("quantity":+1)", R"("quantity":1,"close":[1,02])",
          R"("quantity":".5")", R"("quantity":1,"id":007)"}) {
        const HttpResponse r = h.post(alert(fields));
        EXPECT_EQ(r.status, 400u) << fields << " -> " << r.body;
    }
    EXPECT_TRUE(has(h.post(alert(R"("quantity":00010)")).body, "'00010' is not a JSON number"));
    EXPECT_TRUE(h.port.tracked.empty());
    for (const std::string_view good : {"0", "-0.5", "10", "1.5e3", "0.25", "-12E-2"})
        EXPECT_TRUE(is_json_number(good)) << good;
    for (const std::string_view bad : {"00", "01", "-", "1.", ".1", "+1", "1e", "0x1", "1 "})
        EXPECT_FALSE(is_json_number(bad)) << bad;
}

TEST(WebhookReceiver, ControlCharactersInAnIdOrTickerAre400) {
    Harness h;
    for (const std::string_view fields :
         {R"("quantity":1,"id":"a\u0000b")", R"("quantity":1,"id":"a\tb")",
          R"("quantity":1,"strategy":"s\u0001")"}) {
        const HttpResponse r = h.post(alert(fields));
        EXPECT_EQ(r.status, 400u) << fields;
        EXPECT_TRUE(has(r.body, "control character")) << r.body;
    }
    const HttpResponse r = h.post(with_secret(R"("ticker":"AA\u0000PL","action":"buy")"));
    EXPECT_EQ(r.status, 400u) << r.body;
    // A message may span lines.
    EXPECT_EQ(h.post(alert(R"("quantity":1,"message":"line 1\nline 2")")).status, 200u);
}

TEST(WebhookReceiver, ContentTypeMustBeJsonOrTextElse415) {
    Harness h;
    HttpResponse r = h.post(alert(), {{"content-type", "application/x-www-form-urlencoded"}});
    EXPECT_EQ(r.status, 415u) << r.body;
    EXPECT_TRUE(has(r.body, "unsupported_media_type") && has(r.body, "application/json"))
        << r.body;
    ASSERT_EQ(h.port.audits().size(), 1u);
    EXPECT_EQ(h.port.audits()[0].payload.audit.code, ApiCode::unsupported_media_type);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"j")"),
                     {{"content-type", "Application/JSON; charset=utf-8"}})
                  .status,
              200u);
    EXPECT_EQ(h.post(alert(R"("quantity":1,"id":"t")"), {{"content-type", "text/plain"}}).status,
              200u);
    EXPECT_EQ(h.port.tracked.size(), 2u);
}

TEST(WebhookReceiver, BodiesWithoutIdAreDuplicatesOnlyWithinTheBodyWindow) {
    WebhookOptions o = base_options();
    o.body_dedupe_window_s = 1;
    Harness h(o);
    const std::string buy = alert(R"("quantity":1)");
    const std::string sell = with_secret(R"("ticker":"AAPL","action":"sell","quantity":1)");
    EXPECT_TRUE(has(h.post(buy).body, R"("duplicate":false)"));
    EXPECT_TRUE(has(h.post(buy).body, R"("duplicate":true)"));  // a delivery retry
    h.wall_ns += 1'500'000'000;
    EXPECT_TRUE(has(h.post(sell).body, R"("duplicate":false)"));
    h.wall_ns += 1'500'000'000;
    EXPECT_TRUE(has(h.post(buy).body, R"("duplicate":false)"));  // the template fires again
    EXPECT_EQ(h.port.tracked.size(), 3u);
    // An id keeps its own, longer window.
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"k")")).body, R"("duplicate":false)"));
    h.wall_ns += 3600'000'000'000;
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"k")")).body, R"("duplicate":true)"));
}

TEST(WebhookReceiver, SeededKeysKeepTheirOwnWindows) {
    Harness h;  // body window 10 s, id window 24 h
    const std::string recent_body = alert(R"("quantity":2)");
    const std::string old_body = alert(R"("quantity":3)");
    // A body key is the receiver's hash of the body: learn it from a first harness.
    Harness probe;
    probe.post(recent_body);
    probe.post(old_body);
    const WebhookReceiver::SeenKey keys[] = {
        {probe.port.tracked[0].payload.alert.alert_key, h.wall_ns - 5'000'000'000, true},
        {probe.port.tracked[1].payload.alert.alert_key, h.wall_ns - 15'000'000'000, true},
        {WebhookReceiver::id_key("old-id"), h.wall_ns - 15'000'000'000, false},
    };
    h.rx.seed_keys(keys);
    EXPECT_TRUE(has(h.post(recent_body).body, R"("duplicate":true)"));
    EXPECT_TRUE(has(h.post(old_body).body, R"("duplicate":false)"));
    EXPECT_TRUE(has(h.post(alert(R"("quantity":1,"id":"old-id")")).body, R"("duplicate":true)"));
}

TEST(WebhookReceiver, AJournaledAlertIsKeyedByItsBodyWhenItsTailHasNoMatchingId) {
    const std::uint64_t k = WebhookReceiver::id_key("x-1");
    EXPECT_FALSE(WebhookReceiver::keyed_by_body(k, R"({"ticker":"AAPL","id":"x-1"})"));
    EXPECT_TRUE(WebhookReceiver::keyed_by_body(123, R"({"ticker":"AAPL","action":"buy"})"));
    EXPECT_FALSE(WebhookReceiver::keyed_by_body(WebhookReceiver::id_key("42"), R"({"id":42})"));
    EXPECT_FALSE(WebhookReceiver::keyed_by_body(123, ""));  // no tail: the longer window
}

TEST(WebhookReceiver, TheAlertTraceIsReadFromTheJournaledBody) {
    const AlertTrace t = read_alert_trace(
        R"({"ticker":"AAPL","id":"tv-7","strategy":"s1","message":"m\nx",)"
        R"("time":"2024-01-02T15:30:00Z","secret":"<redacted>"})");
    EXPECT_EQ(t.id, "tv-7");
    EXPECT_EQ(t.strategy, "s1");
    EXPECT_EQ(t.message, "m\nx");
    EXPECT_EQ(t.time, "2024-01-02T15:30:00Z");
    EXPECT_EQ(read_alert_trace("not json").id, "");
}

}  // namespace
}  // namespace keel::adapters::webhook
