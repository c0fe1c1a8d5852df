// AlpacaTestServer: a local, Alpaca-compatible brokerage keel's tests and demos trade against
// (`keel alpaca-venue`), written from Alpaca's published Trading API v2: the same paths, fields,
// errors, rate-limit headers and trade_updates stream, over TLS on one port. There is no
// internet in tests, so this is what keel's Alpaca adapter meets there, as `keel fix-venue`
// (fix/fix_test_venue.hpp) is for FIX. Matching is the simulated venue's (sim_venue.hpp: the
// same rules, the same config): the server is the simulator's ReplySink and turns each reply
// into an Alpaca order update and a trade_updates event.
//
// REST (every request authenticated by APCA-API-KEY-ID / APCA-API-SECRET-KEY; every answer
// carries X-Ratelimit-Limit / -Remaining / -Reset):
//   POST   /v2/orders                          place (validated as Alpaca does; 403 40310000
//                                              when the simulator refuses for buying power)
//   GET    /v2/orders/{id}                     one order, 404 40410000 when unknown
//   GET    /v2/orders:by_client_order_id?client_order_id=X
//   GET    /v2/orders?status=open|closed|all&limit=&direction=&after=&until=
//   PATCH  /v2/orders/{id}                     replace: a NEW order (new id, "replaces"); the
//                                              old one becomes "replaced" with "replaced_by"
//   DELETE /v2/orders/{id}                     204; 422 "order is not cancelable"; 404
//   GET    /v2/positions, GET /v2/account
// anything else is 404. A client_order_id is unique for ever: a reuse, even after the order was
// canceled, is refused 422 "client_order_id must be unique" and counted.
//
// Choices where Alpaca's documents leave a gap (each a place keel's adapter must not depend on
// more than it has to):
// - The simulator decides a new order, cancel or replace while the request is being answered,
//   so the answer already says what happened (status "new", or the refusal). A refusal is the
//   HTTP answer itself (Alpaca's own synchronous validation); the server therefore never sends
//   "rejected", "order_cancel_rejected" or "order_replace_rejected" events. It sends
//   "pending_cancel" / "pending_replace" before "canceled" / "replaced", as Alpaca does.
// - A replacement is an order of its own, as at Alpaca (Alpaca-API issue #165): its qty is
//   the PATCH's qty (absent: the replaced order's qty), what it is to fill, and its filled_qty
//   and filled_avg_price count only its own executions. The simulator's one order goes on
//   under it, told the chain's total (what the orders before it filled, plus that qty).
// - An IOC or FOK remainder the simulator cancels is an "expired" event (status expired), as
//   a day order at the close is; a cancel the client asked for is "canceled".
// - filled_avg_price is exact: the sum of price x quantity over the executions (128-bit) over
//   the filled quantity, rounded half up to 9 decimals. Real Alpaca rounds it coarser.
// - The TIF of an order cannot be changed by a replace here (the simulator keeps it): 422.
// - GET /v2/account leaves out the pattern-day-trader fields (pattern_day_trader,
//   daytrade_count), which Alpaca retired in 2026, so a client must cope with their absence.
//
// Stream (GET /stream with an Upgrade, on the same port): both auth shapes,
// {"action":"auth","key","secret"} and {"action":"authenticate","data":{"key_id","secret_key"}},
// answered authorized, or unauthorized and closed; {"action":"listen",...} answered
// "listening"; then a trade_updates event for every order event of the account. Binary frames
// by default (as paper Alpaca sends them), text frames with text_frames. Events missed while
// no stream listens are never replayed (as Alpaca).
//
// Faults (AlpacaServerFaults, each counted in account_json()): see the struct.
//
// Threads: one. run() turns one io_context on the caller's thread: the TLS acceptor, every
// HTTP and WebSocket session, the timers and the matching. stop() and post_market_data() may
// be called from any thread; account_json() and counters() only once run() has returned (or
// before it starts). Reads the wall clock (it is a counterparty, not a stage).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/adapters/sim_venue/sim_venue_config.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/symbol_table.hpp"

namespace keel::adapters::alpaca {

// Every fault is off at 0.
struct AlpacaServerFaults {
    std::uint64_t rate_limit = 0;              // requests per window (over: 429 42910000)
    std::uint64_t rate_window_s = 60;          // the window: Alpaca's minute (a test's shorter)
    std::uint64_t error_every = 0;             // every Nth REST request: error_code, unprocessed
    std::uint32_t error_code = 500;            // 500 or 504
    std::uint64_t accept_then_hang_every = 0;  // every Nth POST /v2/orders: placed, never answered
    std::uint64_t stream_drop_after = 0;       // close a stream after every N events sent to it
    std::uint64_t duplicate_every = 0;         // every Nth event sent twice
    std::uint64_t reorder_every = 0;           // every Nth event held and sent after the next
    std::uint64_t partial_fills = 0;           // split every fill into N executions
    std::uint64_t reject_every = 0;            // every Nth new order: 403 insufficient buying power
    std::uint64_t expire_key_after = 0;        // after N REST requests the key is refused (401)
    // Hold an order no client of this server sent (placed at open, on the first symbol, GTC):
    // 1 a limit buy of 1 at 0.0001 (never fills), 2 a limit buy of 3 at 101 of which 1 already
    // filled at 101 (as FixVenueFaults::foreign_order).
    std::uint32_t foreign_order = 0;
    std::int64_t delay_ms = 0;  // hold every REST answer and every event back this long
};

// NAME=N (a bare NAME means N=1) onto faults; the problem, naming the fault, when it is not
// one this server knows or N is out of its range.
[[nodiscard]] std::optional<std::string> parse_fault(std::string_view text,
                                                     AlpacaServerFaults& faults);

struct AlpacaServerCounters {
    std::uint64_t requests = 0;                 // REST requests received, every one
    std::uint64_t orders_placed = 0;            // new orders the client placed (POST, 200 or hung)
    std::uint64_t replaced = 0;                 // replaces that made a new order
    std::uint64_t canceled = 0;                 // cancels the client asked for that took effect
    std::uint64_t reused_client_order_ids = 0;  // refused 422: a client_order_id seen before
    std::uint64_t unknown_orders = 0;           // 404s for an order id or client_order_id
    std::uint64_t invalid_requests = 0;         // 400 / 422 other than a reused client_order_id
    std::uint64_t refused_buying_power = 0;     // 403 40310000 (the simulator's or injected)
    std::uint64_t unauthorized = 0;             // 401s (a wrong or missing key, or an expired one)
    std::uint64_t rate_limited = 0;             // 429s sent
    std::uint64_t expired_key_refusals = 0;     // 401s and stream refusals of expire_key_after
    std::uint64_t errors_injected = 0;          // error_every answers
    std::uint64_t hung = 0;                     // accept_then_hang: placed and never answered
    std::uint64_t delayed = 0;                  // answers and events held back by delay_ms
    std::uint64_t stream_connections = 0;
    std::uint64_t stream_refused = 0;    // stream logins answered unauthorized
    std::uint64_t stream_drops = 0;      // streams closed by stream_drop_after
    std::uint64_t events_sent = 0;       // trade_updates messages written to streams
    std::uint64_t events_unheard = 0;    // events made while no stream listened (never replayed)
    std::uint64_t duplicates_sent = 0;   // duplicate_every
    std::uint64_t reordered = 0;         // reorder_every
    std::uint64_t executions = 0;        // fill and partial_fill events made
    std::uint64_t rejects_injected = 0;  // reject_every
    std::uint64_t foreign_orders = 0;
    // The most orders placed under one client_order_id: must stay 1 (no order twice).
    std::uint64_t max_orders_per_client_id = 0;
};

struct AlpacaServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;  // 0: any free port (port() says which)
    std::string cert_file;   // PEM certificate chain and key the TLS acceptor presents
    std::string key_file;
    std::string key_id;  // the account's credentials
    std::string secret_key;
    SimVenueConfig matching;  // the simulator's rules and buying power
    AlpacaServerFaults faults;
    std::uint64_t rate_limit_per_min = 200;  // Alpaca's; faults.rate_limit overrides it
    bool text_frames = false;                // trade_updates in text frames (Alpaca: binary)
    // Fixed prices (keel alpaca-venue --price): after an order or replace arrives, each of
    // these is printed to the matching as a trade of unknown size on the next tick (1 ms).
    std::vector<std::pair<std::string, engine::Price>> prices;
};

class AlpacaTestServer {
  public:
    // Symbols: the assets it trades (an order for another is 422 "asset not found").
    AlpacaTestServer(AlpacaServerOptions options, engine::SymbolTable symbols);
    ~AlpacaTestServer();
    AlpacaTestServer(const AlpacaTestServer&) = delete;
    AlpacaTestServer& operator=(const AlpacaTestServer&) = delete;

    // Loads the certificate and key, binds and listens, places the foreign order (fault);
    // the problem when it cannot. Cold, before run().
    [[nodiscard]] std::optional<std::string> open();
    // Before run(): called every millisecond on the server's thread (the CLI hands the feed's
    // prices to on_market_data in it and watches its stop flag); false stops the server.
    void every_ms(std::function<bool()> tick);
    // Serves until stop(): the server's one thread.
    void run();
    // Any thread: closes every session and makes run() return.
    void stop();
    // The port it listens on (after open()).
    [[nodiscard]] int port() const;

    // A trade, quote or bar for the matching (its symbol in the table given), stamped with the
    // wall clock as it arrives. on_market_data: on the server's thread (inside every_ms's tick);
    // post_market_data: any thread.
    void on_market_data(const engine::Event& event);
    void post_market_data(const engine::Event& event);

    // After run() has returned (or before it started).
    [[nodiscard]] const AlpacaServerCounters& counters() const;
    // The account as JSON: cash, buying_power, positions, fills (one per execution), orders
    // (how many chains; open_orders: still working) and each order's state, and the counters.
    [[nodiscard]] std::string account_json() const;

    struct Impl;  // adapters/src/alpaca/alpaca_test_server_impl.hpp

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace keel::adapters::alpaca
