#include "keel/engine/strategy/strategies/alert_follower.hpp"

namespace keel::engine {

AlertFollower::AlertFollower(AlertFollowerParams params)
    : Strategy(params.symbols), params_(std::move(params)) {}

Quantity AlertFollower::size_for(const Event& alert, Price price, Money equity) const noexcept {
    const AlertPayload& a = alert.payload.alert;
    if (a.quantity.raw > 0)
        return a.quantity;
    if (a.notional.raw > 0)
        return size_fixed_notional(a.notional, price, params_.lot);
    const AlertSizeRule* any = nullptr;
    for (const AlertSizeRule& r : params_.sizes) {
        if (r.symbol != alert.header.symbol)
            continue;
        if (r.timeframe_minutes == a.timeframe_minutes) {
            any = &r;
            break;
        }
        if (r.timeframe_minutes == 0 && any == nullptr)
            any = &r;
    }
    if (any != nullptr) {
        return any->quantity.raw > 0 ? any->quantity
                                     : size_fixed_notional(any->notional, price, params_.lot);
    }
    return params_.sizing.quantity_for(price, equity, Price{});
}

const AlertOrder* AlertFollower::defaults_for(SymbolId symbol) const noexcept {
    for (const AlertOrderDefaults& d : params_.defaults) {
        if (d.symbol == symbol)
            return &d.order;
    }
    return nullptr;
}

AlertFollower::Plan AlertFollower::plan(const Event& alert, std::int64_t expected,
                                        Quantity size) const noexcept {
    Plan p;
    const auto move_to = [&p](std::int64_t target) {
        p.move = true;
        p.target = target;
    };
    const auto open = [&](Side side) {
        p.opens = true;
        p.side = side;
        if (expected != 0)
            move_to(0);  // a reversal: close what is there first, its own round trip
    };
    // A target already held on this side: at the size, or made up with a market order.
    const auto hold = [&](std::int64_t target, Reason there) {
        if (size.raw <= 0)
            p.skipped = Reason::no_size;
        else if (expected == target)
            p.skipped = there;
        else
            move_to(target);
    };
    const bool shorts = params_.allow_short;
    switch (alert.payload.alert.action) {
        case AlertAction::buy:
            expected > 0 ? void(p.skipped = Reason::already_long) : open(Side::buy);
            break;
        case AlertAction::target_long:
            expected > 0 ? hold(size.raw, Reason::already_long) : open(Side::buy);
            break;
        case AlertAction::sell:
        case AlertAction::target_short:
            if (expected < 0 && alert.payload.alert.action == AlertAction::target_short && shorts)
                hold(-size.raw, Reason::already_short);
            else if (expected < 0)
                p.skipped = Reason::already_short;
            else if (shorts)
                open(Side::sell);
            else if (expected == 0)
                p.skipped = Reason::already_flat;
            else
                move_to(0);
            break;
        case AlertAction::close:
        case AlertAction::target_flat:
            expected == 0 ? void(p.skipped = Reason::already_flat) : move_to(0);
            break;
        case AlertAction::close_long:
            if (expected > 0)
                move_to(0);
            else
                p.skipped = expected == 0 ? Reason::already_flat : Reason::already_short;
            break;
        case AlertAction::close_short:
            if (expected < 0)
                move_to(0);
            else
                p.skipped = expected == 0 ? Reason::already_flat : Reason::already_long;
            break;
        case AlertAction::none:
            p.skipped = Reason::invalid_order;
            break;
    }
    return p;
}

Reason AlertFollower::opening_order(const Event& alert, const StrategyView& view, Side side,
                                    Quantity size, OrderIntent& open) noexcept {
    const AlertPayload& a = alert.payload.alert;
    const SymbolId symbol = alert.header.symbol;
    AlertOrder order;
    if (const std::string_view body = view.tail(alert); !body.empty()) {
        if (!parser_.read(body, body.size() + kTailPadding, order).ok())
            return Reason::invalid_order;
    }
    if (const AlertOrder* d = defaults_for(symbol))
        order = with_defaults(order, *d);
    // The alert's price (from the body, or a CSV row's column) may be a limit order's limit.
    if (a.price.raw > 0)
        order.given |= 1u << static_cast<unsigned>(AlertField::price);
    if (!check_alert_order(order).ok())
        return Reason::invalid_order;
    open.symbol = symbol;
    open.side = side;
    open.quantity = size;
    open.type = order.type;
    open.tif = order.tif;
    open.price = order.limit.raw > 0 || order.type != OrderType::limit ? order.limit : a.price;
    open.stop_price = order.stop;
    if (!order.has_bracket())
        return Reason::none;
    // The entry's price the exits are measured from (alert_order.hpp).
    Price entry = a.price.raw > 0 ? a.price : view.account().position(symbol).last_price;
    if (open.price.raw > 0)
        entry = open.price;
    else if (order.type == OrderType::stop)
        entry = open.stop_price;
    return exit_prices(order, side, entry, view.tick_size(symbol), open.take_profit,
                       open.stop_loss);
}

void AlertFollower::on_signal(const Event& alert, Intents& out) noexcept {
    const SymbolId symbol = alert.header.symbol;
    const AlertPayload& a = alert.payload.alert;
    const StrategyView& view = out.view();
    const std::int64_t expected = view.expected_raw(symbol);
    const Price price = a.price.raw > 0 ? a.price : view.account().position(symbol).last_price;
    const Quantity size = size_for(alert, price, view.account().equity());
    Plan p = plan(alert, expected, size);
    OrderIntent open;
    if (p.opens) {
        if (const Reason r = opening_order(alert, view, p.side, size, open); r != Reason::none) {
            p = Plan{r};  // nothing at all, not even a reversal's close
        } else if (size.raw <= 0) {
            // Nothing to open, but the alert still says the other side is over: close it.
            p.skipped = Reason::no_size;
            p.opens = false;
        }
    }
    const bool up = a.action == AlertAction::buy || a.action == AlertAction::target_long;
    const bool down = a.action == AlertAction::sell || a.action == AlertAction::target_short;
    out.note(static_cast<std::int8_t>(up ? 1 : (down ? -1 : 0)),
             static_cast<std::int64_t>(a.alert_key), a.action, p.skipped);
    if (p.move)
        out.target(symbol, p.target);
    if (p.opens)
        out.order(open);
}

}  // namespace keel::engine
