// RiskLimits: every pre-trade limit the risk stage enforces, as one plain value, and the
// RiskLimit ids an operator uses to change them one at a time (limit_stage commands).
//
// Conventions that hold for every limit:
// - 0 means "off" unless the field's comment says otherwise.
// - Limits are inclusive maxima: a value equal to the limit passes, one unit more is refused.
// - Ages and windows are inclusive too: something exactly max_age old is still fresh, and an
//   event exactly window ns ago is still inside the window.
// - The two circuit breakers are the exception, by design: they trip when the loss or the
//   drawdown reaches the limit (day P&L <= -max_daily_loss, drawdown >= max_drawdown_pct), since
//   a loss limit is the amount one accepts to lose, not one unit more.
// - The day-trade rule allows pdt_max_day_trades day trades; the order that would make one
//   more is refused.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/core/symbol_id.hpp"
#include "keel/engine/core/trading_session.hpp"

namespace keel::engine {

// Per-symbol settings (restricted list, tick-size overrides) are kept for symbol ids below
// this; a per-symbol limit for a larger id is refused by set().
inline constexpr std::size_t kRiskSymbolLimitCapacity = 1024;
// The repeated-execution control remembers this many fills per symbol, so it can count at
// most this many minus one within its window.
inline constexpr std::int64_t kMaxFillsInWindowLimit = 31;
// The largest fixed-point limit (money, quantity, percent): a billion units, as every decimal
// setting of a config (engine/config/config_reader.hpp).
inline constexpr std::int64_t kMaxFixedLimitRaw = 1'000'000'000LL * kScale;
// The largest duration (ns) or count limit: ~3 years in ns, so adding one to a timestamp
// cannot overflow.
inline constexpr std::int64_t kMaxIntegerLimit = 100'000'000'000'000'000LL;

// Ids for limit_stage commands (payload.command.param). Values are part of the journal
// format: append only. Per-symbol ids take the symbol from the command's header.symbol.
enum class RiskLimit : std::uint16_t {
    none = 0,
    max_order_qty = 1,            // raw Quantity
    max_order_notional = 2,       // raw Money
    collar_bps = 3,               // basis points
    max_reference_age_ns = 4,     // ns
    max_position = 5,             // raw Quantity
    max_gross_exposure = 6,       // raw Money
    max_open_orders = 7,          // count
    throttle_per_s = 8,           // messages per second
    throttle_burst = 9,           // messages
    duplicate_window_ns = 10,     // ns
    max_daily_loss = 11,          // raw Money (positive)
    max_drawdown_pct = 12,        // raw fixed-point percent (5% = 5'000'000'000)
    max_fills_in_window = 13,     // count, at most kMaxFillsInWindowLimit
    fill_window_ns = 14,          // ns
    trading_open_minute = 15,     // minute of the local day, 0..1439 (config: to the second)
    trading_close_minute = 16,    // minute of the local day, 1..1440 (config: to the second)
    utc_offset_minutes = 17,      // local time = UTC + offset, -1440..1440
    trading_days_mask = 18,       // bit 0 = Monday .. bit 6 = Sunday
    max_market_data_age_ns = 19,  // ns
    pdt_equity_threshold = 20,    // raw Money
    pdt_max_day_trades = 21,      // count
    pdt_effective_from_ns = 22,   // UTC ns, 0 = since always
    pdt_effective_to_ns = 23,     // UTC ns (exclusive), 0 = for ever
    restricted_symbol = 24,       // per symbol: arg 1 = restrict, 0 = lift
    tick_size = 25,               // per symbol: raw Price, 0 = use the symbol_def's tick size
};
[[nodiscard]] std::string_view to_string(RiskLimit id) noexcept;
// The id named by text (its to_string name), or nullopt.
[[nodiscard]] std::optional<RiskLimit> parse_risk_limit(std::string_view text) noexcept;
// Whether the limit's raw value is fixed-point (quantities, money, prices, percentages: 9
// decimals) rather than a plain integer (counts, nanoseconds, minutes, basis points, masks).
[[nodiscard]] bool risk_limit_is_fixed_point(RiskLimit id) noexcept;

struct RiskLimits {
    // Largest quantity of one order. Kept first so that RiskLimits{qty} still reads as before.
    Quantity max_order_qty{};
    // Largest quantity * price of one order (the reference price for market and stop orders).
    Money max_order_notional{};
    // Largest distance of a limit price from the reference price, in basis points.
    std::int64_t collar_bps = 0;
    // Oldest reference price (last market data of the symbol) that the collar, the notional of
    // market orders and the gross exposure may use; 0 = any age.
    std::int64_t max_reference_age_ns = 0;
    // Largest worst-case |position| per symbol: position plus every open order on the order's
    // side plus the order itself.
    Quantity max_position{};
    // Largest sum of |position| * reference over symbols plus open orders plus the order.
    Money max_gross_exposure{};
    // Most live orders at once (the order itself included).
    std::int64_t max_open_orders = 0;
    // Token bucket on event time: new, cancel and replace requests each take one token;
    // throttle_per_s tokens come back per second, at most throttle_burst (0 = 1) held.
    std::int64_t throttle_per_s = 0;
    std::int64_t throttle_burst = 0;
    // A new order equal to an approved one (symbol, side, type, prices, quantity) at most this
    // long ago is refused as a duplicate.
    std::int64_t duplicate_window_ns = 0;
    // Halt when the day's P&L falls to -max_daily_loss or lower; lifted by the next
    // session_open timer.
    Money max_daily_loss{};
    // Halt when equity has fallen this far below its peak, in fixed-point percent; lifted by
    // a resume command (which re-bases the peak at the current equity).
    std::int64_t max_drawdown_pct = 0;
    // More than max_fills_in_window fills of one symbol within fill_window_ns blocks new orders
    // on that symbol until the window has passed. Both must be set.
    std::int64_t max_fills_in_window = 0;
    std::int64_t fill_window_ns = 0;
    // Trading hours: new orders only when the order's time is inside this session (its open
    // and close, weekdays, UTC offset or time zone, and calendar: core/trading_session.hpp).
    // Off while close <= open. The limit ids trading_open_minute, trading_close_minute,
    // utc_offset_minutes and trading_days_mask set its fields; a zone and calendar come from
    // the config only.
    TradingSession trading_hours{0, 0, 0, kMondayToFriday, nullptr};
    // The daily-loss day: with day_boundary_on, the trading day (day P&L, the daily-loss halt,
    // the day-trade count) starts at day_boundary's open in its zone every day, instead of at
    // the first session_open timer of a new day. Config only (risk.day_boundary).
    TradingSession day_boundary{0, kSecondsPerDay, 0, kEveryDay, nullptr};
    bool day_boundary_on = false;
    // Refuse new orders on a symbol whose last market data is older than this.
    std::int64_t max_market_data_age_ns = 0;
    // Pattern-day-trader rule: while equity < pdt_equity_threshold and the last five trading
    // days hold pdt_max_day_trades or more day trades, an order that would reduce a position
    // opened today is refused. Off while the threshold is 0 or the order's time is outside
    // [pdt_effective_from_ns, pdt_effective_to_ns) (0 = unbounded on that side).
    Money pdt_equity_threshold{};
    std::int64_t pdt_max_day_trades = 3;
    std::int64_t pdt_effective_from_ns = 0;
    std::int64_t pdt_effective_to_ns = 0;
    // Symbols no new order may be placed on.
    std::bitset<kRiskSymbolLimitCapacity> restricted{};
    // Tick-size overrides per symbol (raw Price, 0 = the symbol_def's tick size).
    std::array<std::int64_t, kRiskSymbolLimitCapacity> tick_size{};

    // Sets one limit from its raw value. Returns false, changing nothing, for an unknown id,
    // a value out of the limit's range, or a per-symbol id without a symbol it can hold.
    [[nodiscard]] bool set(RiskLimit id, std::int64_t raw, SymbolId symbol = kNoSymbol) noexcept;

    [[nodiscard]] bool trading_hours_enabled() const noexcept {
        return trading_hours.close_s > trading_hours.open_s;
    }
    [[nodiscard]] bool is_restricted(SymbolId symbol) const noexcept {
        return symbol < kRiskSymbolLimitCapacity && restricted.test(symbol);
    }
    [[nodiscard]] std::int64_t tick_override(SymbolId symbol) const noexcept {
        return symbol < kRiskSymbolLimitCapacity ? tick_size[symbol] : 0;
    }
};

}  // namespace keel::engine
