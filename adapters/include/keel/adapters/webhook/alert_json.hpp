// parse_alert_json: a TradingView alert body (the JSON an alert template produces) into its
// fields, with simdjson On-Demand. Numbers are read from their text (a JSON number's raw token
// or a decimal string) straight into fixed point, never through a double.
//
// Structural problems stop the parse (malformed_json, with the byte offset), and so does a
// number that breaks JSON's grammar anywhere in the body (`00010`, `1.`, `+1`: simdjson
// On-Demand reads raw tokens leniently, so the grammar is checked here). A bad field is
// recorded (the first one: bad_field or unknown_field, naming the field and why) but the parse
// goes on, so the receiver can check the secret before telling an unauthenticated sender
// anything about the fields.
//
// Strict where it matters: a body may hold only the fields kAlertFields lists (keel's own and
// the common TradingView placeholders) and the config's webhook.extra_fields; any other field is
// unknown_field naming it. A field within two edits (case ignored) of one that sets the size,
// price, side or symbol (kProtectedAlertFields: `quantiy`, `Ticker`) is refused even when
// extra_fields names it, so a typo never falls back to a default size.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/core/event.hpp"

namespace keel::adapters::webhook {

// Every field an alert body may hold (webhook.extra_fields adds more). keel reads:
//   secret; ticker or symbol (one of them: "AAPL", or TradingView's "NASDAQ:AAPL"); action;
//   market_position; quantity; notional; price; timeframe or interval (one of them); strategy;
//   id; message; time; exchange (checked against the symbol's configured exchange);
//   the order fields alert_follower reads from the journaled body (engine/strategy/
//   alert_order.hpp): order_type, limit_price, stop_price, time_in_force, tif, take_profit,
//   take_profit_offset, take_profit_ticks, take_profit_percent, stop_loss, stop_loss_offset,
//   stop_loss_ticks, stop_loss_percent, trail. (No `account`: an alert trades its strategy's
//   account, so a body naming one is refused unknown_field rather than silently ignored.)
// Accepted and kept only in the journaled body (TradingView placeholders): open, high, low,
//   close, volume, timenow, comment, position_size, prev_market_position, contracts, order_id,
//   order_comment, alert_message.
inline constexpr std::string_view kAlertFields[] = {
    "secret", "ticker", "symbol", "action", "market_position", "quantity", "notional", "price",
    "timeframe", "interval", "strategy", "id", "message", "time", "exchange",
    // order fields (alert_order.hpp)
    "order_type", "limit_price", "stop_price", "time_in_force", "tif", "take_profit",
    "take_profit_offset", "take_profit_ticks", "take_profit_percent", "stop_loss",
    "stop_loss_offset", "stop_loss_ticks", "stop_loss_percent", "trail",
    // TradingView placeholders kept in the body only
    "open", "high", "low", "close", "volume", "timenow", "comment", "position_size",
    "prev_market_position", "contracts", "order_id", "order_comment", "alert_message"};

// The fields that set an order's size, price, side or symbol: a near miss of one of them is
// refused, never ignored.
inline constexpr std::string_view kProtectedAlertFields[] = {
    "ticker", "symbol", "exchange", "action", "market_position", "quantity", "notional",
    "price", "limit_price", "stop_price", "take_profit", "take_profit_offset",
    "take_profit_ticks", "take_profit_percent", "stop_loss", "stop_loss_offset",
    "stop_loss_ticks", "stop_loss_percent", "trail"};

// The protected field `name` is a near miss of (edit distance 1-2 with case ignored, or equal
// in another case), or nothing. A name kAlertFields lists is never a near miss.
[[nodiscard]] std::optional<std::string_view> near_miss_of(std::string_view name);

struct AlertFields {
    std::string ticker;             // as given, exchange prefix included ("NASDAQ:AAPL")
    std::string_view ticker_field;  // the field that gave it: "ticker" or "symbol"
    std::string exchange;           // the `exchange` field; empty = not given
    engine::AlertAction action = engine::AlertAction::none;
    engine::Quantity quantity{};  // 0 = not given
    engine::Money notional{};     // 0 = not given
    engine::Price price{};        // 0 = not given
    std::uint16_t timeframe_minutes = 0;
    std::int64_t time_ns = 0;  // TradingView's {{timenow}}; 0 = not given
    std::string strategy;
    std::string id;  // the idempotency id; empty = not given
    bool has_secret = false;
    std::string secret;
    // Where the secret's value (its JSON token, quotes included) sits in the body, so the body
    // can be hashed without it.
    std::size_t secret_offset = 0;
    std::size_t secret_length = 0;
};

struct AlertParseResult {
    engine::ApiCode code = engine::ApiCode::ok;  // ok, malformed_json, bad_field, unknown_field
    std::string message;                         // what and where; never contains the secret
};

// body must have capacity() >= size() + SIMDJSON_PADDING (simdjson reads past the end).
// extra_fields: webhook.extra_fields, names accepted beyond kAlertFields (kept in the body).
[[nodiscard]] AlertParseResult parse_alert_json(simdjson::ondemand::parser& parser,
                                                const std::string& body, AlertFields& out,
                                                std::span<const std::string> extra_fields = {});

// TradingView's {{interval}} and how people write it: "1", "15", "60", "240" (minutes),
// "15 Min", "15m", "1H", "4h", "D"/"1D", "W"/"2W", "M"/"1M" (a month counts 30 days); a space
// may separate the count from the unit; word units ("min", "hour", "day", "week") in any case.
// Seconds ("30S") cannot be expressed in minutes and are refused. Returns false with why set.
[[nodiscard]] bool parse_timeframe(std::string_view text, std::uint16_t& minutes, std::string& why);

// buy, sell, close, close_long, close_short, and the targets long, short, flat, in any case.
[[nodiscard]] bool parse_alert_action(std::string_view text, engine::AlertAction& out) noexcept;

// Whether text is a number by JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
[[nodiscard]] bool is_json_number(std::string_view text) noexcept;

// The fields of a journaled alert body (its record's tail) that trace it to the TradingView
// alert that sent it, for `keel journal dump` and export: each empty when absent or not text.
struct AlertTrace {
    std::string id;
    std::string strategy;
    std::string message;
    std::string time;
};
// Cold (tools): parses with its own parser; a tail that is not a JSON object gives all empty.
[[nodiscard]] AlertTrace read_alert_trace(std::string_view tail);

}  // namespace keel::adapters::webhook
