#include "keel/adapters/venue/fill_math.hpp"

#include <cstdint>

#include "keel/adapters/venue/venue_reply.hpp"
#include "keel/assert.hpp"
#include "keel/engine/orders/order_id.hpp"

namespace keel::adapters {

using engine::Event;
using engine::EventType;
using engine::i128;
using engine::Money;
using engine::OrderAction;
using engine::OrderStatus;
using engine::Price;
using engine::Quantity;
using engine::Reason;
using engine::TimeInForce;

void Mapped::push(const Event& e) noexcept {
    KEEL_ASSERT(count < events.size(), "a venue message maps onto at most three venue replies");
    events[count++] = e;
}

std::optional<Price> catch_up_price(Quantity cum_qty, Price avg_px, Quantity filled,
                                    Money filled_notional) noexcept {
    if (cum_qty <= filled)
        return std::nullopt;
    // Everything in units of 1e-18 so that no step truncates: cum * avg is a notional times
    // kScale, filled_notional is scaled up to match; the quotient by the missing quantity (raw)
    // is then the price's raw value. |cum * avg| < 2^126 and the notional term < 2^94, so the
    // 128-bit difference cannot overflow.
    const i128 numerator = static_cast<i128>(cum_qty.raw) * avg_px.raw -
                           static_cast<i128>(filled_notional.raw) * engine::kScale;
    const i128 missing = static_cast<i128>(cum_qty.raw) - filled.raw;
    const i128 half = missing / 2;
    // Round to the nearest raw unit, halves away from zero.
    const i128 rounded =
        numerator >= 0 ? (numerator + half) / missing : (numerator - half) / missing;
    if (rounded > INT64_MAX || rounded < INT64_MIN)
        return std::nullopt;
    return Price::from_raw(static_cast<std::int64_t>(rounded));
}

Event fill_reply(const KnownOrder& k, std::int64_t ts_ns, Price price, Quantity qty, Money fee,
                 bool final) noexcept {
    Event e = engine::make_event(EventType::venue_fill, engine::Source::venue, 0, ts_ns, k.symbol);
    e.header.aux = k.owner;
    engine::FillPayload& f = e.payload.fill;
    f.order_id = k.order_id;
    f.price = price;
    f.quantity = qty;
    f.fee = fee;
    f.side = k.side;
    f.flags = final ? engine::kFillFinal : 0;
    return e;
}

Event expiry_reply(const KnownOrder& k, std::int64_t ts_ns) noexcept {
    switch (k.tif) {
        case TimeInForce::ioc:
            return order_reply(EventType::venue_cancel, k, k.owner, ts_ns, OrderStatus::canceled,
                               Reason::ioc_remainder, OrderAction::new_order);
        case TimeInForce::fok:
            return order_reply(EventType::venue_cancel, k, k.owner, ts_ns, OrderStatus::canceled,
                               Reason::fok_unfillable, OrderAction::new_order);
        default:
            return order_reply(EventType::venue_cancel, k, k.owner, ts_ns, OrderStatus::expired,
                               Reason::expired_day, OrderAction::new_order);
    }
}

KnownOrder known_order(std::uint64_t order_id, const engine::OrderRecord* record) noexcept {
    KnownOrder k;
    k.order_id = order_id;
    if (record == nullptr)
        return k;
    k.symbol = record->symbol;
    k.owner = record->strategy;
    k.side = record->side;
    k.tif = record->tif;
    k.type = record->type;
    k.role = record->role;
    k.price = record->price;
    k.stop_price = record->stop_price;
    k.quantity = record->quantity;
    k.filled = record->filled;
    k.state = record->status;
    return k;
}

Event adopted_ack(std::uint64_t order_id, const ForeignOrder& foreign,
                  std::int64_t ts_ns) noexcept {
    Event e =
        engine::make_event(EventType::venue_ack, engine::Source::venue, 0, ts_ns, foreign.symbol);
    e.header.aux = engine::kAdoptedOwner;
    engine::OrderPayload& p = e.payload.order;
    p.order_id = order_id;
    p.side = foreign.side;
    p.order_type = foreign.type;
    p.tif = foreign.tif;
    p.price = foreign.price;
    p.stop_price = foreign.stop_price;
    p.quantity = foreign.left;
    p.action = OrderAction::new_order;
    p.status = OrderStatus::accepted;
    p.reason = engine::Reason::foreign_order;
    return e;
}

}  // namespace keel::adapters
