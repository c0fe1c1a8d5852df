#include "keel/engine/event.hpp"

namespace keel::engine {

std::string_view to_string(EventType t) noexcept {
    switch (t) {
        case EventType::none:
            return "none";
        case EventType::session_start:
            return "session_start";
        case EventType::symbol_def:
            return "symbol_def";
        case EventType::trade:
            return "trade";
        case EventType::quote:
            return "quote";
        case EventType::bar:
            return "bar";
        case EventType::alert:
            return "alert";
        case EventType::command:
            return "command";
        case EventType::timer:
            return "timer";
        case EventType::venue_ack:
            return "venue_ack";
        case EventType::venue_fill:
            return "venue_fill";
        case EventType::venue_reject:
            return "venue_reject";
        case EventType::venue_cancel:
            return "venue_cancel";
        case EventType::order_denied:
            return "order_denied";
        case EventType::signal:
            return "signal";
        case EventType::order_request:
            return "order_request";
        case EventType::risk_reject:
            return "risk_reject";
        case EventType::order_sent:
            return "order_sent";
        case EventType::order_state:
            return "order_state";
        case EventType::flush:
            return "flush";
        case EventType::shutdown:
            return "shutdown";
    }
    return "unknown";
}

std::string_view to_string(Source s) noexcept {
    switch (s) {
        case Source::engine:
            return "engine";
        case Source::feed:
            return "feed";
        case Source::webhook:
            return "webhook";
        case Source::control:
            return "control";
        case Source::venue:
            return "venue";
        case Source::strategy:
            return "strategy";
        case Source::risk:
            return "risk";
        case Source::gateway:
            return "gateway";
    }
    return "unknown";
}

std::string_view to_string(Side s) noexcept {
    switch (s) {
        case Side::none:
            return "none";
        case Side::buy:
            return "buy";
        case Side::sell:
            return "sell";
    }
    return "unknown";
}

std::string_view to_string(OrderType t) noexcept {
    switch (t) {
        case OrderType::market:
            return "market";
        case OrderType::limit:
            return "limit";
    }
    return "unknown";
}

std::string_view to_string(OrderStatus s) noexcept {
    switch (s) {
        case OrderStatus::sent:
            return "sent";
        case OrderStatus::acked:
            return "acked";
        case OrderStatus::filled:
            return "filled";
        case OrderStatus::rejected:
            return "rejected";
        case OrderStatus::cancelled:
            return "cancelled";
        case OrderStatus::denied:
            return "denied";
        case OrderStatus::approved:
            return "approved";
    }
    return "unknown";
}

std::string_view to_string(RiskReason r) noexcept {
    switch (r) {
        case RiskReason::none:
            return "none";
        case RiskReason::max_order_qty:
            return "max_order_qty";
        case RiskReason::non_positive_qty:
            return "non_positive_qty";
    }
    return "unknown";
}

}  // namespace keel::engine
