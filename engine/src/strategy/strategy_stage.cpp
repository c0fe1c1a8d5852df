#include "keel/engine/strategy/strategy_stage.hpp"

#include "keel/assert.hpp"
#include "keel/engine/orders/order_id.hpp"

namespace keel::engine {

namespace {

std::vector<Account> make_accounts(const StrategyStageOptions& options) {
    std::vector<Account> accounts;
    const std::vector<Money> cash =
        options.account_cash.empty() ? std::vector<Money>{options.starting_cash}
                                     : options.account_cash;
    accounts.reserve(cash.size());
    for (const Money c : cash)
        accounts.emplace_back(c, options.symbol_capacity, 0, 0);  // no curve, no trips
    return accounts;
}

}  // namespace

StrategyStage::StrategyStage(std::vector<std::unique_ptr<Strategy>> strategies,
                             const StrategyStageOptions& options)
    : strategies_(std::move(strategies)),
      by_symbol_(options.symbol_capacity, -1),
      bars_index_(options.symbol_capacity, -1),
      book_(options.order_capacity),
      accounts_(make_accounts(options)),
      symbol_account_(options.symbol_capacity, 0),
      tick_sizes_(options.symbol_capacity),
      view_(book_, accounts_.front(), &tick_sizes_, options.tails),
      intents_(view_) {
    KEEL_ASSERT(strategies_.size() < kNoStrategyIndex, "strategy index must fit header.aux");
    several_accounts_ = accounts_.size() > 1;
    for (const auto& s : strategies_) {
        KEEL_ASSERT(s->account() < accounts_.size(), "a strategy on an account that does not exist");
        for (const SymbolId symbol : s->symbols()) {
            if (symbol < symbol_account_.size())
                symbol_account_[symbol] = s->account();
        }
    }
    for (std::size_t i = 0; i < strategies_.size(); ++i) {
        for (const SymbolId symbol : strategies_[i]->symbols()) {
            KEEL_ASSERT(symbol < options.symbol_capacity, "strategy symbol outside the table");
            KEEL_ASSERT(by_symbol_[symbol] == -1, "two strategies on one symbol");
            by_symbol_[symbol] = static_cast<std::int32_t>(i);
        }
    }
    bars_.reserve(options.symbol_capacity);
    for (std::size_t i = 0; i < strategies_.size(); ++i) {
        const std::vector<std::uint32_t> intervals = strategies_[i]->bar_intervals();
        if (intervals.empty())
            continue;
        for (const SymbolId symbol : strategies_[i]->symbols()) {
            bars_index_[symbol] = static_cast<std::int32_t>(bars_.size());
            bars_.emplace_back(strategies_[i]->session(), intervals);
        }
    }
}

Strategy* StrategyStage::owner(SymbolId symbol) noexcept {
    if (symbol >= by_symbol_.size() || by_symbol_[symbol] < 0)
        return nullptr;
    return strategies_[static_cast<std::size_t>(by_symbol_[symbol])].get();
}

bool StrategyStage::journaled_emit(const Event& e, Emit& out) noexcept {
    // Journal first: what is not journaled is not acted on (the session then stops).
    if (log_ != nullptr && !log_->append(e))
        return false;
    out.emit(e);
    return true;
}

bool StrategyStage::request(const Event& cause, std::uint16_t index, std::uint32_t k,
                            SymbolId symbol, Side side, Quantity quantity, OrderType type,
                            TimeInForce tif, Price price, Price stop_price, OrderRole role,
                            Emit& out) noexcept {
    Event e = make_event(EventType::order_request, Source::strategy, cause.header.seq,
                         cause.header.ts_ns, symbol);
    e.header.aux = index;
    OrderPayload& o = e.payload.order;
    o.order_id = with_account(make_order_id(cause.header.seq, k),
                              strategies_[index]->account());
    o.side = side;
    o.quantity = quantity;
    o.order_type = type;
    o.tif = tif;
    o.price = price;
    o.stop_price = stop_price;
    o.action = OrderAction::new_order;
    o.role = role;
    // A full book (or an id already live) refuses the order before it exists: journaled as a
    // signal saying why, and the rest of the event's orders are not placed either.
    if (book_.peek(e).result != ApplyResult::applied) {
        Event why = make_event(EventType::signal, Source::strategy, cause.header.seq,
                               cause.header.ts_ns, symbol);
        why.header.aux = index;
        why.payload.signal.strategy = index;
        why.payload.signal.direction = side == Side::buy ? 1 : -1;
        why.payload.signal.reason = Reason::max_open_orders;
        (void)journaled_emit(why, out);
        return false;
    }
    if (!journaled_emit(e, out))
        return false;
    const Transition t = book_.apply(e);
    KEEL_ASSERT(t.result == ApplyResult::applied, "strategy order book refused its own order");
    ++orders_requested_;
    return true;
}

void StrategyStage::flush(const Intents& intents, std::uint16_t index, const Event& cause,
                          Emit& out) noexcept {
    for (std::size_t i = 0; i < intents.note_count(); ++i) {
        const Intents::Note& n = intents.note_at(i);
        Event e = make_event(EventType::signal, Source::strategy, cause.header.seq,
                             cause.header.ts_ns, cause.header.symbol);
        e.header.aux = index;
        e.payload.signal.strategy = index;
        e.payload.signal.direction = n.direction;
        e.payload.signal.value = n.value;
        e.payload.signal.action = n.action;
        e.payload.signal.reason = n.reason;
        if (!journaled_emit(e, out))
            return;  // not journaled: the strategy does not act on it
        ++signals_;
    }
    for (std::size_t i = 0; i < intents.cancel_count(); ++i) {
        const OrderRecord* target = book_.find(intents.cancel_at(i));
        if (target == nullptr)
            continue;
        Event e = cancel_request(*target, cause, Source::strategy, Reason::canceled_on_request);
        e.header.aux = index;
        if (!journaled_emit(e, out))
            return;
        (void)book_.apply(e);
    }
    // A bracket takes ids k = 0, 1, 2 (its links follow from them), so it goes first.
    std::uint32_t k = 0;
    for (std::size_t i = 0; i < intents.order_count(); ++i) {
        const OrderIntent& o = intents.order_at(i);
        if (o.stop_loss.raw == 0)
            continue;
        const SymbolId symbol = o.symbol == kNoSymbol ? cause.header.symbol : o.symbol;
        const Side exit = o.side == Side::buy ? Side::sell : Side::buy;
        // An order that could not be journaled ends the event: no exits without their entry,
        // and nothing after it (the log refuses everything from its first failure anyway).
        if (!request(cause, index, 0, symbol, o.side, o.quantity, o.type, o.tif, o.price,
                     o.stop_price, OrderRole::entry, out) ||
            !request(cause, index, 1, symbol, exit, o.quantity, OrderType::stop, TimeInForce::gtc,
                     Price{}, o.stop_loss, OrderRole::stop_loss, out) ||
            !request(cause, index, 2, symbol, exit, o.quantity, OrderType::limit, TimeInForce::gtc,
                     o.take_profit, Price{}, OrderRole::take_profit, out))
            return;
        k = 3;
    }
    for (std::size_t i = 0; i < intents.order_count(); ++i) {
        const OrderIntent& o = intents.order_at(i);
        if (o.stop_loss.raw != 0)
            continue;
        const SymbolId symbol = o.symbol == kNoSymbol ? cause.header.symbol : o.symbol;
        if (!request(cause, index, k++, symbol, o.side, o.quantity, o.type, o.tif, o.price,
                     o.stop_price, OrderRole::none, out))
            return;
    }
}

void StrategyStage::dispatch(const Event& event, Strategy& s, Emit& out) noexcept {
    const SymbolId symbol = event.header.symbol;
    const auto index = static_cast<std::uint16_t>(by_symbol_[symbol]);
    MultiTimeframeBars* bars =
        bars_index_[symbol] < 0 ? nullptr : &bars_[static_cast<std::size_t>(bars_index_[symbol])];
    intents_.clear();
    if (several_accounts_)
        view_.set_account(accounts_[s.account()]);
    switch (event.header.type) {
        case EventType::bar: {
            const BarView bar{symbol, event.header.aux, event.header.ts_ns, event.payload.bar};
            s.on_bar(bar, intents_);
            break;
        }
        case EventType::trade:
            if (bars != nullptr)
                bars->on_trade(event.header.ts_ns, event.payload.trade.price,
                               event.payload.trade.size);
            s.on_trade(event, intents_);
            break;
        case EventType::quote:
            if (bars != nullptr)
                bars->on_quote(event.header.ts_ns, event.payload.quote.bid,
                               event.payload.quote.ask);
            s.on_quote(event, intents_);
            break;
        case EventType::timer: {
            if (event.payload.timer.kind == TimerKind::bar_close && bars != nullptr) {
                // Normally one bar; two only after a missed timer (BarAggregator::on_timer).
                // They share this event's order budget.
                while (const std::optional<Bar> b =
                           bars->on_timer(event.header.aux, event.header.ts_ns)) {
                    const BarView bar{symbol, static_cast<std::uint16_t>(b->interval_minutes),
                                      b->close_ns, b->ohlcv};
                    s.on_bar(bar, intents_);
                }
                break;
            }
            s.on_timer(event, intents_);
            break;
        }
        case EventType::alert:
            s.on_signal(event, intents_);
            break;
        case EventType::venue_fill:
            s.on_fill(event, intents_);
            break;
        default:
            return;
    }
    flush(intents_, index, event, out);
}

void StrategyStage::no_strategy(const Event& alert, Emit& out) noexcept {
    // An accepted alert always gets a journaled decision, so a journal says why nothing was
    // traded for an alert whose symbol no strategy subscribes to.
    Event e = make_event(EventType::signal, Source::strategy, alert.header.seq, alert.header.ts_ns,
                         alert.header.symbol);
    e.header.aux = kNoStrategyIndex;
    e.payload.signal.strategy = kNoStrategyIndex;
    e.payload.signal.action = alert.payload.alert.action;
    e.payload.signal.reason = Reason::no_strategy;
    if (journaled_emit(e, out))
        ++signals_;
}

void StrategyStage::on_fill(const Event& event) noexcept {
    const SymbolId symbol = event.header.symbol;
    // A fill moves the position when the book takes it; risk's own flatten orders are
    // not in this book, and their fills move the position too. Anything else (a
    // duplicate, an over-fill) the gateway alerts on and nobody applies.
    const FillPayload& f = event.payload.fill;
    const Transition t = book_.apply(event);
    if (t.result == ApplyResult::applied ||
        (event.header.aux == kRiskOwner && book_.find(f.order_id) == nullptr &&
         f.quantity.raw > 0 && f.side != Side::none))
        fill_account(f.order_id)
            .apply_fill(symbol, f.side, f.price, f.quantity, f.fee, event.header.ts_ns);
}

void StrategyStage::on_event(const Event& event, Emit& out) noexcept {
    out.emit(event);
    const SymbolId symbol = event.header.symbol;
    // The stage's own view first, so the strategy decides on the state after this event.
    switch (event.header.type) {
        case EventType::symbol_def:
            if (symbol < tick_sizes_.size())
                tick_sizes_[symbol] = event.payload.symbol_def.tick_size;
            break;
        case EventType::trade:
            account_of(symbol).mark(symbol, event.payload.trade.price, event.header.ts_ns);
            break;
        case EventType::quote:
            // The mid marks the position (a one-sided quote does not).
            if (event.payload.quote.bid.raw > 0 && event.payload.quote.ask.raw > 0) {
                account_of(symbol).mark(symbol,
                                        Price::from_raw(event.payload.quote.bid.raw / 2 +
                                                        event.payload.quote.ask.raw / 2),
                                        event.header.ts_ns);
            }
            break;
        case EventType::bar:
            account_of(symbol).mark(symbol, event.payload.bar.close, event.header.ts_ns);
            break;
        case EventType::venue_fill:
            on_fill(event);
            break;
        case EventType::venue_ack:
        case EventType::venue_reject:
        case EventType::venue_cancel:
        case EventType::order_denied:
            (void)book_.apply(event);
            break;
        default:
            break;
    }
    Strategy* s = owner(symbol);
    if (s != nullptr)
        dispatch(event, *s, out);
    else if (event.header.type == EventType::alert)
        no_strategy(event, out);
    // Every kStateHashEvery inputs, a hash of the state after this one.
    if (state_hash_due(event, inputs_seen_)) {
        const Event h = make_state_hash(event, Source::strategy, state_hash(), inputs_seen_);
        if (log_ == nullptr || log_->append(h))
            out.emit(h);
    }
}

std::uint64_t StrategyStage::state_hash() const noexcept {
    std::uint64_t h = kHashSeed;
    for (const Account& a : accounts_)
        h = a.state_hash(h);
    return book_.state_hash(h);
}

}  // namespace keel::engine
