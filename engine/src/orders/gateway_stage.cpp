#include "keel/engine/orders/gateway_stage.hpp"

#include <algorithm>

#include "keel/assert.hpp"
#include "keel/engine/core/crash_point.hpp"
#include "keel/engine/orders/order_id.hpp"

namespace keel::engine {

namespace {

[[nodiscard]] bool is_bracket_child(OrderRole role) noexcept {
    return role == OrderRole::stop_loss || role == OrderRole::take_profit;
}

// A stop_loss is k=1 of its bracket and a take_profit k=2: the links are read from the id, so
// an id that does not match its role would link the wrong orders.
[[nodiscard]] bool child_id_matches_role(std::uint64_t id, OrderRole role) noexcept {
    const std::uint32_t k = order_id_index(id);
    return (role == OrderRole::stop_loss && k == 1) || (role == OrderRole::take_profit && k == 2);
}

[[nodiscard]] OrderAction action_of(OrderEventKind kind) noexcept {
    switch (kind) {
        case OrderEventKind::request_cancel:
        case OrderEventKind::reject_cancel:
            return OrderAction::cancel;
        case OrderEventKind::request_replace:
        case OrderEventKind::ack_replace:
        case OrderEventKind::reject_replace:
            return OrderAction::replace;
        default:
            return OrderAction::new_order;
    }
}

// What an echo says about the order it repeats; the rest of the order event is repeated as it
// is. The gateway echoes its own refusals (order_denied) and dropped bracket children
// (venue_cancel), and risk's rejects (order_denied from Source::risk, risk's verdict kept).
struct EchoAs {
    EventType type;
    Source source;
    std::int64_t ts_ns;
    OrderAction action;
    OrderStatus status;
    Reason reason;
};

// The input that tells ingest, and through it strategy and risk, what became of `order`: they
// booked it when it was requested and learn of its end in sequence, like any venue reply.
[[nodiscard]] Event make_echo(const Event& order, const EchoAs& as) noexcept {
    Event e = order;
    e.header.type = as.type;
    e.header.source = as.source;
    e.header.seq = 0;  // ingest assigns it
    e.header.ts_ns = as.ts_ns;
    e.payload.order.action = as.action;
    e.payload.order.status = as.status;
    e.payload.order.reason = as.reason;
    return e;
}

}  // namespace

GatewayStage::GatewayStage(Venue& venue, ReplySink& replies, std::size_t symbol_capacity,
                           std::size_t order_capacity, std::size_t held_capacity,
                           Money starting_cash)
    : venue_(venue),
      venue_sends_later_(venue.sends_on_own_thread()),
      replies_(replies),
      account_(starting_cash, symbol_capacity),
      book_(order_capacity) {
    KEEL_ASSERT(held_capacity <= kMaxHeldChildren,
                "held bracket children must fit the kill switch's emit budget");
    held_.reserve(held_capacity);
    unsent_.reserve(kMaxUnsent);
}

void GatewayStage::hold_sends_from(std::vector<std::uint64_t> thresholds) {
    hold_from_ = std::move(thresholds);
    next_hold_ = 0;
}

void GatewayStage::drop_hold_if_unused() noexcept {
    if (unsent_.empty() && next_hold_ + 1 == hold_from_.size())
        hold_from_.pop_back();
}

void GatewayStage::on_resume(const Event& resume, Emit& out) noexcept {
    if (next_hold_ < hold_from_.size())
        ++next_hold_;
    // Refused now, in sequence: stamped with the session_resume, not with the orders' own
    // (earlier) sequence. On a threaded plan the crash can leave thousands of journaled inputs
    // the gateway never saw; their records, re-derived at the restart, come before this one.
    for (const Event& order : unsent_)
        refuse(order, Reason::unsent_at_restart, out, &resume);
    unsent_.clear();
}

bool GatewayStage::journaled_emit(const Event& e, Emit& out) noexcept {
    ++*records_;
    if (log_ != nullptr && !log_->append(e))
        return false;
    out.emit(e);
    return true;
}

void GatewayStage::emit_state(const Event& cause, const Transition& t, Reason reason,
                              Emit& out) noexcept {
    Event e = make_event(EventType::order_state, Source::gateway, cause.header.seq,
                         cause.header.ts_ns, t.order.symbol);
    e.header.aux = t.order.strategy;
    OrderPayload& o = e.payload.order;
    o.order_id = t.order.order_id;
    o.price = t.order.price;
    o.stop_price = t.order.stop_price;
    o.quantity = t.order.quantity;
    o.side = t.order.side;
    o.order_type = t.order.type;
    o.tif = t.order.tif;
    o.action = action_of(t.kind);
    o.status = t.reported();
    o.role = t.order.role;
    o.reason = reason;
    (void)journaled_emit(e, out);
}

void GatewayStage::emit_dropped(const Event& child, const Event& cause, Reason reason,
                                Emit& out) noexcept {
    Event e = child;
    e.header.type = EventType::order_state;
    e.header.source = Source::gateway;
    e.header.seq = cause.header.seq;
    e.header.ts_ns = cause.header.ts_ns;
    e.payload.order.action = OrderAction::new_order;
    e.payload.order.status = OrderStatus::canceled;
    e.payload.order.reason = reason;
    if (!journaled_emit(e, out))
        return;
    // Strategy and risk booked the child when it was requested; they learn it is gone from
    // an input, in sequence, like any venue cancel (the gateway ignores its own echo).
    replies_.post(make_echo(child, {.type = EventType::venue_cancel,
                                    .source = Source::gateway,
                                    .ts_ns = cause.header.ts_ns,
                                    .action = OrderAction::cancel,
                                    .status = OrderStatus::canceled,
                                    .reason = reason}));
}

// The engine_alert every alert starts from: caused by `cause`, for `order_id`, with `reason`.
Event GatewayStage::alert_event(const Event& cause, std::uint64_t order_id,
                                Reason reason) noexcept {
    ++alerts_;
    Event e = make_event(EventType::engine_alert, Source::gateway, cause.header.seq,
                         cause.header.ts_ns, cause.header.symbol);
    e.header.aux = cause.header.aux;
    EngineAlertPayload& a = e.payload.engine_alert;
    a.order_id = order_id;
    a.cause_seq = cause.header.seq;
    a.cause_type = cause.header.type;
    a.account = account_index_;
    a.reason = reason;
    return e;
}

void GatewayStage::emit_alert(const Event& cause, const Transition& t, Reason reason,
                              Emit& out) noexcept {
    Event e = alert_event(cause, t.order.order_id, reason);
    e.payload.engine_alert.from = t.from;
    e.payload.engine_alert.to = t.to;
    (void)journaled_emit(e, out);
}

void GatewayStage::emit_money_alert(const Event& cause, Reason reason, Price price,
                                    Quantity quantity, std::uint64_t order_id,
                                    Emit& out) noexcept {
    Event e = alert_event(cause, order_id, reason);
    e.payload.engine_alert.price = price;
    e.payload.engine_alert.quantity = quantity;
    (void)journaled_emit(e, out);
}

void GatewayStage::mark(const Event& event, Price price, Emit& out) noexcept {
    if (!account_.mark(event.header.symbol, price, event.header.ts_ns)) {
        const Quantity held =
            Quantity::from_raw(account_.position(event.header.symbol).quantity_raw);
        emit_money_alert(event, Reason::mark_out_of_range, price, held, 0, out);
    }
}

void GatewayStage::refuse(const Event& order, Reason reason, Emit& out,
                          const Event* cause) noexcept {
    Event state = order;
    state.header.type = EventType::order_state;
    state.header.source = Source::gateway;
    if (cause != nullptr) {
        state.header.seq = cause->header.seq;
        state.header.ts_ns = cause->header.ts_ns;
    }
    state.payload.order.status = OrderStatus::rejected;
    state.payload.order.reason = reason;
    if (!journaled_emit(state, out))
        return;
    // Upstream books learn of the refusal in sequence, as they learn of a risk reject.
    replies_.post(make_echo(order, {.type = EventType::order_denied,
                                    .source = Source::gateway,
                                    .ts_ns = state.header.ts_ns,
                                    .action = order.payload.order.action,
                                    .status = OrderStatus::denied,
                                    .reason = reason}));
}

bool GatewayStage::send(const Event& order, const Event& cause, Emit& out) noexcept {
    Event sent = order;
    sent.header.type = EventType::order_sent;
    sent.header.source = Source::gateway;
    sent.header.seq = cause.header.seq;
    sent.header.ts_ns = cause.header.ts_ns;
    sent.payload.order.status = OrderStatus::sent;
    // Check first, so that nothing the book would refuse is journaled as sent.
    const Transition check = book_.peek(sent);
    switch (check.result) {
        case ApplyResult::applied:
            break;
        case ApplyResult::full:
            refuse(order, Reason::max_open_orders, out);
            return false;
        case ApplyResult::illegal:
            emit_alert(cause, check, Reason::illegal_transition, out);
            return false;
        case ApplyResult::ignored:
            emit_alert(cause, check, Reason::invalid_order, out);
            return false;
    }
    // Write-ahead: order_sent is journaled before the book moves and before the venue sees it.
    if (!journaled_emit(sent, out))
        return false;
    const Transition t = book_.apply(sent);
    emit_state(sent, t, sent.payload.order.reason, out);
    ++orders_sent_;
    crash_point(CrashPoint::order_sent);
    venue_.submit(sent);
    if (!venue_sends_later_)
        crash_point(CrashPoint::venue_sent);
    return true;
}

void GatewayStage::on_request(const Event& request, Emit& out) noexcept {
    const OrderPayload& o = request.payload.order;
    if (o.action == OrderAction::new_order && is_bracket_child(o.role)) {
        if (!child_id_matches_role(o.order_id, o.role)) {
            Transition t;
            t.result = ApplyResult::illegal;
            t.to = OrderStatus::pending_new;
            t.order.order_id = o.order_id;
            emit_alert(request, t, Reason::invalid_order, out);
            return;
        }
        // The entry comes first from the same cause; if it is not in the book it was never
        // sent (refused upstream or here), so the child has nothing to protect.
        if (book_.find(bracket_entry_of(o.order_id)) == nullptr) {
            emit_dropped(request, request, Reason::parent_not_filled, out);
            return;
        }
        std::size_t pos = 0;
        while (pos < held_.size() && held_[pos].payload.order.order_id < o.order_id)
            ++pos;
        if (pos < held_.size() && held_[pos].payload.order.order_id == o.order_id) {
            Transition t;
            t.result = ApplyResult::illegal;
            t.from = t.to = OrderStatus::pending_new;
            t.order.order_id = o.order_id;
            emit_alert(request, t, Reason::illegal_transition, out);
            return;
        }
        if (held_.size() == held_.capacity()) {
            refuse(request, Reason::max_open_orders, out);
            return;
        }
        held_.insert(held_.begin() + static_cast<std::ptrdiff_t>(pos), request);
        return;
    }
    // An entry whose two exits could not be held is not sent: it would go out unprotected.
    if (o.action == OrderAction::new_order && o.role == OrderRole::entry &&
        held_.size() + 2 > held_.capacity()) {
        refuse(request, Reason::max_open_orders, out);
        return;
    }
    if (o.action != OrderAction::new_order) {
        // A cancel or replace of a child that is still held never reaches the venue.
        for (std::size_t i = 0; i < held_.size(); ++i) {
            Event& child = held_[i];
            if (child.payload.order.order_id != o.order_id)
                continue;
            if (o.action == OrderAction::cancel) {
                const Event dropped = child;
                held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
                emit_dropped(dropped, request, Reason::canceled_on_request, out);
            } else {
                child.payload.order.price = o.price;
                child.payload.order.stop_price = o.stop_price;
                child.payload.order.quantity = o.quantity;
                Event state = child;
                state.header.type = EventType::order_state;
                state.header.source = Source::gateway;
                state.header.seq = request.header.seq;
                state.header.ts_ns = request.header.ts_ns;
                state.payload.order.action = OrderAction::replace;
                state.payload.order.status = OrderStatus::replaced;
                (void)journaled_emit(state, out);
            }
            return;
        }
    }
    if (holding()) {
        // Derived before a crash, after the last record it journaled: never sent, and not
        // sent late (hold_sends_from).
        if (unsent_.size() < kMaxUnsent)
            unsent_.push_back(request);
        else
            refuse(request, Reason::unsent_at_restart, out);
        return;
    }
    (void)send(request, request, out);
}

void GatewayStage::release_children(const OrderRecord& parent, const Event& cause,
                                    Emit& out) noexcept {
    const bool filled = parent.status == OrderStatus::filled;
    std::size_t keep = 0;
    for (std::size_t i = 0; i < held_.size(); ++i) {
        const Event child = held_[i];
        const std::uint64_t id = child.payload.order.order_id;
        if (id == parent.order_id || bracket_entry_of(id) != parent.order_id) {
            held_[keep++] = child;
            continue;
        }
        if (filled) {
            (void)send(child, cause, out);
        } else if (parent.filled.raw > 0) {
            // The entry ended part filled (canceled or expired): protect what was filled. The
            // exits go out for that quantity (strategy and risk still book the requested
            // quantity until the exit's final fill or cancel closes it).
            Event sized = child;
            sized.payload.order.quantity = parent.filled;
            (void)send(sized, cause, out);
        } else {
            emit_dropped(child, cause, Reason::parent_not_filled, out);
        }
    }
    held_.resize(keep);  // shrinking: no allocation
}

void GatewayStage::cancel_sibling(const OrderRecord& filled, const Event& cause,
                                  Emit& out) noexcept {
    const std::uint64_t sibling_id = sibling_of(filled.order_id, filled.role);
    if (sibling_id == 0)
        return;
    const OrderRecord* sibling = book_.find(sibling_id);
    if (sibling == nullptr)
        return;  // already gone (filled or canceled): nothing to cancel
    const Event cancel =
        cancel_request(*sibling, cause, Source::gateway, Reason::oco_sibling_filled);
    // A sibling already pending cancel needs no second cancel.
    if (book_.peek(cancel).result != ApplyResult::applied)
        return;
    (void)send(cancel, cause, out);
}

void GatewayStage::on_reply(const Event& reply, Emit& out) noexcept {
    if (reply.header.type == EventType::venue_reject)
        ++venue_rejects_;
    const Transition t = book_.apply(reply);
    if (t.result == ApplyResult::illegal) {
        emit_alert(reply, t, Reason::illegal_transition, out);
        return;
    }
    if (t.result != ApplyResult::applied)
        return;
    Reason reason = Reason::none;
    if (reply.header.type == EventType::venue_fill) {
        // Only a fill the book accepts moves the position: an illegal one is most often a
        // duplicate, and the operator is alerted to look.
        ++fills_;
        const FillPayload& f = reply.payload.fill;
        account_.before_event(reply.header.ts_ns, EquityEvent::fill);
        // A fill the account cannot hold (a price or size far out of range) stays in the
        // journal and the book; the position does not move, and the operator is alerted.
        if (!account_.apply_fill(reply.header.symbol, f.side, f.price, f.quantity, f.fee,
                                 reply.header.ts_ns))
            emit_money_alert(reply, Reason::fill_out_of_range, f.price, f.quantity,
                             t.order.order_id, out);
    } else if (reply.header.type == EventType::venue_reject ||
               reply.header.type == EventType::venue_cancel) {
        reason = reply.payload.order.reason;
    }
    emit_state(reply, t, reason, out);
    if (is_terminal(t.to)) {
        release_children(t.order, reply, out);
        if (t.to == OrderStatus::filled)
            cancel_sibling(t.order, reply, out);
    }
}

void GatewayStage::on_risk_reject(const Event& reject, Emit& out) noexcept {
    ++risk_rejects_;
    const OrderPayload& o = reject.payload.order;
    // Risk's verdict (status and reason) goes back as risk gave it.
    replies_.post(make_echo(reject, {.type = EventType::order_denied,
                                     .source = Source::risk,
                                     .ts_ns = reject.header.ts_ns,
                                     .action = o.action,
                                     .status = o.status,
                                     .reason = o.reason}));
    // A bracket exit refused while its entry is still unfilled: the entry would fill without
    // its protection, so it is canceled (its other exit then goes with it).
    if (o.action == OrderAction::new_order && is_bracket_child(o.role)) {
        const OrderRecord* entry = book_.find(bracket_entry_of(o.order_id));
        if (entry != nullptr && entry->filled.raw == 0 &&
            entry->status != OrderStatus::pending_cancel)
            (void)send(
                cancel_request(*entry, reject, Source::gateway, Reason::bracket_exit_refused),
                reject, out);
    }
}

void GatewayStage::on_kill(const Event& command, Emit& out) noexcept {
    // One mass cancel (order_id 0), not one per order: a stage may emit at most
    // kStageEmitBudget events per input, and the venue cancels everything it holds.
    Event mass = make_event(EventType::order_request, Source::gateway, command.header.seq,
                            command.header.ts_ns, kNoSymbol);
    mass.payload.order.order_id = with_account(0, account_index_);
    mass.payload.order.action = OrderAction::cancel;
    mass.payload.order.reason = Reason::kill_switch_cancel;
    (void)send(mass, command, out);
    for (const Event& child : held_)
        emit_dropped(child, command, Reason::kill_switch_cancel, out);
    held_.clear();
}

void GatewayStage::on_event(const Event& event, Emit& out) noexcept {
    handle(event, out);
    if (state_hash_due(event, inputs_seen_)) {
        Event h = make_state_hash(event, Source::gateway, state_hash(), inputs_seen_);
        h.payload.state_hash.account = account_index_;
        ++*records_;
        if (log_ == nullptr || log_->append(h))
            out.emit(h);
    }
}

void GatewayStage::handle(const Event& event, Emit& out) noexcept {
    switch (event.header.type) {
        case EventType::order_request:
            // Replaced by what it becomes (order_sent, or a held / dropped child's state).
            on_request(event, out);
            return;
        case EventType::risk_reject:
            out.emit(event);
            on_risk_reject(event, out);
            return;
        case EventType::venue_cancel:
            out.emit(event);
            // Its own echo of a dropped bracket child (emit_dropped): already accounted for.
            if (event.header.source != Source::gateway)
                on_reply(event, out);
            return;
        case EventType::venue_ack:
        case EventType::venue_fill:
        case EventType::venue_reject:
            out.emit(event);
            on_reply(event, out);
            return;
        case EventType::command:
            out.emit(event);
            if (event.payload.command.code == CommandCode::kill)
                on_kill(event, out);
            return;
        case EventType::session_resume:
            out.emit(event);
            on_resume(event, out);
            return;
        case EventType::trade:
            out.emit(event);
            account_.before_event(event.header.ts_ns, EquityEvent::trade);
            mark(event, event.payload.trade.price, out);
            venue_.on_market_data(event);
            return;
        case EventType::bar:
            out.emit(event);
            account_.before_event(event.header.ts_ns, EquityEvent::bar);
            mark(event, event.payload.bar.close, out);
            account_.after_bar(event.header.ts_ns);
            venue_.on_market_data(event);
            return;
        case EventType::quote:
        case EventType::timer:
            out.emit(event);
            venue_.on_market_data(event);
            return;
        case EventType::alert:
            out.emit(event);
            // A simulator may price a symbol without market data by its alerts (sim_venue.hpp).
            if (event.payload.alert.price.raw > 0)
                venue_.on_market_data(event);
            return;
        default:
            out.emit(event);
            return;
    }
}

std::uint64_t GatewayStage::state_hash() const noexcept {
    std::uint64_t h = book_.state_hash(account_.state_hash(kHashSeed));
    for (const Event& child : held_)
        h = hash_mix(h, child.payload.order.order_id);
    for (const Event& order : unsent_)
        h = hash_mix(h, order.payload.order.order_id);
    return h;
}

void GatewayStage::write_snapshot(StateSnapshot& s) const noexcept {
    const std::size_t n = std::min(s.positions.size(), account_.symbol_capacity());
    Money gross{}, net{};
    for (std::size_t i = 0; i < n; ++i) {
        const PositionState& p = account_.position(static_cast<SymbolId>(i));
        s.positions[i] = p;
        const Money v = p.market_value();
        net.raw += v.raw;
        gross.raw += v.raw < 0 ? -v.raw : v.raw;
    }
    const std::vector<OrderRecord>& open = book_.open_orders();
    s.open_order_count = std::min(open.size(), s.open_orders.size());
    std::copy_n(open.begin(), s.open_order_count, s.open_orders.begin());
    s.starting_cash = account_.starting_cash();
    s.cash = account_.cash();
    s.equity = account_.equity();
    s.realized = account_.realized();
    s.unrealized = account_.unrealized();
    s.fees = account_.fees();
    s.max_drawdown = account_.max_drawdown();
    s.gross_exposure = gross;
    s.net_exposure = net;
    s.orders_sent = orders_sent_;
    s.fills = fills_;
    s.venue_rejects = venue_rejects_;
    s.round_trips = account_.round_trip_count();
}

}  // namespace keel::engine
