#include "keel/engine/gateway_stage.hpp"

namespace keel::engine {

bool GatewayStage::journaled_emit(const Event& e, Emit& out) noexcept {
    if (log_ != nullptr && !log_->append(e))
        return false;
    out.emit(e);
    return true;
}

void GatewayStage::emit_state(const Event& cause, OrderStatus status, Emit& out) noexcept {
    Event e = make_event(EventType::order_state, Source::gateway, cause.header.seq,
                         cause.header.ts_ns, cause.header.symbol);
    e.payload.order.order_id = cause.payload.order.order_id;
    e.payload.order.side = cause.payload.order.side;
    e.payload.order.quantity = cause.payload.order.quantity;
    e.payload.order.price = cause.payload.order.price;
    e.payload.order.status = status;
    journaled_emit(e, out);
}

void GatewayStage::on_event(const Event& event, Emit& out) noexcept {
    switch (event.header.type) {
        case EventType::order_request: {
            // Write-ahead: order_sent is emitted (and, with the journal, appended) before the
            // venue sees the order.
            Event sent = event;
            sent.header.type = EventType::order_sent;
            sent.header.source = Source::gateway;
            sent.payload.order.status = OrderStatus::sent;
            if (!journaled_emit(sent, out))
                return;  // not journaled: never sent
            ++orders_sent_;
            venue_.submit(sent);
            return;
        }
        case EventType::risk_reject: {
            out.emit(event);
            ++risk_rejects_;
            Event denied = event;
            denied.header.type = EventType::order_denied;
            denied.header.source = Source::risk;
            denied.header.seq = 0;  // ingest assigns it
            replies_.post(denied);
            return;
        }
        case EventType::venue_fill: {
            out.emit(event);
            ++fills_;
            const FillPayload& f = event.payload.fill;
            portfolio_.apply_fill(event.header.symbol, f.side, f.price, f.quantity, f.fee);
            Event state = make_event(EventType::order_state, Source::gateway, event.header.seq,
                                     event.header.ts_ns, event.header.symbol);
            state.payload.order.order_id = f.order_id;
            state.payload.order.side = f.side;
            state.payload.order.price = f.price;
            state.payload.order.quantity = f.quantity;
            state.payload.order.status = OrderStatus::filled;
            journaled_emit(state, out);
            return;
        }
        case EventType::venue_ack:
            out.emit(event);
            emit_state(event, OrderStatus::accepted, out);
            return;
        case EventType::venue_reject:
            out.emit(event);
            ++venue_rejects_;
            emit_state(event, OrderStatus::rejected, out);
            return;
        case EventType::trade:
            out.emit(event);
            portfolio_.mark(event.header.symbol, event.payload.trade.price);
            venue_.on_market_data(event);
            return;
        case EventType::bar:
            out.emit(event);
            portfolio_.mark(event.header.symbol, event.payload.bar.close);
            venue_.on_market_data(event);
            return;
        case EventType::quote:
            out.emit(event);
            venue_.on_market_data(event);
            return;
        default:
            out.emit(event);
            return;
    }
}

}  // namespace keel::engine
