// The ranges an external input's numbers must lie in before ingest sequences it (adapters
// check more, and say more, but a source past them, or a bug in one, must not put a value into
// the pipeline that the account or risk cannot hold). Prices of market data are positive,
// trade and quote sizes are not negative or are the "size unknown" marker (kSizeUnknown), and
// bar volumes and alert quantities, notionals and prices are not negative, and every one is at most
// kMaxInputRaw (a billion units, as every config decimal); a bar's low and high bound its open
// and close. Ingest journals an input that fails as input_refused (field and value) instead.
// Venue replies are not checked here: the order book and the account refuse what they cannot
// apply and the gateway alerts (an unknown or oversized fill is never silently dropped).
#pragma once

#include <cstdint>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

inline constexpr std::int64_t kMaxInputRaw = 1'000'000'000LL * kScale;

struct InputCheck {
    InputField field = InputField::none;  // none: the input is within range
    std::int64_t value = 0;
};

namespace detail {
[[nodiscard]] constexpr bool positive(std::int64_t raw) noexcept {
    return raw > 0 && raw <= kMaxInputRaw;
}
[[nodiscard]] constexpr bool non_negative(std::int64_t raw) noexcept {
    return raw >= 0 && raw <= kMaxInputRaw;
}
// A trade's or quote's size: a size, or the data's "size unknown" marker (event.hpp).
// The marker is -1, just below every size: one range check, as for any other size.
static_assert(kSizeUnknown.raw == -1);
[[nodiscard]] constexpr bool size_or_unknown(Quantity q) noexcept {
    return q.raw >= kSizeUnknown.raw && q.raw <= kMaxInputRaw;
}
}  // namespace detail

[[nodiscard]] inline InputCheck check_input(const Event& e) noexcept {
    using detail::non_negative;
    using detail::positive;
    using detail::size_or_unknown;
    const EventPayload& p = e.payload;
    switch (e.header.type) {
        case EventType::trade:
            if (!positive(p.trade.price.raw))
                return {InputField::price, p.trade.price.raw};
            if (!size_or_unknown(p.trade.size))
                return {InputField::size, p.trade.size.raw};
            return {};
        case EventType::quote:
            if (!non_negative(p.quote.bid.raw))
                return {InputField::bid, p.quote.bid.raw};
            if (!non_negative(p.quote.ask.raw) || (p.quote.ask.raw == 0 && p.quote.bid.raw == 0))
                return {InputField::ask, p.quote.ask.raw};
            if (!size_or_unknown(p.quote.bid_size))
                return {InputField::bid_size, p.quote.bid_size.raw};
            if (!size_or_unknown(p.quote.ask_size))
                return {InputField::ask_size, p.quote.ask_size.raw};
            return {};
        case EventType::bar: {
            const BarPayload& b = p.bar;
            if (!positive(b.low.raw))
                return {InputField::low, b.low.raw};
            if (!positive(b.high.raw) || b.high < b.low)
                return {InputField::high, b.high.raw};
            if (!positive(b.open.raw) || b.open < b.low || b.open > b.high)
                return {InputField::open, b.open.raw};
            if (!positive(b.close.raw) || b.close < b.low || b.close > b.high)
                return {InputField::close, b.close.raw};
            if (!detail::size_or_unknown(b.volume))
                return {InputField::volume, b.volume.raw};
            return {};
        }
        case EventType::alert:
            if (!non_negative(p.alert.quantity.raw))
                return {InputField::quantity, p.alert.quantity.raw};
            if (!non_negative(p.alert.notional.raw))
                return {InputField::notional, p.alert.notional.raw};
            if (!non_negative(p.alert.price.raw))
                return {InputField::price, p.alert.price.raw};
            return {};
        default:
            return {};
    }
}

// The input_refused event journaled in place of e (same source, symbol and time).
[[nodiscard]] inline Event refused_input(const Event& e, InputCheck c) noexcept {
    Event r = make_event(EventType::input_refused, e.header.source, 0, e.header.ts_ns,
                         e.header.symbol);
    r.header.aux = e.header.aux;
    r.payload.input_refused.value = c.value;
    r.payload.input_refused.refused_type = e.header.type;
    r.payload.input_refused.field = c.field;
    return r;
}

}  // namespace keel::engine
