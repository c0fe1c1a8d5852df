#include "keel/engine/core/audit.hpp"

namespace keel::engine {

std::string_view to_string(ApiEndpoint e) noexcept {
    switch (e) {
        case ApiEndpoint::unknown:
            return "unknown";
        case ApiEndpoint::webhook:
            return "webhook";
        case ApiEndpoint::health_live:
            return "health_live";
        case ApiEndpoint::health_ready:
            return "health_ready";
        case ApiEndpoint::metrics:
            return "metrics";
        case ApiEndpoint::status:
            return "status";
        case ApiEndpoint::positions:
            return "positions";
        case ApiEndpoint::orders:
            return "orders";
        case ApiEndpoint::account:
            return "account";
        case ApiEndpoint::pause:
            return "pause";
        case ApiEndpoint::resume:
            return "resume";
        case ApiEndpoint::kill:
            return "kill";
        case ApiEndpoint::risk:
            return "risk";
        case ApiEndpoint::unkill:
            return "unkill";
        case ApiEndpoint::notify:
            return "notify";
        case ApiEndpoint::ack_positions:
            return "ack_positions";
    }
    return "unknown";
}

std::string_view to_string(ApiCode c) noexcept {
    switch (c) {
        case ApiCode::ok:
            return "ok";
        case ApiCode::body_too_large:
            return "body_too_large";
        case ApiCode::malformed_json:
            return "malformed_json";
        case ApiCode::bad_field:
            return "bad_field";
        case ApiCode::bad_secret:
            return "bad_secret";
        case ApiCode::bad_signature:
            return "bad_signature";
        case ApiCode::stale_signature:
            return "stale_signature";
        case ApiCode::rate_limited:
            return "rate_limited";
        case ApiCode::ip_not_allowed:
            return "ip_not_allowed";
        case ApiCode::unknown_symbol:
            return "unknown_symbol";
        case ApiCode::not_journaled:
            return "not_journaled";
        case ApiCode::unauthorized:
            return "unauthorized";
        case ApiCode::not_found:
            return "not_found";
        case ApiCode::method_not_allowed:
            return "method_not_allowed";
        case ApiCode::busy:
            return "busy";
        case ApiCode::duplicate:
            return "duplicate";
        case ApiCode::timeout:
            return "timeout";
        case ApiCode::not_ready:
            return "not_ready";
        case ApiCode::unknown_field:
            return "unknown_field";
        case ApiCode::unsupported_media_type:
            return "unsupported_media_type";
        case ApiCode::notify_failed:
            return "notify_failed";
    }
    return "unknown";
}

}  // namespace keel::engine
