#include "keel/engine/core/event.hpp"

namespace keel::engine {

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

std::string_view to_string(Reason v) noexcept {
    switch (v) {
        case Reason::none:
            return "none";
        case Reason::max_order_qty:
            return "max_order_qty";
        case Reason::non_positive_qty:
            return "non_positive_qty";
        case Reason::max_order_notional:
            return "max_order_notional";
        case Reason::price_collar:
            return "price_collar";
        case Reason::no_reference_price:
            return "no_reference_price";
        case Reason::stale_reference_price:
            return "stale_reference_price";
        case Reason::max_position:
            return "max_position";
        case Reason::max_gross_exposure:
            return "max_gross_exposure";
        case Reason::max_open_orders:
            return "max_open_orders";
        case Reason::throttled:
            return "throttled";
        case Reason::duplicate_order:
            return "duplicate_order";
        case Reason::daily_loss_halt:
            return "daily_loss_halt";
        case Reason::drawdown_halt:
            return "drawdown_halt";
        case Reason::repeated_execution:
            return "repeated_execution";
        case Reason::outside_trading_hours:
            return "outside_trading_hours";
        case Reason::restricted_symbol:
            return "restricted_symbol";
        case Reason::market_data_stale:
            return "market_data_stale";
        case Reason::off_tick_price:
            return "off_tick_price";
        case Reason::unknown_symbol:
            return "unknown_symbol";
        case Reason::day_trade_limit:
            return "day_trade_limit";
        case Reason::kill_switch:
            return "kill_switch";
        case Reason::paused:
            return "paused";
        case Reason::invalid_order:
            return "invalid_order";
        case Reason::unknown_order:
            return "unknown_order";
        case Reason::unsupported_order_type:
            return "unsupported_order_type";
        case Reason::venue_full:
            return "venue_full";
        case Reason::insufficient_buying_power:
            return "insufficient_buying_power";
        case Reason::venue_closed:
            return "venue_closed";
        case Reason::venue_unknown_order:
            return "venue_unknown_order";
        case Reason::fok_unfillable:
            return "fok_unfillable";
        case Reason::canceled_on_request:
            return "canceled_on_request";
        case Reason::expired_day:
            return "expired_day";
        case Reason::ioc_remainder:
            return "ioc_remainder";
        case Reason::oco_sibling_filled:
            return "oco_sibling_filled";
        case Reason::kill_switch_cancel:
            return "kill_switch_cancel";
        case Reason::parent_not_filled:
            return "parent_not_filled";
        case Reason::flatten_before_close:
            return "flatten_before_close";
        case Reason::bracket_exit_refused:
            return "bracket_exit_refused";
        case Reason::already_long:
            return "already_long";
        case Reason::already_short:
            return "already_short";
        case Reason::already_flat:
            return "already_flat";
        case Reason::no_size:
            return "no_size";
        case Reason::illegal_transition:
            return "illegal_transition";
        case Reason::unsent_at_restart:
            return "unsent_at_restart";
    }
    return "unknown";
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

}  // namespace keel::engine
