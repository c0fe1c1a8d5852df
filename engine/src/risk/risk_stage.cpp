#include "keel/engine/risk/risk_stage.hpp"

#include "keel/assert.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/risk/risk_checks.hpp"

namespace keel::engine {

namespace {

std::int64_t abs_raw(std::int64_t v) noexcept {
    return v < 0 ? -v : v;
}

}  // namespace

RiskStage::RiskStage(const RiskLimits& limits, const RiskStageOptions& options)
    : limits_(limits),
      staged_(limits),
      book_(options.order_capacity),
      account_(options.starting_cash, options.symbol_capacity, 0, 0),
      symbols_(options.symbol_capacity),
      peak_equity_(options.starting_cash),
      account_index_(options.account) {
    venue_ready_ = !options.venue_reports_status;
    KEEL_ASSERT(options.symbol_capacity > 0, "risk needs room for at least one symbol");
    traded_.reserve(options.symbol_capacity);
    for (std::size_t i = 0; i < options.bands.size() && i < symbols_.size(); ++i)
        symbols_[i].band = options.bands[i];
    apply_limits(limits);
}

std::uint8_t RiskStage::flags() const noexcept {
    std::uint8_t f = 0;
    if (killed_)
        f |= kRiskKilled;
    if (paused_)
        f |= kRiskPaused;
    if (daily_loss_halt_ || drawdown_halt_)
        f |= kRiskHalted;
    return f;
}

void RiskStage::apply_limits(const RiskLimits& limits) noexcept {
    const bool drawdown_was_on = limits_.max_drawdown_pct > 0;
    limits_ = limits;
    throttle_.configure(limits_.throttle_per_s, limits_.throttle_burst);
    // A drawdown control switched on mid-session measures from now, not from a peak it never
    // watched.
    if (!drawdown_was_on && limits_.max_drawdown_pct > 0)
        peak_equity_ = account_.equity();
}

void RiskStage::on_event(const Event& event, Emit& out) noexcept {
    handle(event, out);
    if (state_hash_due(event, inputs_seen_)) {
        Event h = make_state_hash(event, Source::risk, state_hash(), inputs_seen_);
        h.payload.state_hash.account = account_index_;
        if (log_ == nullptr || log_->append(h))
            out.emit(h);
    }
}

void RiskStage::handle(const Event& event, Emit& out) noexcept {
    if (event.header.type == EventType::order_request) {
        if (limits_.day_boundary_on)
            roll_day_at_boundary(event, out);
        decide(event, out);  // the decision replaces the request
        return;
    }
    // An input goes on before what a day roll derives from it (a closed day, a halt lifted), so
    // consumers downstream meet the cause first: the notification outbox's keys rely on it.
    out.emit(event);
    if (limits_.day_boundary_on)
        roll_day_at_boundary(event, out);
    switch (event.header.type) {
        case EventType::symbol_def:
            if (event.header.symbol < symbols_.size()) {
                SymbolState& s = symbols_[event.header.symbol];
                s.defined = true;
                s.tick_raw = event.payload.symbol_def.tick_size.raw;
            }
            break;
        case EventType::trade:
        case EventType::quote:
        case EventType::bar:
            on_market_data(event, out);
            break;
        case EventType::venue_fill:
            on_fill(event, out);
            break;
        case EventType::venue_ack:
        case EventType::venue_reject:
        case EventType::venue_cancel:
        case EventType::order_denied:
            on_order_reply(event, out);
            break;
        case EventType::timer:
            on_timer(event, out);
            break;
        case EventType::command:
            on_command(event, out);
            break;
        case EventType::feed_status:
            on_feed_status(event);
            break;
        case EventType::venue_status:
            on_venue_status(event);
            break;
        case EventType::venue_account:
            // Shown by the control API (write_snapshot); no check of risk's reads it.
            if (event.payload.venue_account.account == account_index_) {
                broker_ = event.payload.venue_account;
                broker_seen_ = true;
            }
            break;
        case EventType::alert:
            on_alert(event);
            break;
        default:
            break;
    }
}

// --- decisions ---

void RiskStage::decide(const Event& event, Emit& out) noexcept {
    const OrderPayload& o = event.payload.order;
    Reason reason = Reason::none;
    const OrderRecord* existing = nullptr;
    switch (o.action) {
        case OrderAction::new_order:
            reason = check_order(
                OrderView{event.header.symbol, o.side, o.order_type, o.price, o.stop_price,
                          o.quantity, event.header.ts_ns,
                          o.role == OrderRole::stop_loss || o.role == OrderRole::take_profit,
                          event.header.seq},
                nullptr);
            break;
        case OrderAction::cancel:
            existing = book_.find(o.order_id);
            if (existing == nullptr)
                reason = Reason::unknown_order;
            else if (throttle_.enabled() && !throttle_.available(event.header.ts_ns))
                reason = Reason::throttled;
            break;
        case OrderAction::replace:
            existing = book_.find(o.order_id);
            if (existing == nullptr) {
                reason = Reason::unknown_order;
            } else {
                reason =
                    check_order(OrderView{existing->symbol, existing->side, existing->type, o.price,
                                          o.stop_price, o.quantity, event.header.ts_ns},
                                existing);
            }
            break;
        default:
            reason = Reason::invalid_order;
            break;
    }

    Event decision = event;
    decision.header.source = Source::risk;
    if (reason == Reason::none && existing != nullptr) {
        // A cancel or replace the order's state does not allow (a replace before the ack, a
        // second cancel) would be refused by the venue or confuse the books: refuse it here.
        Event approved = event;
        approved.payload.order.status = OrderStatus::approved;
        if (book_.peek(approved).result != ApplyResult::applied)
            reason = Reason::invalid_order;
    }
    if (reason == Reason::none) {
        // The approved order goes on, marked approved by risk: that is its decision record.
        decision.payload.order.status = OrderStatus::approved;
    } else {
        decision.header.type = EventType::risk_reject;
        decision.payload.order.reason = reason;
        decision.payload.order.status = OrderStatus::denied;
    }
    // Fail closed: a decision that cannot be journaled is not acted on.
    if (!journal(decision))
        return;
    if (reason != Reason::none) {
        ++rejects_;
        ++rejects_by_reason_[static_cast<std::uint8_t>(reason)];
        out.emit(decision);
        return;
    }
    ++approvals_;
    if (throttle_.enabled())
        throttle_.take();
    if (o.action == OrderAction::new_order) {
        duplicates_.record(OrderKey{event.header.symbol, o.side, o.order_type, o.price.raw,
                                    o.stop_price.raw, o.quantity.raw},
                           event.header.ts_ns);
    }
    // check_order made sure a new order fits (max_open_orders covers a full book).
    (void)book_.apply(decision);
    out.emit(decision);
}

Reason RiskStage::check_reference(SymbolId symbol, std::int64_t now_ns,
                                  std::int64_t& ref_raw) const noexcept {
    const SymbolState& s = symbols_[symbol];
    if (s.ref_raw <= 0)
        return Reason::no_reference_price;
    if (limits_.max_reference_age_ns > 0 && now_ns - s.ref_ts_ns > limits_.max_reference_age_ns)
        return Reason::stale_reference_price;
    ref_raw = s.ref_raw;
    return Reason::none;
}

Reason RiskStage::check_order(const OrderView& o, const OrderRecord* replaced) noexcept {
    // 1. Input sanity: always on.
    if (o.side != Side::buy && o.side != Side::sell)
        return Reason::invalid_order;
    if (!valid_order_type(o.type))
        return Reason::invalid_order;
    if (o.quantity.raw <= 0)
        return Reason::non_positive_qty;
    if (o.symbol >= symbols_.size() || !symbols_[o.symbol].defined)
        return Reason::unknown_symbol;
    if (const Reason r = check_order_shape(o.side, o.type, o.price, o.stop_price);
        r != Reason::none)
        return r;
    const SymbolState& sym = symbols_[o.symbol];
    const std::int64_t override_tick = limits_.tick_override(o.symbol);
    const std::int64_t tick = override_tick > 0 ? override_tick : sym.tick_raw;
    if ((has_limit_price(o.type) && !on_tick(o.price, tick)) ||
        (has_stop_price(o.type) && !on_tick(o.stop_price, tick)))
        return Reason::off_tick_price;

    // 2. Modes.
    if (killed_)
        return Reason::kill_switch;
    if (paused_ && !reduces_only(o, replaced))
        return Reason::paused;
    if (daily_loss_halt_)
        return Reason::daily_loss_halt;
    if (drawdown_halt_ || (limits_.max_drawdown_pct > 0 && peak_equity_.raw <= 0))
        return Reason::drawdown_halt;

    // 3. Where and when.
    if (!venue_ready_)
        return Reason::venue_disconnected;
    if (positions_mismatch_)
        return Reason::position_mismatch;
    if (limits_.is_restricted(o.symbol))
        return Reason::restricted_symbol;
    if (limits_.trading_hours_enabled() && !within_trading_hours(o.ts_ns, limits_))
        return Reason::outside_trading_hours;
    // A live feed says the data is stale (or gone): no new order may rest on it.
    if (feed_down_ || sym.feed_stale)
        return Reason::market_data_stale;
    if (limits_.max_market_data_age_ns > 0 &&
        (!sym.market_seen || o.ts_ns - sym.market_ts_ns > limits_.max_market_data_age_ns))
        return Reason::market_data_stale;
    if (limits_.max_fills_in_window > 0 && limits_.fill_window_ns > 0 &&
        sym.fills.more_than(static_cast<std::size_t>(limits_.max_fills_in_window),
                            limits_.fill_window_ns, o.ts_ns))
        return Reason::repeated_execution;

    // 4. Size and price.
    if (limits_.max_order_qty.raw > 0 && o.quantity > limits_.max_order_qty)
        return Reason::max_order_qty;
    // Derived from an alert whose price risk did not accept (band or collar): on_alert.
    if (o.cause_seq != 0 && o.cause_seq == sym.refused_alert_seq)
        return Reason::price_collar;
    const bool priced_by_reference = !has_limit_price(o.type);
    const bool needs_reference = (limits_.collar_bps > 0 && !priced_by_reference) ||
                                 (priced_by_reference && (limits_.max_order_notional.raw > 0 ||
                                                          limits_.max_gross_exposure.raw > 0));
    std::int64_t ref_raw = 0;
    if (needs_reference) {
        if (const Reason r = check_reference(o.symbol, o.ts_ns, ref_raw); r != Reason::none)
            return r;
    }
    const std::int64_t order_price_raw = priced_by_reference ? ref_raw : o.price.raw;
    // A replace asks for a new total quantity; what is already filled is not at risk again.
    const std::int64_t already_filled = replaced != nullptr ? replaced->filled.raw : 0;
    const std::int64_t leaves_raw =
        o.quantity.raw > already_filled ? o.quantity.raw - already_filled : 0;
    // Exact (price raw * quantity raw, scale 1e18): the exposure sum divides once, at the end.
    const i128 order_product = static_cast<i128>(order_price_raw) * leaves_raw;
    // Always on: an order whose notional the accounts could not hold (a quarter of Money's
    // range) is refused before it can reach a fill.
    if (notional_raw(order_price_raw, o.quantity.raw) > Account::kMaxMarkValue)
        return Reason::invalid_order;
    if (limits_.max_order_notional.raw > 0 &&
        notional_raw(order_price_raw, o.quantity.raw) > limits_.max_order_notional.raw)
        return Reason::max_order_notional;
    if (limits_.collar_bps > 0 && !priced_by_reference &&
        outside_collar(o.price, Price::from_raw(ref_raw), limits_.collar_bps))
        return Reason::price_collar;

    // 5. Exposure.
    if (limits_.max_position.raw > 0 && !o.bracket_exit) {
        std::int64_t open_same = book_.open_quantity(o.symbol, o.side).raw;
        if (replaced != nullptr)
            open_same -= replaced->leaves().raw;
        if (over_position(account_.position(o.symbol).quantity_raw, open_same, o.side, leaves_raw,
                          limits_.max_position.raw))
            return Reason::max_position;
    }
    if (replaced == nullptr) {
        const std::size_t open_after = book_.open_count() + 1;
        if (open_after > book_.capacity() ||
            (!o.bracket_exit && limits_.max_open_orders > 0 &&
             open_after > static_cast<std::size_t>(limits_.max_open_orders)))
            return Reason::max_open_orders;
    }
    if (limits_.max_gross_exposure.raw > 0 && !o.bracket_exit) {
        if (const Reason r = check_gross(o, replaced, order_product); r != Reason::none)
            return r;
    }
    if (day_trade_blocked(o))
        return Reason::day_trade_limit;

    // 6. Repeats and rate.
    if (replaced == nullptr && limits_.duplicate_window_ns > 0 &&
        duplicates_.seen(
            OrderKey{o.symbol, o.side, o.type, o.price.raw, o.stop_price.raw, o.quantity.raw},
            limits_.duplicate_window_ns, o.ts_ns))
        return Reason::duplicate_order;
    if (throttle_.enabled() && !throttle_.available(o.ts_ns))
        return Reason::throttled;
    return Reason::none;
}

Reason RiskStage::check_gross(const OrderView& o, const OrderRecord* replaced,
                              i128 order_product) const noexcept {
    // Sums exact products (scale 1e18) and compares once with the limit scaled alike: no
    // per-term truncation, and one 128-bit multiply instead of a division per term.
    i128 total = order_product;
    std::int64_t ref_raw = 0;
    for (const SymbolId s : traded_) {
        const std::int64_t q = account_.position(s).quantity_raw;
        if (q == 0)
            continue;
        if (const Reason r = check_reference(s, o.ts_ns, ref_raw); r != Reason::none)
            return r;
        total += static_cast<i128>(ref_raw) * abs_raw(q);
    }
    for (const OrderRecord& r : book_.open_orders()) {
        if (replaced != nullptr && r.order_id == replaced->order_id)
            continue;
        std::int64_t price_raw = r.price.raw;
        if (!has_limit_price(r.type) || price_raw <= 0) {
            if (r.symbol >= symbols_.size())
                return Reason::no_reference_price;
            if (const Reason why = check_reference(r.symbol, o.ts_ns, price_raw);
                why != Reason::none)
                return why;
        }
        total += static_cast<i128>(price_raw) * r.leaves().raw;
    }
    return total > static_cast<i128>(limits_.max_gross_exposure.raw) * kScale
               ? Reason::max_gross_exposure
               : Reason::none;
}

bool RiskStage::day_trade_blocked(const OrderView& o) const noexcept {
    if (limits_.pdt_equity_threshold.raw <= 0)
        return false;
    if (o.ts_ns < limits_.pdt_effective_from_ns ||
        (limits_.pdt_effective_to_ns > 0 && o.ts_ns >= limits_.pdt_effective_to_ns))
        return false;
    const std::int64_t q = account_.position(o.symbol).quantity_raw;
    const bool reduces = (q > 0 && o.side == Side::sell) || (q < 0 && o.side == Side::buy);
    if (!reduces || symbols_[o.symbol].opened_ns < day_start_ns_)
        return false;
    if (day_trades_.count() < limits_.pdt_max_day_trades)
        return false;
    return account_.equity() < limits_.pdt_equity_threshold;
}

// --- the views ---

void RiskStage::on_market_data(const Event& event, Emit& out) noexcept {
    const SymbolId sym = event.header.symbol;
    if (sym >= symbols_.size())
        return;
    std::int64_t price_raw = 0;
    switch (event.header.type) {
        case EventType::trade:
            price_raw = event.payload.trade.price.raw;
            break;
        case EventType::quote: {
            // A one-sided quote is no reference: the last good one ages instead.
            const QuotePayload& q = event.payload.quote;
            if (q.bid.raw > 0 && q.ask.raw > 0)
                price_raw =
                    static_cast<std::int64_t>((static_cast<i128>(q.bid.raw) + q.ask.raw) / 2);
            break;
        }
        default:
            price_raw = event.payload.bar.close.raw;
            break;
    }
    if (price_raw <= 0)
        return;
    SymbolState& s = symbols_[sym];
    s.ref_raw = price_raw;
    s.ref_ts_ns = event.header.ts_ns;
    s.market_seen = true;
    s.market_ts_ns = event.header.ts_ns;
    account_.mark(sym, Price::from_raw(price_raw), event.header.ts_ns);
    // Equity moves only with the marks of symbols held.
    if (account_.position(sym).quantity_raw != 0)
        check_breakers(event, out);
}

bool RiskStage::alert_price_accepted(const SymbolState& s, std::int64_t price_raw,
                                     std::int64_t now_ns) const noexcept {
    if (price_raw < s.band.min_price.raw ||
        (s.band.max_price.raw > 0 && price_raw > s.band.max_price.raw))
        return false;
    // The collar around the previous accepted price, when there is one that is not stale; the
    // first price of a symbol (or the first after a quiet spell) has only the band.
    const bool fresh = s.ref_raw > 0 && (limits_.max_reference_age_ns <= 0 ||
                                         now_ns - s.ref_ts_ns <= limits_.max_reference_age_ns);
    return !(fresh && limits_.collar_bps > 0 &&
             outside_collar(Price::from_raw(price_raw), Price::from_raw(s.ref_raw),
                            limits_.collar_bps));
}

void RiskStage::on_alert(const Event& event) noexcept {
    const SymbolId sym = event.header.symbol;
    const std::int64_t price_raw = event.payload.alert.price.raw;
    if (sym >= symbols_.size() || price_raw <= 0)
        return;
    SymbolState& s = symbols_[sym];
    if (!alert_price_accepted(s, price_raw, event.header.ts_ns)) {
        s.refused_alert_seq = event.header.seq;
        return;
    }
    // Not a mark: the account (equity, the day's P&L, the breakers) moves with market data only.
    s.ref_raw = price_raw;
    s.ref_ts_ns = event.header.ts_ns;
}

bool RiskStage::reduces_only(const OrderView& o, const OrderRecord* replaced) const noexcept {
    // A bracket's exit can only reduce what its entry opened (it is sent once the entry fills).
    if (o.bracket_exit)
        return true;
    const std::int64_t q = account_.position(o.symbol).quantity_raw;
    if ((o.side == Side::sell ? q : -q) <= 0)
        return false;
    // Every open order on this side may fill too; the two exits of a bracket (and an OCO pair)
    // only one of them, so a pair counts as its larger leaves.
    std::int64_t pending = 0;
    for (const OrderRecord& r : book_.open_orders()) {
        if (r.symbol != o.symbol || r.side != o.side ||
            (replaced != nullptr && r.order_id == replaced->order_id))
            continue;
        std::int64_t leaves = r.leaves().raw;
        const bool second_of_pair = r.role == OrderRole::take_profit ||
                                    (r.role == OrderRole::oco && (r.order_id & 1) != 0);
        if (second_of_pair) {
            const std::uint64_t sibling = r.order_id ^ (r.role == OrderRole::oco ? 1u : 3u);
            const OrderRecord* other = book_.find(sibling);
            if (other != nullptr && other->side == r.side &&
                (replaced == nullptr || other->order_id != replaced->order_id))
                leaves = leaves > other->leaves().raw ? leaves - other->leaves().raw : 0;
        }
        pending += leaves;
    }
    const std::int64_t filled = replaced != nullptr ? replaced->filled.raw : 0;
    const std::int64_t leaves = o.quantity.raw > filled ? o.quantity.raw - filled : 0;
    return pending + leaves <= abs_raw(q);
}

void RiskStage::on_fill(const Event& event, Emit& out) noexcept {
    const SymbolId sym = event.header.symbol;
    const FillPayload& f = event.payload.fill;
    const bool is_flatten = sym < symbols_.size() && symbols_[sym].flatten_order != 0 &&
                            symbols_[sym].flatten_order == f.order_id;
    // Every order that reaches the venue passed risk, so a fill this book refuses (unknown,
    // duplicate, over-filled) moves nothing here either; the gateway alerts on it.
    if (book_.apply(event).result != ApplyResult::applied || sym >= symbols_.size())
        return;
    SymbolState& s = symbols_[sym];
    const std::int64_t before = account_.position(sym).quantity_raw;
    account_.apply_fill(sym, f.side, f.price, f.quantity, f.fee, event.header.ts_ns);
    ++day_fills_;
    const std::int64_t after = account_.position(sym).quantity_raw;
    // A day trade: a position opened today is reduced (counted once per opening).
    const bool reduced = before != 0 && (abs_raw(after) < abs_raw(before) ||
                                         (after != 0 && (after < 0) != (before < 0)));
    if (reduced && s.opened_ns >= day_start_ns_ && !s.day_trade_counted) {
        day_trades_.record();
        s.day_trade_counted = true;
    }
    if (after != 0 && (before == 0 || (after < 0) != (before < 0))) {
        s.opened_ns = event.header.ts_ns;
        s.day_trade_counted = false;
    }
    s.fills.record(event.header.ts_ns);
    if (!s.traded) {
        // traded_ holds every symbol once and was reserved for all of them.
        s.traded = true;
        traded_.push_back(sym);
    }
    if (is_flatten && (f.flags & kFillFinal) != 0)
        s.flatten_order = 0;
    check_breakers(event, out);
    if (is_flatten)
        flatten(event, false, out);
}

void RiskStage::on_order_reply(const Event& event, Emit& out) noexcept {
    const SymbolId sym = event.header.symbol;
    const std::uint64_t id = event.payload.order.order_id;
    (void)book_.apply(event);
    if (sym >= symbols_.size() || id == 0 || symbols_[sym].flatten_order != id)
        return;
    SymbolState& s = symbols_[sym];
    if (event.header.type != EventType::venue_ack) {
        // Refused or canceled: not retried until an operator command, so a venue that refuses
        // every order cannot make risk loop.
        s.flatten_order = 0;
        s.flatten_failed = true;
    }
    flatten(event, false, out);
}

void RiskStage::on_timer(const Event& event, Emit& out) noexcept {
    // With a day boundary the trading day follows it, not the sessions' opens.
    if (event.payload.timer.kind != TimerKind::session_open || limits_.day_boundary_on)
        return;
    // Every symbol with a session has its own open timer; the trading day starts at the first
    // open of a new day (period_start_ns holds the session's day index), not at each of them.
    const std::int64_t day = event.payload.timer.period_start_ns;
    if (day_index_known_ && day <= day_index_)
        return;
    day_index_known_ = true;
    day_index_ = day;
    start_day(event, event.header.ts_ns, out);
}

// The boundary is a daily "open" of limits_.day_boundary: the first event at or after it starts
// the day. The first event of all only finds the first boundary ahead.
void RiskStage::roll_day_at_boundary(const Event& event, Emit& out) noexcept {
    const std::int64_t ts = event.header.ts_ns;
    if (next_boundary_ns_ != INT64_MIN && ts < next_boundary_ns_)
        return;
    const std::int64_t passed = next_boundary_ns_;
    const TradingSession& b = limits_.day_boundary;
    const std::int64_t day = local_day(b, ts);
    const std::int64_t today = session_open_ns(b, day);
    next_boundary_ns_ = today > ts ? today : session_open_ns(b, day + 1);
    if (passed != INT64_MIN)
        start_day(event, today > ts ? session_open_ns(b, day - 1) : today, out);
}

void RiskStage::start_day(const Event& cause, std::int64_t day_start_ns, Emit& out) noexcept {
    if (day_start_ns_ != INT64_MIN)
        emit_day_closed(cause, out);
    day_fills_ = 0;
    account_.start_day(day_start_ns);
    day_start_ns_ = day_start_ns;
    day_trades_.start_day();
    if (daily_loss_halt_) {
        daily_loss_halt_ = false;
        emit_state(cause, Reason::daily_loss_halt, account_.day_pnl().raw, CommandCode::none, out);
    }
}

void RiskStage::check_breakers(const Event& cause, Emit& out) noexcept {
    if (limits_.max_daily_loss.raw > 0 && !daily_loss_halt_) {
        const Money pnl = account_.day_pnl();
        if (pnl.raw <= -limits_.max_daily_loss.raw) {
            daily_loss_halt_ = true;
            emit_state(cause, Reason::daily_loss_halt, pnl.raw, CommandCode::none, out);
        }
    }
    if (limits_.max_drawdown_pct > 0) {
        const Money equity = account_.equity();
        if (equity > peak_equity_)
            peak_equity_ = equity;
        if (!drawdown_halt_ && peak_equity_.raw > 0) {
            const std::int64_t pct = drawdown_pct_raw(peak_equity_, equity);
            if (pct >= limits_.max_drawdown_pct) {
                drawdown_halt_ = true;
                emit_state(cause, Reason::drawdown_halt, pct, CommandCode::none, out);
            }
        }
    }
}

// --- commands ---

void RiskStage::on_command(const Event& event, Emit& out) noexcept {
    const CommandPayload& c = event.payload.command;
    switch (c.code) {
        case CommandCode::kill:
            killed_ = true;
            if (c.arg == 1)
                flattening_ = true;
            emit_state(event, Reason::kill_switch, c.arg, c.code, out);
            break;
        case CommandCode::unkill:
            killed_ = false;
            flattening_ = false;
            emit_state(event, Reason::kill_switch, 0, c.code, out);
            break;
        case CommandCode::pause:
            paused_ = true;
            emit_state(event, Reason::paused, 0, c.code, out);
            break;
        case CommandCode::resume:
            paused_ = false;
            if (drawdown_halt_) {
                drawdown_halt_ = false;
                peak_equity_ = account_.equity();
            }
            emit_state(event, Reason::none, 0, c.code, out);
            break;
        case CommandCode::limit_stage: {
            if (!staging_) {
                staged_ = limits_;
                staging_ = true;
            }
            // Stage into a copy so that a refused value leaves the staged batch as it was.
            const RiskLimit id = static_cast<RiskLimit>(c.param);
            if (staged_.set(id, c.arg, event.header.symbol)) {
                ++staged_count_;
            } else {
                staged_invalid_ = true;
                emit_state(event, Reason::invalid_order, c.param, c.code, out);
            }
            break;
        }
        case CommandCode::limit_commit:
            if (staged_invalid_) {
                emit_state(event, Reason::invalid_order, 0, c.code, out);
            } else {
                if (staging_)
                    apply_limits(staged_);
                emit_state(event, Reason::none, staged_count_, c.code, out);
            }
            staging_ = false;
            staged_invalid_ = false;
            staged_count_ = 0;
            break;
        case CommandCode::ack_positions:
            positions_mismatch_ = false;
            emit_state(event, Reason::position_mismatch, 0, c.code, out);
            break;
        case CommandCode::limit_discard:
            staging_ = false;
            staged_invalid_ = false;
            staged_count_ = 0;
            emit_state(event, Reason::none, 0, c.code, out);
            break;
        default:
            break;  // not risk's
    }
    // Every command is a point where no strategy derives orders: flatten may go on here, and
    // retries what the venue refused.
    flatten(event, true, out);
}

void RiskStage::flatten(const Event& cause, bool retry_failed, Emit& out) noexcept {
    if (!killed_ || !flattening_)
        return;
    std::uint32_t k = 0;
    for (const SymbolId sym : traded_) {
        SymbolState& s = symbols_[sym];
        const std::int64_t q = account_.position(sym).quantity_raw;
        if (q == 0 || s.flatten_order != 0)
            continue;
        if (s.flatten_failed && !retry_failed)
            continue;
        if (k == kMaxOrdersPerEvent || book_.open_count() >= book_.capacity())
            return;  // the rest go on the next event
        Event e = make_event(EventType::order_request, Source::risk, cause.header.seq,
                             cause.header.ts_ns, sym);
        e.header.aux = kRiskOwner;
        OrderPayload& o = e.payload.order;
        // Risk's own id space: a strategy may order on the same cause (a fill).
        o.order_id = with_account(make_order_id(cause.header.seq, k) | kRiskOrderIdBit, account_index_);
        o.quantity = Quantity::from_raw(abs_raw(q));
        o.side = q > 0 ? Side::sell : Side::buy;
        o.order_type = OrderType::market;
        o.tif = TimeInForce::day;
        o.action = OrderAction::new_order;
        o.status = OrderStatus::approved;
        if (!journal(e))
            return;
        ++k;
        s.flatten_order = o.order_id;
        s.flatten_failed = false;
        (void)book_.apply(e);
        ++approvals_;
        out.emit(e);
    }
}

// Once a day, so the scan of the positions is no cost per event.
void RiskStage::emit_day_closed(const Event& cause, Emit& out) noexcept {
    Event e = make_event(EventType::day_closed, Source::risk, cause.header.seq, cause.header.ts_ns,
                         kNoSymbol);
    DayClosedPayload& d = e.payload.day_closed;
    d.day_start_ns = day_start_ns_;
    d.day_pnl = account_.day_pnl();
    d.equity = account_.equity();
    d.fills = day_fills_;
    std::size_t open = 0;
    for (SymbolId s = 0; s < account_.symbol_capacity(); ++s)
        open += account_.position(s).quantity_raw != 0 ? 1 : 0;
    d.open_positions = static_cast<std::uint16_t>(std::min<std::size_t>(open, UINT16_MAX));
    d.account = account_index_;
    if (!journal(e))
        return;
    out.emit(e);
}

void RiskStage::emit_state(const Event& cause, Reason reason, std::int64_t value,
                           CommandCode command, Emit& out) noexcept {
    Event e = make_event(EventType::risk_state, Source::risk, cause.header.seq, cause.header.ts_ns,
                         cause.header.symbol);
    e.payload.risk_state.value = value;
    e.payload.risk_state.flags = flags();
    e.payload.risk_state.reason = reason;
    e.payload.risk_state.command = static_cast<std::uint16_t>(command);
    e.payload.risk_state.account = account_index_;
    // The mode has changed whether or not this record lands: a failed append stops the
    // session, and changes that make risk stricter must hold meanwhile.
    if (!journal(e))
        return;
    out.emit(e);
}

void RiskStage::write_snapshot(StateSnapshot& s) const noexcept {
    s.risk_flags = static_cast<std::uint8_t>(
        flags() | (positions_mismatch_ ? kRiskPositionsUnconfirmed : 0));
    s.broker_seen = broker_seen_;
    s.broker_cash = broker_.cash;
    s.broker_buying_power = broker_.buying_power;
    s.broker_equity = broker_.equity;
    s.limits = limits_;
    s.risk_rejects = rejects_;
    s.rejects_by_reason = rejects_by_reason_;
}

void RiskStage::on_feed_status(const Event& event) noexcept {
    const FeedState state = event.payload.feed_status.state;
    if (event.header.symbol == kNoSymbol) {
        if (state == FeedState::disconnected || state == FeedState::connected)
            feed_down_ = state == FeedState::disconnected;
        return;
    }
    if (event.header.symbol < symbols_.size() &&
        (state == FeedState::stale || state == FeedState::fresh))
        symbols_[event.header.symbol].feed_stale = state == FeedState::stale;
}

void RiskStage::on_venue_status(const Event& event) noexcept {
    const VenueStatusPayload& v = event.payload.venue_status;
    if (v.account != account_index_)
        return;
    if (is_connection_state(v.state))
        venue_ready_ = v.state == VenueState::ready;
    else if (v.state == VenueState::position_mismatch)
        positions_mismatch_ = true;  // until an operator's ack_positions
}

std::uint64_t RiskStage::state_hash() const noexcept {
    std::uint64_t h = book_.state_hash(account_.state_hash(kHashSeed));
    h = hash_mix(h, flags());
    h = hash_mix(h, feed_down_ ? 1 : 0);
    if (!venue_ready_)
        h = hash_mix(h, 0x76656e7565);  // only when not ready: journals of always-ready venues keep their hashes
    if (positions_mismatch_)
        h = hash_mix(h, 0x706f73);  // likewise only when set
    for (const SymbolState& s : symbols_)
        h = s.feed_stale ? hash_mix(h, static_cast<std::uint64_t>(&s - symbols_.data())) : h;
    for (const std::int64_t v :
         {limits_.max_order_qty.raw, limits_.max_order_notional.raw, limits_.max_position.raw,
          limits_.max_gross_exposure.raw, limits_.max_open_orders, limits_.max_daily_loss.raw})
        h = hash_mix(h, static_cast<std::uint64_t>(v));
    return h;
}

}  // namespace keel::engine
