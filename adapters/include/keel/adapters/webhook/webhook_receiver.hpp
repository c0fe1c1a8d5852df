// WebhookReceiver: the http::Handler for TradingView alerts (POST /webhook/tradingview by
// default). In order: IP allowlist (403), per-source and global rate limits (429), optional
// HMAC-SHA256 signature (401), Content-Type (415 unless JSON or text/plain), JSON body (400
// malformed_json), shared secret (401), fields (400 bad_field / unknown_field), symbol (422),
// idempotency (200 duplicate). An accepted alert becomes an `alert`
// input event and is answered 200 only once ingest reports it durable in the journal; 503 when
// the journal refused it or it was not durable within the ack deadline.
//
// Refusals and duplicates are journaled as `audit` events. The secret and any Authorization
// header never reach an event, a response or a log.
//
// Runs on the HttpServer's connection workers, any number at once (the shared state is behind
// one mutex). An alert already durable when submitted is answered on the worker at once;
// otherwise durability is polled with a timer on the executor given (the server's).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "keel/adapters/http/http_message.hpp"
#include "keel/adapters/http/http_server.hpp"
#include "keel/adapters/input/input_port.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/latency_histogram.hpp"

namespace keel::adapters::webhook {

struct RateLimit {
    double per_second = 0.0;  // sustained rate; 0 = no limit
    double burst = 1.0;       // bucket size: requests allowed at once
};

struct WebhookOptions {
    std::string path = "/webhook/tradingview";
    // Compared in constant time with the body's `secret` field. Empty: no shared secret is
    // required (then use a signature key or an allowlist).
    std::string secret;
    // HMAC-SHA256 key for senders that can sign: header X-Keel-Signature: sha256=<hex> over
    // "<X-Keel-Timestamp>.<body>", the timestamp in Unix seconds. Empty: signature headers are
    // ignored. When set, a request that carries them must verify; require_signature refuses
    // requests without them too.
    std::string signature_key;
    bool require_signature = false;
    std::int64_t signature_window_s = 300;  // |now - timestamp| beyond this is stale
    RateLimit per_source;                   // per remote address
    RateLimit global;
    std::size_t max_sources = 4096;  // per-source buckets kept; idle (full) ones go first
    // IPv4 addresses or CIDRs ("10.0.0.0/8", "52.89.214.238"); empty = every address.
    std::vector<std::string> allowlist;
    // ticker -> symbol id: each symbol's name and its config aliases (symbols.X.aliases).
    std::vector<std::pair<std::string, engine::SymbolId>> symbols;
    // By symbol id: the exchange its config names (symbols.X.exchange); empty or absent = any.
    // A ticker's exchange prefix ("NASDAQ:AAPL") and the body's `exchange` field must match it.
    std::vector<std::string> exchanges;
    // Body fields accepted beyond alert_json.hpp's kAlertFields (webhook.extra_fields).
    std::vector<std::string> extra_fields;
    // An alert with an `id` is idempotent for dedupe_window_s; one without is keyed by its body
    // and deduplicated only for body_dedupe_window_s (delivery retries), so the same template
    // can buy, sell and buy again.
    std::int64_t dedupe_window_s = 24 * 3600;
    std::int64_t body_dedupe_window_s = 10;
    std::size_t dedupe_capacity = 100'000;  // keys kept at most; the oldest go first
    // Below TradingView's 3 s: past it the alert is answered 503 timeout.
    std::chrono::milliseconds ack_deadline{2'500};
    std::chrono::microseconds poll_interval{250};  // durability polls until answered
};

// Where time comes from; tests inject their own. wall_ns: Unix ns (signature window, dedupe
// timestamps, which the journal's alert records carry). steady_ns: rate limits.
struct WebhookClock {
    std::function<std::int64_t()> wall_ns;
    std::function<std::int64_t()> steady_ns;
};

inline constexpr std::size_t kApiCodeSlots = 32;

// Read by the metrics endpoint from any thread.
struct WebhookCounters {
    std::atomic<std::uint64_t> accepted{0};   // answered 200, journaled
    std::atomic<std::uint64_t> duplicate{0};  // answered 200 duplicate
    // Answered 503 timeout, then found durable after all: a retry will be a duplicate.
    std::atomic<std::uint64_t> durable_after_timeout{0};
    std::atomic<std::uint64_t> audit_dropped{0};  // audit events the full input queue refused
    std::array<std::atomic<std::uint64_t>, kApiCodeSlots> refused{};  // by ApiCode value
    engine::LatencyHistogram latency_ns;  // request handed over -> response, ns

    [[nodiscard]] std::uint64_t refused_with(engine::ApiCode c) const noexcept {
        return refused[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
    }
};

class WebhookReceiver {
  public:
    // Throws std::invalid_argument naming the bad allowlist entry (start-up only).
    WebhookReceiver(WebhookOptions options, InputPort& port, boost::asio::any_io_executor executor,
                    WebhookClock clock = {});
    ~WebhookReceiver();
    WebhookReceiver(const WebhookReceiver&) = delete;
    WebhookReceiver& operator=(const WebhookReceiver&) = delete;

    // The http::Handler. Requests for other paths get 404, other methods 405.
    void handle(http::HttpRequest&& request, http::Respond respond);
    [[nodiscard]] http::Handler handler();

    // For ServerOptions::on_refused: journals an audit event for an error the server answered
    // itself (413 body too large, 431, 400) when it was aimed at this receiver's path.
    void audit_server_refusal(const http::Refusal& refusal);

    // An alert key already journaled: when it was received (Unix ns) and whether it is a body
    // key (no `id`: body_dedupe_window_s) or an id key (dedupe_window_s).
    struct SeenKey {
        std::uint64_t key;
        std::int64_t received_ns;
        bool body;
    };
    // Alert keys already journaled, read from the journal's alert records at start, so each
    // key's window survives a restart. Keys older than their window are skipped.
    void seed_keys(std::span<const SeenKey> keys);
    // Whether a journaled alert was keyed by its body: its tail (the body) has no `id` whose
    // key is the alert's. A record without a tail (older journals) counts as an id key, which
    // keeps the longer window.
    [[nodiscard]] static bool keyed_by_body(std::uint64_t alert_key, std::string_view tail);

    [[nodiscard]] const WebhookCounters& counters() const noexcept;
    [[nodiscard]] const std::string& path() const noexcept;

    // The idempotency key of an alert with an `id` field: FNV-1a 64 of "id:" + id.
    [[nodiscard]] static std::uint64_t id_key(std::string_view id) noexcept;

    struct Core;

  private:
    std::shared_ptr<Core> core_;
};

}  // namespace keel::adapters::webhook
