#include "keel/engine/strategy/strategy.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

Price round_to_tick(Price price, Price tick, bool up) noexcept {
    if (tick.raw <= 0)
        return price;
    std::int64_t q = price.raw / tick.raw;
    if (q * tick.raw != price.raw && up == (price.raw > 0))
        q += up ? 1 : -1;
    return Price::from_raw(q * tick.raw);
}

std::int64_t StrategyView::pending_raw(SymbolId symbol) const noexcept {
    std::int64_t sum = 0;
    for (const OrderRecord& o : orders_.open_orders()) {
        if (o.symbol != symbol || o.role == OrderRole::stop_loss ||
            o.role == OrderRole::take_profit || o.strategy == kAdoptedOwner ||
            (strategy_ != kAllStrategies && o.strategy != strategy_))
            continue;
        sum += signed_qty(o.side, o.leaves());
    }
    return sum;
}

std::size_t Intents::order_slots_used() const noexcept {
    std::size_t slots = reserved_ + cancels_used_;
    for (std::size_t i = 0; i < orders_used_; ++i) {
        const OrderIntent& o = orders_[i];
        slots += (o.stop_loss.raw != 0 && o.take_profit.raw != 0) ? 3 : 1;
    }
    return slots;
}

bool Intents::order(const OrderIntent& intent) noexcept {
    if (intent.side == Side::none || intent.quantity.raw <= 0)
        return false;
    const bool bracket = intent.stop_loss.raw != 0 || intent.take_profit.raw != 0;
    // A bracket needs both legs; half a bracket is a malformed intent, not a plain order.
    if (bracket && (intent.stop_loss.raw == 0 || intent.take_profit.raw == 0))
        return false;
    const std::size_t need = bracket ? 3 : 1;
    if (orders_used_ == orders_.size() || order_slots_used() + need > kMaxOrdersPerEvent)
        return false;
    // Bracket legs take client order ids k = 0, 1, 2 (order_id.hpp), so one bracket per event.
    if (bracket && (has_bracket() || reserved_ > 0))
        return false;
    orders_[orders_used_++] = intent;
    return true;
}

bool Intents::cancel(std::uint64_t order_id) noexcept {
    const OrderRecord* o = view_.orders().find(order_id);
    // A cancel already on its way needs no second request; another strategy's order on the
    // same symbol is not this one's to cancel.
    if (o == nullptr || o->status == OrderStatus::pending_cancel || !view_.owns(*o))
        return false;
    if (order_slots_used() + 1 > kMaxOrdersPerEvent)
        return false;
    cancels_[cancels_used_++] = order_id;
    return true;
}

bool Intents::has_bracket() const noexcept {
    for (std::size_t i = 0; i < orders_used_; ++i) {
        if (orders_[i].stop_loss.raw != 0)
            return true;
    }
    return false;
}

bool Intents::target(SymbolId symbol, std::int64_t target_raw, TimeInForce tif) noexcept {
    std::int64_t expected = view_.expected_raw(symbol);
    // Orders placed earlier while handling this same event count too.
    for (std::size_t i = 0; i < orders_used_; ++i) {
        if (orders_[i].symbol == symbol)
            expected += signed_qty(orders_[i].side, orders_[i].quantity);
    }
    const std::int64_t delta = target_raw - expected;
    if (delta == 0)
        return true;
    OrderIntent o;
    o.symbol = symbol;
    o.side = delta > 0 ? Side::buy : Side::sell;
    o.quantity = Quantity::from_raw(delta > 0 ? delta : -delta);
    o.tif = tif;
    return order(o);
}

void Intents::note(std::int8_t direction, std::int64_t value, AlertAction action,
                   Reason reason) noexcept {
    KEEL_ASSERT(notes_used_ < notes_.size(), "a strategy noted more than Intents::kMaxNotes");
    notes_[notes_used_++] = Note{direction, value, action, reason};
}

}  // namespace keel::engine
