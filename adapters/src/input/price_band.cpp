#include "keel/adapters/input/price_band.hpp"

#include <algorithm>
#include <utility>

namespace keel::adapters {

using engine::EventType;
using engine::i128;
using engine::Price;
using engine::TickRefusal;
using engine::TickRefusedPayload;

namespace {

// The price a tick is held to the jump check by, and its lowest and highest price for the
// bounds: a trade's price; a quote's mid (or its one side) and its bid and ask; a bar's close
// and its low and high.
struct TickPrices {
    Price price;
    Price lowest;
    Price highest;
};

TickPrices prices_of(const engine::Event& e) noexcept {
    const engine::EventPayload& p = e.payload;
    switch (e.header.type) {
        case EventType::trade:
            return {p.trade.price, p.trade.price, p.trade.price};
        case EventType::quote: {
            const Price bid = p.quote.bid;
            const Price ask = p.quote.ask;
            if (bid.raw > 0 && ask.raw > 0) {
                const Price mid = Price::from_raw(
                    static_cast<std::int64_t>((static_cast<i128>(bid.raw) + ask.raw) / 2));
                return {mid, bid < ask ? bid : ask, bid < ask ? ask : bid};
            }
            // One side only (a quote may carry just a bid or an ask).
            const Price side = bid.raw > 0 ? bid : ask;
            return {side, side, side};
        }
        default: {  // bar
            const engine::BarPayload& b = p.bar;
            return {b.close, b.low, b.high};
        }
    }
}

}  // namespace

PriceBand::PriceBand(std::vector<BandLimits> per_symbol, BandOptions options) : options_(options) {
    states_.resize(per_symbol.size());
    for (std::size_t i = 0; i < per_symbol.size(); ++i) {
        states_[i].limits = per_symbol[i];
        if (states_[i].limits.max_jump_pct.raw < 0)
            states_[i].limits.max_jump_pct = options.default_max_jump_pct;
    }
}

std::optional<TickRefusedPayload> PriceBand::check(const engine::Event& e) noexcept {
    if (!engine::is_market_data(e.header.type) || e.header.symbol >= states_.size())
        return std::nullopt;
    State& s = states_[e.header.symbol];
    const TickPrices t = prices_of(e);
    // The bounds hold every price the tick carries; the jump, the one it is marked at.
    for (const Price bound : {t.lowest, t.highest}) {
        TickRefusedPayload r{};
        if (bound.raw <= 0 || bound < s.limits.min_price)
            r.reason = TickRefusal::below_min;
        else if (s.limits.max_price.raw > 0 && bound > s.limits.max_price)
            r.reason = TickRefusal::above_max;
        else
            continue;
        r.price = bound;
        r.refused_type = e.header.type;
        fill_band(s, r);
        ++refused_;
        return r;
    }
    return check_price(s, e.header.type, t.price, e.header.ts_ns);
}

std::optional<TickRefusedPayload> PriceBand::check_price(State& s, EventType type, Price price,
                                                         std::int64_t ts_ns) noexcept {
    const bool quiet_spell = s.anchor_ts_ns != 0 &&
                             static_cast<i128>(ts_ns) - s.anchor_ts_ns >= options_.reanchor_gap_ns;
    if (s.anchor.raw <= 0 || quiet_spell || within_jump(s.limits, s.anchor, price)) {
        if (s.anchor.raw > 0 && quiet_spell && !within_jump(s.limits, s.anchor, price))
            ++reanchored_;
        s.anchor = price;
        s.anchor_ts_ns = ts_ns;
        s.pending_count = 0;
        return std::nullopt;
    }
    // Outside the jump: a run of refused ticks that agree with each other is a real move.
    if (s.pending_count > 0 && within_jump(s.limits, s.pending, price))
        ++s.pending_count;
    else
        s.pending_count = 1;
    s.pending = price;
    if (s.pending_count >= options_.reanchor_after) {
        ++reanchored_;
        s.anchor = price;
        s.anchor_ts_ns = ts_ns;
        s.pending_count = 0;
        return std::nullopt;
    }
    TickRefusedPayload r{};
    r.price = price;
    r.refused_type = type;
    r.reason = TickRefusal::jump;
    fill_band(s, r);
    ++refused_;
    return r;
}

bool PriceBand::within_jump(const BandLimits& l, Price from, Price to) noexcept {
    if (l.max_jump_pct.raw <= 0)
        return true;
    // |to - from| / from <= pct / 100, in 128 bits: |to - from| * 100 * kScale <= pct * from.
    const i128 move = static_cast<i128>(to.raw) - from.raw;
    const i128 lhs = (move < 0 ? -move : move) * 100 * engine::kScale;
    return lhs <= static_cast<i128>(l.max_jump_pct.raw) * from.raw;
}

void PriceBand::fill_band(const State& s, TickRefusedPayload& r) noexcept {
    i128 low = s.limits.min_price.raw;
    i128 high = s.limits.max_price.raw > 0 ? s.limits.max_price.raw : INT64_MAX;
    r.anchor = s.anchor;
    if (s.anchor.raw > 0 && s.limits.max_jump_pct.raw > 0) {
        const i128 reach =
            static_cast<i128>(s.anchor.raw) * s.limits.max_jump_pct.raw / (100 * engine::kScale);
        low = std::max<i128>(low, s.anchor.raw - reach);
        high = std::min<i128>(high, s.anchor.raw + reach);
    }
    r.low = Price::from_raw(static_cast<std::int64_t>(low));
    r.high = Price::from_raw(static_cast<std::int64_t>(high));
}

void PriceBand::seed(const engine::Event& accepted) noexcept {
    const EventType t = accepted.header.type;
    if (t == EventType::trade || t == EventType::quote || t == EventType::bar)
        seed(accepted.header.symbol, prices_of(accepted).price, accepted.header.ts_ns);
}

void PriceBand::seed(engine::SymbolId symbol, Price price, std::int64_t ts_ns) noexcept {
    if (symbol >= states_.size() || price.raw <= 0)
        return;
    states_[symbol].anchor = price;
    states_[symbol].anchor_ts_ns = ts_ns;
    states_[symbol].pending_count = 0;
}

}  // namespace keel::adapters
