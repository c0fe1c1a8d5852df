#include "keel/engine/strategy_stage.hpp"

#include "keel/engine/assert.hpp"

namespace keel::engine {

StrategyStage::StrategyStage(std::vector<SmaCrossParams> strategies, std::size_t symbol_capacity)
    : by_symbol_(symbol_capacity, -1) {
    strategies_.reserve(strategies.size());
    for (const SmaCrossParams& p : strategies) {
        KEEL_ASSERT(p.symbol < symbol_capacity, "strategy symbol outside the symbol table");
        KEEL_ASSERT(by_symbol_[p.symbol] == -1, "two strategies on one symbol");
        by_symbol_[p.symbol] = static_cast<std::int32_t>(strategies_.size());
        strategies_.emplace_back(p);
    }
}

SmaCross* StrategyStage::strategy_for(SymbolId symbol) noexcept {
    if (symbol >= by_symbol_.size() || by_symbol_[symbol] < 0)
        return nullptr;
    return &strategies_[static_cast<std::size_t>(by_symbol_[symbol])];
}

void StrategyStage::place(SmaCross& s, std::uint16_t index, const Event& cause, OrderIntent intent,
                          Emit& out) noexcept {
    Event e = make_event(EventType::order_request, Source::strategy, cause.header.seq,
                         cause.header.ts_ns, cause.header.symbol);
    OrderPayload& o = e.payload.order;
    o.order_id = next_order_id_++;
    o.quantity = intent.quantity;
    e.header.aux = index;
    o.side = intent.side;
    o.order_type = OrderType::market;
    o.tif = TimeInForce::day;
    o.action = OrderAction::new_order;
    // Journal first: an order that is not journaled is not placed (the session then stops).
    if (log_ != nullptr && !log_->append(e)) {
        --next_order_id_;
        return;
    }
    s.on_order_placed(intent.side, intent.quantity);
    out.emit(e);
}

bool StrategyStage::signal(std::uint16_t index, const Event& cause, int direction,
                           Emit& out) noexcept {
    Event e = make_event(EventType::signal, Source::strategy, cause.header.seq, cause.header.ts_ns,
                         cause.header.symbol);
    e.payload.signal.strategy = index;
    e.payload.signal.direction = static_cast<std::int8_t>(direction);
    e.payload.signal.value = direction;
    if (log_ != nullptr && !log_->append(e))
        return false;
    out.emit(e);
    return true;
}

void StrategyStage::on_event(const Event& event, Emit& out) noexcept {
    out.emit(event);
    SmaCross* s = strategy_for(event.header.symbol);
    if (s == nullptr)
        return;
    const auto index = static_cast<std::uint16_t>(s - strategies_.data());
    switch (event.header.type) {
        case EventType::bar:
        case EventType::trade: {
            const Price close = event.header.type == EventType::bar ? event.payload.bar.close
                                                                    : event.payload.trade.price;
            // One SmaCross per symbol, at most one intent per price: within kMaxOrdersPerEvent.
            static_assert(kMaxOrdersPerEvent >= 1);
            const OrderIntent intent = s->on_price(close);
            if (s->last_cross() != 0 && !signal(index, event, s->last_cross(), out))
                return;  // not journaled: the strategy does not act on it
            if (intent.side != Side::none)
                place(*s, index, event, intent, out);
            break;
        }
        case EventType::venue_fill:
            s->on_fill(event.payload.fill.side, event.payload.fill.quantity);
            break;
        case EventType::order_denied:
        case EventType::venue_reject:
            s->on_order_dead(event.payload.order.side, event.payload.order.quantity);
            break;
        default:
            break;
    }
}

}  // namespace keel::engine
