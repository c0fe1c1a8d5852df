#include "keel/engine/orders/order_state.hpp"

namespace keel::engine {

// The table must describe every state, and restore cells may appear only in the pending rows.
static_assert(kOrderStates.size() == order_table::kTable.size());
static_assert(next_state(OrderStatus::accepted, OrderEventKind::reject_cancel) == std::nullopt);
static_assert(next_state(OrderStatus::pending_cancel, OrderEventKind::reject_cancel,
                         OrderStatus::partially_filled) == OrderStatus::partially_filled);
static_assert(next_state(OrderStatus::sent, OrderEventKind::ack_new) == std::nullopt);

std::string_view to_string(OrderEventKind k) noexcept {
    switch (k) {
        case OrderEventKind::request_new:
            return "request_new";
        case OrderEventKind::request_cancel:
            return "request_cancel";
        case OrderEventKind::request_replace:
            return "request_replace";
        case OrderEventKind::ack_new:
            return "ack_new";
        case OrderEventKind::ack_replace:
            return "ack_replace";
        case OrderEventKind::fill_partial:
            return "fill_partial";
        case OrderEventKind::fill_final:
            return "fill_final";
        case OrderEventKind::reject:
            return "reject";
        case OrderEventKind::reject_cancel:
            return "reject_cancel";
        case OrderEventKind::reject_replace:
            return "reject_replace";
        case OrderEventKind::cancel:
            return "cancel";
        case OrderEventKind::expire:
            return "expire";
    }
    return "unknown";
}

}  // namespace keel::engine
