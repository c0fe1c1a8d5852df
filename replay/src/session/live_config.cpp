#include "keel/replay/session/live_config.hpp"

#include <boost/asio/ip/address.hpp>

#include "keel/adapters/webhook/alert_json.hpp"
#include "keel/engine/config/config_reader.hpp"
#include "keel/engine/config/secrets.hpp"

namespace keel::replay {
namespace {

using engine::ConfigReader;
using engine::Json;

// host (an IP address; loopback unless configured), port, threads and the request limits every
// HTTP listener shares.
void read_server(ConfigReader& r, adapters::http::ServerOptions& s, std::int64_t default_body) {
    s.host = r.string("host", false, "127.0.0.1").value_or("127.0.0.1");
    boost::system::error_code ec;
    (void)boost::asio::ip::make_address(s.host, ec);
    if (ec)
        r.error("host", "'" + s.host + "' is not an IP address");
    s.port = static_cast<std::uint16_t>(r.integer("port", true, 0, 65535).value_or(0));
    s.threads = static_cast<unsigned>(r.integer("threads", false, 1, 64, 1).value_or(1));
    s.max_body_bytes = static_cast<std::size_t>(
        r.integer("max_body_bytes", false, 256, 64 << 20, default_body).value_or(default_body));
    s.max_connections = static_cast<std::size_t>(
        r.integer("max_connections", false, 1, 100'000, 256).value_or(256));
    // 0: min(32, max_connections) (http_server.hpp).
    s.max_connections_per_address = static_cast<std::size_t>(
        r.integer("max_connections_per_address", false, 0, 100'000, 0).value_or(0));
    s.header_timeout = std::chrono::milliseconds(
        r.integer("header_timeout_ms", false, 10, 600'000, 10'000).value_or(10'000));
    s.request_timeout = std::chrono::milliseconds(
        r.integer("request_timeout_ms", false, 10, 600'000, 30'000).value_or(30'000));
}

// The feed's sanity band defaults (symbols.<name> may override the jump per symbol).
void read_band_options(ConfigReader& r, adapters::BandOptions& b) {
    if (auto v = r.decimal("max_jump_pct", false)) {
        if (*v < 0 || *v > 1000 * engine::kScale)
            r.error("max_jump_pct", "must be between 0 (no jump check) and 1000");
        b.default_max_jump_pct = engine::Ratio::from_raw(*v);
    }
    b.reanchor_after = static_cast<std::uint32_t>(
        r.integer("reanchor_after", false, 1, 1000, 3).value_or(3));
    b.reanchor_gap_ns = r.integer("reanchor_gap_minutes", false, 1, 10'080, 60).value_or(60) *
                        60'000'000'000LL;
}

// How to give a secret, for the error that refuses one.
std::string how_to_set(const char* env) {
    return std::string("set it in the environment, e.g. ") + env + "=$(openssl rand -hex 16)";
}

// A secret that authenticates callers (secrets.hpp: weak_secret): "" when absent or empty (the
// caller decides whether it may be), an error naming the key when present but weak; nullopt
// when it is not a string (reported already).
std::optional<std::string> strong_secret(ConfigReader& r, const std::string& key, const char* env) {
    std::optional<std::string> v = r.secret(key, false);
    if (v && !v->empty()) {
        if (const std::string why = engine::weak_secret(*v); !why.empty())
            r.error(key, why + "; " + how_to_set(env));
    }
    return v;
}

void read_feed(const Json& j, LiveConfig& out, std::vector<engine::ConfigError>& errors) {
    ConfigReader r(errors, j, "feed");
    adapters::feed::FeedClientOptions f;
    const std::string protocol = r.string("protocol", false, "tcp").value_or("tcp");
    if (protocol == "tcp")
        f.protocol = adapters::feed::FeedProtocol::tcp;
    else if (protocol == "ws")
        f.protocol = adapters::feed::FeedProtocol::ws;
    else
        r.error("protocol", "'" + protocol + "' is not one of tcp, ws");
    f.host = r.string("host", false, "127.0.0.1").value_or("127.0.0.1");
    f.port = static_cast<std::uint16_t>(r.integer("port", true, 1, 65535).value_or(0));
    f.ws_path = r.string("path", false, "/").value_or("/");
    f.stale_after_ms = static_cast<std::uint32_t>(
        r.integer("stale_after_ms", false, 0, 86'400'000, 5000).value_or(5000));
    if (const Json* sub = r.array("subscribe", false)) {
        for (std::size_t i = 0; i < sub->size(); ++i) {
            const Json& m = (*sub)[i];
            if (m.is_string())
                f.subscribe.push_back(m.get<std::string>());
            else if (m.is_object())
                f.subscribe.push_back(m.dump());
            else
                r.error("subscribe[" + std::to_string(i) + "]", "expected a string or an object");
        }
    }
    f.backoff.initial_ms = static_cast<std::uint32_t>(
        r.integer("reconnect_initial_ms", false, 1, 600'000, 100).value_or(100));
    f.backoff.max_ms = static_cast<std::uint32_t>(
        r.integer("reconnect_max_ms", false, 1, 3'600'000, 5000).value_or(5000));
    if (f.backoff.max_ms < f.backoff.initial_ms)
        r.error("reconnect_max_ms", "must not be below reconnect_initial_ms");
    read_band_options(r, f.band_options);
    r.finish();
    out.feed = f;
}

// webhook.extra_fields: body fields accepted beyond the built-in list (alert_json.hpp); a near
// miss of a field that sets size, price, side or symbol cannot be allowed.
void read_extra_fields(ConfigReader& r, std::vector<std::string>& out) {
    const Json* list = r.array("extra_fields", false);
    if (list == nullptr)
        return;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string key = "extra_fields[" + std::to_string(i) + "]";
        if (!(*list)[i].is_string() || (*list)[i].get<std::string>().empty()) {
            r.error(key, "expected a field name");
            continue;
        }
        const std::string name = (*list)[i].get<std::string>();
        if (const auto near = adapters::webhook::near_miss_of(name)) {
            r.error(key, "'" + name + "' is within two edits of '" + std::string(*near) +
                             "', a field that sets size, price, side or symbol; a body holding "
                             "it is always refused, so it cannot be an extra field");
            continue;
        }
        out.push_back(name);
    }
}

// The webhook fails closed: alerts trade, so one that anybody could send must never be taken.
// A strong `secret` authenticates every alert; a `signature_secret` (HMAC) counts instead only
// with require_signature, because without it an unsigned alert passes the signature check and,
// with no secret, nothing else. Every key that is set must be strong, used or not.
void read_webhook_auth(ConfigReader& r, adapters::webhook::WebhookOptions& o) {
    const std::optional<std::string> secret = strong_secret(r, "secret", "KEEL__WEBHOOK__SECRET");
    const std::optional<std::string> key =
        strong_secret(r, "signature_secret", "KEEL__WEBHOOK__SIGNATURE_SECRET");
    o.secret = secret.value_or("");
    o.signature_key = key.value_or("");
    o.require_signature = r.boolean("require_signature", false).value_or(false);
    if (o.require_signature && key && key->empty())
        r.error("require_signature", "needs webhook.signature_secret");
    if (!secret || !secret->empty() || (o.require_signature && !o.signature_key.empty()))
        return;
    r.error("secret", o.signature_key.empty()
                          ? "is missing (at least 16 characters): an unauthenticated webhook would "
                            "trade for anyone who can reach it; " +
                                how_to_set("KEEL__WEBHOOK__SECRET") +
                                " (or a signature_secret with require_signature: true)"
                          : "is missing: a signature_secret without require_signature: true lets "
                            "unsigned alerts through unauthenticated; " +
                                how_to_set("KEEL__WEBHOOK__SECRET") +
                                " or set require_signature: true");
}

void read_webhook(const Json& j, LiveConfig& out, std::vector<engine::ConfigError>& errors) {
    ConfigReader r(errors, j, "webhook");
    WebhookConfig w;
    read_server(r, w.server, 64 * 1024);
    auto& o = w.receiver;
    o.path = r.string("path", false, o.path).value_or(o.path);
    if (o.path.empty() || o.path.front() != '/')
        r.error("path", "must start with '/'");
    read_webhook_auth(r, o);
    o.signature_window_s =
        r.integer("signature_window_s", false, 1, 86'400, o.signature_window_s).value_or(300);
    if (const Json* rl = r.object("rate_limit", false)) {
        ConfigReader q(errors, *rl, "webhook.rate_limit");
        o.per_source.per_second =
            static_cast<double>(q.integer("per_source_per_s", false, 0, 1'000'000, 0).value_or(0));
        o.per_source.burst =
            static_cast<double>(q.integer("per_source_burst", false, 1, 1'000'000, 1).value_or(1));
        o.global.per_second =
            static_cast<double>(q.integer("global_per_s", false, 0, 1'000'000, 0).value_or(0));
        o.global.burst =
            static_cast<double>(q.integer("global_burst", false, 1, 1'000'000, 1).value_or(1));
        q.finish();
    }
    if (const Json* list = r.array("allowlist", false)) {
        for (std::size_t i = 0; i < list->size(); ++i) {
            if (!(*list)[i].is_string())
                r.error("allowlist[" + std::to_string(i) + "]", "expected an address or CIDR");
            else
                o.allowlist.push_back((*list)[i].get<std::string>());
        }
    }
    o.dedupe_window_s =
        r.integer("dedupe_window_s", false, 1, 30 * 86'400, o.dedupe_window_s).value_or(86'400);
    o.body_dedupe_window_s =
        r.integer("body_dedupe_window_s", false, 0, 86'400, o.body_dedupe_window_s).value_or(10);
    read_extra_fields(r, o.extra_fields);
    o.ack_deadline = std::chrono::milliseconds(
        r.integer("ack_deadline_ms", false, 10, 2'900, 2'500).value_or(2'500));
    r.finish();
    out.webhook = w;
}

bool is_loopback(const std::string& host) {
    boost::system::error_code ec;
    const boost::asio::ip::address a = boost::asio::ip::make_address(host, ec);
    return !ec && a.is_loopback();
}

// The control API kills, pauses and changes limits: it needs a strong token, unless it is asked
// for without one (`auth: "none"`), and then only this machine may reach it (loopback).
void read_control_auth(ConfigReader& r, ControlConfig& c) {
    const std::string auth = r.string("auth", false, "token").value_or("token");
    const std::optional<std::string> token = strong_secret(r, "token", "KEEL__CONTROL__TOKEN");
    c.api.token = token.value_or("");
    if (auth == "none") {
        c.api.require_token = false;
        if (!c.api.token.empty())
            r.error("token", "is set but control.auth is \"none\": remove one of them");
        if (!is_loopback(c.server.host))
            r.error("host", "'" + c.server.host +
                                "' is not a loopback address: a control API with auth \"none\" "
                                "binds loopback only (127.0.0.1 or ::1)");
    } else if (auth != "token") {
        r.error("auth", "'" + auth + "' is not one of token, none");
    } else if (token && token->empty()) {
        r.error("token",
                "is missing (at least 16 characters): the control API kills, pauses and changes "
                "limits; " +
                    how_to_set("KEEL__CONTROL__TOKEN") +
                    " (or ask for no token with control.auth: \"none\", loopback only)");
    }
}

void read_control(const Json& j, LiveConfig& out, std::vector<engine::ConfigError>& errors) {
    ConfigReader r(errors, j, "control");
    ControlConfig c;
    read_server(r, c.server, 64 * 1024);
    c.api.max_body_bytes = c.server.max_body_bytes;
    read_control_auth(r, c);
    c.api.durable_timeout = std::chrono::milliseconds(
        r.integer("durable_timeout_ms", false, 10, 60'000, 5'000).value_or(5'000));
    r.finish();
    out.control = c;
}

// live.time and live.clock_tick_ms (LiveTime); the default time is read from the sections.
void read_live_time(const Json* j, LiveConfig& out, std::vector<engine::ConfigError>& errors) {
    out.time = out.webhook ? LiveTime::wall : LiveTime::data;
    if (j == nullptr)
        return;
    ConfigReader r(errors, *j, "live");
    const std::string fallback = out.time == LiveTime::wall ? "wall" : "data";
    const std::string time = r.string("time", false, fallback).value_or(fallback);
    if (time == "wall")
        out.time = LiveTime::wall;
    else if (time == "data")
        out.time = LiveTime::data;
    else
        r.error("time", "'" + time + "' is not one of wall, data");
    out.clock_tick_ms =
        static_cast<std::uint32_t>(r.integer("clock_tick_ms", false, 1, 60'000, 100).value_or(100));
    r.finish();
}

// notify[i].events: the kinds it asks for (default: all of them).
void read_notify_events(ConfigReader& r, adapters::notify::NotifyTarget& t) {
    using adapters::notify::NotifyKind;
    const Json* list = r.array("events", false);
    t.kinds.fill(list == nullptr);
    t.kinds[static_cast<std::size_t>(NotifyKind::summary)] = true;
    if (list == nullptr)
        return;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const std::string key = "events[" + std::to_string(i) + "]";
        const auto kind = (*list)[i].is_string()
                              ? adapters::notify::parse_notify_kind((*list)[i].get<std::string>())
                              : std::nullopt;
        if (!kind || *kind == NotifyKind::summary) {
            r.error(key,
                    "expected one of fill, partial_fill, rejected, cancel, breaker, kill, "
                    "pause, resume, feed, session, daily_summary, venue");
            continue;
        }
        t.kinds[static_cast<std::size_t>(*kind)] = true;
    }
}

// Where a target posts: its url (Telegram: built from the base url, default the Bot API, and
// the bot's token). Checked for shape only; the error never quotes it (a secret).
void read_notify_url(ConfigReader& r, adapters::notify::NotifyTarget& t) {
    using adapters::notify::NotifyService;
    if (t.service == NotifyService::telegram) {
        const std::optional<std::string> token = r.secret("token", true);
        t.chat_id = r.string("chat_id", true).value_or("");
        const std::optional<std::string> given = r.secret("url", false);
        const std::string base = given && !given->empty() ? *given : "https://api.telegram.org";
        if (token && (token->empty() || token->find_first_of("/?# ") != std::string::npos))
            r.error("token",
                    "is not a bot token (get one from @BotFather; set it in the "
                    "environment, e.g. KEEL__NOTIFY__0__TOKEN)");
        t.url = adapters::notify::telegram_send_url(base, token.value_or(""));
    } else {
        t.url = r.secret("url", true).value_or("");
        if (t.service == NotifyService::discord)
            t.url = adapters::notify::discord_route(t.url);
    }
    if (!adapters::notify::parse_url(t.url))
        r.error("url",
                "is not an http:// or https:// URL with a host (set it in the environment, "
                "e.g. KEEL__NOTIFY__0__URL)");
}

void read_notify_target(const Json& j, const std::string& path, adapters::notify::NotifyOptions& o,
                        std::vector<engine::ConfigError>& errors) {
    ConfigReader r(errors, j, path);
    adapters::notify::NotifyTarget t;
    const std::string type = r.string("type", true).value_or("webhook");
    if (const auto s = adapters::notify::parse_notify_service(type))
        t.service = *s;
    else
        r.error("type", "'" + type + "' is not one of discord, slack, telegram, webhook");
    read_notify_url(r, t);
    read_notify_events(r, t);
    const std::string level = r.string("min_level", false, "info").value_or("info");
    if (const auto l = adapters::notify::parse_notify_level(level))
        t.min_level = *l;
    else
        r.error("min_level", "'" + level + "' is not one of info, warning, critical");
    t.outbox_capacity = static_cast<std::size_t>(
        r.integer("outbox_capacity", false, 2, 1'000'000, 1000).value_or(1000));
    t.backoff.initial_ms = static_cast<std::uint32_t>(
        r.integer("retry_initial_ms", false, 1, 600'000, 500).value_or(500));
    t.backoff.max_ms = static_cast<std::uint32_t>(
        r.integer("retry_max_ms", false, 1, 3'600'000, 30'000).value_or(30'000));
    if (t.backoff.max_ms < t.backoff.initial_ms)
        r.error("retry_max_ms", "must not be below retry_initial_ms");
    t.timeout = std::chrono::milliseconds(
        r.integer("timeout_ms", false, 100, 120'000, 10'000).value_or(10'000));
    r.finish();
    o.targets.push_back(std::move(t));
}

void read_notify(const Json& j, LiveConfig& out, std::vector<engine::ConfigError>& errors) {
    adapters::notify::NotifyOptions o;
    // flags of a notify audit hold the target's index.
    if (j.size() > 255)
        errors.push_back({"notify", "at most 255 targets"});
    for (std::size_t i = 0; i < j.size() && i < 255; ++i) {
        const std::string path = "notify[" + std::to_string(i) + "]";
        if (!j[i].is_object()) {
            errors.push_back({path, "expected an object"});
            continue;
        }
        read_notify_target(j[i], path, o, errors);
    }
    if (!o.targets.empty())
        out.notify = std::move(o);
}

}  // namespace

LiveConfig read_live_config(const engine::Config& config,
                            std::vector<engine::ConfigError>& errors) {
    LiveConfig out;
    if (config.feed_json.is_object())
        read_feed(config.feed_json, out, errors);
    if (config.webhook_json.is_object())
        read_webhook(config.webhook_json, out, errors);
    if (config.control_json.is_object())
        read_control(config.control_json, out, errors);
    read_live_time(config.live_json.is_object() ? &config.live_json : nullptr, out, errors);
    if (config.notify_json.is_array())
        read_notify(config.notify_json, out, errors);
    if (config.notify_json.is_array() && !out.live())
        errors.push_back({"notify", "needs a live session (a feed or webhook section)"});
    if (out.control && !out.live())
        errors.push_back({"control", "needs a live session (a feed or webhook section)"});
    if (config.live_json.is_object() && !out.live())
        errors.push_back({"live", "needs a live session (a feed or webhook section)"});
    if (out.live() && !config.data_files.empty())
        errors.push_back({"data", "a live session (feed or webhook) reads no data files"});
    return out;
}

}  // namespace keel::replay
