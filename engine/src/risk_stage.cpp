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
    Event decision = event;
    if (reason == RiskReason::none) {
        // The approved order goes on, marked approved by risk: that is its decision record.
        decision.payload.order.status = OrderStatus::approved;
        decision.header.source = Source::risk;
    } else {
        decision.header.type = EventType::risk_reject;
        decision.header.source = Source::risk;
        decision.payload.order.reason = reason;
        decision.payload.order.status = OrderStatus::denied;
    }
    // Fail closed: a decision that cannot be journaled is not acted on.
    if (log_ != nullptr && !log_->append(decision))
        return;
    if (reason == RiskReason::none) {
        ++approvals_;
    } else {
        ++rejects_;
    }
    out.emit(decision);
}

}  // namespace keel::engine
