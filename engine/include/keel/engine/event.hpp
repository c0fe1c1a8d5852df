// The Event: one 64-byte, trivially copyable record that every stage, ring and (later) the
// journal carries. A 24-byte header plus a 40-byte payload union; no pointers, no strings
// beyond fixed arrays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "keel/engine/fixed_point.hpp"
#include "keel/engine/symbol_id.hpp"

namespace keel::engine {

// Input types are sequenced by ingest (they are the source of truth); derived types are what
// stages compute from them. The numeric values are part of the journal format: append only.
enum class EventType : std::uint8_t {
    none = 0,
    // --- inputs ---
    session_start = 1,  // effective config hash and seed
    symbol_def = 2,     // symbol id -> name, journaled before first use
    trade = 3,
    quote = 4,    // best bid and offer
    bar = 5,      // OHLCV; header.aux = bar interval in minutes
    alert = 6,    // external signal (e.g. a TradingView alert)
    command = 7,  // operator command
    timer = 8,
    venue_ack = 9,
    venue_fill = 10,
    venue_reject = 11,
    venue_cancel = 12,
    order_denied = 13,  // a risk reject echoed back to ingest so strategies learn of it in order
    // --- derived ---
    signal = 32,
    order_request = 33,  // new / cancel / replace
    risk_reject = 34,
    order_sent = 35,
    order_state = 36,
    // --- runner control: travel the rings, never journaled, never seen by trading logic ---
    flush = 64,
    shutdown = 65,
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
};
[[nodiscard]] std::string_view to_string(Source s) noexcept;

enum class Side : std::uint8_t { none = 0, buy = 1, sell = 2 };
enum class OrderType : std::uint8_t { market = 1, limit = 2 };
enum class TimeInForce : std::uint8_t { day = 1, gtc = 2, ioc = 3 };
enum class OrderAction : std::uint8_t { new_order = 1, cancel = 2, replace = 3 };
enum class OrderStatus : std::uint8_t {
    sent = 1,
    acked = 2,
    filled = 3,
    rejected = 4,
    cancelled = 5,
    denied = 6,
    approved = 7
};
enum class RiskReason : std::uint16_t { none = 0, max_order_qty = 1, non_positive_qty = 2 };

[[nodiscard]] std::string_view to_string(Side s) noexcept;
[[nodiscard]] std::string_view to_string(OrderType t) noexcept;
[[nodiscard]] std::string_view to_string(OrderStatus s) noexcept;
[[nodiscard]] std::string_view to_string(RiskReason r) noexcept;

struct EventHeader {
    std::uint64_t seq;   // assigned by ingest; derived events carry their cause's seq
    std::int64_t ts_ns;  // engine time (event time), ns since the Unix epoch
    SymbolId symbol;     // kNoSymbol when not about one instrument
    EventType type;
    Source source;
    std::uint16_t aux;  // per-type small field (bar: interval in minutes)
};
static_assert(sizeof(EventHeader) == 24);

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
};
struct SymbolDefPayload {
    char name[kSymbolNameMax + 1];  // NUL-terminated
    Price tick_size;
};
struct AlertPayload {
    std::uint64_t alert_key;
    Quantity quantity;
    Price price;
    std::uint8_t action;
};
struct CommandPayload {
    std::int64_t arg;
    std::uint16_t code;
};
struct TimerPayload {
    std::uint32_t timer_id;
};
// Venue replies and order events all start with the client order id.
struct OrderPayload {
    std::uint64_t order_id;
    Price price;
    Quantity quantity;
    std::uint16_t strategy;
    Side side;
    OrderType order_type;
    TimeInForce tif;
    OrderAction action;
    OrderStatus status;
    RiskReason reason;  // risk_reject / order_denied / venue_reject
};
struct FillPayload {
    std::uint64_t order_id;
    Price price;
    Quantity quantity;
    Money fee;
    Side side;
};
struct SignalPayload {
    std::int64_t value;  // strategy-defined, fixed-point
    std::uint16_t strategy;
    std::int8_t direction;
};

// bytes comes first so that value-initialising an Event ("Event e{}") zeroes all 40 payload
// bytes, not just the first member's.
union EventPayload {
    unsigned char bytes[40];
    TradePayload trade;
    QuotePayload quote;
    BarPayload bar;
    SessionStartPayload session;
    SymbolDefPayload symbol_def;
    AlertPayload alert;
    CommandPayload command;
    TimerPayload timer;
    OrderPayload order;
    FillPayload fill;
    SignalPayload signal;
    std::uint64_t control_token;  // flush marker number
};
static_assert(sizeof(EventPayload) == 40);

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
[[nodiscard]] inline Event make_event(EventType type, Source source, std::uint64_t seq,
                                      std::int64_t ts_ns, SymbolId symbol) noexcept {
    Event e;
    std::memset(&e, 0, sizeof e);
    e.header.seq = seq;
    e.header.ts_ns = ts_ns;
    e.header.symbol = symbol;
    e.header.type = type;
    e.header.source = source;
    return e;
}

[[nodiscard]] inline std::int64_t signed_qty(Side side, Quantity q) noexcept {
    return side == Side::sell ? -q.raw : q.raw;
}

}  // namespace keel::engine
