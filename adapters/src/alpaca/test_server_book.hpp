// ServerBook: the trading side of the local Alpaca server (alpaca_test_server.hpp), without
// the network: the account's orders (by id and client_order_id, in the order they were made),
// the simulator that matches them (the book is its ReplySink), each asset's position and
// average entry, the executions, and the REST routes' answers. Each simulator reply becomes an
// order update and a trade_updates event handed to the server's event sink. Private to
// adapters/src/alpaca/. Runs on the server's one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/adapters/alpaca/alpaca_test_server.hpp"
#include "keel/adapters/sim_venue/sim_venue.hpp"
#include "test_server_json.hpp"

namespace keel::adapters::alpaca {

// What a route answers: an HTTP status and a JSON body (empty for 204).
struct Answer {
    unsigned status = 200;
    std::string body;
};

// Alpaca's error body: {"code":C,"message":M}.
[[nodiscard]] Answer error_answer(unsigned status, std::uint64_t code, std::string_view message);

// Alpaca's error codes the server answers with.
inline constexpr std::uint64_t kCodeMalformed = 40010000;
inline constexpr std::uint64_t kCodeInvalid = 40010001;
inline constexpr std::uint64_t kCodeUnauthorized = 40110000;
inline constexpr std::uint64_t kCodeBuyingPower = 40310000;
inline constexpr std::uint64_t kCodeNotFound = 40410000;
inline constexpr std::uint64_t kCodeRateLimited = 42910000;

// One Alpaca order. A replace makes a new one; the simulator's order id moves to it.
struct ServerOrder {
    std::string id;  // UUID
    std::string client_order_id;
    std::string replaced_by, replaces;  // order ids
    engine::SymbolId symbol = engine::kNoSymbol;
    engine::Side side = engine::Side::none;
    engine::OrderType type = engine::OrderType::market;
    engine::TimeInForce tif = engine::TimeInForce::day;
    engine::Price limit_price{};
    engine::Price stop_price{};  // the trail distance for trailing_stop (Alpaca's trail_price)
    engine::Quantity qty{}, filled{};  // its own: a replacement counts from nothing
    // What the orders it replaced (its chain before it) filled: the simulator's one order
    // counts those too.
    engine::Quantity prior{};
    engine::i128 filled_notional = 0;  // sum of raw price x raw quantity over its executions
    engine::Money commission{};
    bool extended_hours = false;
    std::string status = "pending_new";
    std::int64_t created_ns = 0, updated_ns = 0, filled_ns = 0, expired_ns = 0, canceled_ns = 0,
                 replaced_ns = 0;
    std::uint64_t internal = 0;  // the simulator's order id
};

// The terms of a new order or a replace, as validated.
struct OrderTerms {
    engine::SymbolId symbol = engine::kNoSymbol;
    engine::Side side = engine::Side::none;
    engine::OrderType type = engine::OrderType::market;
    engine::TimeInForce tif = engine::TimeInForce::day;
    engine::Price limit_price{}, stop_price{};
    engine::Quantity qty{};
    bool extended_hours = false;
    std::string client_order_id;  // empty: the server makes one
};

// The counters as members of the object being written (account_json's tail).
void write_counters(JsonWriter& w, const AlpacaServerCounters& c);

class ServerBook final : private engine::ReplySink {
  public:
    // Receives every trade_updates message the book makes, in order.
    using EventSink = std::function<void(std::string)>;

    ServerBook(const AlpacaServerOptions& options, const engine::SymbolTable& symbols,
               AlpacaServerCounters& counters, EventSink events);
    ~ServerBook();
    ServerBook(const ServerBook&) = delete;
    ServerBook& operator=(const ServerBook&) = delete;

    // The routes (alpaca_test_server.hpp lists them); query: the URL's decoded parameters.
    [[nodiscard]] Answer place(std::string_view body);
    [[nodiscard]] Answer get(std::string_view id);
    [[nodiscard]] Answer get_by_client_order_id(const std::map<std::string, std::string>& query);
    [[nodiscard]] Answer list(const std::map<std::string, std::string>& query);
    [[nodiscard]] Answer replace(std::string_view id, std::string_view body);
    [[nodiscard]] Answer cancel(std::string_view id);
    [[nodiscard]] Answer positions() const;
    [[nodiscard]] Answer account() const;

    // Market data stamped with its arrival: the last price of its symbol, then the matching.
    void on_market_data(const engine::Event& event);
    // Fault foreign_order: an order no client of this server sent (see AlpacaServerFaults).
    void place_foreign_order();
    // Whether an order or replace arrived since the last call (fixed prices print then).
    [[nodiscard]] bool take_arrivals() noexcept;
    // alpaca_test_server.hpp's account_json().
    [[nodiscard]] std::string account_json() const;

  private:
    struct Asset {
        std::string name, asset_id;
        engine::Price last{};
        std::int64_t position_raw = 0;  // signed; equals the simulator's after every fill
        engine::i128 cost = 0;  // raw price x raw quantity of the open position, signed with it
    };
    struct Refusal {  // the simulator's synchronous venue_reject
        bool set = false;
        engine::Reason reason = engine::Reason::none;
    };

    // ReplySink: the simulator's answers.
    void post(const engine::Event& reply) noexcept override;
    void on_fill(const engine::FillPayload& fill);
    void execute(ServerOrder& o, engine::Price price, engine::Quantity qty, engine::Money fee);
    void on_cancel(ServerOrder& o, engine::Reason reason);

    [[nodiscard]] std::optional<Answer> read_new_order(const JsonFields& f, OrderTerms& t) const;
    [[nodiscard]] std::optional<Answer> read_replace(const JsonFields& f, const ServerOrder& o,
                                                     OrderTerms& t) const;
    [[nodiscard]] std::optional<Answer> refuse_reused(const std::string& client_order_id);
    [[nodiscard]] Answer buying_power_refusal(const OrderTerms& t) const;
    [[nodiscard]] Answer sim_refusal(engine::Reason reason, const OrderTerms& t) const;
    ServerOrder& make_order(const OrderTerms& t);
    void forget_last_order();
    void submit(const ServerOrder& o, engine::OrderAction action, const OrderTerms& t);
    void note_placement(const std::string& client_order_id);
    void emit(std::string_view event, const ServerOrder& o, std::string_view status = {});

    [[nodiscard]] ServerOrder* find(std::string_view id);
    [[nodiscard]] std::int64_t next_time_ns();
    // An order as Alpaca's order object; status: what to show instead of its own (the
    // pending_* events show the order as it was while the request was in flight).
    void write_order(JsonWriter& w, const ServerOrder& o, std::string_view status = {}) const;
    void write_stop_fields(JsonWriter& w, const ServerOrder& o) const;
    void write_position(JsonWriter& w, const Asset& a) const;
    [[nodiscard]] engine::Money market_value(const Asset& a) const;
    [[nodiscard]] engine::Money equity() const;

    const AlpacaServerOptions& options_;
    const engine::SymbolTable& symbols_;
    AlpacaServerCounters& counters_;
    EventSink events_;
    std::unique_ptr<SimVenue> sim_;
    UuidMaker uuids_;
    std::string account_id_;
    std::vector<Asset> assets_;                         // by SymbolId
    std::vector<std::unique_ptr<ServerOrder>> orders_;  // in the order they were made
    std::map<std::string, ServerOrder*, std::less<>> by_id_;
    std::map<std::string, ServerOrder*, std::less<>> by_client_id_;
    std::map<std::uint64_t, ServerOrder*> by_internal_;  // the chain's current order
    std::map<std::string, std::uint64_t> placements_;    // orders placed per client_order_id
    std::vector<std::string> fills_;                     // one JSON object per execution
    Refusal refusal_;
    std::uint64_t next_internal_ = 1;
    std::uint64_t new_orders_ = 0;  // valid new orders seen (reject_every counts these)
    std::int64_t last_time_ns_ = 0;
    std::int64_t created_ns_ = 0;
    bool arrivals_ = false;
};

}  // namespace keel::adapters::alpaca
