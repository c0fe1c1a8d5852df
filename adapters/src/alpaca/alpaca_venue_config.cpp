#include "keel/adapters/alpaca/alpaca_venue_config.hpp"

#include "keel/adapters/notify/http_client.hpp"
#include "keel/engine/config/config_reader.hpp"

namespace keel::adapters::alpaca {
namespace {

constexpr const char* kPaperRest = "https://paper-api.alpaca.markets";
constexpr const char* kLiveRest = "https://api.alpaca.markets";
constexpr const char* kPaperStream = "wss://paper-api.alpaca.markets/stream";
constexpr const char* kLiveStream = "wss://api.alpaca.markets/stream";
// Alpaca's keys are 20 (id) and 40 (secret) characters; anything much shorter is a placeholder.
constexpr std::size_t kMinKeyId = 8;
constexpr std::size_t kMinSecretKey = 16;

// An https:// (REST) or wss:// (stream) URL with a host; the REST one without a path.
void check_url(engine::ConfigReader& r, const char* key, const std::string& url,
               const char* scheme) {
    const std::string prefix = std::string(scheme) + "://";
    if (url.rfind(prefix, 0) != 0) {
        r.error(key, "'" + url + "': must start with " + prefix + " (TLS is not optional)");
        return;
    }
    const auto parsed = notify::parse_url("https://" + url.substr(prefix.size()));
    if (!parsed)
        r.error(key, "'" + url + "': not a URL with a host");
    else if (std::string(scheme) == "https" && parsed->target != "/")
        r.error(key, "'" + url + "': the API's root, without a path (keel adds /v2/...)");
}

// A key that cannot be Alpaca's: why (never its value), or "".
std::string weak_key(const std::string& value, std::size_t min) {
    if (value.rfind("change-me", 0) == 0 || value.rfind("changeme", 0) == 0)
        return "is the shipped config's placeholder text";
    if (value.size() < min)
        return "is " + std::to_string(value.size()) + " characters long";
    if (value.find_first_of(" \t\r\n") != std::string::npos)
        return "contains white space";
    return {};
}

void read_keys(engine::ConfigReader& r, AlpacaVenueConfig& c) {
    c.key_id = r.secret("key_id", true).value_or("");
    c.secret_key = r.secret("secret_key", true).value_or("");
    if (const std::string why = weak_key(c.key_id, kMinKeyId); !c.key_id.empty() && !why.empty())
        r.error("key_id", why + ": not an Alpaca key id (set KEEL__VENUE__KEY_ID)");
    if (const std::string why = weak_key(c.secret_key, kMinSecretKey);
        !c.secret_key.empty() && !why.empty())
        r.error("secret_key", why + ": not an Alpaca secret key (set KEEL__VENUE__SECRET_KEY)");
}

}  // namespace

AlpacaVenueConfig alpaca_venue_config_from_json(const engine::Json& venue,
                                                std::vector<engine::ConfigError>& errors,
                                                const std::string& path) {
    AlpacaVenueConfig c;
    if (!venue.is_object())
        return c;
    engine::ConfigReader r(errors, venue, path);
    (void)r.string("type", true);
    (void)r.get("threaded", false);  // venue_threading_from_json's keys
    (void)r.get("idle", false);
    (void)r.get("drain_ms", false);
    const std::string env = r.string("environment", false, "paper").value_or("paper");
    if (env != "paper" && env != "live")
        r.error("environment", "'" + env + "': expected paper or live");
    const bool live = env == "live";
    c.base_url = r.string("base_url", false, "").value_or("");
    c.stream_url = r.string("stream_url", false, "").value_or("");
    if (c.base_url.empty())
        c.base_url = live ? kLiveRest : kPaperRest;
    if (c.stream_url.empty())
        c.stream_url = live ? kLiveStream : kPaperStream;
    while (!c.base_url.empty() && c.base_url.back() == '/')
        c.base_url.pop_back();
    check_url(r, "base_url", c.base_url, "https");
    check_url(r, "stream_url", c.stream_url, "wss");
    c.ca_file = r.string("ca_file", false, "").value_or("");
    read_keys(r, c);
    c.request_timeout_ms =
        r.integer("request_timeout_ms", false, 100, 120'000, 5000).value_or(5000);
    c.rate_limit_per_min =
        static_cast<std::uint32_t>(r.integer("rate_limit_per_min", false, 1, 10'000, 200).value_or(200));
    c.account_poll_ms = r.integer("account_poll_ms", false, 0, 3'600'000, 5000).value_or(5000);
    c.max_order_age_ms = r.integer("max_order_age_ms", false, 100, 600'000, 5000).value_or(5000);
    if (const engine::Json* rec = r.object("reconcile", false)) {
        engine::ConfigReader rr(errors, *rec, path + ".reconcile");
        c.adopt_unknown = rr.boolean("adopt_unknown", false).value_or(false);
        rr.finish();
    }
    r.finish();
    return c;
}

}  // namespace keel::adapters::alpaca
