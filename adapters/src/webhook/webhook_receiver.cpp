#include "keel/adapters/webhook/webhook_receiver.hpp"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <unordered_map>

#include <boost/asio/steady_timer.hpp>

#include "keel/adapters/http/http_error.hpp"
#include "keel/adapters/webhook/alert_json.hpp"
#include "keel/assert.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"
#include "keel/engine/strategy/alert_order.hpp"

namespace keel::adapters::webhook {

namespace net = boost::asio;
using engine::AlertAction;
using engine::ApiCode;
using engine::Event;
using engine::EventType;
using engine::Source;
using http::HttpRequest;
using http::HttpResponse;
using http::Respond;

namespace {

constexpr std::uint64_t kFnvOffset = 14695981039346656037ull;
constexpr std::uint64_t kFnvPrime = 1099511628211ull;

std::uint64_t fnv1a(std::uint64_t h, std::string_view s) noexcept {
    for (const char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= kFnvPrime;
    }
    return h;
}

using Digest = std::array<unsigned char, 32>;

// Whether `given` equals `secret` (not empty), in a time that depends on given.size() only:
// every byte of `given` is compared, with the secret's byte at that index or, past the secret's
// end, nothing (its byte chosen by a mask, not a branch), and nothing returns early. So neither
// the secret's content nor its length shows in the timing. (It replaced comparing SHA-256
// digests of both, which gave the same guarantee at ten times the cost per alert.)
bool constant_time_equals(std::string_view given, std::string_view secret) noexcept {
    const std::size_t n = secret.size();
    std::size_t diff = given.size() ^ n;
    for (std::size_t i = 0; i < given.size(); ++i) {
        // All ones while i < n (i - n wraps around and sets the top bit), else zero.
        const std::size_t inside = std::size_t{0} - ((i - n) >> (sizeof(std::size_t) * 8 - 1));
        const auto expected =
            static_cast<std::size_t>(static_cast<unsigned char>(secret[i & inside])) & inside;
        diff |= static_cast<unsigned char>(given[i]) ^ expected;
    }
    return diff == 0;
}

bool parse_hex_digest(std::string_view hex, Digest& out) noexcept {
    if (hex.size() != 64)
        return false;
    for (std::size_t i = 0; i < 32; ++i) {
        unsigned v = 0;
        const auto [p, ec] = std::from_chars(hex.data() + 2 * i, hex.data() + 2 * i + 2, v, 16);
        if (ec != std::errc() || p != hex.data() + 2 * i + 2)
            return false;
        out[i] = static_cast<unsigned char>(v);
    }
    return true;
}

struct Cidr {
    std::uint32_t base;
    std::uint32_t mask;
};

Cidr parse_cidr(const std::string& text) {
    const std::size_t slash = text.find('/');
    const std::string addr = text.substr(0, slash);
    in_addr a{};
    if (inet_pton(AF_INET, addr.c_str(), &a) != 1)
        throw std::invalid_argument("webhook allowlist entry '" + text +
                                    "': not an IPv4 address or CIDR");
    unsigned bits = 32;
    if (slash != std::string::npos) {
        const std::string_view b = std::string_view(text).substr(slash + 1);
        const auto [p, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
        if (ec != std::errc() || p != b.data() + b.size() || bits > 32)
            throw std::invalid_argument("webhook allowlist entry '" + text +
                                        "': prefix length must be 0-32");
    }
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return {ntohl(a.s_addr) & mask, mask};
}

std::string ipv4_text(std::uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

// A token bucket: `burst` requests at once, refilled at `per_second`.
struct Bucket {
    double tokens;
    std::int64_t last_ns;

    // Takes a token, or says how many seconds until one is there.
    bool take(const RateLimit& limit, std::int64_t now_ns, double& wait_s) noexcept {
        refill(limit, now_ns);
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return true;
        }
        wait_s = (1.0 - tokens) / limit.per_second;
        return false;
    }
    void refill(const RateLimit& limit, std::int64_t now_ns) noexcept {
        if (now_ns > last_ns) {
            tokens = std::min(limit.burst, tokens + static_cast<double>(now_ns - last_ns) * 1e-9 *
                                                        limit.per_second);
            last_ns = now_ns;
        }
    }
};

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

// JSON, or text/plain (what TradingView sends), each with any parameters ("; charset=utf-8").
// A request without the header is read as JSON (every sender that matters sends one).
bool json_media_type(std::string_view content_type) noexcept {
    std::string_view type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    return content_type.empty() || iequals(type, "application/json") ||
           iequals(type, "text/plain");
}

std::string hex_key(std::uint64_t key) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(key));
    return buf;
}

}  // namespace

// An idempotency key and which window keeps it: an id's (dedupe_window_s) or a body's
// (body_dedupe_window_s).
struct DedupeKey {
    std::uint64_t key;
    bool body;
};

struct WebhookReceiver::Core : std::enable_shared_from_this<Core> {
    Core(WebhookOptions o, InputPort& p, net::any_io_executor ex, WebhookClock c)
        : options(std::move(o)), port(p), executor(std::move(ex)), clock(std::move(c)) {
        if (!clock.wall_ns) {
            clock.wall_ns = [] {
                return std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                    .count();
            };
        }
        if (!clock.steady_ns) {
            clock.steady_ns = [] {
                return std::chrono::duration_cast<std::chrono::nanoseconds>(
                           std::chrono::steady_clock::now().time_since_epoch())
                    .count();
            };
        }
        for (const std::string& entry : options.allowlist)
            allow.push_back(parse_cidr(entry));
        for (const auto& [name, id] : options.symbols)
            symbols.emplace(name, id);
        global_bucket = {options.global.burst, clock.steady_ns()};
        // Growing the key set rehashed it under the lock while alerts waited.
        seen.reserve(std::min<std::size_t>(options.dedupe_capacity, std::size_t{1} << 20));
        KEEL_ASSERT(options.per_source.per_second >= 0 && options.global.per_second >= 0,
                    "rate limits must not be negative");
    }

    // --- answering ---

    void answer(const Respond& respond, std::int64_t start_ns, HttpResponse res) {
        const std::int64_t elapsed = clock.steady_ns() - start_ns;
        {
            std::lock_guard lk(histogram_mu);
            counters.latency_ns.record(elapsed > 0 ? static_cast<std::uint64_t>(elapsed) : 0);
        }
        respond(std::move(res));
    }

    void count_refusal(ApiCode code) {
        counters.refused[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
    }

    void audit(unsigned status, ApiCode code, std::uint32_t remote_ipv4, std::uint64_t key,
               std::uint8_t flags, engine::SymbolId symbol, engine::HttpMethod method) {
        Event e = engine::make_event(EventType::audit, Source::webhook, 0, 0, symbol);
        e.payload.audit.request_key = key;
        e.payload.audit.remote_ipv4 = remote_ipv4;
        e.payload.audit.status = static_cast<std::uint16_t>(status);
        e.payload.audit.code = code;
        e.payload.audit.endpoint = engine::ApiEndpoint::webhook;
        e.payload.audit.method = method;
        e.payload.audit.flags = flags;
        if (!port.submit(e))
            counters.audit_dropped.fetch_add(1, std::memory_order_relaxed);
    }

    struct Ctx {
        const HttpRequest& req;
        const Respond& respond;
        std::int64_t start_ns;
        std::uint8_t flags = 0;
        std::uint64_t key = 0;
        engine::SymbolId symbol = engine::kNoSymbol;
    };

    // A refused request: counted, journaled as an audit event, answered with the JSON error.
    void refuse(Ctx& c, unsigned status, ApiCode code, std::string_view message,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
        count_refusal(code);
        audit(status, code, c.req.remote_ipv4, c.key, c.flags, c.symbol, c.req.method);
        // Messages echo (a prefix of) offending values; a sender that put the secret in the
        // wrong field must not see it echoed.
        std::string text(message);
        redact_secret(text);
        HttpResponse res = http::error_response(status, code, text);
        res.headers = std::move(headers);
        answer(c.respond, c.start_ns, std::move(res));
    }

    // Every copy of the configured secret in text replaced by "<redacted>" (the search goes on
    // after each mask, so a secret that occurs in the mask itself cannot loop).
    void redact_secret(std::string& text) const {
        if (options.secret.empty())
            return;
        constexpr std::string_view kMask = "<redacted>";
        for (std::size_t at = 0; (at = text.find(options.secret, at)) != std::string::npos;
             at += kMask.size())
            text.replace(at, options.secret.size(), kMask);
    }

    // The alert's body as the journal keeps it: the secret's value (its JSON token) replaced
    // by "<redacted>", and so is any other copy of the configured secret a sender put in it.
    std::string journaled_body(std::string_view body, const AlertFields& fields) const {
        std::string out(body);
        if (fields.secret_length > 0 && fields.secret_offset + fields.secret_length <= out.size())
            out.replace(fields.secret_offset, fields.secret_length, "\"<redacted>\"");
        redact_secret(out);
        return out;
    }

    // --- checks ---

    bool allowed(std::uint32_t ip) const noexcept {
        return std::any_of(allow.begin(), allow.end(),
                           [ip](const Cidr& c) { return (ip & c.mask) == c.base; });
    }

    // Returns false with wait_s set when a limit refuses the request.
    bool take_rate(const HttpRequest& req, std::int64_t now, double& wait_s) {
        std::lock_guard lk(mu);
        if (options.per_source.per_second > 0) {
            const std::uint64_t source =
                req.remote_ipv4 != 0 ? req.remote_ipv4 : fnv1a(kFnvOffset, req.remote);
            auto it = sources.find(source);
            if (it == sources.end()) {
                if (sources.size() >= options.max_sources) {
                    // Forget sources whose buckets are full again: they have been quiet.
                    for (auto s = sources.begin(); s != sources.end();) {
                        s->second.refill(options.per_source, now);
                        s = s->second.tokens >= options.per_source.burst ? sources.erase(s)
                                                                         : std::next(s);
                    }
                }
                it = sources.emplace(source, Bucket{options.per_source.burst, now}).first;
            }
            Bucket probe = it->second;
            if (!probe.take(options.per_source, now, wait_s))
                return false;
            // The global bucket must also have room before the source's token is spent.
            if (options.global.per_second > 0 && !global_bucket.take(options.global, now, wait_s))
                return false;
            it->second = probe;
            return true;
        }
        return options.global.per_second <= 0 || global_bucket.take(options.global, now, wait_s);
    }

    enum class Sig { absent, ok, bad, stale };
    Sig check_signature(const HttpRequest& req, std::string& why) const {
        const std::string_view sig = req.header("x-keel-signature");
        const std::string_view ts = req.header("x-keel-timestamp");
        if (sig.empty() && ts.empty())
            return Sig::absent;
        if (sig.empty() || ts.empty()) {
            why = "X-Keel-Signature and X-Keel-Timestamp must be sent together";
            return Sig::bad;
        }
        std::int64_t ts_s = 0;
        const auto [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), ts_s);
        if (ec != std::errc() || p != ts.data() + ts.size()) {
            why = "X-Keel-Timestamp must be Unix seconds";
            return Sig::bad;
        }
        constexpr std::string_view kPrefix = "sha256=";
        Digest given{};
        if (sig.substr(0, kPrefix.size()) != kPrefix ||
            !parse_hex_digest(sig.substr(kPrefix.size()), given)) {
            why = "X-Keel-Signature must be sha256=<64 hex digits>";
            return Sig::bad;
        }
        std::string message;
        message.reserve(ts.size() + 1 + req.body.size());
        message.append(ts).append(1, '.').append(req.body);
        Digest mac{};
        unsigned len = 0;
        HMAC(EVP_sha256(), options.signature_key.data(),
             static_cast<int>(options.signature_key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
             &len);
        if (CRYPTO_memcmp(mac.data(), given.data(), mac.size()) != 0) {
            why = "the signature does not match the body";
            return Sig::bad;
        }
        const std::int64_t now_s = clock.wall_ns() / 1'000'000'000;
        const std::int64_t skew = now_s > ts_s ? now_s - ts_s : ts_s - now_s;
        if (skew > options.signature_window_s) {
            why = "X-Keel-Timestamp is " + std::to_string(skew) + " s from now (window " +
                  std::to_string(options.signature_window_s) + " s)";
            return Sig::stale;
        }
        return Sig::ok;
    }

    // Neither the secret's content nor its length leaks through timing.
    bool secret_matches(std::string_view given) const noexcept {
        return constant_time_equals(given, options.secret);
    }

    // --- symbols ---

    // The symbol an alert's ticker names: a configured name or alias as written, or TradingView's
    // EXCHANGE:TICKER form, whose prefix must not be empty and, when the symbol's config names
    // its exchange, must be that exchange (case ignored); so must the body's `exchange` field.
    bool resolve_symbol(const AlertFields& f, engine::SymbolId& out, std::string& why) const {
        const auto quoted = [](std::string_view t) {
            return t.size() <= 32 ? "'" + std::string(t) + "'"
                                  : "(" + std::to_string(t.size()) + " characters)";
        };
        std::string_view ticker = f.ticker;
        std::string_view prefix;
        auto sym = symbols.find(f.ticker);
        if (sym == symbols.end() && ticker.find(':') != std::string_view::npos) {
            prefix = ticker.substr(0, ticker.find(':'));
            ticker.remove_prefix(prefix.size() + 1);
            if (prefix.empty()) {
                why = "ticker " + quoted(f.ticker) + " has an empty exchange prefix";
                return false;
            }
            sym = symbols.find(std::string(ticker));
        }
        if (sym == symbols.end()) {
            why = "unknown symbol " + quoted(f.ticker) + " (not in the config's symbols or "
                  "their aliases)";
            return false;
        }
        // Both arms string_views: a std::string and "" would make a temporary string, and the
        // view would outlive it.
        const std::string_view exchange = sym->second < options.exchanges.size()
                                              ? std::string_view(options.exchanges[sym->second])
                                              : std::string_view{};
        for (const std::string_view given : {prefix, std::string_view(f.exchange)}) {
            if (!exchange.empty() && !given.empty() && !iequals(given, exchange)) {
                why = "exchange " + quoted(given) + " is not " + quoted(exchange) +
                      ", the exchange the config names for " + quoted(sym->first);
                return false;
            }
        }
        out = sym->second;
        return true;
    }

    // --- idempotency ---

    struct Seen {
        std::int64_t ts_ns;
        bool committed;  // journaled; otherwise in flight (being journaled, or in doubt)
    };
    enum class KeyState { fresh, committed, in_flight };
    // Committed keys, oldest first, one queue per window: ids' and bodies'.
    using Order = std::deque<std::pair<std::int64_t, std::uint64_t>>;

    // Under mu.
    void expire(std::int64_t now_ns) {
        const std::int64_t id_horizon = now_ns - options.dedupe_window_s * 1'000'000'000;
        const std::int64_t body_horizon = now_ns - options.body_dedupe_window_s * 1'000'000'000;
        while (!id_order.empty() && id_order.front().first <= id_horizon)
            pop_oldest(id_order);
        while (!body_order.empty() && body_order.front().first <= body_horizon)
            pop_oldest(body_order);
    }
    void pop_oldest(Order& order) {
        const auto [ts, key] = order.front();
        order.pop_front();
        const auto it = seen.find(key);
        if (it != seen.end() && it->second.committed && it->second.ts_ns == ts)
            seen.erase(it);
    }
    void commit_locked(DedupeKey key, std::int64_t ts_ns) {
        seen[key.key] = Seen{ts_ns, true};
        (key.body ? body_order : id_order).emplace_back(ts_ns, key.key);
        while (seen.size() > options.dedupe_capacity && !(id_order.empty() && body_order.empty())) {
            const bool ids_older = body_order.empty() ||
                                   (!id_order.empty() &&
                                    id_order.front().first <= body_order.front().first);
            pop_oldest(ids_older ? id_order : body_order);
        }
    }

    // now: the wall clock at receipt (the alert's received_s).
    KeyState claim(DedupeKey key, std::int64_t now) {
        std::lock_guard lk(mu);
        expire(now);
        const auto it = seen.find(key.key);
        if (it != seen.end())
            return it->second.committed ? KeyState::committed : KeyState::in_flight;
        seen.emplace(key.key, Seen{now, false});
        return KeyState::fresh;
    }
    void commit(DedupeKey key) {
        const std::int64_t now = clock.wall_ns();
        std::lock_guard lk(mu);
        commit_locked(key, now);
    }
    void forget(DedupeKey dk) {
        const std::uint64_t key = dk.key;
        std::lock_guard lk(mu);
        const auto it = seen.find(key);
        if (it != seen.end() && !it->second.committed)
            seen.erase(it);
    }

    // Acts on an accepted alert's fate once ingest has given it: commits the key (durable) or
    // frees it (refused), answers when `respond` is still set (emptying it), releases the
    // ticket and returns true. False while the alert is pending.
    bool settle(InputPort::Ticket ticket, DedupeKey key, Respond& respond,
                std::int64_t start_ns) {
        const InputPort::Fate fate = port.fate(ticket);
        if (fate == InputPort::Fate::pending)
            return false;
        const std::uint64_t seq = port.seq(ticket);
        port.release(ticket);
        const Respond answer_to = std::move(respond);
        respond = nullptr;
        if (fate == InputPort::Fate::durable) {
            commit(key);
            if (!answer_to) {
                counters.durable_after_timeout.fetch_add(1, std::memory_order_relaxed);
                return true;
            }
            counters.accepted.fetch_add(1, std::memory_order_relaxed);
            static constexpr std::string_view kHead =
                "{\"accepted\":true,\"duplicate\":false,\"seq\":";
            char text[kHead.size() + 24];
            std::memcpy(text, kHead.data(), kHead.size());
            char* end = std::to_chars(text + kHead.size(), text + sizeof text - 1, seq).ptr;
            *end++ = '}';
            HttpResponse res;
            res.body.assign(text, end);
            answer(answer_to, start_ns, std::move(res));
            return true;
        }
        forget(key);
        if (answer_to) {
            count_refusal(ApiCode::not_journaled);
            answer(answer_to, start_ns,
                   http::error_response(503, ApiCode::not_journaled,
                                        "the alert could not be journaled; nothing was traded"));
        }
        return true;
    }

    void handle(HttpRequest&& req, Respond respond);

    WebhookOptions options;
    InputPort& port;
    net::any_io_executor executor;
    WebhookClock clock;
    std::vector<Cidr> allow;
    std::unordered_map<std::string, engine::SymbolId> symbols;
    WebhookCounters counters;
    std::mutex histogram_mu;

    std::mutex mu;  // guards what follows
    Bucket global_bucket{};
    std::unordered_map<std::uint64_t, Bucket> sources;
    std::unordered_map<std::uint64_t, Seen> seen;
    Order id_order;
    Order body_order;
};

namespace {

// One accepted alert waiting to be durable. Polls its ticket on the server's executor; answers
// once, and keeps following an alert it answered 503 timeout until ingest's verdict is known, so
// the dedupe set learns whether a retry is a duplicate. Releases the ticket in every case,
// including when the server's io_context is destroyed with the poll still queued.
class Pending : public std::enable_shared_from_this<Pending> {
  public:
    Pending(std::shared_ptr<WebhookReceiver::Core> core, InputPort::Ticket ticket, Respond respond,
            DedupeKey key, std::int64_t start_ns)
        : core_(std::move(core)),
          ticket_(ticket),
          respond_(std::move(respond)),
          key_(key),
          start_ns_(start_ns),
          deadline_(std::chrono::steady_clock::now() + core_->options.ack_deadline),
          timer_(core_->executor) {}
    ~Pending() {
        if (!released_)
            core_->port.release(ticket_);
    }

    void poll() {
        if (core_->settle(ticket_, key_, respond_, start_ns_)) {
            released_ = true;
            return;
        }
        if (respond_ && std::chrono::steady_clock::now() >= deadline_) {
            core_->count_refusal(ApiCode::timeout);
            answer(http::error_response(
                503, ApiCode::timeout,
                "the alert was not journaled within ack_deadline (" +
                    std::to_string(core_->options.ack_deadline.count()) +
                    " ms); a retry with the same id is answered once its fate is known"));
        }
        // Once answered, only the dedupe bookkeeping waits: poll gently.
        timer_.expires_after(respond_ ? std::chrono::duration_cast<std::chrono::nanoseconds>(
                                            core_->options.poll_interval)
                                      : std::chrono::milliseconds(5));
        timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec)
                self->poll();
        });
    }

  private:
    void answer(HttpResponse res) {
        Respond respond = std::move(respond_);
        respond_ = nullptr;
        core_->answer(respond, start_ns_, std::move(res));
    }

    std::shared_ptr<WebhookReceiver::Core> core_;
    InputPort::Ticket ticket_;
    Respond respond_;  // empty once answered
    DedupeKey key_;
    std::int64_t start_ns_;
    std::chrono::steady_clock::time_point deadline_;
    net::steady_timer timer_;
    bool released_ = false;
};

}  // namespace

void WebhookReceiver::Core::handle(HttpRequest&& req, Respond respond) {
    Ctx c{req, respond, clock.steady_ns()};
    if (req.path() != options.path) {
        count_refusal(ApiCode::not_found);
        return answer(respond, c.start_ns,
                      http::error_response(404, ApiCode::not_found,
                                           "no such endpoint; alerts go to POST " + options.path));
    }
    if (req.method != engine::HttpMethod::post) {
        count_refusal(ApiCode::method_not_allowed);
        HttpResponse res = http::error_response(405, ApiCode::method_not_allowed,
                                                options.path + " accepts POST only");
        res.headers.emplace_back("Allow", "POST");
        return answer(respond, c.start_ns, std::move(res));
    }
    if (!allow.empty()) {
        if (req.remote_ipv4 == 0 || !allowed(req.remote_ipv4)) {
            return refuse(c, 403, ApiCode::ip_not_allowed,
                          "address " +
                              (req.remote_ipv4 != 0 ? ipv4_text(req.remote_ipv4) : req.remote) +
                              " is not in the webhook allowlist");
        }
        c.flags |= engine::kAlertAllowlisted;
    }
    double wait_s = 0;
    if (!take_rate(req, c.start_ns, wait_s)) {
        c.flags |= engine::kAlertRateLimited;
        const auto retry = static_cast<long>(std::max(1.0, std::ceil(wait_s)));
        return refuse(c, 429, ApiCode::rate_limited,
                      "too many alerts; retry after " + std::to_string(retry) + " s",
                      {{"Retry-After", std::to_string(retry)}});
    }
    if (!options.signature_key.empty()) {
        std::string why;
        switch (check_signature(req, why)) {
            case Sig::absent:
                if (options.require_signature)
                    return refuse(c, 401, ApiCode::bad_signature,
                                  "X-Keel-Signature and X-Keel-Timestamp are required");
                break;
            case Sig::ok:
                c.flags |= engine::kAlertSigned;
                break;
            case Sig::bad:
                return refuse(c, 401, ApiCode::bad_signature, why);
            case Sig::stale:
                return refuse(c, 401, ApiCode::stale_signature, why);
        }
    }

    if (const std::string_view type = req.header("content-type"); !json_media_type(type))
        return refuse(c, 415, ApiCode::unsupported_media_type,
                      "Content-Type must be application/json or text/plain (TradingView's), "
                      "not '" + std::string(type.substr(0, 64)) + "'");

    // simdjson reads up to SIMDJSON_PADDING bytes past the end; the body is ours to pad.
    std::string& body = req.body;
    body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
    thread_local simdjson::ondemand::parser parser;
    AlertFields fields;
    const AlertParseResult parsed = parse_alert_json(parser, body, fields, options.extra_fields);
    if (parsed.code == ApiCode::malformed_json)
        return refuse(c, 400, ApiCode::malformed_json, parsed.message);
    // The key: the alert's id, or the body without its secret (so the journaled key carries
    // nothing derived from the secret).
    const bool body_key = fields.id.empty();
    if (!body_key) {
        c.key = id_key(fields.id);
    } else {
        const std::string_view b = body;
        std::uint64_t h = fnv1a(kFnvOffset, "body:");
        h = fnv1a(h, b.substr(0, fields.secret_offset));
        h = fnv1a(h, b.substr(std::min(b.size(), fields.secret_offset + fields.secret_length)));
        c.key = h;
    }
    if (!options.secret.empty()) {
        if (!fields.has_secret)
            return refuse(c, 401, ApiCode::bad_secret, "field 'secret' is required");
        if (!secret_matches(fields.secret))
            return refuse(c, 401, ApiCode::bad_secret, "field 'secret' is wrong");
        c.flags |= engine::kAlertAuthenticated;
    }
    if (parsed.code != ApiCode::ok)
        return refuse(c, 400, parsed.code, parsed.message);

    if (std::string why; !resolve_symbol(fields, c.symbol, why))
        return refuse(c, 422, ApiCode::unknown_symbol,
                      "field '" + std::string(fields.ticker_field) + "': " + why);

    // The body goes into the journal with the alert (its record's tail), its secret masked.
    std::string tail = journaled_body(body, fields);
    if (tail.size() > engine::kMaxTailBytes)
        return refuse(c, 413, ApiCode::body_too_large,
                      "the alert body is " + std::to_string(tail.size()) +
                          " bytes; an alert is journaled whole with its body, which may hold at "
                          "most " + std::to_string(engine::kMaxTailBytes) + " bytes");
    // The strategy that places the order reads its order fields from this journaled body
    // (engine/strategy/alert_order.hpp); a problem with them is refused here, before the 200.
    thread_local engine::AlertOrderParser order_parser;
    engine::AlertOrder asked;
    if (const engine::AlertOrderProblem p = order_parser.read(tail, asked); !p.ok())
        return refuse(c, 400, ApiCode::bad_field,
                      "field '" + std::string(p.field) + "': " + std::string(p.why));

    const std::int64_t received_ns = clock.wall_ns();
    const DedupeKey dedupe{c.key, body_key};
    switch (claim(dedupe, received_ns)) {
        case KeyState::committed: {
            counters.duplicate.fetch_add(1, std::memory_order_relaxed);
            audit(200, ApiCode::duplicate, req.remote_ipv4, c.key,
                  c.flags | engine::kAlertDuplicate, c.symbol, req.method);
            HttpResponse res;
            res.body = "{\"accepted\":true,\"duplicate\":true,\"key\":\"" + hex_key(c.key) +
                       "\",\"message\":\"an alert with this key was journaled within the dedupe "
                       "window; nothing new was traded\"}";
            return answer(respond, c.start_ns, std::move(res));
        }
        case KeyState::in_flight:
            count_refusal(ApiCode::busy);
            return answer(respond, c.start_ns,
                          http::error_response(503, ApiCode::busy,
                                               "an alert with the same key is being journaled; "
                                               "retry to learn its outcome"));
        case KeyState::fresh:
            break;
    }

    Event e = engine::make_event(EventType::alert, Source::webhook, 0, 0, c.symbol);
    e.payload.alert.alert_key = c.key;
    e.payload.alert.quantity = fields.quantity;
    e.payload.alert.notional = fields.notional;
    e.payload.alert.price = fields.price;
    e.payload.alert.action = fields.action;
    e.payload.alert.flags = c.flags;
    e.payload.alert.timeframe_minutes = fields.timeframe_minutes;
    // The dedupe window is kept in receipt time, which restart seeds read back (seed_keys).
    e.payload.alert.received_s = static_cast<std::uint32_t>(received_ns / 1'000'000'000);
    const std::optional<InputPort::Ticket> ticket = port.submit_tracked(e, tail);
    if (!ticket) {
        forget(dedupe);
        count_refusal(ApiCode::busy);
        return answer(respond, c.start_ns,
                      http::error_response(503, ApiCode::busy,
                                           "the input queue is full; nothing was traded"));
    }
    // Ingest may have journaled it already (always, with a port that is durable at once): then
    // the answer goes out now, without a poll.
    if (settle(*ticket, dedupe, respond, c.start_ns))
        return;
    std::make_shared<Pending>(shared_from_this(), *ticket, std::move(respond), dedupe, c.start_ns)
        ->poll();
}

WebhookReceiver::WebhookReceiver(WebhookOptions options, InputPort& port,
                                 boost::asio::any_io_executor executor, WebhookClock clock)
    : core_(std::make_shared<Core>(std::move(options), port, std::move(executor),
                                   std::move(clock))) {}

WebhookReceiver::~WebhookReceiver() = default;

void WebhookReceiver::handle(HttpRequest&& request, Respond respond) {
    core_->handle(std::move(request), std::move(respond));
}

http::Handler WebhookReceiver::handler() {
    return [core = core_](HttpRequest&& req, Respond respond) {
        core->handle(std::move(req), std::move(respond));
    };
}

void WebhookReceiver::audit_server_refusal(const http::Refusal& refusal) {
    const std::string_view target = refusal.target;
    if (target.substr(0, target.find('?')) != core_->options.path)
        return;
    core_->count_refusal(refusal.code);
    core_->audit(refusal.status, refusal.code, refusal.remote_ipv4, 0, 0, engine::kNoSymbol,
                 refusal.method);
}

void WebhookReceiver::seed_keys(std::span<const SeenKey> keys) {
    std::vector<SeenKey> sorted(keys.begin(), keys.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const SeenKey& a, const SeenKey& b) {
        return a.received_ns < b.received_ns;
    });
    const std::int64_t now = core_->clock.wall_ns();
    std::lock_guard lk(core_->mu);
    for (const SeenKey& k : sorted)
        core_->commit_locked(DedupeKey{k.key, k.body}, k.received_ns);
    core_->expire(now);
}

bool WebhookReceiver::keyed_by_body(std::uint64_t alert_key, std::string_view tail) {
    if (tail.empty())
        return false;
    const AlertTrace trace = read_alert_trace(tail);
    return trace.id.empty() || id_key(trace.id) != alert_key;
}

const WebhookCounters& WebhookReceiver::counters() const noexcept {
    return core_->counters;
}

const std::string& WebhookReceiver::path() const noexcept {
    return core_->options.path;
}

std::uint64_t WebhookReceiver::id_key(std::string_view id) noexcept {
    return fnv1a(fnv1a(kFnvOffset, "id:"), id);
}

}  // namespace keel::adapters::webhook
