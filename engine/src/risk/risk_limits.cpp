#include "keel/engine/risk/risk_limits.hpp"

namespace keel::engine {

std::string_view to_string(RiskLimit id) noexcept {
    switch (id) {
        case RiskLimit::none:
            return "none";
        case RiskLimit::max_order_qty:
            return "max_order_qty";
        case RiskLimit::max_order_notional:
            return "max_order_notional";
        case RiskLimit::collar_bps:
            return "collar_bps";
        case RiskLimit::max_reference_age_ns:
            return "max_reference_age_ns";
        case RiskLimit::max_position:
            return "max_position";
        case RiskLimit::max_gross_exposure:
            return "max_gross_exposure";
        case RiskLimit::max_open_orders:
            return "max_open_orders";
        case RiskLimit::throttle_per_s:
            return "throttle_per_s";
        case RiskLimit::throttle_burst:
            return "throttle_burst";
        case RiskLimit::duplicate_window_ns:
            return "duplicate_window_ns";
        case RiskLimit::max_daily_loss:
            return "max_daily_loss";
        case RiskLimit::max_drawdown_pct:
            return "max_drawdown_pct";
        case RiskLimit::max_fills_in_window:
            return "max_fills_in_window";
        case RiskLimit::fill_window_ns:
            return "fill_window_ns";
        case RiskLimit::trading_open_minute:
            return "trading_open_minute";
        case RiskLimit::trading_close_minute:
            return "trading_close_minute";
        case RiskLimit::utc_offset_minutes:
            return "utc_offset_minutes";
        case RiskLimit::trading_days_mask:
            return "trading_days_mask";
        case RiskLimit::max_market_data_age_ns:
            return "max_market_data_age_ns";
        case RiskLimit::pdt_equity_threshold:
            return "pdt_equity_threshold";
        case RiskLimit::pdt_max_day_trades:
            return "pdt_max_day_trades";
        case RiskLimit::pdt_effective_from_ns:
            return "pdt_effective_from_ns";
        case RiskLimit::pdt_effective_to_ns:
            return "pdt_effective_to_ns";
        case RiskLimit::restricted_symbol:
            return "restricted_symbol";
        case RiskLimit::tick_size:
            return "tick_size";
    }
    return "unknown";
}

namespace {

bool in_range(std::int64_t v, std::int64_t lo, std::int64_t hi) noexcept {
    return v >= lo && v <= hi;
}

}  // namespace

bool RiskLimits::set(RiskLimit id, std::int64_t raw, SymbolId symbol) noexcept {
    // Every global limit is a non-negative magnitude except the UTC offset; a negative one
    // would silently mean "refuse everything", which an operator never means.
    // Magnitudes are bounded where they enter, so that no check's arithmetic can overflow:
    // money, quantities and percentages (fixed point) within a billion units, durations and
    // counts within kMaxIntegerLimit (dates are timestamps, only compared).
    constexpr std::int64_t kMax = kMaxIntegerLimit;
    constexpr std::int64_t kMaxFixed = kMaxFixedLimitRaw;
    switch (id) {
        case RiskLimit::max_order_qty:
            if (!in_range(raw, 0, kMaxFixed))
                return false;
            max_order_qty = Quantity::from_raw(raw);
            return true;
        case RiskLimit::max_order_notional:
            if (!in_range(raw, 0, kMaxFixed))
                return false;
            max_order_notional = Money::from_raw(raw);
            return true;
        case RiskLimit::collar_bps:
            if (!in_range(raw, 0, 1'000'000))
                return false;
            collar_bps = raw;
            return true;
        case RiskLimit::max_reference_age_ns:
            if (!in_range(raw, 0, kMax))
                return false;
            max_reference_age_ns = raw;
            return true;
        case RiskLimit::max_position:
            if (!in_range(raw, 0, kMaxFixed))
                return false;
            max_position = Quantity::from_raw(raw);
            return true;
        case RiskLimit::max_gross_exposure:
            if (!in_range(raw, 0, kMaxFixed))
                return false;
            max_gross_exposure = Money::from_raw(raw);
            return true;
        case RiskLimit::max_open_orders:
            if (!in_range(raw, 0, kMax))
                return false;
            max_open_orders = raw;
            return true;
        case RiskLimit::throttle_per_s:
            if (!in_range(raw, 0, 1'000'000'000))
                return false;
            throttle_per_s = raw;
            return true;
        case RiskLimit::throttle_burst:
            if (!in_range(raw, 0, 1'000'000'000))
                return false;
            throttle_burst = raw;
            return true;
        case RiskLimit::duplicate_window_ns:
            if (!in_range(raw, 0, kMax))
                return false;
            duplicate_window_ns = raw;
            return true;
        case RiskLimit::max_daily_loss:
            if (!in_range(raw, 0, kMaxFixed))
                return false;
            max_daily_loss = Money::from_raw(raw);
            return true;
        case RiskLimit::max_drawdown_pct:
            if (!in_range(raw, 0, 100 * kScale))
                return false;
            max_drawdown_pct = raw;
            return true;
        case RiskLimit::max_fills_in_window:
            if (!in_range(raw, 0, kMaxFillsInWindowLimit))
                return false;
            max_fills_in_window = raw;
            return true;
        case RiskLimit::fill_window_ns:
            if (!in_range(raw, 0, kMax))
                return false;
            fill_window_ns = raw;
            return true;
        case RiskLimit::trading_open_minute:
            if (!in_range(raw, 0, 1439))
                return false;
            trading_hours.open_s = static_cast<std::int32_t>(raw * 60);
            return true;
        case RiskLimit::trading_close_minute:
            if (!in_range(raw, 0, 1440))
                return false;
            trading_hours.close_s = static_cast<std::int32_t>(raw * 60);
            return true;
        case RiskLimit::utc_offset_minutes:
            if (!in_range(raw, -1440, 1440))
                return false;
            trading_hours.utc_offset_minutes = static_cast<std::int32_t>(raw);
            return true;
        case RiskLimit::trading_days_mask:
            if (!in_range(raw, 0, 0x7F))
                return false;
            trading_hours.weekdays = static_cast<std::uint8_t>(raw);
            return true;
        case RiskLimit::max_market_data_age_ns:
            if (!in_range(raw, 0, kMax))
                return false;
            max_market_data_age_ns = raw;
            return true;
        case RiskLimit::pdt_equity_threshold:
            if (!in_range(raw, 0, kMaxFixed))
                return false;
            pdt_equity_threshold = Money::from_raw(raw);
            return true;
        case RiskLimit::pdt_max_day_trades:
            if (!in_range(raw, 0, 1'000'000))
                return false;
            pdt_max_day_trades = raw;
            return true;
        case RiskLimit::pdt_effective_from_ns:
            if (raw < 0)
                return false;
            pdt_effective_from_ns = raw;
            return true;
        case RiskLimit::pdt_effective_to_ns:
            if (raw < 0)
                return false;
            pdt_effective_to_ns = raw;
            return true;
        case RiskLimit::restricted_symbol:
            if (symbol >= kRiskSymbolLimitCapacity || !in_range(raw, 0, 1))
                return false;
            restricted.set(symbol, raw == 1);
            return true;
        case RiskLimit::tick_size:
            if (symbol >= kRiskSymbolLimitCapacity || !in_range(raw, 0, kMaxFixed))
                return false;
            tick_size[symbol] = raw;
            return true;
        case RiskLimit::none:
            break;
    }
    return false;
}

std::optional<RiskLimit> parse_risk_limit(std::string_view text) noexcept {
    for (std::uint16_t v = 1; v <= static_cast<std::uint16_t>(RiskLimit::tick_size); ++v) {
        const auto id = static_cast<RiskLimit>(v);
        if (to_string(id) == text)
            return id;
    }
    return std::nullopt;
}

bool risk_limit_is_fixed_point(RiskLimit id) noexcept {
    switch (id) {
        case RiskLimit::max_order_qty:
        case RiskLimit::max_order_notional:
        case RiskLimit::max_position:
        case RiskLimit::max_gross_exposure:
        case RiskLimit::max_daily_loss:
        case RiskLimit::max_drawdown_pct:
        case RiskLimit::pdt_equity_threshold:
        case RiskLimit::tick_size:
            return true;
        default:
            return false;
    }
}

}  // namespace keel::engine
