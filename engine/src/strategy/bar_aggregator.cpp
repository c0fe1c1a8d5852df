#include "keel/engine/strategy/bar_aggregator.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

Event make_bar_event(const Bar& bar, Source source, std::uint64_t seq, SymbolId symbol) noexcept {
    Event e = make_event(EventType::bar, source, seq, bar.close_ns, symbol);
    e.header.aux = static_cast<std::uint16_t>(bar.interval_minutes);
    e.payload.bar = bar.ohlcv;
    return e;
}

BarAggregator::BarAggregator(const TradingSession& session, std::uint32_t interval_minutes) noexcept
    : session_(session), interval_minutes_(interval_minutes) {
    KEEL_ASSERT(validate(session) == SessionError::ok, "BarAggregator: invalid session");
    KEEL_ASSERT(interval_minutes >= 1 && interval_minutes <= UINT16_MAX,
                "BarAggregator: interval must be 1..65535 minutes (it travels in header.aux)");
}

void BarAggregator::on_trade(std::int64_t ts_ns, Price price, Quantity size) noexcept {
    on_price(ts_ns, price, size);
}

void BarAggregator::on_quote(std::int64_t ts_ns, Price bid, Price ask) noexcept {
    if (bid.raw <= 0 || ask.raw <= 0) {
        ++bad_quotes_;
        return;
    }
    // Halve the sum in 128 bits: two large prices may overflow int64 when added.
    const i128 sum = static_cast<i128>(bid.raw) + ask.raw;
    on_price(ts_ns, Price::from_raw(static_cast<std::int64_t>(sum >> 1)), Quantity{});
}

void BarAggregator::on_price(std::int64_t ts_ns, Price price, Quantity size) noexcept {
    // A bar's volume has no "unknown" (ingest refuses a negative one): a trade of unknown size
    // (kSizeUnknown) adds nothing to it, as it did when such sizes were read as 0.
    if (size_unknown(size))
        size = Quantity{};
    // Event time only moves forward, so a tick older than a closed bar or than the open bar's
    // start is out of order; it cannot be placed without rewriting a bar, so it is counted.
    if (ts_ns < watermark_ns_ || (open_ && ts_ns < open_->start_ns)) {
        ++late_ticks_;
        return;
    }
    // Most ticks fall in the open bar, which lies inside a session: skip the calendar arithmetic.
    if (open_ && ts_ns < open_->close_ns) {
        extend(*open_, price, size);
        return;
    }
    const std::optional<BarWindow> w = bar_window(session_, interval_minutes_, ts_ns);
    if (!w) {
        ++outside_session_;
        return;
    }
    if (open_) {
        // The open bar's timer should have come before this tick; keep the bar for the next
        // timer rather than lose it or stretch it.
        ++missed_timers_;
        if (finished_)
            ++dropped_bars_;
        finished_ = open_;
    }
    Bar b{};
    b.ohlcv.open = b.ohlcv.high = b.ohlcv.low = b.ohlcv.close = price;
    b.ohlcv.volume = size;
    b.start_ns = w->start_ns;
    b.close_ns = w->close_ns;
    b.interval_minutes = interval_minutes_;
    b.ticks = 1;
    open_ = b;
}

void BarAggregator::extend(Bar& bar, Price price, Quantity size) noexcept {
    BarPayload& p = bar.ohlcv;
    if (price > p.high)
        p.high = price;
    if (price < p.low)
        p.low = price;
    p.close = price;
    p.volume += size;
    ++bar.ticks;
}

std::optional<Bar> BarAggregator::on_timer(std::int64_t close_ts_ns) noexcept {
    if (close_ts_ns > watermark_ns_)
        watermark_ns_ = close_ts_ns;
    if (finished_ && finished_->close_ns <= close_ts_ns) {
        std::optional<Bar> out = finished_;
        finished_.reset();
        return out;
    }
    if (open_ && open_->close_ns <= close_ts_ns) {
        std::optional<Bar> out = open_;
        open_.reset();
        return out;
    }
    return std::nullopt;
}

MultiTimeframeBars::MultiTimeframeBars(const TradingSession& session,
                                       std::span<const std::uint32_t> intervals) {
    KEEL_ASSERT(!intervals.empty() && intervals.size() <= kMaxIntervals,
                "MultiTimeframeBars: 1..kMaxIntervals intervals");
    aggregators_.reserve(intervals.size());
    for (const std::uint32_t interval : intervals) {
        KEEL_ASSERT(find(interval) == nullptr, "MultiTimeframeBars: duplicate interval");
        aggregators_.emplace_back(session, interval);
    }
}

void MultiTimeframeBars::on_trade(std::int64_t ts_ns, Price price, Quantity size) noexcept {
    for (BarAggregator& a : aggregators_)
        a.on_trade(ts_ns, price, size);
}

void MultiTimeframeBars::on_quote(std::int64_t ts_ns, Price bid, Price ask) noexcept {
    for (BarAggregator& a : aggregators_)
        a.on_quote(ts_ns, bid, ask);
}

std::optional<Bar> MultiTimeframeBars::on_timer(std::uint32_t interval_minutes,
                                                std::int64_t close_ts_ns) noexcept {
    for (BarAggregator& a : aggregators_) {
        if (a.interval_minutes() == interval_minutes)
            return a.on_timer(close_ts_ns);
    }
    ++unknown_interval_timers_;
    return std::nullopt;
}

const BarAggregator* MultiTimeframeBars::find(std::uint32_t interval_minutes) const noexcept {
    for (const BarAggregator& a : aggregators_) {
        if (a.interval_minutes() == interval_minutes)
            return &a;
    }
    return nullptr;
}

}  // namespace keel::engine
