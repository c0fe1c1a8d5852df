#include "keel/engine/orders/order_book.hpp"

#include "keel/engine/orders/order_id.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

namespace {

struct Classified {
    bool tracked = false;
    OrderEventKind kind = OrderEventKind::request_new;
    std::uint64_t order_id = 0;
};

// Maps an event to the order it is about and what happened to it. Fills are classified as
// partial here; plan() decides partial or final once it knows the leaves.
Classified classify(const Event& e) noexcept {
    const OrderPayload& o = e.payload.order;
    switch (e.header.type) {
        case EventType::order_request:
        case EventType::order_sent:
            switch (o.action) {
                case OrderAction::cancel:
                    return {true, OrderEventKind::request_cancel, o.order_id};
                case OrderAction::replace:
                    return {true, OrderEventKind::request_replace, o.order_id};
                case OrderAction::new_order:
                    return {true, OrderEventKind::request_new, o.order_id};
            }
            return {};  // no action: not an order this book can track
        case EventType::venue_ack:
            return {true,
                    o.action == OrderAction::replace ? OrderEventKind::ack_replace
                                                     : OrderEventKind::ack_new,
                    o.order_id};
        case EventType::venue_fill:
            return {true, OrderEventKind::fill_partial, e.payload.fill.order_id};
        // A refused cancel or replace leaves the order working: back to where it was.
        case EventType::venue_reject:
        case EventType::order_denied:
        case EventType::risk_reject:
            switch (o.action) {
                case OrderAction::cancel:
                    return {true, OrderEventKind::reject_cancel, o.order_id};
                case OrderAction::replace:
                    return {true, OrderEventKind::reject_replace, o.order_id};
                default:
                    return {true, OrderEventKind::reject, o.order_id};
            }
        case EventType::venue_cancel:
            return {true, is_expiry(o.reason) ? OrderEventKind::expire : OrderEventKind::cancel,
                    o.order_id};
        default:
            return {};
    }
}

[[nodiscard]] bool is_pending(OrderStatus s) noexcept {
    return s == OrderStatus::pending_cancel || s == OrderStatus::pending_replace;
}

// The record after a legal transition from `rec` to `next` on `kind`.
OrderRecord advance(const OrderRecord& rec, OrderStatus next, OrderEventKind kind,
                    const Event& e) noexcept {
    OrderRecord after = rec;
    after.status = next;
    after.updated_ns = e.header.ts_ns;
    if (kind == OrderEventKind::fill_partial || kind == OrderEventKind::fill_final)
        after.filled += e.payload.fill.quantity;
    if (kind == OrderEventKind::ack_replace) {
        after.price = e.payload.order.price;
        after.stop_price = e.payload.order.stop_price;
        after.quantity = e.payload.order.quantity;
    }
    if (is_pending(next) && !is_pending(rec.status)) {
        // Entering a pending state: remember where a rejected cancel / replace returns to.
        after.before_pending = rec.status;
    } else if (is_pending(next)) {
        // Staying pending: an ack or a fill that raced the request changes where a rejected
        // cancel / replace returns to.
        if (kind == OrderEventKind::ack_new && after.before_pending == OrderStatus::pending_new)
            after.before_pending = OrderStatus::accepted;
        if (kind == OrderEventKind::fill_partial)
            after.before_pending = OrderStatus::partially_filled;
    }
    return after;
}

}  // namespace

bool is_adoption(const Event& e) noexcept {
    const OrderPayload& o = e.payload.order;
    return e.header.type == EventType::venue_ack && e.header.source == Source::venue &&
           o.action == OrderAction::new_order && o.reason == Reason::foreign_order &&
           is_adopted_order_id(o.order_id);
}

OrderBook::OrderBook(std::size_t capacity) {
    KEEL_ASSERT(capacity > 0, "an OrderBook needs room for at least one order");
    orders_.reserve(capacity);
}

std::size_t OrderBook::lower_bound(std::uint64_t order_id) const noexcept {
    // Ids grow with the sequence, so the common lookups (a new order, a reply to a recent one)
    // are at the end; binary search keeps the rest logarithmic.
    std::size_t lo = 0;
    std::size_t hi = orders_.size();
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (orders_[mid].order_id < order_id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const OrderRecord* OrderBook::find(std::uint64_t order_id) const noexcept {
    const std::size_t i = lower_bound(order_id);
    if (i < orders_.size() && orders_[i].order_id == order_id)
        return &orders_[i];
    return nullptr;
}

OrderBook::Plan OrderBook::plan(const Event& e) const noexcept {
    Plan p;
    const Classified c = classify(e);
    if (!c.tracked)
        return p;
    Transition& t = p.t;
    t.kind = c.kind;

    if (c.kind == OrderEventKind::request_cancel && is_mass_cancel_id(c.order_id)) {
        p.mass_cancel = true;
        t.result = ApplyResult::applied;
        t.from = t.to = OrderStatus::pending_cancel;
        for (const OrderRecord& r : orders_) {
            if (next_state(r.status, OrderEventKind::request_cancel, r.before_pending))
                ++t.affected;
        }
        t.order.order_id = c.order_id;
        t.order.status = OrderStatus::pending_cancel;
        t.order.updated_ns = e.header.ts_ns;
        return p;
    }

    p.index = lower_bound(c.order_id);
    const bool known = p.index < orders_.size() && orders_[p.index].order_id == c.order_id;

    const bool adopting = c.kind == OrderEventKind::ack_new && !known && is_adoption(e);
    if (c.kind == OrderEventKind::request_new || adopting) {
        const OrderStatus first = adopting ? OrderStatus::accepted : OrderStatus::pending_new;
        t.to = first;
        if (known) {  // a duplicate id
            t.result = ApplyResult::illegal;
            t.from = orders_[p.index].status;
            t.order = orders_[p.index];
            return p;
        }
        const OrderPayload& o = e.payload.order;
        t.order.order_id = o.order_id;
        t.order.symbol = e.header.symbol;
        t.order.strategy = e.header.aux;
        t.order.side = o.side;
        t.order.type = o.order_type;
        t.order.tif = o.tif;
        t.order.role = o.role;
        t.order.status = first;
        t.order.before_pending = first;
        t.order.price = o.price;
        t.order.stop_price = o.stop_price;
        t.order.quantity = o.quantity;
        t.order.created_ns = e.header.ts_ns;
        t.order.updated_ns = e.header.ts_ns;
        t.from = first;
        t.result = orders_.size() == orders_.capacity() ? ApplyResult::full : ApplyResult::applied;
        p.insert = true;
        return p;
    }

    if (!known) {
        if (c.kind == OrderEventKind::fill_partial && (e.payload.fill.flags & kFillFinal) != 0)
            t.kind = OrderEventKind::fill_final;
        t.result = ApplyResult::illegal;
        t.from = OrderStatus{};
        t.to = requested_status(t.kind);
        t.order.order_id = c.order_id;
        return p;
    }

    const OrderRecord& rec = orders_[p.index];
    t.from = rec.status;
    t.order = rec;
    if (c.kind == OrderEventKind::fill_partial) {
        const Quantity q = e.payload.fill.quantity;
        const bool final = (e.payload.fill.flags & kFillFinal) != 0 || q == rec.leaves();
        t.kind = final ? OrderEventKind::fill_final : OrderEventKind::fill_partial;
        if (q.raw <= 0 || q > rec.leaves()) {
            t.result = ApplyResult::illegal;
            t.to = requested_status(t.kind);
            return p;
        }
    }
    // A replace that leaves nothing open is not a replace; the venue must cancel or fill it.
    const bool bad_replace =
        t.kind == OrderEventKind::ack_replace && e.payload.order.quantity <= rec.filled;
    const std::optional<OrderStatus> next = next_state(rec.status, t.kind, rec.before_pending);
    if (!next || bad_replace) {
        t.result = ApplyResult::illegal;
        t.to = requested_status(t.kind);
        return p;
    }
    t.result = ApplyResult::applied;
    t.to = *next;
    t.order = advance(rec, *next, t.kind, e);
    return p;
}

Transition OrderBook::peek(const Event& event) const noexcept {
    return plan(event).t;
}

Transition OrderBook::apply(const Event& event) noexcept {
    const Plan p = plan(event);
    if (p.t.result != ApplyResult::applied)
        return p.t;
    if (p.mass_cancel) {
        for (OrderRecord& r : orders_) {
            const auto next =
                next_state(r.status, OrderEventKind::request_cancel, r.before_pending);
            if (next)
                r = advance(r, *next, OrderEventKind::request_cancel, event);
        }
        return p.t;
    }
    if (p.insert) {
        // Within the reserved capacity (plan() checked), so insert never allocates.
        KEEL_ASSERT(orders_.size() < orders_.capacity(), "order book over capacity");
        orders_.insert(orders_.begin() + static_cast<std::ptrdiff_t>(p.index), p.t.order);
        return p.t;
    }
    KEEL_ASSERT(orders_[p.index].order_id == p.t.order.order_id, "order book plan is stale");
    if (is_terminal(p.t.to))
        orders_.erase(orders_.begin() + static_cast<std::ptrdiff_t>(p.index));
    else
        orders_[p.index] = p.t.order;
    return p.t;
}

std::size_t OrderBook::open_count(SymbolId symbol) const noexcept {
    std::size_t n = 0;
    for (const OrderRecord& r : orders_) {
        if (r.symbol == symbol)
            ++n;
    }
    return n;
}

Quantity OrderBook::open_quantity(SymbolId symbol, Side side) const noexcept {
    Quantity q{};
    for (const OrderRecord& r : orders_) {
        if (r.symbol == symbol && r.side == side)
            q += r.leaves();
    }
    return q;
}

Event cancel_request(const OrderRecord& order, const Event& cause, Source source,
                     Reason reason) noexcept {
    Event e = make_event(EventType::order_request, source, cause.header.seq, cause.header.ts_ns,
                         order.symbol);
    e.header.aux = order.strategy;
    OrderPayload& o = e.payload.order;
    o.order_id = order.order_id;
    o.price = order.price;
    o.stop_price = order.stop_price;
    o.quantity = order.quantity;
    o.side = order.side;
    o.order_type = order.type;
    o.tif = order.tif;
    o.action = OrderAction::cancel;
    o.role = order.role;
    o.reason = reason;
    return e;
}

std::uint64_t OrderBook::state_hash(std::uint64_t h) const noexcept {
    for (const OrderRecord& o : orders_) {
        for (const std::uint64_t v :
             {o.order_id, static_cast<std::uint64_t>(o.status),
              static_cast<std::uint64_t>(o.quantity.raw), static_cast<std::uint64_t>(o.filled.raw),
              static_cast<std::uint64_t>(o.price.raw),
              static_cast<std::uint64_t>(o.stop_price.raw)})
            h = hash_mix(h, v);
    }
    return h;
}

}  // namespace keel::engine
