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

void AlertFollower::on_signal(const Event& alert, Intents& out) noexcept {
    const SymbolId symbol = alert.header.symbol;
    const AlertPayload& a = alert.payload.alert;
    const StrategyView& view = out.view();
    const std::int64_t expected = view.expected_raw(symbol);
    const Price price = a.price.raw > 0 ? a.price : view.account().position(symbol).last_price;
    const auto value = static_cast<std::int64_t>(a.alert_key);

    Reason skipped = Reason::none;
    std::int64_t target = expected;
    bool opens = false;  // whether the target needs a size
    switch (a.action) {
        case AlertAction::buy:
            if (expected > 0) {
                skipped = Reason::already_long;
            } else {
                opens = true;
            }
            break;
        case AlertAction::sell:
            if (expected < 0) {
                skipped = Reason::already_short;
            } else if (!params_.allow_short) {
                if (expected == 0)
                    skipped = Reason::already_flat;
                else
                    target = 0;
            } else {
                opens = true;
            }
            break;
        case AlertAction::close:
            if (expected == 0)
                skipped = Reason::already_flat;
            else
                target = 0;
            break;
        case AlertAction::close_long:
            if (expected > 0)
                target = 0;
            else
                skipped = expected == 0 ? Reason::already_flat : Reason::already_short;
            break;
        case AlertAction::close_short:
            if (expected < 0)
                target = 0;
            else
                skipped = expected == 0 ? Reason::already_flat : Reason::already_long;
            break;
        case AlertAction::target_long:
        case AlertAction::target_short:
        case AlertAction::target_flat:
        case AlertAction::none:
            skipped = Reason::invalid_order;
            break;
    }
    AlertOrder order;
    if (const std::string_view body = view.tail(alert); opens && !body.empty()) {
        if (!parser_.read(body, body.size() + kTailPadding, order).ok())
            skipped = Reason::invalid_order;
    }
    Quantity size{};
    if (opens && skipped == Reason::none) {
        size = size_for(alert, price, view.account().equity());
        if (size.raw <= 0)
            skipped = Reason::no_size;
    }
    const std::int8_t direction =
        a.action == AlertAction::buy ? 1 : (a.action == AlertAction::sell ? -1 : 0);
    out.note(direction, value, a.action, skipped);
    if (skipped == Reason::no_size && expected != 0) {
        // Nothing to open, but the alert still says the other side is over: close it.
        out.target(symbol, 0);
        return;
    }
    if (skipped != Reason::none)
        return;
    if (!opens) {
        out.target(symbol, target);
        return;
    }
    // Reversals are two orders: close what is there, then open the new side, so each shows
    // as its own round trip.
    const Side side = a.action == AlertAction::buy ? Side::buy : Side::sell;
    if (expected != 0)
        out.target(symbol, 0);
    OrderIntent open;
    open.symbol = symbol;
    open.side = side;
    open.quantity = size;
    open.type = order.type;
    open.tif = order.tif;
    open.price = order.limit;
    open.stop_price = order.stop;
    out.order(open);
}

}  // namespace keel::engine
