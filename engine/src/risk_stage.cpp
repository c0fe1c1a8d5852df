#include "keel/engine/risk_stage.hpp"

namespace keel::engine {

RiskReason RiskStage::check(const OrderPayload& order) const noexcept {
    if (order.quantity.raw <= 0)
        return RiskReason::non_positive_qty;
    if (order.quantity > limits_.max_order_qty)
        return RiskReason::max_order_qty;
    return RiskReason::none;
}

void RiskStage::on_event(const Event& event, Emit& out) noexcept {
    if (event.header.type != EventType::order_request) {
        out.emit(event);
        return;
    }
    const RiskReason reason = check(event.payload.order);
    if (reason == RiskReason::none) {
        ++approvals_;
        out.emit(event);
        return;
    }
    ++rejects_;
    Event reject = event;
    reject.header.type = EventType::risk_reject;
    reject.header.source = Source::risk;
    reject.payload.order.reason = reason;
    reject.payload.order.status = OrderStatus::denied;
    out.emit(reject);
}

}  // namespace keel::engine
