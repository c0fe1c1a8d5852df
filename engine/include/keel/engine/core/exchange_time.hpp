// ExchangeTimeTail: where a live market-data input keeps the feed's own timestamp when engine
// time is the receipt time (live.time "wall"): the record's tail (pipeline/tail_arena.hpp),
// 8 bytes, the Unix nanoseconds in the host's byte order (the journal's, like every field).
// In live.time "data" (and every backtest) the feed's timestamp is the engine time itself and
// a market-data record has no tail.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

inline constexpr std::uint32_t kExchangeTimeTailBytes = 8;

struct ExchangeTimeTail {
    char bytes[kExchangeTimeTailBytes];
    [[nodiscard]] std::string_view view() const noexcept { return {bytes, sizeof bytes}; }
};

[[nodiscard]] inline ExchangeTimeTail exchange_time_tail(std::int64_t exchange_ts_ns) noexcept {
    ExchangeTimeTail t;
    std::memcpy(t.bytes, &exchange_ts_ns, sizeof t.bytes);
    return t;
}

// The feed's timestamp a record of this type carries as its tail; nullopt when it carries none
// (data time, or not market data: trade, quote, bar, or the tick_refused journaled instead).
[[nodiscard]] inline std::optional<std::int64_t> exchange_time(EventType type,
                                                               std::string_view tail) noexcept {
    const bool market = is_market_data(type) || type == EventType::tick_refused;
    if (!market || tail.size() != kExchangeTimeTailBytes)
        return std::nullopt;
    std::int64_t ts = 0;
    std::memcpy(&ts, tail.data(), sizeof ts);
    return ts;
}

}  // namespace keel::engine
