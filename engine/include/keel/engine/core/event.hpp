// The Event: one 64-byte, trivially copyable record that every stage, ring and (later) the
// journal carries. A 24-byte header plus a 40-byte payload union; no pointers, no strings
// beyond fixed arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "keel/engine/core/audit.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/core/symbol_id.hpp"

namespace keel::engine {

// Input types are sequenced by ingest (they are the source of truth); derived types are what
// stages compute from them. The numeric values are part of the journal format: append only.
enum class EventType : std::uint8_t {
    none = 0,
    // --- inputs ---
    session_start = 1,  // effective config hash and seed
    symbol_def = 2,     // symbol id -> name, journaled before first use
    trade = 3,
    quote = 4,          // best bid and offer
    bar = 5,            // OHLCV; header.aux = bar interval in minutes
    alert = 6,          // external signal (e.g. a TradingView alert)
    command = 7,        // operator command (kill switch, limit changes, pause)
    timer = 8,          // made by ingest from event time: bar closes, session open and close
    venue_ack = 9,      // new order accepted, or replace accepted (payload.order.action)
    venue_fill = 10,    // a partial or complete fill
    venue_reject = 11,  // new order, cancel or replace refused (payload.order.reason)
    venue_cancel = 12,  // order gone: canceled on request, expired, or IOC/FOK remainder
    order_denied = 13,  // a risk reject echoed back to ingest so strategies learn of it in order
    feed_status = 14,   // a symbol's market data went stale or fresh again; a feed (dis)connected
    audit = 15,         // an API call or a refused webhook alert: what was asked, what was answered
    session_resume = 16,  // a restart dropped orders the crash kept from being sent (recovery)
    tick_refused = 17,    // market data the feed's sanity band refused: price, band and reason
    input_refused = 18,   // an input ingest refused: a field out of range (core/input_check.hpp)
    // The wall clock's tick in a live session with live.time "wall" (adapters/input/
    // clock_source.hpp): engine time advances with no other input, so timers fire. No payload:
    // its time is header.ts_ns. Not market data.
    clock = 19,
    // A venue adapter's connection (adapters/fix/fix_venue.hpp): disconnected, connected and
    // resolving in-doubt orders, or ready for new orders. Risk refuses new orders of the
    // account (venue_disconnected) until its venue is ready. Header.symbol kNoSymbol.
    venue_status = 20,
    // A broker's account figures (adapters/alpaca: cash, buying power, equity), polled by its
    // adapter off the hot path and journaled when one changed, so a replay shows what the
    // broker said and when. Header.symbol kNoSymbol.
    venue_account = 21,
    // --- derived ---
    signal = 32,
    order_request = 33,  // new / cancel / replace
    risk_reject = 34,
    order_sent = 35,
    order_state = 36,   // an order's state changed (payload.order.status = the new state)
    engine_alert = 37,  // something an operator must look at (e.g. an illegal order transition)
    risk_state = 38,    // risk's mode or limits changed (kill switch, halt, limits committed)
    state_hash = 39,    // a hash of the stage's state, every kStateHashEvery inputs (replay)
    day_closed = 40,    // risk closed a trading day: the day's P&L, equity, fills, positions
    // --- runner control: travel the rings, never journaled, never seen by trading logic ---
    flush = 64,
    shutdown = 65,
    snapshot = 66,  // a state query on its way through the stages (state_snapshot.hpp)
};

[[nodiscard]] std::string_view to_string(EventType t) noexcept;
[[nodiscard]] constexpr bool is_input(EventType t) noexcept {
    return static_cast<std::uint8_t>(t) >= 1 && static_cast<std::uint8_t>(t) < 32;
}
[[nodiscard]] constexpr bool is_derived(EventType t) noexcept {
    return static_cast<std::uint8_t>(t) >= 32 && static_cast<std::uint8_t>(t) < 64;
}
[[nodiscard]] constexpr bool is_control(EventType t) noexcept {
    return static_cast<std::uint8_t>(t) >= 64;
}
[[nodiscard]] constexpr bool is_market_data(EventType t) noexcept {
    return t == EventType::trade || t == EventType::quote || t == EventType::bar;
}

enum class Source : std::uint8_t {
    engine = 0,
    feed = 1,
    webhook = 2,
    control = 3,
    venue = 4,
    strategy = 5,
    risk = 6,
    gateway = 7,
    clock = 8,  // the wall clock of a live session (EventType::clock)
};
[[nodiscard]] std::string_view to_string(Source s) noexcept;

enum class Side : std::uint8_t { none = 0, buy = 1, sell = 2 };
// price is the limit price (limit, stop_limit); stop_price the trigger (stop, stop_limit) or,
// for trailing_stop, the trail distance.
enum class OrderType : std::uint8_t {
    market = 1,
    limit = 2,
    stop = 3,
    stop_limit = 4,
    trailing_stop = 5
};
enum class TimeInForce : std::uint8_t { day = 1, gtc = 2, ioc = 3, fok = 4 };
enum class OrderAction : std::uint8_t { new_order = 1, cancel = 2, replace = 3 };
// An order's life (engine/order_state.hpp has the transition table). sent, denied and approved
// mark the request's path through the pipeline; the rest are the order's states.
enum class OrderStatus : std::uint8_t {
    sent = 1,
    accepted = 2,
    filled = 3,
    rejected = 4,
    canceled = 5,
    denied = 6,
    approved = 7,
    pending_new = 8,
    partially_filled = 9,
    pending_cancel = 10,
    expired = 11,
    replaced = 12,
    pending_replace = 13,
};
// Where an order sits in an engine-side bracket or OCO group. Links are implied by the client
// order id (see order_id.hpp): a bracket's entry is k=0 of its sequence, its stop_loss k=1 and
// take_profit k=2; OCO pairs are (k, k^1).
enum class OrderRole : std::uint8_t {
    none = 0,
    entry = 1,
    stop_loss = 2,
    take_profit = 3,
    oco = 4,
};

// Why something was refused, skipped, canceled or flagged. One code space for every stage so a
// journal reader decodes any reason the same way. Values are part of the journal format.
enum class Reason : std::uint16_t {
    none = 0,
    // risk (1-99)
    max_order_qty = 1,
    non_positive_qty = 2,
    max_order_notional = 3,
    price_collar = 4,
    no_reference_price = 5,
    stale_reference_price = 6,
    max_position = 7,
    max_gross_exposure = 8,
    max_open_orders = 9,
    throttled = 10,
    duplicate_order = 11,
    daily_loss_halt = 12,
    drawdown_halt = 13,
    repeated_execution = 14,
    outside_trading_hours = 15,
    restricted_symbol = 16,
    market_data_stale = 17,
    off_tick_price = 18,
    unknown_symbol = 19,
    day_trade_limit = 20,
    kill_switch = 21,
    paused = 22,
    invalid_order = 23,
    unknown_order = 24,
    venue_disconnected = 25,  // the account's venue is not connected, or is resolving orders
    // The broker's positions differ from the journal's (a venue_status position_mismatch
    // record): no new order until an operator acknowledges them (CommandCode::ack_positions).
    position_mismatch = 26,
    // venue (100-149)
    unsupported_order_type = 100,
    venue_full = 101,
    insufficient_buying_power = 102,
    venue_closed = 103,
    venue_unknown_order = 104,
    fok_unfillable = 105,
    unbookable_fill = 106,  // the sim venue cancels an order whose fill the account could not hold
    no_market_price = 107,  // the sim venue has no price for the symbol (no market data, no alert)
    venue_rejected = 108,  // a venue refused for a reason keel has no code for (FIX OrdRejReason)
    stale_resend = 109,    // a message older than max_resend_age_ms: gap-filled, never sent late
    foreign_order = 110,   // the venue holds an order this journal never sent
    // A request's outcome other than an answer (a broker's REST API; venue_status
    // request_outcome records, and rejects of orders never sent):
    venue_rate_limited = 111,  // answered 429, or held past max_order_age_ms by the rate limit
    venue_timeout = 112,       // no answer within the request's deadline
    venue_auth_failed = 113,   // the broker refused the keys (401, or 403 unauthorized)
    venue_http_error = 114,    // answered 5xx, or the connection failed
    // cancels and expiries (150-199)
    canceled_on_request = 150,
    expired_day = 151,
    ioc_remainder = 152,
    oco_sibling_filled = 153,
    kill_switch_cancel = 154,
    parent_not_filled = 155,
    flatten_before_close = 156,
    bracket_exit_refused = 157,  // an entry canceled because risk refused one of its exits
    // strategy decisions (200-249)
    already_long = 200,
    already_short = 201,
    already_flat = 202,
    no_size = 203,
    no_strategy = 204,  // an alert for a symbol no strategy trades: nothing was decided
    // engine (250-)
    illegal_transition = 250,
    unsent_at_restart = 251,  // derived before a crash, never sent: dropped, never sent late
    // Engine alerts about money: figures the account cannot hold (Account::kMaxMarkValue).
    fill_out_of_range = 252,  // a fill the account could not book (journaled, not applied)
    mark_out_of_range = 253,  // a price that would take a position's value out of range
};
// Kept so older call sites read naturally: risk reasons are Reasons.
using RiskReason = Reason;

[[nodiscard]] std::string_view to_string(Side s) noexcept;
[[nodiscard]] std::string_view to_string(OrderType t) noexcept;
[[nodiscard]] std::string_view to_string(TimeInForce t) noexcept;
[[nodiscard]] std::string_view to_string(OrderAction a) noexcept;
[[nodiscard]] std::string_view to_string(OrderStatus s) noexcept;
[[nodiscard]] std::string_view to_string(OrderRole r) noexcept;
[[nodiscard]] std::string_view to_string(Reason r) noexcept;

struct EventHeader {
    std::uint64_t seq;   // assigned by ingest; derived events carry their cause's seq
    std::int64_t ts_ns;  // engine time (event time), ns since the Unix epoch
    SymbolId symbol;     // kNoSymbol when not about one instrument
    EventType type;
    Source source;
    // Per-type small field: bar and timer: interval in minutes; order events, signals and
    // venue replies: the strategy index that owns the order.
    std::uint16_t aux;
};
static_assert(sizeof(EventHeader) == 24);

// A trade's or quote's size the data does not give (a file without the size column, an empty
// cell): unknown, not zero. A size of 0 means none (no liquidity on that side); the marker means
// the source did not say, so the simulated venue fills at the touch in full and a participation
// cap cannot apply (adapters/sim_venue/sim_venue.hpp). No real size is negative, so the marker
// cannot be mistaken for one, and data with sizes never carries it: its records are unchanged.
inline constexpr Quantity kSizeUnknown = Quantity::from_raw(-1);
[[nodiscard]] constexpr bool size_unknown(Quantity q) noexcept {
    return q.raw == kSizeUnknown.raw;
}

struct TradePayload {
    Price price;
    Quantity size;
    Side aggressor;
};
struct QuotePayload {
    Price bid;
    Quantity bid_size;
    Price ask;
    Quantity ask_size;
};
struct BarPayload {
    Price open;
    Price high;
    Price low;
    Price close;
    Quantity volume;
};
struct SessionStartPayload {
    std::uint64_t config_hash;  // FNV-1a of the effective config text
    std::uint64_t seed;
    std::uint32_t symbol_capacity;
    // The first part of every id a venue is sent in this journal (venue_id.hpp): drawn once
    // per journal for a live session, derived from the config hash and seed for a backtest.
    std::uint64_t venue_id_prefix;
};
// session_resume: the session was continued after a crash that came between orders being
// derived and the gateway journaling them as sent. Those orders are not sent late: the gateway
// held them from its gateway_records-th journaled record on (counted from the session start),
// and refuses them (Reason::unsent_at_restart) when it sees this input. A replay holds and
// refuses the same ones.
struct SessionResumePayload {
    std::uint64_t gateway_records;
    std::uint32_t unsent;  // how many the gateway held
};
struct SymbolDefPayload {
    char name[kSymbolNameMax + 1];  // NUL-terminated
    Price tick_size;
};
enum class AlertAction : std::uint8_t {
    none = 0,
    buy = 1,
    sell = 2,
    close = 3,
    close_long = 4,
    close_short = 5,
    // Targets: the position the alert's strategy now holds (TradingView's
    // {{strategy.market_position}}: long / short / flat), not a trade to make.
    target_long = 6,
    target_short = 7,
    target_flat = 8
};
[[nodiscard]] std::string_view to_string(AlertAction a) noexcept;
struct AlertPayload {
    std::uint64_t alert_key;  // the alert's id, or a hash of its body: the idempotency key
    Quantity quantity;        // 0 = not given
    Money notional;           // 0 = not given
    Price price;              // 0 = not given
    AlertAction action;
    std::uint8_t flags;               // verdict bits (issue 6: authenticated, duplicate, ...)
    std::uint16_t timeframe_minutes;  // 0 = not given
    // Wall-clock second the receiver accepted it (Unix time; 0 = not from a receiver). Engine
    // time may follow the data (live.time "data"), so the idempotency window, which survives
    // a restart, is kept in receipt time.
    std::uint32_t received_s;
};
// Alert verdict bits (AlertPayload.flags, AuditPayload.flags): what the webhook receiver
// established about an alert before it was journaled.
inline constexpr std::uint8_t kAlertAuthenticated = 1;  // the shared secret matched
inline constexpr std::uint8_t kAlertSigned = 2;         // a valid, fresh HMAC-SHA256 signature
inline constexpr std::uint8_t kAlertDuplicate = 4;      // its key was seen within the window
inline constexpr std::uint8_t kAlertRateLimited = 8;    // refused by a rate limit
inline constexpr std::uint8_t kAlertAllowlisted = 16;   // the sender's address is allowlisted

// Operator commands. Limit changes are staged one value at a time (limit_stage, param = the
// RiskLimit id, arg = the raw value) and applied together by limit_commit, so no order is
// checked against half of a change.
enum class CommandCode : std::uint16_t {
    none = 0,
    kill = 1,    // block new orders, cancel every open order; arg 1 = also flatten
    unkill = 2,  // lift the kill switch
    pause = 3,   // block new orders (open orders stay)
    resume = 4,  // lift pause and any circuit-breaker halt
    limit_stage = 5,
    limit_commit = 6,
    limit_discard = 7,
    // The operator has looked at the broker's positions that differ from the journal's
    // (venue_status position_mismatch) and lets the account trade again.
    ack_positions = 8,
};
[[nodiscard]] std::string_view to_string(CommandCode c) noexcept;
// account: which account the command is for: 0 = every account, k = account k-1 (config
// `accounts`); a session with one account only ever sees 0.
struct CommandPayload {
    std::int64_t arg;
    CommandCode code;
    std::uint16_t param;
    std::uint8_t account;
};
enum class TimerKind : std::uint8_t {
    none = 0,
    bar_close = 1,  // header.aux = interval in minutes; ts = the bar's close time
    session_open = 2,
    session_close = 3,
    before_close = 4,  // the configured lead time before session_close (flatten point)
};
[[nodiscard]] std::string_view to_string(TimerKind k) noexcept;
struct TimerPayload {
    std::int64_t period_start_ns;  // bar_close: the bar's open time; session events: the day
    std::uint32_t timer_id;
    TimerKind kind;
};
// feed_status: header.symbol is the symbol (kNoSymbol: the feed connection as a whole).
enum class FeedState : std::uint8_t { fresh = 0, stale = 1, disconnected = 2, connected = 3 };
[[nodiscard]] std::string_view to_string(FeedState s) noexcept;
struct FeedStatusPayload {
    std::int64_t last_data_ts_ns;  // event time of the symbol's last message, 0 = none yet
    std::uint32_t stale_after_ms;  // the threshold that was crossed
    FeedState state;
};
// venue_status: a venue adapter's connection changed (a session on its own thread: FIX, a
// broker's API), or its reconciliation settled one order. Journaled so risk refuses new orders
// while it is not ready, and a replay does the same; the per-order records say what became of
// each order the adapter was in doubt about (audit: no stage acts on them).
enum class VenueState : std::uint8_t {
    disconnected = 0,  // no session: new orders are refused
    reconciling = 1,   // logged on, asking the venue about the orders in doubt: still refused
    ready = 2,         // every order the journal holds open is resolved: orders go out
    refused = 3,       // the venue holds orders this journal never sent (reason foreign_order,
                       // in_doubt their count): no order goes out until an operator acts
    // One order (order_id), not a change of the connection:
    order_reconciled = 4,   // the venue answered about it; order_status: its state after
                            // (reason venue_unknown_order: the venue did not know it, closed)
    resend_gap_filled = 5,  // a resend of its request older than max_resend_age_ms was
                            // gap-filled, never delivered (reason stale_resend); asked about
    foreign_order = 6,      // an order at the venue this journal never sent (refused)
    // A request to a broker's REST API that got no plain answer (reason venue_timeout,
    // venue_rate_limited, venue_http_error; order_id the order it was about, 0 for none): the
    // tail names the method, path, HTTP status and time taken (never a header).
    request_outcome = 7,
    // The broker holds a position in header.symbol other than the journal's (the tail names
    // both): risk refuses new orders of the account (Reason::position_mismatch) until an
    // operator acknowledges them (CommandCode::ack_positions).
    position_mismatch = 8,
};
[[nodiscard]] std::string_view to_string(VenueState s) noexcept;
// The connection states (risk follows them); the others are records about one order.
[[nodiscard]] constexpr bool is_connection_state(VenueState s) noexcept {
    return s == VenueState::disconnected || s == VenueState::reconciling ||
           s == VenueState::ready || s == VenueState::refused;
}
struct VenueStatusPayload {
    std::uint32_t in_doubt;    // orders being asked about (reconciling), or left open (ready)
    std::uint32_t resolved;    // orders the reconciliation resolved (ready)
    std::uint32_t reconnects;  // logons since the session started
    VenueState state;
    std::uint8_t account;      // the account whose venue it is (0 with one account)
    Reason reason;             // why (none, venue_disconnected, venue_unknown_order, ...)
    OrderStatus order_status;  // per-order records: the order's state after (0 otherwise)
    std::uint64_t order_id;    // per-order records: the order (0 otherwise)
};
// venue_account: a broker's account figures as it reported them (header.ts_ns when polled).
struct VenueAccountPayload {
    Money cash;
    Money buying_power;
    Money equity;
    std::uint8_t account;  // the account whose broker it is (0 with one account)
};
// audit: one per control API call and per webhook request that was refused or was a duplicate
// (an accepted alert is journaled as the alert itself). No token or secret is ever in it.
struct AuditPayload {
    std::uint64_t request_key;  // the alert's idempotency key; 0 when none
    std::uint32_t remote_ipv4;  // host byte order; 0 when not IPv4
    std::uint16_t status;       // HTTP status answered
    ApiCode code;
    ApiEndpoint endpoint;
    HttpMethod method;
    std::uint8_t flags;  // alert verdict bits
};

// tick_refused: a market-data message the feed adapter's sanity band refused (price_band.hpp),
// journaled instead of the tick, which no stage sees. header.symbol is the tick's symbol.
enum class TickRefusal : std::uint8_t {
    below_min = 1,  // under the symbol's min_price (or not positive)
    above_max = 2,  // over the symbol's max_price
    jump = 3,       // further than max_jump_pct from the last accepted price
};
[[nodiscard]] std::string_view to_string(TickRefusal r) noexcept;
struct TickRefusedPayload {
    Price price;    // the refused price (a bar's close, a quote's mid)
    Price low;      // the band at that moment: the lowest and highest price it accepted
    Price high;
    Price anchor;   // the last accepted price the jump is measured from (0: none yet)
    EventType refused_type;  // trade, quote or bar
    TickRefusal reason;
};

// input_refused: an external input (market data, an alert) with a field outside the range
// keel accepts (core/input_check.hpp), journaled by ingest in its place; no stage acts on it.
enum class InputField : std::uint8_t {
    none = 0,
    price = 1,
    size = 2,
    bid = 3,
    bid_size = 4,
    ask = 5,
    ask_size = 6,
    open = 7,
    high = 8,
    low = 9,
    close = 10,
    volume = 11,
    quantity = 12,
    notional = 13,
};
[[nodiscard]] std::string_view to_string(InputField f) noexcept;
struct InputRefusedPayload {
    std::int64_t value;  // the field's raw value (fixed point, 9 decimals)
    EventType refused_type;
    InputField field;
};

// Venue replies and order events all start with the client order id. The owning strategy's
// index is header.aux. For cancel and replace requests order_id names the order acted on.
struct OrderPayload {
    std::uint64_t order_id;
    Price price;       // limit price (limit, stop_limit); 0 otherwise
    Price stop_price;  // trigger (stop, stop_limit) or trail distance (trailing_stop)
    Quantity quantity;
    Side side;
    OrderType order_type;
    TimeInForce tif;
    OrderAction action;
    OrderStatus status;
    OrderRole role;
    Reason reason;  // risk_reject, order_denied, venue_reject, venue_cancel, order_state
};
inline constexpr std::uint8_t kFillFinal = 1;  // FillPayload.flags: the order is now complete
struct FillPayload {
    std::uint64_t order_id;
    Price price;
    Quantity quantity;
    Money fee;
    Side side;
    std::uint8_t flags;
};
struct SignalPayload {
    std::int64_t value;  // strategy-defined, fixed-point
    std::uint16_t strategy;
    std::int8_t direction;  // +1 long, -1 short, 0 flat / none
    AlertAction action;     // for signals about alerts: what the alert asked
    Reason reason;          // why nothing was ordered (already_long, ...), none if ordered
};
// risk_state: what changed in risk's mode. flags: kRiskKilled | kRiskPaused | kRiskHalted.
inline constexpr std::uint8_t kRiskKilled = 1;
inline constexpr std::uint8_t kRiskPaused = 2;
inline constexpr std::uint8_t kRiskHalted = 4;
struct RiskStatePayload {
    std::int64_t value;     // limit committed: how many limits changed; halt: the measured value
    std::uint8_t flags;     // the mode after the change
    Reason reason;          // kill_switch, daily_loss_halt, drawdown_halt, paused, none
    std::uint16_t command;  // CommandCode that caused it, 0 for a circuit breaker
    std::uint8_t account;   // the account whose risk state changed (0 with one account)
};
// state_hash: a stage's state (account and order book; risk adds its mode) hashed after its
// inputs-th input event, so a replay that diverges names the last point where state matched.
struct StateHashPayload {
    std::uint64_t hash;
    std::uint64_t inputs;
    std::uint8_t account;  // the account whose stage state it is (0 with one account)
};
// day_closed: what a trading day came to, by the account's risk stage when the next day starts
// (its first session open, or the first event past risk.day_boundary). header.ts_ns is the
// event that started the next day; the first day a session meets is closed like the others
// only once a day had started before it.
struct DayClosedPayload {
    std::int64_t day_start_ns;  // when the closed day started
    Money day_pnl;              // equity at the close less equity at the day's start
    Money equity;               // at the close: cash and every position at its last price
    std::uint32_t fills;        // fills booked during the day
    std::uint16_t open_positions;  // symbols not flat at the close
    std::uint8_t account;          // the account whose day it was (0 with one account)
};
// How often each stage journals its state hash (in input events it has seen).
inline constexpr std::uint64_t kStateHashEvery = 4096;

// engine_alert: an order event that broke the rules (an illegal transition): the order, the
// state it was in, and the status the event asked for; or a fill or price the account could
// not hold (fill_out_of_range, mark_out_of_range), with its price and quantity (the position's,
// for a mark). Journals written before price and quantity existed read them as 0.
struct EngineAlertPayload {
    std::uint64_t order_id;
    std::uint64_t cause_seq;
    EventType cause_type;
    OrderStatus from;
    OrderStatus to;
    std::uint8_t account;  // the account the alert is about (0 with one account)
    Reason reason;
    Price price;
    Quantity quantity;
};

// bytes comes first so that value-initialising an Event ("Event e{}") zeroes all 40 payload
// bytes, not just the first member's.
union EventPayload {
    unsigned char bytes[40];
    TradePayload trade;
    QuotePayload quote;
    BarPayload bar;
    SessionStartPayload session;
    SessionResumePayload resume;
    SymbolDefPayload symbol_def;
    AlertPayload alert;
    CommandPayload command;
    TimerPayload timer;
    OrderPayload order;
    FillPayload fill;
    SignalPayload signal;
    RiskStatePayload risk_state;
    EngineAlertPayload engine_alert;
    StateHashPayload state_hash;
    DayClosedPayload day_closed;
    FeedStatusPayload feed_status;
    VenueStatusPayload venue_status;
    VenueAccountPayload venue_account;
    AuditPayload audit;
    TickRefusedPayload tick_refused;
    InputRefusedPayload input_refused;
    std::uint64_t control_token;  // flush marker number
};
static_assert(sizeof(EventPayload) == 40);
// The account fields took padding: every field before them keeps its offset, so journals
// written before them read account 0.
static_assert(offsetof(EngineAlertPayload, account) == 19 &&
              offsetof(EngineAlertPayload, reason) == 20 &&
              offsetof(EngineAlertPayload, price) == 24);
static_assert(offsetof(CommandPayload, account) == 12);
static_assert(offsetof(RiskStatePayload, account) == 14);
static_assert(offsetof(StateHashPayload, account) == 16);

struct alignas(64) Event {
    EventHeader header;
    EventPayload payload;
};

static_assert(sizeof(Event) == 64, "an Event is one cache line");
static_assert(alignof(Event) == 64);
static_assert(std::is_trivially_copyable_v<Event>);
static_assert(std::is_standard_layout_v<Event>);

// A zero-filled event of the given type: zeroing makes padding bytes deterministic, which the
// journal's byte-identical guarantee relies on.
// Zeroes e and sets its header, in place (no temporary to copy in: a 64-byte copy of one just
// written stalls on store forwarding).
inline void reset_event(Event& e, EventType type, Source source, std::uint64_t seq,
                        std::int64_t ts_ns, SymbolId symbol) noexcept {
    std::memset(&e, 0, sizeof e);
    e.header.seq = seq;
    e.header.ts_ns = ts_ns;
    e.header.symbol = symbol;
    e.header.type = type;
    e.header.source = source;
}

[[nodiscard]] inline Event make_event(EventType type, Source source, std::uint64_t seq,
                                      std::int64_t ts_ns, SymbolId symbol) noexcept {
    Event e;
    reset_event(e, type, source, seq, ts_ns, symbol);
    return e;
}

[[nodiscard]] inline std::int64_t signed_qty(Side side, Quantity q) noexcept {
    return side == Side::sell ? -q.raw : q.raw;
}

}  // namespace keel::engine
