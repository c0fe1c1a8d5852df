// AlpacaVenue: keel's orders to an Alpaca brokerage account (venue.type "alpaca"), over
// Alpaca's REST API v2 and its trade_updates stream, on the venue adapter's thread behind the
// asynchronous seam (venue/threaded_venue.hpp). The gateway journals each order_sent before it
// reaches submit(); this adapter turns it into a request (alpaca_codec.hpp), sends it over a
// keep-alive HTTPS connection (http/https_client.hpp), and posts keel's venue replies to
// ingest from the answers and the stream's events, each with a tail naming Alpaca's ids
// ("coid=", "aid=", "eid=" lines) and, for a refusal, the HTTP status, Alpaca's code and its
// message. Everything runs on one io_context polled from poll(): the thread never blocks on
// the network, so a hung request holds up neither a cancel nor the stream.
//
// Ids. A new order's client_order_id is its session-unique venue id (orders/venue_id.hpp);
// the n-th replace of it is <venue id>-<n>; the map follows Alpaca's `id` of each. Keel's order
// id stays the same across replaces (keel's order state table replaces in place); Alpaca's
// replacement is an order of its own that counts only its own fills and whose qty is what was
// left (Alpaca-API issue #165), so the adapter keeps what the order filled before (`prior`)
// and converts Alpaca's figures to keel's and back.
//
// Never twice (a POST is never blindly retried; `client_order_id` is unique forever at
// Alpaca, so the same POST again cannot place a second order):
// - 2xx: the answer is the ack (the stream's `new` is then a duplicate); a fill already in it
//   is journaled (the snapshot rule, alpaca_codec.hpp).
// - 4xx with a reason (403 40310000 insufficient buying power, 422 invalid): venue_reject.
// - 401: the keys are refused: the order is rejected venue_auth_failed, the venue is refused
//   (no new order) until a restart with good keys.
// - no answer, a timeout, 429, 5xx, or 422 "client_order_id must be unique": in doubt. A
//   request_outcome record is journaled; the order is looked up
//   (GET /v2/orders:by_client_order_id) once the rate limiter or the backoff allows. Found:
//   the snapshot rule. Not found: the same POST again (same client_order_id) while the order
//   is younger than max_order_age_ms; older, it is asked about twice more and then closed
//   venue_unknown_order.
// - A new order the rate limiter has held past max_order_age_ms is refused venue_rate_limited,
//   never sent late. Cancels and lookups are retried with backoff (they cannot place orders).
//
// Stream. Authenticates with the keys, listens to trade_updates (text or binary frames). A fill
// is journaled once: by execution_id, and by the cumulative rule (only what filled_qty adds to
// what keel journaled), so the POST's answer, a lookup and the stream may interleave in any
// order. A dropped stream does not replay: the venue goes to reconciling at once.
//
// Reconciliation (at the start, after a restart, after every stream reconnect; no new order
// goes out until it ends, risk following the venue_status inputs): once the stream listens,
// every order the journal holds open is looked up (a replaced one followed to its
// replacement), `GET /v2/orders?status=open` finds orders this journal never sent (refused, or
// adopted with reconcile.adopt_unknown), `GET /v2/positions` is compared with the journal's
// positions (a difference is a position_mismatch record: risk refuses new orders until an
// operator's ack_positions), and `GET /v2/account` is journaled (venue_account). Then ready.
// Once ready the account is polled every account_poll_ms and journaled when a figure changed.
//
// Secrets: the keys are in the request headers and the stream's auth message only; no log
// line, tail, counter or error text carries them.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "keel/adapters/alpaca/alpaca_codec.hpp"
#include "keel/adapters/alpaca/alpaca_venue_config.hpp"
#include "keel/adapters/alpaca/rate_limiter.hpp"
#include "keel/adapters/http/https_client.hpp"
#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/engine/orders/order_book.hpp"

namespace keel::adapters::http {
class WssClient;
}


namespace keel::adapters::alpaca {

// The REST requests the adapter makes: the kinds of its request queue.
enum class RequestKind : std::uint8_t {
    post,       // POST /v2/orders
    patch,      // PATCH /v2/orders/{id} (a replace)
    cancel,     // DELETE /v2/orders/{id}
    lookup,     // GET /v2/orders:by_client_order_id
    follow,     // GET /v2/orders/{id} (a replaced order's replacement)
    list_open,  // GET /v2/orders?status=open
    positions,  // GET /v2/positions
    account,    // GET /v2/account
};

struct AlpacaVenueOptions {
    AlpacaVenueConfig config;
    std::uint64_t venue_id_prefix = 0;  // the journal's (session_start)
    std::uint8_t account = 0;
    std::vector<std::string> symbols;  // names by symbol id
    std::size_t order_capacity = 4096;
};

// Counters, read from any thread (/metrics).
struct AlpacaVenueCounters {
    std::atomic<std::uint64_t> requests{0};         // REST requests sent
    std::atomic<std::uint64_t> in_doubt{0};         // order requests without a plain answer
    std::atomic<std::uint64_t> lookups{0};          // GET by_client_order_id sent
    std::atomic<std::uint64_t> reposted{0};         // in-doubt POSTs sent again (not found)
    std::atomic<std::uint64_t> rate_limited{0};     // 429 answers
    std::atomic<std::uint64_t> expired{0};          // new orders refused: held past max age
    std::atomic<std::uint64_t> events{0};           // trade_updates received
    std::atomic<std::uint64_t> duplicates{0};       // fills dropped: execution_id seen
    std::atomic<std::uint64_t> malformed{0};        // answers or events that did not decode
    std::atomic<std::uint64_t> unknown_order{0};    // events about no order keel knows
    std::atomic<std::uint64_t> refused_offline{0};  // requests refused: not ready
    std::atomic<std::uint64_t> stream_connects{0};
    std::atomic<std::uint64_t> disconnects{0};
    std::atomic<std::uint64_t> resolved{0};          // orders reconciliation resolved
    std::atomic<std::uint64_t> foreign_orders{0};    // open orders this journal never sent
    std::atomic<std::uint64_t> adopted{0};           // of those, adopted
    std::atomic<std::uint64_t> position_mismatches{0};
    std::atomic<std::uint64_t> account_updates{0};   // venue_account inputs posted
};

// Each counter's Prometheus name and help text (/metrics sums them over the accounts).
struct AlpacaCounterInfo {
    const char* name;
    const char* help;
    std::atomic<std::uint64_t> AlpacaVenueCounters::*member;
};
[[nodiscard]] std::span<const AlpacaCounterInfo> alpaca_counter_info() noexcept;

class AlpacaVenue final : public PolledVenue {
  public:
    using Log = std::function<void(std::string_view)>;
    AlpacaVenue(AlpacaVenueOptions options, TailReplySink& replies, Log log = {});
    ~AlpacaVenue() override;

    // engine::Venue, on the adapter thread (before the thread starts: recorded, not sent).
    void submit(const engine::Event& order_sent) noexcept override;
    [[nodiscard]] bool sends_on_own_thread() const noexcept override { return true; }

    // Cold, before the thread starts: every journaled input of a continued journal, in order,
    // with its tail.
    void restore(const engine::Event& input, std::string_view tail);

    // PolledVenue, on the adapter thread.
    void on_thread_start() override;
    bool poll() noexcept override;
    void on_thread_stop() noexcept override;

    [[nodiscard]] const AlpacaVenueCounters& counters() const noexcept { return counters_; }
    [[nodiscard]] std::size_t open_orders() const noexcept { return book_.open_count(); }

  private:
    struct Ids {
        std::string current;    // the client_order_id Alpaca knows the order by
        std::string pending;    // a replace's own client_order_id, in flight
        std::string alpaca_id;  // Alpaca's id of the current order ("" until known)
        std::uint32_t requests = 0;  // replaces (and cancels) made
        std::string previous;   // the client_order_id of the order the last replace replaced
        engine::Money notional{};    // of the fills posted
        engine::Money fees{};        // of the fills posted
        engine::Event replace{};     // the replace in flight (its new terms)
        // What keel's order filled that Alpaca's current order does not count (fills before a
        // replace), negative for an adopted order (Alpaca counts fills before the adoption).
        engine::Quantity prior_filled{};
        engine::Money prior_notional{};
        engine::Money prior_fees{};
        // Its state after the last reply (kept once the book has let it go).
        engine::OrderStatus last_status = engine::OrderStatus::pending_new;
        // Never twice: when the order's POST first went out this run (zero: not this run),
        // and how often a lookup did not find it.
        std::chrono::steady_clock::time_point first_sent{};
        std::uint32_t not_found = 0;
        bool in_doubt = false;
    };
    enum class Link { down, connecting, reconciling, ready, refused };
    using Job = RequestKind;
    using Response = http::HttpsClient::Response;
    struct Request {
        Job job = Job::post;
        std::uint64_t order_id = 0;
        std::string key;  // a lookup's client_order_id; a follow's Alpaca id
        std::chrono::steady_clock::time_point queued{};
        std::chrono::steady_clock::time_point not_before{};
        bool reconcile = false;  // asked by the reconciliation (settled when answered)
        std::uint32_t attempt = 0;
    };

    // requests (alpaca_venue.cpp)
    std::string record(const engine::Event& e);
    void send_new(const engine::Event& e);
    void send_cancel_or_replace(const engine::Event& e);
    void cancel_all(const engine::Event& e);
    void refuse(const engine::Event& request, engine::Reason reason, std::string_view text);
    void enqueue(Request r);
    bool pump();
    bool dispatch(Request& r);
    void on_post(const Request& r, Response&& res);
    void on_patch(const Request& r, Response&& res);
    void on_cancel(const Request& r, Response&& res);
    void go_in_doubt(const Request& r, const Response& res, std::string_view what);
    void retry_later(Request r, const Response& res);
    void refuse_auth(const Response& res);
    void note_outcome(std::uint64_t order_id, const Response& res, std::string_view what);
    // answers and events (alpaca_venue_events.cpp)
    void on_lookup(const Request& r, Response&& res);
    void on_found(const Request& r, const Order& o);
    void on_not_found(const Request& r);
    void on_stream_message(std::string_view text);
    void on_trade_update(const TradeUpdate& u);
    void ack_replace(std::uint64_t order_id, const Order& replacement);
    void post_snapshot(std::uint64_t order_id, const Order& o, const std::string& tail);
    std::uint64_t find_order(const Order& o) const;
    [[nodiscard]] KnownOrder known(std::uint64_t order_id) const;
    void post(const engine::Event& e, const std::string& tail);
    void apply(const engine::Event& e, std::string_view tail);
    void book_fill(Ids& ids, const engine::Event& e, const std::string& coid);
    void adopted_from(Ids& ids, std::uint64_t order_id, const std::string& coid,
                      const std::string& filled, const std::string& avg);
    // the connection and reconciliation (alpaca_venue_link.cpp)
    std::size_t run_io();
    void open_stream();
    void on_stream_closed(const std::string& why);
    void start_reconciliation();
    void on_list_open(const Request& r, Response&& res);
    void on_positions(const Request& r, Response&& res);
    void on_account(const Request& r, Response&& res);
    void on_foreign_order(const Order& o, bool closed_here);
    bool adopt(const Order& o, std::string& why);
    void settle(std::uint64_t order_id);
    void finish_if_answered();
    void post_status(engine::VenueState state, engine::Reason reason);
    void post_order_record(engine::VenueState what, std::uint64_t order_id,
                           engine::OrderStatus status, engine::Reason reason,
                           const std::string& tail = {});
    [[nodiscard]] engine::Event status_event(engine::VenueState state,
                                             engine::Reason reason) const;
    void log(const std::string& what);
    [[nodiscard]] std::string symbol_of(engine::SymbolId id) const;

    AlpacaVenueOptions options_;
    TailReplySink& replies_;
    Log log_;
    std::unique_ptr<boost::asio::io_context> io_;
    std::unique_ptr<http::HttpsClient> rest_;
    std::unique_ptr<http::WssClient> stream_;
    RateLimiter limiter_;
    engine::OrderBook book_;
    std::unordered_map<std::uint64_t, Ids> ids_;
    std::unordered_map<std::string, std::uint64_t> by_client_id_;
    std::unordered_map<std::string, std::uint64_t> by_alpaca_id_;
    std::unordered_set<std::string> exec_ids_;
    // Net position per symbol id as the journal's fills make it (adopted orders' included).
    std::map<engine::SymbolId, std::int64_t> positions_;
    std::deque<Request> queue_;
    bool lane_busy_[2] = {false, false};
    Link link_ = Link::down;
    std::chrono::steady_clock::time_point reconnect_at_{};
    std::uint32_t stream_failures_ = 0;
    std::set<std::uint64_t> awaiting_;  // orders the reconciliation asks about
    bool awaiting_list_ = false;
    bool awaiting_positions_ = false;
    bool awaiting_account_ = false;
    bool positions_asked_ = false;
    std::uint32_t positions_attempts_ = 0;
    std::uint32_t foreign_ = 0;
    std::uint32_t resolved_ = 0;
    std::uint32_t adopted_now_ = 0;
    std::uint64_t adopted_ = 0;  // the account's adoptions: the next one's index
    std::uint32_t reconnects_ = 0;
    engine::VenueAccountPayload last_account_{};
    bool account_seen_ = false;
    std::chrono::steady_clock::time_point next_poll_{};
    bool started_ = false;
    bool stopping_ = false;
    AlpacaVenueCounters counters_;
};

}  // namespace keel::adapters::alpaca
