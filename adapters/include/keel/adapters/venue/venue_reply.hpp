// The one shape of a venue's order replies (venue_ack, venue_reject, venue_cancel): every venue
// adapter posts them so (the gateway's OrderBook applies them; a restart compares a rebuilt
// simulator's byte for byte). `Order` is the adapter's view of the order: SimVenue's SimOrder,
// the FIX codec's KnownOrder; `owner` its owning strategy (header.aux).
#pragma once

#include <cstdint>

#include "keel/engine/core/event.hpp"

namespace keel::adapters {

template <class Order>
[[nodiscard]] engine::Event order_reply(engine::EventType type, const Order& o,
                                        std::uint16_t owner, std::int64_t ts_ns,
                                        engine::OrderStatus status, engine::Reason reason,
                                        engine::OrderAction action) noexcept {
    engine::Event e = engine::make_event(type, engine::Source::venue, 0, ts_ns, o.symbol);
    e.header.aux = owner;
    engine::OrderPayload& p = e.payload.order;
    p.order_id = o.order_id;
    p.price = o.price;
    p.stop_price = o.stop_price;
    p.quantity = o.quantity;
    p.side = o.side;
    p.order_type = o.type;
    p.tif = o.tif;
    p.action = action;
    p.status = status;
    p.role = o.role;
    p.reason = reason;
    return e;
}

}  // namespace keel::adapters
