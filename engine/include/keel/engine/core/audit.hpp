// What the control API and the webhook journal about a request (the audit input's fields): the
// endpoint asked, the HTTP method, and the machine-readable code of the answer. Their numeric
// values are part of the journal format: append only.
#pragma once

#include <cstdint>
#include <string_view>

namespace keel::engine {

enum class ApiEndpoint : std::uint8_t {
    unknown = 0,
    webhook = 1,
    health_live = 2,
    health_ready = 3,
    metrics = 4,
    status = 5,
    positions = 6,
    orders = 7,
    account = 8,
    pause = 9,
    resume = 10,
    kill = 11,
    risk = 12,
    unkill = 13,
    // A notification the outbox posted to a chat service or webhook (adapters/notify/):
    // request_key = the sequence of the event notified (of a summary: the last event it
    // covers), flags = the target's index in `notify`, status = the HTTP status (0: no answer).
    notify = 14,
    // POST /api/venue/ack-positions: the operator acknowledges the broker's positions
    // (CommandCode::ack_positions).
    ack_positions = 15,
};
[[nodiscard]] std::string_view to_string(ApiEndpoint e) noexcept;
// Why a request was refused: the machine-readable code of the JSON error body.
enum class ApiCode : std::uint16_t {
    ok = 0,
    body_too_large = 1,
    malformed_json = 2,
    bad_field = 3,
    bad_secret = 4,
    bad_signature = 5,
    stale_signature = 6,
    rate_limited = 7,
    ip_not_allowed = 8,
    unknown_symbol = 9,
    not_journaled = 10,
    unauthorized = 11,
    not_found = 12,
    method_not_allowed = 13,
    busy = 14,
    duplicate = 15,
    timeout = 16,
    not_ready = 17,
    unknown_field = 18,           // a webhook body field keel does not accept (400)
    unsupported_media_type = 19,  // a webhook Content-Type other than JSON or text (415)
    notify_failed = 20,  // a notification not delivered: no answer, or a status not 2xx nor 429
};
[[nodiscard]] std::string_view to_string(ApiCode c) noexcept;
enum class HttpMethod : std::uint8_t { other = 0, get = 1, post = 2, put = 3, del = 4, head = 5 };

}  // namespace keel::engine
