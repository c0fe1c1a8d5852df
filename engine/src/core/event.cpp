#include "keel/engine/core/event.hpp"

#include "keel/engine/core/name_table.hpp"

namespace keel::engine {

std::string_view to_string(InputField f) noexcept {
    constexpr std::string_view kNames[] = {"none", "price", "size", "bid",   "bid_size",
                                           "ask",  "ask_size", "open", "high", "low",
                                           "close", "volume", "quantity", "notional"};
    const auto i = static_cast<std::size_t>(f);
    return i < std::size(kNames) ? kNames[i] : "unknown";
}

std::string_view to_string(TickRefusal r) noexcept {
    switch (r) {
        case TickRefusal::below_min:
            return "below_min";
        case TickRefusal::above_max:
            return "above_max";
        case TickRefusal::jump:
            return "jump";
    }
    return "unknown";
}

std::string_view to_string(EventType t) noexcept {
    switch (t) {
        case EventType::none:
            return "none";
        case EventType::session_start:
            return "session_start";
        case EventType::symbol_def:
            return "symbol_def";
        case EventType::trade:
            return "trade";
        case EventType::quote:
            return "quote";
        case EventType::bar:
            return "bar";
        case EventType::alert:
            return "alert";
        case EventType::command:
            return "command";
        case EventType::timer:
            return "timer";
        case EventType::venue_ack:
            return "venue_ack";
        case EventType::venue_fill:
            return "venue_fill";
        case EventType::venue_reject:
            return "venue_reject";
        case EventType::venue_cancel:
            return "venue_cancel";
        case EventType::order_denied:
            return "order_denied";
        case EventType::feed_status:
            return "feed_status";
        case EventType::audit:
            return "audit";
        case EventType::session_resume:
            return "session_resume";
        case EventType::tick_refused:
            return "tick_refused";
        case EventType::input_refused:
            return "input_refused";
        case EventType::clock:
            return "clock";
        case EventType::venue_status:
            return "venue_status";
        case EventType::venue_account:
            return "venue_account";
        case EventType::signal:
            return "signal";
        case EventType::order_request:
            return "order_request";
        case EventType::risk_reject:
            return "risk_reject";
        case EventType::order_sent:
            return "order_sent";
        case EventType::order_state:
            return "order_state";
        case EventType::engine_alert:
            return "engine_alert";
        case EventType::risk_state:
            return "risk_state";
        case EventType::state_hash:
            return "state_hash";
        case EventType::day_closed:
            return "day_closed";
        case EventType::flush:
            return "flush";
        case EventType::shutdown:
            return "shutdown";
        case EventType::snapshot:
            return "snapshot";
    }
    return "unknown";
}

std::string_view to_string(Source s) noexcept {
    switch (s) {
        case Source::engine:
            return "engine";
        case Source::feed:
            return "feed";
        case Source::webhook:
            return "webhook";
        case Source::control:
            return "control";
        case Source::venue:
            return "venue";
        case Source::strategy:
            return "strategy";
        case Source::risk:
            return "risk";
        case Source::gateway:
            return "gateway";
        case Source::clock:
            return "clock";
    }
    return "unknown";
}

std::string_view to_string(Side s) noexcept {
    switch (s) {
        case Side::none:
            return "none";
        case Side::buy:
            return "buy";
        case Side::sell:
            return "sell";
    }
    return "unknown";
}

std::string_view to_string(OrderType v) noexcept {
    switch (v) {
        case OrderType::market:
            return "market";
        case OrderType::limit:
            return "limit";
        case OrderType::stop:
            return "stop";
        case OrderType::stop_limit:
            return "stop_limit";
        case OrderType::trailing_stop:
            return "trailing_stop";
    }
    return "unknown";
}

std::string_view to_string(TimeInForce v) noexcept {
    switch (v) {
        case TimeInForce::day:
            return "day";
        case TimeInForce::gtc:
            return "gtc";
        case TimeInForce::ioc:
            return "ioc";
        case TimeInForce::fok:
            return "fok";
    }
    return "unknown";
}

std::string_view to_string(OrderAction v) noexcept {
    switch (v) {
        case OrderAction::new_order:
            return "new_order";
        case OrderAction::cancel:
            return "cancel";
        case OrderAction::replace:
            return "replace";
    }
    return "unknown";
}

std::string_view to_string(OrderStatus v) noexcept {
    switch (v) {
        case OrderStatus::sent:
            return "sent";
        case OrderStatus::accepted:
            return "accepted";
        case OrderStatus::filled:
            return "filled";
        case OrderStatus::rejected:
            return "rejected";
        case OrderStatus::canceled:
            return "canceled";
        case OrderStatus::denied:
            return "denied";
        case OrderStatus::approved:
            return "approved";
        case OrderStatus::pending_new:
            return "pending_new";
        case OrderStatus::partially_filled:
            return "partially_filled";
        case OrderStatus::pending_cancel:
            return "pending_cancel";
        case OrderStatus::expired:
            return "expired";
        case OrderStatus::replaced:
            return "replaced";
        case OrderStatus::pending_replace:
            return "pending_replace";
    }
    return "unknown";
}

std::string_view to_string(OrderRole v) noexcept {
    switch (v) {
        case OrderRole::none:
            return "none";
        case OrderRole::entry:
            return "entry";
        case OrderRole::stop_loss:
            return "stop_loss";
        case OrderRole::take_profit:
            return "take_profit";
        case OrderRole::oco:
            return "oco";
    }
    return "unknown";
}

namespace {

// Every Reason by name: reports, dumps and the API print these (a journal stores the number).
constexpr Named<Reason> kReasonNames[] = {
    {Reason::none, "none"},
    {Reason::max_order_qty, "max_order_qty"},
    {Reason::non_positive_qty, "non_positive_qty"},
    {Reason::max_order_notional, "max_order_notional"},
    {Reason::price_collar, "price_collar"},
    {Reason::no_reference_price, "no_reference_price"},
    {Reason::stale_reference_price, "stale_reference_price"},
    {Reason::max_position, "max_position"},
    {Reason::max_gross_exposure, "max_gross_exposure"},
    {Reason::max_open_orders, "max_open_orders"},
    {Reason::throttled, "throttled"},
    {Reason::duplicate_order, "duplicate_order"},
    {Reason::daily_loss_halt, "daily_loss_halt"},
    {Reason::drawdown_halt, "drawdown_halt"},
    {Reason::repeated_execution, "repeated_execution"},
    {Reason::outside_trading_hours, "outside_trading_hours"},
    {Reason::restricted_symbol, "restricted_symbol"},
    {Reason::market_data_stale, "market_data_stale"},
    {Reason::off_tick_price, "off_tick_price"},
    {Reason::unknown_symbol, "unknown_symbol"},
    {Reason::day_trade_limit, "day_trade_limit"},
    {Reason::kill_switch, "kill_switch"},
    {Reason::paused, "paused"},
    {Reason::invalid_order, "invalid_order"},
    {Reason::unknown_order, "unknown_order"},
    {Reason::venue_disconnected, "venue_disconnected"},
    {Reason::position_mismatch, "position_mismatch"},
    {Reason::unsupported_order_type, "unsupported_order_type"},
    {Reason::venue_full, "venue_full"},
    {Reason::insufficient_buying_power, "insufficient_buying_power"},
    {Reason::venue_closed, "venue_closed"},
    {Reason::venue_unknown_order, "venue_unknown_order"},
    {Reason::fok_unfillable, "fok_unfillable"},
    {Reason::canceled_on_request, "canceled_on_request"},
    {Reason::expired_day, "expired_day"},
    {Reason::ioc_remainder, "ioc_remainder"},
    {Reason::oco_sibling_filled, "oco_sibling_filled"},
    {Reason::kill_switch_cancel, "kill_switch_cancel"},
    {Reason::parent_not_filled, "parent_not_filled"},
    {Reason::flatten_before_close, "flatten_before_close"},
    {Reason::bracket_exit_refused, "bracket_exit_refused"},
    {Reason::already_long, "already_long"},
    {Reason::already_short, "already_short"},
    {Reason::already_flat, "already_flat"},
    {Reason::no_size, "no_size"},
    {Reason::no_strategy, "no_strategy"},
    {Reason::illegal_transition, "illegal_transition"},
    {Reason::unsent_at_restart, "unsent_at_restart"},
    {Reason::unbookable_fill, "unbookable_fill"},
    {Reason::no_market_price, "no_market_price"},
    {Reason::venue_rejected, "venue_rejected"},
    {Reason::stale_resend, "stale_resend"},
    {Reason::foreign_order, "foreign_order"},
    {Reason::venue_rate_limited, "venue_rate_limited"},
    {Reason::venue_timeout, "venue_timeout"},
    {Reason::venue_auth_failed, "venue_auth_failed"},
    {Reason::venue_http_error, "venue_http_error"},
    {Reason::fill_out_of_range, "fill_out_of_range"},
    {Reason::mark_out_of_range, "mark_out_of_range"},
};

}  // namespace

std::string_view to_string(Reason v) noexcept {
    return name_of(kReasonNames, v, "unknown");
}

std::string_view to_string(AlertAction v) noexcept {
    switch (v) {
        case AlertAction::none:
            return "none";
        case AlertAction::buy:
            return "buy";
        case AlertAction::sell:
            return "sell";
        case AlertAction::close:
            return "close";
        case AlertAction::close_long:
            return "close_long";
        case AlertAction::close_short:
            return "close_short";
        case AlertAction::target_long:
            return "long";
        case AlertAction::target_short:
            return "short";
        case AlertAction::target_flat:
            return "flat";
    }
    return "unknown";
}

std::string_view to_string(CommandCode v) noexcept {
    switch (v) {
        case CommandCode::none:
            return "none";
        case CommandCode::kill:
            return "kill";
        case CommandCode::unkill:
            return "unkill";
        case CommandCode::pause:
            return "pause";
        case CommandCode::resume:
            return "resume";
        case CommandCode::limit_stage:
            return "limit_stage";
        case CommandCode::limit_commit:
            return "limit_commit";
        case CommandCode::limit_discard:
            return "limit_discard";
        case CommandCode::ack_positions:
            return "ack_positions";
    }
    return "unknown";
}

std::string_view to_string(TimerKind v) noexcept {
    switch (v) {
        case TimerKind::none:
            return "none";
        case TimerKind::bar_close:
            return "bar_close";
        case TimerKind::session_open:
            return "session_open";
        case TimerKind::session_close:
            return "session_close";
        case TimerKind::before_close:
            return "before_close";
    }
    return "unknown";
}

std::string_view to_string(FeedState s) noexcept {
    switch (s) {
        case FeedState::fresh:
            return "fresh";
        case FeedState::stale:
            return "stale";
        case FeedState::disconnected:
            return "disconnected";
        case FeedState::connected:
            return "connected";
    }
    return "unknown";
}

std::string_view to_string(VenueState s) noexcept {
    switch (s) {
        case VenueState::disconnected:
            return "disconnected";
        case VenueState::reconciling:
            return "reconciling";
        case VenueState::ready:
            return "ready";
        case VenueState::refused:
            return "refused";
        case VenueState::order_reconciled:
            return "order_reconciled";
        case VenueState::resend_gap_filled:
            return "resend_gap_filled";
        case VenueState::foreign_order:
            return "foreign_order";
        case VenueState::request_outcome:
            return "request_outcome";
        case VenueState::position_mismatch:
            return "position_mismatch";
    }
    return "unknown";
}

}  // namespace keel::engine
