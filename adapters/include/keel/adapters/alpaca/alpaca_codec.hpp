// alpaca_codec.hpp: keel's orders into the JSON bodies of Alpaca's REST v2 API, and Alpaca's
// answers (orders, positions, account, errors) and trade_updates stream messages back into
// keel's venue replies. Pure functions of their arguments: no socket, no thread, no clock. The
// Alpaca adapter's thread calls them: it encodes each order_sent, sends it over HTTPS, decodes
// the answer or the stream message, finds the order it is about (by client_order_id, or by
// Alpaca's id) and posts the mapped events as venue replies. https://docs.alpaca.markets
//
// Numbers cross as exact decimal text, never through a double: Alpaca writes every price and
// quantity as a decimal string ("101.25", "10") and keel writes them from fixed point with
// engine::format_decimal and reads them with engine::parse_decimal, so a value keel sends is the
// value it reads back. A JSON number where Alpaca writes a string is read exactly too (from its
// token text); more than 9 decimals is an error, not a rounding.
//
// Encoding (encode_new_order, encode_replace) builds the body with http::append_json_string, so
// quotes, backslashes and control characters in an id or symbol are escaped; text that is not
// valid UTF-8 cannot be JSON and is refused. Names: side buy / sell; type market, limit, stop,
// stop_limit, trailing_stop; time_in_force day, gtc, ioc, fok. A trailing stop's trail distance
// is what keel's OrderPayload carries in stop_price (event.hpp), sent as trail_price (PATCH:
// trail); keel has no trail_percent, notional, opg or cls. Refused (Body::refused, no JSON): an
// unknown type or time in force (unsupported_order_type); no side, a quantity that is not
// positive, a missing (not positive) limit price, stop price or trail, an empty id or symbol
// (invalid_order).
//
// Decoding never throws and never trusts the input: malformed JSON, a missing required field, a
// value of the wrong JSON type, a decimal that does not parse exactly or a repeated key is a
// DecodeError naming the field ("qty", "data.order.filled_qty", "[3].symbol") and what is wrong,
// and nothing is mapped. Fields Alpaca may send as null are read as absent (the has_ flags);
// fields keel does not read (timestamps, legs, hwm, the PDT fields of the account, ...) are
// skipped whatever they hold. A status, event or type keel has no name for is not an error: it
// decodes to Status::unknown, Event::unknown or nullopt, with the text kept.
//
// HTTP answers (classify, reject_reason):
// - 2xx: ok.
// - 401, or a 403 saying the key is not authorized (code 40110000 / 40100000, or the message
//   "unauthorized", "forbidden", "request is not authorized"): auth_failed.
// - 403 whose message names buying power: rejected, insufficient_buying_power. Alpaca's 403 code
//   40310000 also covers wash trades and shorts not allowed, so the message decides; any other
//   403: rejected, venue_rejected.
// - 422 "client_order_id must be unique": in_doubt. An earlier attempt of the same order landed;
//   the adapter looks it up (GET by client_order_id) and never treats it as a reject.
// - any other 422: rejected, invalid_order; 400 and any other 4xx: rejected, venue_rejected.
// - 404: not_found (reason venue_unknown_order).
// - 408, 429, 5xx, status 0 (no answer: timeout, connection lost), 1xx and 3xx: in_doubt. The
//   request may have been processed; the adapter looks the order up before anything else.
//
// Mapping onto keel's venue replies, in exactly the shapes SimVenue posts
// (adapters/src/sim_venue/sim_venue.cpp): source venue, header.symbol and header.aux (the owning
// strategy) from the known order, seq 0 (ingest assigns it), ts_ns given; the order payload
// carries the known order's terms (venue/fill_math.hpp, venue/venue_reply.hpp).
//
// The fill rule (both mappings; idempotent, so the stream and REST snapshots may interleave in
// any order without a double fill; dropping a repeated execution_id is the adapter's):
// 1. delta = order.filled_qty - known.filled (what keel has journaled). delta <= 0: no fill, the
//    event is late or a duplicate (the note says so; below 0, Alpaca knows fewer fills than keel
//    journaled, which no reply can undo).
// 2. Price: the event's price when it has a price and a qty and that qty equals delta (exactly
//    one execution keel has not seen). Otherwise (executions missed, or a REST snapshot, which
//    has no per-fill price) the catch-up price from the cumulative figures:
//        catch_up_price(filled_qty, filled_avg_price, known.filled, known.filled_notional)
//    which brings keel's average for the order to Alpaca's filled_avg_price. Alpaca rounds
//    filled_avg_price, so a catch-up fill inherits that rounding (keel's cash may differ from
//    Alpaca's by a raw unit per catch-up). No filled_avg_price (or a price out of range): no
//    fill, and the note says why.
// 3. Fee: Alpaca's order commission is the order's total so far, so the fill's fee is
//    commission - known.fees (what keel journaled as the order's fees), 0 when there is no
//    commission or it is not above that.
// 4. kFillFinal when the order's status is filled (the OrderBook also completes an order whose
//    fill reaches its leaves).
// The close for a final status comes after the fill rule, and only if the order is open in
// keel's view and filled_qty does not complete keel's quantity (a fill that completes it leaves
// nothing to close):
// - canceled: venue_cancel, status canceled, action cancel, reason canceled_on_request.
// - expired: the expiry close by time in force: ioc_remainder (canceled) for IOC, fok_unfillable
//   (canceled) for FOK, expired_day (status expired) otherwise; action new_order.
// - done_for_day: for a day order the expiry close (expired_day); other TIFs rest on: nothing.
// - rejected: venue_reject, action new_order, reason venue_rejected, while keel holds the order
//   pending_new or pending_cancel (where the state table takes a reject); otherwise venue_cancel
//   venue_rejected (Alpaca no longer has an order keel thought working).
//
// map_order_snapshot (the POST answer, a GET by id or by client_order_id, a reconciliation):
// first a venue_ack (action new_order, status accepted) when keel holds the order pending_new
// and Alpaca's status is not rejected (POST 200 means accepted, whatever status it shows); then
// the fill rule; then the close for a final status (canceled, expired, done_for_day, rejected).
// replaced: the fill rule only (fills the old order had before it was replaced); the adapter
// follows replaced_by and acks the replace from the new order. Any other status (new,
// partially_filled, accepted, pending_*, held, ...): nothing beyond the ack and the fill rule.
//
// map_trade_update, by event:
// - new: venue_ack new_order only while keel holds the order pending_new (the POST answer was
//   lost or is late); otherwise nothing. That is the dedupe against the POST answer's ack.
// - fill, partial_fill: the fill rule, with the event's price and qty.
// - canceled, expired, done_for_day, rejected: the fill rule, then the close as above.
// - replaced: the fill rule only; the adapter acks the replace from the PATCH answer.
// - order_cancel_rejected: venue_reject, action cancel, reason venue_rejected (the book returns
//   the order to where it was); order_replace_rejected: the same with action replace. The
//   payload carries the known order's terms.
// - pending_new, pending_cancel, pending_replace, accepted, accepted_for_bidding, held, stopped,
//   calculated, suspended: nothing; keel's pending states come from its own requests.
// - trade_bust, trade_correct: nothing; keel has no event for a corrected or busted trade, the
//   note says so for an operator.
//
// map_replace_ack: the PATCH answer (the new order): venue_ack, action replace, status accepted
// (what SimVenue's replace ack carries; the book reports `replaced` itself), quantity from its
// qty and limit / stop price (trail_price for a trailing stop) where the answer has them and the
// type uses them, the known order's otherwise.
//
// reject_event: a refused HTTP request (classify() said rejected): venue_reject with the action
// and reason given, status rejected, the known order's terms.
//
// An event the mapping produces may still be illegal for the order's state (a fill after a
// cancel): the gateway's OrderBook refuses it and keel journals an engine_alert, as for any
// venue.
//
// Thread: the Alpaca adapter's. Allocates (JSON is text); not on keel's hot path.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/adapters/venue/fill_math.hpp"
#include "keel/engine/core/event.hpp"

namespace keel::adapters::alpaca {

// --- names both ways: "" (or nullopt) for what Alpaca cannot say or keel has no name for ---

[[nodiscard]] std::string_view side_name(engine::Side side) noexcept;
[[nodiscard]] std::optional<engine::Side> side_from(std::string_view name) noexcept;
[[nodiscard]] std::string_view type_name(engine::OrderType type) noexcept;
[[nodiscard]] std::optional<engine::OrderType> type_from(std::string_view name) noexcept;
// day, gtc, ioc, fok; Alpaca's opg and cls decode to nullopt (keel has no name for them).
[[nodiscard]] std::string_view tif_name(engine::TimeInForce tif) noexcept;
[[nodiscard]] std::optional<engine::TimeInForce> tif_from(std::string_view name) noexcept;

// An Alpaca order's status. `new_` is Alpaca's "new" (new is a C++ keyword).
enum class Status : std::uint8_t {
    unknown = 0,  // a status keel does not know (Order::status_text has it)
    new_,
    partially_filled,
    filled,
    done_for_day,
    canceled,
    expired,
    replaced,
    pending_cancel,
    pending_replace,
    pending_new,
    accepted,
    accepted_for_bidding,
    stopped,
    rejected,
    suspended,
    calculated,
    held,
};
[[nodiscard]] Status status_from(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(Status status) noexcept;  // "unknown" for unknown

// A trade_updates event. `new_` is Alpaca's "new".
enum class Event : std::uint8_t {
    unknown = 0,  // an event keel does not know (TradeUpdate::event_text has it)
    new_,
    fill,
    partial_fill,
    canceled,
    expired,
    done_for_day,
    replaced,
    rejected,
    pending_new,
    pending_cancel,
    pending_replace,
    order_cancel_rejected,
    order_replace_rejected,
    stopped,
    suspended,
    calculated,
    held,
    accepted,
    trade_bust,
    trade_correct,
};
[[nodiscard]] Event event_from(std::string_view name) noexcept;
[[nodiscard]] std::string_view to_string(Event event) noexcept;  // "unknown" for unknown

// --- encoding ---

// A request body to send, or why keel refused to encode it (refused != none, json empty).
struct Body {
    std::string json;
    engine::Reason refused = engine::Reason::none;
    std::string why;
    [[nodiscard]] bool ok() const noexcept { return refused == engine::Reason::none; }
};

// POST /v2/orders for a new order (an order_sent's payload): symbol, qty, side, type,
// time_in_force, limit_price (limit, stop_limit), stop_price (stop, stop_limit), trail_price
// (trailing_stop), client_order_id; in that order.
[[nodiscard]] Body encode_new_order(const engine::OrderPayload& order,
                                    std::string_view client_order_id, std::string_view symbol);
// PATCH /v2/orders/{id} for a replace (the replace's order_sent payload: the new terms): qty,
// limit_price / stop_price as the type needs (trail for a trailing stop), time_in_force,
// client_order_id (the replacement's own id). Refused as a new order is (the side is not sent
// but must be there: a payload without one is not an order's).
[[nodiscard]] Body encode_replace(const engine::OrderPayload& new_terms,
                                  std::string_view client_order_id);

// --- decoding ---

// What is wrong with a received document: the field (a path: "data.order.qty", "[2].symbol";
// empty for the document as a whole) and why.
struct DecodeError {
    std::string field;
    std::string what;
};

// An Alpaca order object. Strings are empty and numbers 0 when absent or null (the has_ flags
// say which optional ones were there).
struct Order {
    std::string id;  // Alpaca's order id (a UUID)
    std::string client_order_id;
    std::string symbol;
    engine::Side side = engine::Side::none;
    std::optional<engine::OrderType> type;   // nullopt: a type keel has no name for (type_text)
    std::optional<engine::TimeInForce> tif;  // nullopt: opg, cls or another (tif_text)
    std::string type_text;
    std::string tif_text;
    Status status = Status::unknown;
    std::string status_text;        // as Alpaca wrote it
    engine::Quantity qty{};         // null for a notional order (has_qty false)
    engine::Quantity filled_qty{};  // cumulative
    engine::Price filled_avg_price{};
    engine::Price limit_price{};
    engine::Price stop_price{};
    engine::Price trail_price{};
    engine::Money commission{};  // the order's total so far
    bool has_qty = false;
    bool has_filled_avg_price = false;
    bool has_limit_price = false;
    bool has_stop_price = false;
    bool has_trail_price = false;
    bool has_commission = false;
    std::string replaced_by;  // the replacement's id (status replaced); empty when null
    std::string replaces;     // the id this order replaced; empty when null
};

// Required: id and symbol (not empty), client_order_id, side (buy or sell), type (or
// order_type), time_in_force, status, qty (may be null), filled_qty (not negative). Optional
// (may be null): filled_avg_price, limit_price, stop_price, trail_price, commission,
// replaced_by, replaces. Quantities are never negative.
[[nodiscard]] std::optional<DecodeError> decode_order(std::string_view json, Order& out);
// A JSON array of orders (GET /v2/orders); out is cleared first, and left empty on an error.
[[nodiscard]] std::optional<DecodeError> decode_orders(std::string_view json,
                                                       std::vector<Order>& out);

// A trade_updates event's data. price, qty and execution_id only on fill and partial_fill.
struct TradeUpdate {
    Event event = Event::unknown;
    std::string event_text;  // as Alpaca wrote it
    Order order;             // the order after the event
    std::string execution_id;
    engine::Price price{};   // this execution's price
    engine::Quantity qty{};  // this execution's quantity
    bool has_price = false;
    bool has_qty = false;
    std::string timestamp;  // RFC 3339, as written
};

// One message of the trade_updates stream (text or binary frame: the same JSON text).
struct StreamMessage {
    enum Kind : std::uint8_t {
        authorization,  // the answer to auth: authorized or not (message says why)
        listening,      // the answer to listen: trade_updates says whether it is among them
        trade_update,   // update holds it
        error,          // the server reports an error (message)
        other,          // a stream keel does not read (message names it)
    };
    Kind kind = other;
    bool authorized = false;
    bool trade_updates = false;  // listening: the streams include trade_updates
    std::string message;
    TradeUpdate update;
};

// {"stream":S,"data":{...}}, the two fields in either order. authorization: data.status
// required ("authorized" or not), data.message optional. listening: data.streams (an array of
// strings), or data.error (kind error). trade_updates: data as TradeUpdate (event and order
// required). stream "error", or any other stream whose data has an "error" string: kind error.
[[nodiscard]] std::optional<DecodeError> decode_stream_message(std::string_view json,
                                                               StreamMessage& out);

// An error answer's body: {"code":40010001,"message":"..."}. Tolerant: a body that is not a JSON
// object, or has no message, gives code 0 (when absent) and the body's first 200 bytes as the
// message. The message is cut to 200 bytes (at a UTF-8 boundary) and control characters become
// spaces, so it can go into a journal tail as one line.
struct ApiError {
    int code = 0;
    std::string message;
};
[[nodiscard]] ApiError decode_error(std::string_view body);

// GET /v2/positions: an array of these. Required: symbol, qty (signed: negative is short; a
// positive qty with side "short" is read as negative), avg_entry_price. out is cleared first,
// and left empty on an error.
struct Position {
    std::string symbol;
    engine::Quantity qty{};  // signed
    engine::Price avg_entry_price{};
};
[[nodiscard]] std::optional<DecodeError> decode_positions(std::string_view json,
                                                          std::vector<Position>& out);

// GET /v2/account. Required: cash, buying_power, equity (decimals), status, trading_blocked,
// account_blocked (booleans). The pattern-day-trader fields and everything else are ignored.
struct Account {
    engine::Money cash{};
    engine::Money buying_power{};
    engine::Money equity{};
    std::string status;  // ACTIVE, ...
    bool trading_blocked = false;
    bool account_blocked = false;
};
[[nodiscard]] std::optional<DecodeError> decode_account(std::string_view json, Account& out);

// --- HTTP answers ---

enum class Answer : std::uint8_t { ok, rejected, in_doubt, auth_failed, not_found };
[[nodiscard]] std::string_view to_string(Answer answer) noexcept;

// http_status 0: no answer (timeout, connection lost). See the table at the top.
[[nodiscard]] Answer classify(unsigned http_status, const ApiError& error) noexcept;
// The reason to refuse the request with: rejected as above, auth_failed venue_rejected (keel
// has no reason of its own for it yet), not_found venue_unknown_order, ok and in_doubt none
// (not a refusal).
[[nodiscard]] engine::Reason reject_reason(unsigned http_status, const ApiError& error) noexcept;

// --- mapping onto keel's venue replies (see the top) ---

[[nodiscard]] Mapped map_order_snapshot(const Order& order, const KnownOrder& known,
                                        std::int64_t ts_ns);
[[nodiscard]] Mapped map_trade_update(const TradeUpdate& update, const KnownOrder& known,
                                      std::int64_t ts_ns);
[[nodiscard]] Mapped map_replace_ack(const Order& new_order, const KnownOrder& known,
                                     std::int64_t ts_ns);
[[nodiscard]] engine::Event reject_event(engine::OrderAction action, const KnownOrder& known,
                                         engine::Reason reason, std::int64_t ts_ns) noexcept;

}  // namespace keel::adapters::alpaca
