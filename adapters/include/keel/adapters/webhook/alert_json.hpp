// parse_alert_json: a TradingView alert body (the JSON an alert template produces) into its
// fields, with simdjson On-Demand. Numbers are read from their text (a JSON number's raw token
// or a decimal string) straight into fixed point, never through a double.
//
// Structural problems stop the parse (malformed_json, with the byte offset). A bad field is
// recorded (the first one, bad_field, naming the field and why) but the parse goes on, so the
// receiver can check the secret before telling an unauthenticated sender anything about the
// fields. Unknown fields are ignored.
#pragma once

#include <simdjson.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::adapters::webhook {

struct AlertFields {
    std::string ticker;
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
    engine::ApiCode code = engine::ApiCode::ok;  // ok, malformed_json or bad_field
    std::string message;                         // what and where; never contains the secret
};

// body must have capacity() >= size() + SIMDJSON_PADDING (simdjson reads past the end).
[[nodiscard]] AlertParseResult parse_alert_json(simdjson::ondemand::parser& parser,
                                                const std::string& body, AlertFields& out);

// TradingView's {{interval}}: "1", "5", "60", "240" (minutes), "D"/"1D", "W"/"2W", "M"/"1M"
// (a month counts 30 days). Seconds ("30S") cannot be expressed in minutes and are refused.
// Returns false with why set.
[[nodiscard]] bool parse_timeframe(std::string_view text, std::uint16_t& minutes, std::string& why);

[[nodiscard]] bool parse_alert_action(std::string_view text, engine::AlertAction& out) noexcept;

}  // namespace keel::adapters::webhook
