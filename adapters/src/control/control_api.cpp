#include "keel/adapters/control/control_api.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <simdjson.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "json_out.hpp"
#include "keel/adapters/control/prometheus.hpp"
#include "keel/assert.hpp"
#include "keel/engine/config/config.hpp"
#include "keel/engine/risk/risk_limits.hpp"

namespace keel::adapters::control {

using engine::ApiCode;
using engine::ApiEndpoint;
using engine::CommandCode;
using engine::Event;
using engine::EventType;
using engine::HttpMethod;
using http::HttpRequest;
using http::HttpResponse;
using http::Respond;

namespace {

struct Route {
    std::string_view path;
    ApiEndpoint endpoint;
    HttpMethod method;
    bool public_route;  // answered without a token
};

constexpr Route kRoutes[] = {
    {"/health/live", ApiEndpoint::health_live, HttpMethod::get, true},
    {"/health/ready", ApiEndpoint::health_ready, HttpMethod::get, true},
    {"/metrics", ApiEndpoint::metrics, HttpMethod::get, false},
    {"/api/status", ApiEndpoint::status, HttpMethod::get, false},
    {"/api/positions", ApiEndpoint::positions, HttpMethod::get, false},
    {"/api/orders", ApiEndpoint::orders, HttpMethod::get, false},
    {"/api/account", ApiEndpoint::account, HttpMethod::get, false},
    {"/api/pause", ApiEndpoint::pause, HttpMethod::post, false},
    {"/api/resume", ApiEndpoint::resume, HttpMethod::post, false},
    {"/api/kill", ApiEndpoint::kill, HttpMethod::post, false},
    {"/api/unkill", ApiEndpoint::unkill, HttpMethod::post, false},
    {"/api/risk", ApiEndpoint::risk, HttpMethod::post, false},
    {"/api/venue/ack-positions", ApiEndpoint::ack_positions, HttpMethod::post, false},
};

constexpr std::size_t kEndpoints = static_cast<std::size_t>(ApiEndpoint::ack_positions) + 1;
constexpr std::size_t kCodes = static_cast<std::size_t>(ApiCode::not_ready) + 1;

using Digest = std::array<unsigned char, 32>;

Digest sha256(std::string_view text) {
    Digest d{};
    unsigned int len = 0;
    if (EVP_Digest(text.data(), text.size(), d.data(), &len, EVP_sha256(), nullptr) != 1 ||
        len != d.size())
        throw std::runtime_error("control API: SHA-256 is unavailable in this OpenSSL");
    return d;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
        s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
        s.remove_suffix(1);
    return s;
}

HttpResponse json_response(unsigned status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

// A refused call: the status, the machine-readable code and what was wrong.
struct Failure {
    unsigned status;
    ApiCode code;
    std::string message;
};

HttpResponse error_response(const Failure& f) {
    return json_response(f.status, json::error_body(engine::to_string(f.code), f.message));
}

Event command_event(CommandCode code, std::int64_t arg = 0, std::uint16_t param = 0) {
    Event e =
        engine::make_event(EventType::command, engine::Source::control, 0, 0, engine::kNoSymbol);
    e.payload.command.code = code;
    e.payload.command.arg = arg;
    e.payload.command.param = param;
    return e;
}

// The body of a POST parsed into the command events it asks for, or why it cannot be.
struct Parsed {
    std::vector<Event> events;
    std::optional<Failure> failure;
};

Failure bad_field(std::string message) {
    return {400, ApiCode::bad_field, std::move(message)};
}
Failure malformed(std::string message) {
    return {400, ApiCode::malformed_json, std::move(message)};
}

// A JSON scalar's text for a limit value: a string's contents or a number's token.
std::optional<std::string> scalar_text(simdjson::ondemand::value value) {
    simdjson::ondemand::json_type type{};
    if (value.type().get(type) != simdjson::SUCCESS)
        return std::nullopt;
    if (type == simdjson::ondemand::json_type::string) {
        std::string_view s;
        if (value.get_string().get(s) != simdjson::SUCCESS)
            return std::nullopt;
        return std::string(s);
    }
    if (type == simdjson::ondemand::json_type::number)
        return std::string(trim(value.raw_json_token()));
    return std::nullopt;
}

// Parses a POST body that must be empty or a JSON object, calling on_field(key, value) for
// each member; on_field returns a Failure to stop.
template <class OnField>
std::optional<Failure> parse_object(const std::string& body, OnField on_field) {
    if (trim(body).empty())
        return std::nullopt;
    simdjson::ondemand::parser parser;
    const simdjson::padded_string padded(body);
    simdjson::ondemand::document doc;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS)
        return malformed("the body is not JSON");
    simdjson::ondemand::object object;
    if (doc.get_object().get(object) != simdjson::SUCCESS)
        return malformed("the body must be a JSON object");
    std::vector<std::string> seen;  // a body has a handful of keys
    for (auto field : object) {
        if (field.error() != simdjson::SUCCESS)
            return malformed(std::string("the body is not valid JSON: ") +
                             simdjson::error_message(field.error()));
        std::string_view key_view;
        if (field.unescaped_key().get(key_view) != simdjson::SUCCESS)
            return malformed("a key of the body is not a valid JSON string");
        const std::string key(key_view);
        // A repeated key is refused, never "the last one wins": {"flatten":true,"flatten":false}
        // must not mean whichever the parser happened to keep.
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            return bad_field("repeated key '" + key.substr(0, 80) + "'");
        seen.push_back(key);
        simdjson::ondemand::value value;
        if (field.value().get(value) != simdjson::SUCCESS)
            return malformed("the value of '" + key + "' is not valid JSON");
        if (std::optional<Failure> f = on_field(key, value))
            return f;
    }
    // At the end of the document current_location() reports OUT_OF_BOUNDS; anything else
    // is content after the object (simdjson 3.0's document has no at_end()).
    const char* rest = nullptr;
    if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
        return malformed("the body has content after its JSON object");
    return std::nullopt;
}

// "account": NAME -> CommandPayload::account (k+1 for account k of several; a session with
// one account takes no "account", as before accounts existed).
std::optional<Failure> read_account(simdjson::ondemand::value& value,
                                    const std::vector<std::string>& accounts,
                                    std::uint8_t& account) {
    std::string_view name;
    if (value.get_string().get(name) != simdjson::SUCCESS)
        return bad_field("'account' must be an account's name (a string)");
    if (const std::optional<std::size_t> k = engine::account_named(accounts, name)) {
        account = static_cast<std::uint8_t>(*k + 1);
        return std::nullopt;
    }
    return bad_field("unknown account '" + std::string(name.substr(0, 80)) + "' (accounts: " +
                     engine::account_list(accounts) + ")");
}

void set_account(Parsed& p, std::uint8_t account) {
    for (Event& e : p.events)
        e.payload.command.account = account;
}

Parsed parse_plain(const std::string& body, CommandCode code,
                   const std::vector<std::string>& accounts) {
    Parsed p;
    std::uint8_t account = 0;
    p.failure = parse_object(
        body,
        [&](const std::string& key, simdjson::ondemand::value& value) -> std::optional<Failure> {
            if (key == "account" && accounts.size() > 1)
                return read_account(value, accounts, account);
            return bad_field("unknown field '" + key + "' (" +
                             std::string(engine::to_string(code)) +
                             (accounts.size() > 1 ? " takes only account)" : " takes no body)"));
        });
    if (!p.failure)
        p.events.push_back(command_event(code));
    set_account(p, account);
    return p;
}

Parsed parse_kill(const std::string& body, const std::vector<std::string>& accounts) {
    Parsed p;
    bool flatten = false;
    std::uint8_t account = 0;
    p.failure = parse_object(
        body,
        [&](const std::string& key, simdjson::ondemand::value& value) -> std::optional<Failure> {
            if (key == "account" && accounts.size() > 1)
                return read_account(value, accounts, account);
            if (key != "flatten")
                return bad_field("unknown field '" + key + "' (kill takes only flatten" +
                                 (accounts.size() > 1 ? " and account)" : ")"));
            if (value.get_bool().get(flatten) != simdjson::SUCCESS)
                return bad_field("'flatten' must be true or false");
            return std::nullopt;
        });
    if (!p.failure)
        p.events.push_back(command_event(CommandCode::kill, flatten ? 1 : 0));
    set_account(p, account);
    return p;
}

// {"max_order_qty":"500","max_position":2000}: one limit_stage per key in body order, then
// limit_commit. Values are checked here against the limit's range (RiskLimits::set on a
// scratch copy) so a bad one is answered 400 naming its key instead of being journaled and
// refused by the risk stage.
Parsed parse_risk(const std::string& body, const std::vector<std::string>& accounts) {
    Parsed p;
    std::vector<engine::RiskLimit> seen;
    std::uint8_t account = 0;
    p.failure = parse_object(
        body,
        [&](const std::string& key, simdjson::ondemand::value& value) -> std::optional<Failure> {
            if (key == "account" && accounts.size() > 1)
                return read_account(value, accounts, account);
            const std::optional<engine::RiskLimit> id = engine::parse_risk_limit(key);
            if (!id)
                return bad_field("'" + key + "' is not a risk limit (e.g. max_order_qty)");
            if (*id == engine::RiskLimit::restricted_symbol || *id == engine::RiskLimit::tick_size)
                return bad_field("'" + key +
                                 "' is set per symbol; /api/risk sets global limits only");
            if (std::find(seen.begin(), seen.end(), *id) != seen.end())
                return bad_field("'" + key + "' is given twice");
            seen.push_back(*id);
            const std::optional<std::string> text = scalar_text(value);
            if (!text)
                return bad_field("'" + key + "' must be a decimal string or number");
            std::int64_t raw = 0;
            if (const engine::DecimalError e = engine::parse_decimal(*text, raw);
                e != engine::DecimalError::ok)
                return bad_field("'" + key + "': '" + *text + "' is not an exact decimal (" +
                                 std::string(engine::to_string(e)) + ")");
            // Quantities, money and percentages are fixed-point; counts, times and minutes
            // are plain integers (the same rule as the commands CSV).
            if (!engine::risk_limit_is_fixed_point(*id)) {
                if (raw % engine::kScale != 0)
                    return bad_field("'" + key + "': '" + *text + "' must be a whole number");
                raw /= engine::kScale;
            }
            engine::RiskLimits scratch;
            if (!scratch.set(*id, raw))
                return bad_field("'" + key + "': '" + *text + "' is out of range");
            p.events.push_back(
                command_event(CommandCode::limit_stage, raw, static_cast<std::uint16_t>(*id)));
            return std::nullopt;
        });
    if (!p.failure && p.events.empty())
        p.failure = bad_field("no limits given (e.g. {\"max_order_qty\":\"500\"})");
    if (!p.failure)
        p.events.push_back(command_event(CommandCode::limit_commit));
    set_account(p, account);
    return p;
}

}  // namespace

struct ControlApi::Core : std::enable_shared_from_this<ControlApi::Core> {
    struct Call {
        ApiEndpoint endpoint = ApiEndpoint::unknown;
        HttpMethod method = HttpMethod::other;
        std::uint32_t remote_ipv4 = 0;
    };

    Core(ControlApiDeps deps, const ControlApiOptions& options)
        : port(deps.port),
          scheduler(deps.scheduler),
          state(deps.state),
          readiness(deps.readiness),
          metrics(std::move(deps.metrics)),
          poll_interval(options.poll_interval),
          durable_timeout(options.durable_timeout),
          max_body_bytes(options.max_body_bytes),
          accounts(options.accounts),
          require_token(options.require_token),
          token_digest(sha256(options.token)) {}

    InputPort& port;
    Scheduler& scheduler;
    const StatePublisher& state;
    const ReadinessSource& readiness;
    const std::function<MetricsSnapshot()> metrics;
    const std::chrono::milliseconds poll_interval;
    const std::chrono::milliseconds durable_timeout;
    const std::size_t max_body_bytes;
    const std::vector<std::string> accounts;
    const bool require_token;
    const Digest token_digest;

    std::array<std::array<std::atomic<std::uint64_t>, kCodes>, kEndpoints> counts{};
    std::atomic<std::uint64_t> audits_dropped{0};

    // Command submission. A limit change is several events that must reach ingest together
    // and in order, so submissions are serialised, and a second /api/risk waits (503 busy)
    // until the previous batch's commit is resolved: the queue keeps order per producer
    // thread only, so two batches from two I/O threads could otherwise interleave their
    // stages.
    std::mutex command_mutex;
    bool risk_in_flight = false;  // guarded by command_mutex
    bool staging_dirty = false;   // a batch left stages without its commit; discard first

    // Counts, audits and answers a call. Never the token: the audit event holds only the
    // route, method, status, code and peer address.
    void finish(const Call& call, const Respond& respond, HttpResponse response, ApiCode code) {
        counts[static_cast<std::size_t>(call.endpoint)][static_cast<std::size_t>(code)].fetch_add(
            1, std::memory_order_relaxed);
        Event e =
            engine::make_event(EventType::audit, engine::Source::control, 0, 0, engine::kNoSymbol);
        e.payload.audit.remote_ipv4 = call.remote_ipv4;
        e.payload.audit.status = static_cast<std::uint16_t>(response.status);
        e.payload.audit.code = code;
        e.payload.audit.endpoint = call.endpoint;
        e.payload.audit.method = call.method;
        if (!port.submit(e))
            audits_dropped.fetch_add(1, std::memory_order_relaxed);
        respond(std::move(response));
    }

    void fail(const Call& call, const Respond& respond, const Failure& f,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
        HttpResponse r = error_response(f);
        r.headers = std::move(headers);
        finish(call, respond, std::move(r), f.code);
    }

    [[nodiscard]] bool authorized(const HttpRequest& request) const {
        if (!require_token)
            return true;
        const std::string_view value = trim(request.header("authorization"));
        constexpr std::string_view kScheme = "bearer ";
        if (value.size() <= kScheme.size() || !iequals(value.substr(0, kScheme.size()), kScheme))
            return false;
        const Digest given = sha256(trim(value.substr(kScheme.size())));
        return CRYPTO_memcmp(given.data(), token_digest.data(), given.size()) == 0;
    }

    void handle(HttpRequest&& request, Respond respond) {
        Call call;
        call.method = request.method;
        call.remote_ipv4 = request.remote_ipv4;
        const std::string_view path = request.path();
        const Route* route = nullptr;
        for (const Route& r : kRoutes) {
            if (r.path == path)
                route = &r;
        }
        if (route != nullptr)
            call.endpoint = route->endpoint;
        // Everything but the health checks needs the token, unknown paths included, so an
        // unauthenticated caller learns nothing about which routes exist.
        if ((route == nullptr || !route->public_route) && !authorized(request)) {
            fail(call, respond, {401, ApiCode::unauthorized, "missing or wrong bearer token"},
                 {{"WWW-Authenticate", "Bearer"}});
            return;
        }
        if (route == nullptr) {
            fail(call, respond,
                 {404, ApiCode::not_found,
                  "no route " + std::string(path) + " (see adapters/README.md for the API)"});
            return;
        }
        if (request.method != route->method) {
            const bool get = route->method == HttpMethod::get;
            fail(call, respond,
                 {405, ApiCode::method_not_allowed,
                  std::string(route->path) + " takes " + (get ? "GET" : "POST")},
                 {{"Allow", get ? "GET" : "POST"}});
            return;
        }
        switch (route->endpoint) {
            case ApiEndpoint::health_live:
                finish(call, respond, json_response(200, "{\"live\":true}"), ApiCode::ok);
                return;
            case ApiEndpoint::health_ready:
                ready(call, respond);
                return;
            case ApiEndpoint::metrics:
                serve_metrics(call, respond);
                return;
            case ApiEndpoint::status:
            case ApiEndpoint::positions:
            case ApiEndpoint::orders:
            case ApiEndpoint::account:
                serve_state(call, respond);
                return;
            default:
                command(call, request, std::move(respond));
                return;
        }
    }

    void ready(const Call& call, const Respond& respond) {
        const std::vector<std::string> failing = readiness.readiness().failing();
        if (failing.empty()) {
            finish(call, respond, json_response(200, "{\"ready\":true}"), ApiCode::ok);
            return;
        }
        std::string list;
        std::string array = "[";
        for (std::size_t i = 0; i < failing.size(); ++i) {
            list += (i == 0 ? "" : ", ") + failing[i];
            if (i != 0)
                array += ',';
            json::append_string(array, failing[i]);
        }
        array += ']';
        std::string body = json::error_body("not_ready", "failing: " + list);
        body.pop_back();  // extend the error object with the list of failing checks
        body += ",\"failing\":" + array + "}";
        finish(call, respond, json_response(503, std::move(body)), ApiCode::not_ready);
    }

    void serve_metrics(const Call& call, const Respond& respond) {
        MetricsSnapshot snapshot = metrics();
        for (std::size_t e = 0; e < kEndpoints; ++e) {
            for (std::size_t c = 0; c < kCodes; ++c) {
                const std::uint64_t n = counts[e][c].load(std::memory_order_relaxed);
                if (n != 0)
                    snapshot.api_requests.push_back(
                        {std::string(engine::to_string(static_cast<ApiEndpoint>(e))),
                         std::string(engine::to_string(static_cast<ApiCode>(c))), n});
            }
        }
        snapshot.api_audits_dropped = audits_dropped.load(std::memory_order_relaxed);
        HttpResponse r;
        r.content_type = std::string(kPrometheusContentType);
        r.body = render_prometheus(snapshot);
        finish(call, respond, std::move(r), ApiCode::ok);
    }

    void serve_state(const Call& call, const Respond& respond) {
        const std::shared_ptr<const StateView> view = state.current();
        if (view == nullptr) {
            fail(call, respond,
                 {503, ApiCode::not_ready, "the session has not published its state yet"});
            return;
        }
        std::string body;
        switch (call.endpoint) {
            case ApiEndpoint::status:
                body = status_json(*view);
                break;
            case ApiEndpoint::positions:
                body = positions_json(*view);
                break;
            case ApiEndpoint::orders:
                body = orders_json(*view);
                break;
            default:
                body = account_json(*view);
                break;
        }
        finish(call, respond, json_response(200, std::move(body)), ApiCode::ok);
    }

    void command(const Call& call, const HttpRequest& request, Respond respond) {
        if (request.body.size() > max_body_bytes) {
            fail(call, respond,
                 {413, ApiCode::body_too_large,
                  "the body is " + std::to_string(request.body.size()) + " bytes; at most " +
                      std::to_string(max_body_bytes) + " are read"});
            return;
        }
        Parsed parsed;
        switch (call.endpoint) {
            case ApiEndpoint::pause:
                parsed = parse_plain(request.body, CommandCode::pause, accounts);
                break;
            case ApiEndpoint::resume:
                parsed = parse_plain(request.body, CommandCode::resume, accounts);
                break;
            case ApiEndpoint::unkill:
                parsed = parse_plain(request.body, CommandCode::unkill, accounts);
                break;
            case ApiEndpoint::ack_positions:
                parsed = parse_plain(request.body, CommandCode::ack_positions, accounts);
                break;
            case ApiEndpoint::kill:
                parsed = parse_kill(request.body, accounts);
                break;
            default:
                KEEL_ASSERT(call.endpoint == ApiEndpoint::risk, "a command route without a parser");
                parsed = parse_risk(request.body, accounts);
                break;
        }
        if (parsed.failure) {
            fail(call, respond, *parsed.failure);
            return;
        }
        const bool risk = call.endpoint == ApiEndpoint::risk;
        std::optional<InputPort::Ticket> ticket;
        {
            const std::lock_guard lock(command_mutex);
            if (risk && risk_in_flight) {
                fail(call, respond,
                     {503, ApiCode::busy, "a previous risk change is still being journaled"},
                     {{"Retry-After", "1"}});
                return;
            }
            ticket = submit_all(risk, parsed.events);
            if (ticket && risk)
                risk_in_flight = true;
        }
        if (!ticket) {
            fail(call, respond,
                 {503, ApiCode::busy,
                  "the input queue is full (or closed: the session is stopping); try again"},
                 {{"Retry-After", "1"}});
            return;
        }
        const auto deadline = scheduler.now() + durable_timeout;
        schedule_poll(*ticket, deadline, call, std::move(respond), risk, false);
    }

    // Submits every event, the last one tracked. Returns nullopt when the queue refused one;
    // a limit batch cut short is discarded so a later commit cannot apply half of it.
    std::optional<InputPort::Ticket> submit_all(bool risk, const std::vector<Event>& events) {
        if (risk && staging_dirty) {
            if (!port.submit(command_event(CommandCode::limit_discard)))
                return std::nullopt;
            staging_dirty = false;
        }
        for (std::size_t i = 0; i + 1 < events.size(); ++i) {
            if (!port.submit(events[i])) {
                if (risk && i > 0 && !port.submit(command_event(CommandCode::limit_discard)))
                    staging_dirty = true;
                return std::nullopt;
            }
        }
        std::optional<InputPort::Ticket> t = port.submit_tracked(events.back());
        if (!t && risk && events.size() > 1 &&
            !port.submit(command_event(CommandCode::limit_discard)))
            staging_dirty = true;
        return t;
    }

    void schedule_poll(InputPort::Ticket ticket, Scheduler::Clock::time_point deadline,
                       const Call& call, Respond respond, bool risk, bool answered) {
        // After a timeout only a risk batch is still followed (to lift risk_in_flight), and
        // less often: nobody waits for it any more.
        const auto delay = answered ? std::max<Scheduler::Clock::duration>(
                                          poll_interval, std::chrono::milliseconds(100))
                                    : Scheduler::Clock::duration(poll_interval);
        scheduler.after(delay, [self = shared_from_this(), ticket, deadline, call,
                                respond = std::move(respond), risk, answered]() mutable {
            self->poll(ticket, deadline, call, std::move(respond), risk, answered);
        });
    }

    void poll(InputPort::Ticket ticket, Scheduler::Clock::time_point deadline, const Call& call,
              Respond respond, bool risk, bool answered) {
        const InputPort::Fate fate = port.fate(ticket);
        if (fate != InputPort::Fate::pending) {
            const std::uint64_t seq = port.seq(ticket);
            port.release(ticket);
            if (risk) {
                const std::lock_guard lock(command_mutex);
                risk_in_flight = false;
            }
            if (answered)
                return;
            if (fate == InputPort::Fate::durable) {
                finish(
                    call, respond,
                    json_response(200, "{\"accepted\":true,\"seq\":" + std::to_string(seq) + "}"),
                    ApiCode::ok);
            } else {
                fail(call, respond,
                     {503, ApiCode::not_journaled,
                      "the command was not journaled (the journal failed or the session is "
                      "stopping); it has no effect"});
            }
            return;
        }
        if (!answered && scheduler.now() >= deadline) {
            fail(call, respond,
                 {503, ApiCode::timeout,
                  "the command was not durable within " + std::to_string(durable_timeout.count()) +
                      " ms; it may still be journaled and take effect (check /api/status)"});
            if (!risk) {
                port.release(ticket);
                return;
            }
            answered = true;
        }
        schedule_poll(ticket, deadline, call, std::move(respond), risk, answered);
    }
};

ControlApi::ControlApi(ControlApiDeps deps, ControlApiOptions options) {
    if (options.require_token && options.token.empty())
        throw std::invalid_argument("control API: the bearer token must not be empty");
    if (!options.require_token && !options.token.empty())
        throw std::invalid_argument("control API: a token is set but not required");
    if (!deps.metrics)
        throw std::invalid_argument("control API: a metrics source is required");
    core_ = std::make_shared<Core>(std::move(deps), options);
    // Only the digest is kept; wipe this copy of the token (the caller owns its own).
    OPENSSL_cleanse(options.token.data(), options.token.size());
}

ControlApi::~ControlApi() = default;

void ControlApi::handle(http::HttpRequest&& request, http::Respond respond) {
    core_->handle(std::move(request), std::move(respond));
}

http::Handler ControlApi::handler() {
    return [core = core_](http::HttpRequest&& request, http::Respond respond) {
        core->handle(std::move(request), std::move(respond));
    };
}

std::uint64_t ControlApi::audits_dropped() const noexcept {
    return core_->audits_dropped.load(std::memory_order_relaxed);
}

}  // namespace keel::adapters::control
