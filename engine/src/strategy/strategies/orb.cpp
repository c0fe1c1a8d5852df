#include "keel/engine/strategy/strategies/orb.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

OrbStrategy::OrbStrategy(const OrbParams& params)
    : Strategy({params.symbol}),
      params_(params),
      trend_ema_(params.trend_ema),
      volume_sma_(params.volume_sma),
      atr_(params.atr_period) {
    KEEL_ASSERT(params.interval_minutes >= 1 && params.range_minutes >= params.interval_minutes,
                "orb: the range must span at least one base bar");
    KEEL_ASSERT(params.trend_interval_minutes != params.interval_minutes,
                "orb: the trend timeframe must differ from the base timeframe");
}

std::vector<std::uint32_t> OrbStrategy::bar_intervals() const {
    return {params_.interval_minutes, params_.trend_interval_minutes};
}

void OrbStrategy::on_bar(const BarView& bar, Intents& out) noexcept {
    if (bar.symbol != params_.symbol)
        return;
    if (bar.interval_minutes == params_.trend_interval_minutes) {
        trend_ema_.update(bar.bar.close);
        trend_close_ = bar.bar.close;
        return;
    }
    if (bar.interval_minutes == params_.interval_minutes)
        on_base_bar(bar, out);
}

void OrbStrategy::on_base_bar(const BarView& bar, Intents& out) noexcept {
    const BarPayload& b = bar.bar;
    atr_.update(b.high, b.low, b.close);
    // A bar of unknown volume (data without sizes) counts as none, as the bar aggregator counts
    // a trade of unknown size.
    const std::int64_t volume = size_unknown(b.volume) ? 0 : b.volume.raw;
    volume_sma_.update(volume);
    const std::optional<std::int64_t> day = session_day(session(), bar.close_ns - 1);
    if (!day)
        return;
    if (*day != day_) {
        day_ = *day;
        range_seen_ = false;
        range_done_ = false;
        entered_today_ = false;
        closing_ = false;
    }
    const std::int64_t range_end = session_open_ns(session(), *day) +
                                   static_cast<std::int64_t>(params_.range_minutes) * kNsPerMinute;
    if (bar.close_ns <= range_end) {
        if (!range_seen_ || b.high > range_high_)
            range_high_ = b.high;
        if (!range_seen_ || b.low < range_low_)
            range_low_ = b.low;
        range_seen_ = true;
        range_done_ = bar.close_ns == range_end;
        return;
    }
    range_done_ = range_seen_;
    if (!range_done_ || entered_today_ || closing_)
        return;
    const StrategyView& view = out.view();
    if (view.expected_raw(params_.symbol) != 0)
        return;
    int direction = 0;
    if (b.close > range_high_)
        direction = 1;
    else if (params_.allow_short && b.close < range_low_)
        direction = -1;
    if (direction == 0)
        return;
    // Filters: each must be defined to agree (fail closed).
    const bool trend_ok =
        trend_ema_.ready() && trend_close_.raw > 0 &&
        (direction > 0 ? static_cast<double>(trend_close_.raw) / 1e9 > trend_ema_.value()
                       : static_cast<double>(trend_close_.raw) / 1e9 < trend_ema_.value());
    // volume >= factor * sum / n, exactly: volume * n * scale >= factor * sum.
    const bool volume_ok = volume_sma_.ready() &&
                           static_cast<i128>(volume) * volume_sma_.period() * kScale >=
                               static_cast<i128>(params_.volume_factor_raw) * volume_sma_.sum_raw();
    const Price atr = indicator_price(atr_.value());
    if (!trend_ok || !volume_ok || atr.raw <= 0) {
        out.note(static_cast<std::int8_t>(direction), b.close.raw, AlertAction::none, Reason::none);
        return;
    }
    // ATR * multiple, saturated: a distance past any price only makes the leg invalid below.
    const auto scaled = [&](std::int64_t multiple_raw) {
        const i128 d = static_cast<i128>(atr.raw) * multiple_raw / kScale;
        return d > INT64_MAX / 2 ? INT64_MAX / 2 : static_cast<std::int64_t>(d);
    };
    const std::int64_t stop_distance = scaled(params_.stop_atr_raw);
    const std::int64_t target_distance = scaled(params_.target_atr_raw);
    OrderIntent entry;
    entry.symbol = params_.symbol;
    entry.side = direction > 0 ? Side::buy : Side::sell;
    entry.quantity = params_.sizing.quantity_for(b.close, view.account().equity(), atr);
    // On the tick grid, each rounded toward the entry: a tighter stop, a nearer target.
    const Price tick = view.tick_size(params_.symbol);
    entry.stop_loss = round_to_tick(
        Price::from_raw(direction > 0 ? b.close.raw - stop_distance : b.close.raw + stop_distance),
        tick, direction > 0);
    entry.take_profit =
        round_to_tick(Price::from_raw(direction > 0 ? b.close.raw + target_distance
                                                    : b.close.raw - target_distance),
                      tick, direction < 0);
    if (entry.quantity.raw <= 0 || entry.stop_loss.raw <= 0 || entry.take_profit.raw <= 0) {
        out.note(static_cast<std::int8_t>(direction), b.close.raw, AlertAction::none,
                 Reason::no_size);
        return;
    }
    out.note(static_cast<std::int8_t>(direction), b.close.raw);
    if (out.order(entry))
        entered_today_ = true;
}

void OrbStrategy::on_timer(const Event& timer, Intents& out) noexcept {
    if (timer.payload.timer.kind != TimerKind::before_close ||
        timer.header.symbol != params_.symbol)
        return;
    closing_ = true;
    // Flatten what is filled first (the entries canceled below do not count), so the budget
    // of one event always has room for it; then cancel what is still working, bracket exits
    // included (the stage emits the cancels ahead of the order).
    const std::int64_t position = out.view().position_raw(params_.symbol);
    if (position != 0) {
        OrderIntent flat;
        flat.symbol = params_.symbol;
        flat.side = position > 0 ? Side::sell : Side::buy;
        flat.quantity = Quantity::from_raw(position > 0 ? position : -position);
        (void)out.order(flat);
    }
    for (const OrderRecord& o : out.view().orders().open_orders()) {
        if (o.symbol == params_.symbol)
            (void)out.cancel(o.order_id);  // false for one already being canceled: go on
    }
}

void OrbStrategy::on_fill(const Event& fill, Intents& out) noexcept {
    if (!closing_ || fill.header.symbol != params_.symbol)
        return;
    // A fill after the flatten point: whatever it left open goes flat now.
    if (out.view().expected_raw(params_.symbol) != 0)
        out.target(params_.symbol, 0);
}

}  // namespace keel::engine
