#include "keel/adapters/sim_venue.hpp"

namespace keel::adapters {

using engine::Event;
using engine::EventType;

void SimVenue::reject(const Event& order, VenueRejectReason reason) noexcept {
    Event r = order;
    r.header.type = EventType::venue_reject;
    r.header.source = engine::Source::venue;
    r.header.seq = 0;
    r.payload.order.status = engine::OrderStatus::rejected;
    r.payload.order.reason = static_cast<engine::RiskReason>(reason);
    replies_.post(r);
}

void SimVenue::submit(const Event& order) noexcept {
    if (order.payload.order.order_type != engine::OrderType::market) {
        reject(order, VenueRejectReason::unsupported_order_type);
        return;
    }
    if (pending_.size() == pending_.capacity()) {
        reject(order, VenueRejectReason::venue_full);
        return;
    }
    Event ack = order;
    ack.header.type = EventType::venue_ack;
    ack.header.source = engine::Source::venue;
    ack.header.seq = 0;
    ack.payload.order.status = engine::OrderStatus::accepted;
    replies_.post(ack);
    pending_.push_back(order);
}

void SimVenue::on_market_data(const Event& md) noexcept {
    if (pending_.empty())
        return;
    std::size_t keep = 0;
    for (std::size_t i = 0; i < pending_.size(); ++i) {
        const Event& o = pending_[i];
        if (o.header.symbol != md.header.symbol) {
            pending_[keep++] = o;
            continue;
        }
        const engine::Side side = o.payload.order.side;
        engine::Price px{};
        switch (md.header.type) {
            case EventType::trade:
                px = md.payload.trade.price;
                break;
            case EventType::bar:
                px = md.payload.bar.open;
                break;
            case EventType::quote:
                px = side == engine::Side::buy ? md.payload.quote.ask : md.payload.quote.bid;
                break;
            default:
                pending_[keep++] = o;
                continue;
        }
        Event fill = engine::make_event(EventType::venue_fill, engine::Source::venue, 0,
                                        md.header.ts_ns, o.header.symbol);
        fill.payload.fill.order_id = o.payload.order.order_id;
        fill.payload.fill.price = px;
        fill.payload.fill.quantity = o.payload.order.quantity;
        fill.payload.fill.side = side;
        replies_.post(fill);
    }
    pending_.resize(keep);
}

}  // namespace keel::adapters
