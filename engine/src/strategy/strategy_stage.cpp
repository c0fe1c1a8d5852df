#include "keel/engine/strategy/strategy_stage.hpp"

#include <algorithm>

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
      by_symbol_(options.symbol_capacity, kNoRoute),
      own_view_(strategies_.size(), 0),
      bars_index_(options.symbol_capacity, -1),
      book_(options.order_capacity),
      accounts_(make_accounts(options)),
      symbol_account_(options.symbol_capacity, 0),
      tick_sizes_(options.symbol_capacity),
      view_(book_, accounts_.front(), &tick_sizes_, options.tails),
      intents_(view_) {
    KEEL_ASSERT(strategies_.size() < kNoStrategyIndex, "strategy index must fit header.aux");
    several_accounts_ = accounts_.size() > 1;
    books_.reserve(strategies_.size());
    for (const auto& s : strategies_) {
        KEEL_ASSERT(s->account() < accounts_.size(),
                    "a strategy on an account that does not exist");
        for (const SymbolId symbol : s->symbols()) {
            if (symbol < symbol_account_.size())
                symbol_account_[symbol] = s->account();
        }
        // Its own fills only: no round trips or equity curve kept (the account's are).
        books_.emplace_back(accounts_[s->account()].starting_cash(), options.symbol_capacity, 0, 0);
        intervals_.push_back(s->bar_intervals());
    }
    build_routes(options.symbol_capacity);
    build_bars(options.symbol_capacity);
}

void StrategyStage::build_routes(std::size_t symbol_capacity) {
    std::vector<std::vector<std::uint16_t>> on(symbol_capacity);
    for (std::size_t i = 0; i < strategies_.size(); ++i) {
        for (const SymbolId symbol : strategies_[i]->symbols()) {
            KEEL_ASSERT(symbol < symbol_capacity, "strategy symbol outside the table");
            KEEL_ASSERT(on[symbol].empty() || on[symbol].back() != i, "a symbol listed twice");
            on[symbol].push_back(static_cast<std::uint16_t>(i));
        }
    }
    // A strategy that shares any of its symbols decides on its own book for all of them.
    for (const auto& list : on) {
        for (const std::uint16_t i : list)
            own_view_[i] = list.size() > 1 ? 1 : own_view_[i];
    }
    for (std::size_t symbol = 0; symbol < symbol_capacity; ++symbol) {
        const auto& list = on[symbol];
        if (list.size() == 1 && own_view_[list.front()] == 0) {
            by_symbol_[symbol] = list.front();
        } else if (!list.empty()) {
            by_symbol_[symbol] = kFirstRoute - static_cast<std::int32_t>(routes_.size());
            routes_.push_back({static_cast<std::uint32_t>(route_strategies_.size()),
                               static_cast<std::uint32_t>(list.size())});
            route_strategies_.insert(route_strategies_.end(), list.begin(), list.end());
        }
    }
}

// One aggregator per symbol, for every interval any of its strategies asks for (in the order
// they ask), in the session of the first strategy that asks.
void StrategyStage::build_bars(std::size_t symbol_capacity) {
    bars_.reserve(symbol_capacity);
    for (std::size_t symbol = 0; symbol < symbol_capacity; ++symbol) {
        std::vector<std::uint32_t> intervals;
        const Strategy* first = nullptr;
        for (std::size_t i = 0; i < strategies_.size(); ++i) {
            const auto& mine = strategies_[i]->symbols();
            if (std::find(mine.begin(), mine.end(), symbol) == mine.end())
                continue;
            for (const std::uint32_t m : intervals_[i]) {
                if (std::find(intervals.begin(), intervals.end(), m) == intervals.end())
                    intervals.push_back(m);
            }
            if (first == nullptr && !intervals_[i].empty())
                first = strategies_[i].get();
        }
        if (intervals.empty())
            continue;
        bars_index_[symbol] = static_cast<std::int32_t>(bars_.size());
        bars_.emplace_back(first->session(), intervals);
    }
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

std::uint32_t StrategyStage::flush(const Intents& intents, std::uint16_t index, const Event& cause,
                                   std::uint32_t k, Emit& out) noexcept {
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
            return k;  // not journaled: the strategy does not act on it
        ++signals_;
    }
    for (std::size_t i = 0; i < intents.cancel_count(); ++i) {
        const OrderRecord* target = book_.find(intents.cancel_at(i));
        if (target == nullptr)
            continue;
        Event e = cancel_request(*target, cause, Source::strategy, Reason::canceled_on_request);
        e.header.aux = index;
        if (!journaled_emit(e, out))
            return k;
        (void)book_.apply(e);
    }
    // A bracket takes ids k = 0, 1, 2 (its links follow from them), so it goes first (Intents
    // refuses one when strategies before this one took ids on the same event).
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
            return k;
        k = 3;
    }
    for (std::size_t i = 0; i < intents.order_count(); ++i) {
        const OrderIntent& o = intents.order_at(i);
        if (o.stop_loss.raw != 0)
            continue;
        const SymbolId symbol = o.symbol == kNoSymbol ? cause.header.symbol : o.symbol;
        if (!request(cause, index, k++, symbol, o.side, o.quantity, o.type, o.tif, o.price,
                     o.stop_price, OrderRole::none, out))
            return k;
    }
    return k;
}

// The event to the strategy's callback for its type; false for a type strategies do not see.
bool StrategyStage::deliver(const Event& event, Strategy& s, Intents& intents) noexcept {
    switch (event.header.type) {
        case EventType::bar: {
            const BarView bar{event.header.symbol, event.header.aux, event.header.ts_ns,
                              event.payload.bar};
            s.on_bar(bar, intents);
            return true;
        }
        case EventType::trade:
            s.on_trade(event, intents);
            return true;
        case EventType::quote:
            s.on_quote(event, intents);
            return true;
        case EventType::timer:
            s.on_timer(event, intents);
            return true;
        case EventType::alert:
            s.on_signal(event, intents);
            return true;
        case EventType::venue_fill:
            s.on_fill(event, intents);
            return true;
        default:
            return false;
    }
}

void StrategyStage::dispatch(const Event& event, Strategy& s, Emit& out) noexcept {
    // An adopted order's fill is no strategy's: it moves the account alone.
    if (event.header.type == EventType::venue_fill && event.header.aux == kAdoptedOwner)
        return;
    const SymbolId symbol = event.header.symbol;
    const auto index = static_cast<std::uint16_t>(by_symbol_[symbol]);
    MultiTimeframeBars* bars =
        bars_index_[symbol] < 0 ? nullptr : &bars_[static_cast<std::size_t>(bars_index_[symbol])];
    intents_.clear();
    if (several_accounts_)
        view_.set_account(accounts_[s.account()]);
    if (bars != nullptr && event.header.type == EventType::trade)
        bars->on_trade(event.header.ts_ns, event.payload.trade.price, event.payload.trade.size);
    if (bars != nullptr && event.header.type == EventType::quote)
        bars->on_quote(event.header.ts_ns, event.payload.quote.bid, event.payload.quote.ask);
    if (event.header.type == EventType::timer && event.payload.timer.kind == TimerKind::bar_close &&
        bars != nullptr) {
        // Normally one bar; two only after a missed timer (BarAggregator::on_timer). They share
        // this event's order budget.
        while (const std::optional<Bar> b = bars->on_timer(event.header.aux, event.header.ts_ns)) {
            const BarView bar{symbol, static_cast<std::uint16_t>(b->interval_minutes), b->close_ns,
                              b->ohlcv};
            s.on_bar(bar, intents_);
        }
    } else if (!deliver(event, s, intents_)) {
        return;
    }
    if (!intents_.empty())
        (void)flush(intents_, index, event, 0, out);
}

bool StrategyStage::wants_interval(std::uint16_t index, std::uint32_t minutes) const noexcept {
    for (const std::uint32_t m : intervals_[index]) {
        if (m == minutes)
            return true;
    }
    return false;
}

void StrategyStage::mark_books(const Event& event, const Route& route) noexcept {
    Price price{};
    switch (event.header.type) {
        case EventType::trade:
            price = event.payload.trade.price;
            break;
        case EventType::quote:
            // The mid, as the account is marked (a one-sided quote does not mark).
            if (event.payload.quote.bid.raw <= 0 || event.payload.quote.ask.raw <= 0)
                return;
            price =
                Price::from_raw(event.payload.quote.bid.raw / 2 + event.payload.quote.ask.raw / 2);
            break;
        case EventType::bar:
            price = event.payload.bar.close;
            break;
        default:
            return;
    }
    for (std::uint32_t j = 0; j < route.count; ++j) {
        books_[route_strategies_[route.first + j]].mark(event.header.symbol, price,
                                                        event.header.ts_ns);
    }
}

void StrategyStage::run_one(const Event& event, std::uint16_t index, const BarView* bar,
                            std::size_t& slots, std::uint32_t& k, Emit& out) noexcept {
    Strategy& s = *strategies_[index];
    intents_.clear();
    intents_.reserve_slots(slots);
    view_.set_account(books_[index]);
    view_.set_strategy(index);
    if (bar != nullptr)
        s.on_bar(*bar, intents_);
    else if (!deliver(event, s, intents_))
        return;
    slots = intents_.order_slots_used();
    k = flush(intents_, index, event, k, out);
}

void StrategyStage::dispatch_route(const Event& event, const Route& route, Emit& out) noexcept {
    const SymbolId symbol = event.header.symbol;
    MultiTimeframeBars* bars =
        bars_index_[symbol] < 0 ? nullptr : &bars_[static_cast<std::size_t>(bars_index_[symbol])];
    const std::uint16_t* list = route_strategies_.data() + route.first;
    std::size_t slots = 0;  // the event's order slots and ids, shared by its strategies
    std::uint32_t k = 0;
    mark_books(event, route);
    if (bars != nullptr && event.header.type == EventType::trade)
        bars->on_trade(event.header.ts_ns, event.payload.trade.price, event.payload.trade.size);
    if (bars != nullptr && event.header.type == EventType::quote)
        bars->on_quote(event.header.ts_ns, event.payload.quote.bid, event.payload.quote.ask);
    if (event.header.type == EventType::timer && event.payload.timer.kind == TimerKind::bar_close &&
        bars != nullptr) {
        // Each closed bar to the strategies that asked for its interval.
        while (const std::optional<Bar> b = bars->on_timer(event.header.aux, event.header.ts_ns)) {
            const BarView bar{symbol, static_cast<std::uint16_t>(b->interval_minutes), b->close_ns,
                              b->ohlcv};
            for (std::uint32_t j = 0; j < route.count; ++j) {
                if (wants_interval(list[j], b->interval_minutes))
                    run_one(event, list[j], &bar, slots, k, out);
            }
        }
    } else {
        for (std::uint32_t j = 0; j < route.count; ++j) {
            // A fill goes to the strategy whose order it fills (risk's own, to every one).
            if (event.header.type == EventType::venue_fill && event.header.aux != kRiskOwner &&
                event.header.aux != list[j])
                continue;
            run_one(event, list[j], nullptr, slots, k, out);
        }
    }
    // Back to the view a strategy with its symbols alone expects.
    view_.set_account(accounts_.front());
    view_.set_strategy(StrategyView::kAllStrategies);
    intents_.reserve_slots(0);
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
    const bool ours = t.result == ApplyResult::applied;
    if (!ours && !(event.header.aux == kRiskOwner && book_.find(f.order_id) == nullptr &&
                   f.quantity.raw > 0 && f.side != Side::none))
        return;
    fill_account(f.order_id)
        .apply_fill(symbol, f.side, f.price, f.quantity, f.fee, event.header.ts_ns);
    // The same fill into the book of the strategy whose order it is (attribution).
    if (ours && t.order.strategy < books_.size())
        (void)books_[t.order.strategy].apply_fill(symbol, f.side, f.price, f.quantity, f.fee,
                                                  event.header.ts_ns);
    else if (!ours)
        attribute_risk_fill(event);
}

// Risk's own orders (the kill switch's flatten) close the account's net position; their fills
// close the strategies' positions in config order (each moved toward flat by as much as the
// fill has left), any rest going to the last, so the books still sum to the account.
void StrategyStage::attribute_risk_fill(const Event& event) noexcept {
    const SymbolId symbol = event.header.symbol;
    const FillPayload& f = event.payload.fill;
    const std::int32_t r = symbol < by_symbol_.size() ? by_symbol_[symbol] : kNoRoute;
    if (r == kNoRoute)
        return;  // no strategy trades it: the account's alone
    const std::uint16_t single = r >= 0 ? static_cast<std::uint16_t>(r) : 0;
    const std::uint16_t* list =
        r >= 0 ? &single : route_strategies_.data() + routes_[kFirstRoute - r].first;
    const std::uint32_t count = r >= 0 ? 1 : routes_[kFirstRoute - r].count;
    std::int64_t left = f.quantity.raw;
    Money fee_left = f.fee;
    for (std::uint32_t j = 0; j < count && left > 0; ++j) {
        const std::int64_t pos = books_[list[j]].position(symbol).quantity_raw;
        const bool closes = f.side == Side::sell ? pos > 0 : pos < 0;
        const std::int64_t take =
            j + 1 == count ? left : (closes ? std::min(left, pos > 0 ? pos : -pos) : 0);
        if (take == 0)
            continue;
        // The fee in proportion to quantity; the last share takes what rounding left.
        const Money fee = take == left ? fee_left
                                       : Money::from_raw(static_cast<std::int64_t>(
                                             static_cast<i128>(f.fee.raw) * take / f.quantity.raw));
        (void)books_[list[j]].apply_fill(symbol, f.side, f.price, Quantity::from_raw(take), fee,
                                         event.header.ts_ns);
        left -= take;
        fee_left = fee_left - fee;
    }
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
    const std::int32_t r = symbol < by_symbol_.size() ? by_symbol_[symbol] : kNoRoute;
    if (r >= 0)
        dispatch(event, *strategies_[static_cast<std::size_t>(r)], out);
    else if (r != kNoRoute)
        dispatch_route(event, routes_[static_cast<std::size_t>(kFirstRoute - r)], out);
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
    // The books a strategy decides on are state too; the others only attribute (reports), and
    // leaving them out keeps the hashes of sessions with no shared symbol as they were.
    for (std::size_t i = 0; i < books_.size(); ++i) {
        if (own_view_[i] != 0)
            h = books_[i].state_hash(h);
    }
    return book_.state_hash(h);
}

}  // namespace keel::engine
