// Vwap: the session's volume-weighted average price, sum(price * volume) / sum(volume), with
// price = the trade price for trades and the typical price (h + l + c) / 3 for bars.
//
// Both sums are exact i128 integers. To keep the typical price exact too, every price enters
// the sum multiplied by 3 (a trade adds 3 * p * v, a bar adds (h + l + c) * v) and the value
// divides by 3 * volume. The bound: sum(3 * price_raw * volume_raw) must stay below 1.7e38,
// i.e. about 5e19 of notional (in units) per session, far beyond any real session.
#pragma once

#include <cstdint>
#include <limits>

#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Vwap {
  public:
    void update_trade(Price price, Quantity size) noexcept {
        add(static_cast<i128>(price.raw) * 3, size.raw);
    }
    void update_bar(Price high, Price low, Price close, Quantity volume) noexcept {
        add(static_cast<i128>(high.raw) + low.raw + close.raw, volume.raw);
    }

    // Resets when session_key differs from the current session's (or none was set), so that a
    // caller can pass a session identifier (a day index, a month) with every update.
    void begin_session(std::int64_t session_key) noexcept {
        if (has_key_ && key_ == session_key)
            return;
        reset();
        has_key_ = true;
        key_ = session_key;
    }
    // Call at session start (e.g. on a session_open timer).
    void reset() noexcept {
        price3_volume_ = 0;
        volume_ = 0;
    }

    // Ready once the session has seen positive volume; zero-volume ticks do not count.
    [[nodiscard]] bool ready() const noexcept { return volume_ > 0; }
    // In units; NaN before ready().
    [[nodiscard]] double value() const noexcept {
        if (!ready())
            return std::numeric_limits<double>::quiet_NaN();
        return static_cast<double>(price3_volume_) / static_cast<double>(volume_) /
               (3.0 * static_cast<double>(kScale));
    }
    // The session's volume, raw.
    [[nodiscard]] i128 volume_raw() const noexcept { return volume_; }
    // Updates refused for a negative volume (bad data that would corrupt the session's sums).
    [[nodiscard]] std::uint64_t rejected() const noexcept { return rejected_; }

  private:
    void add(i128 price3, std::int64_t volume) noexcept {
        if (volume < 0) {
            ++rejected_;
            return;
        }
        price3_volume_ += price3 * volume;
        volume_ += volume;
    }

    i128 price3_volume_ = 0;
    // i128 because a month of a liquid stock's volume (1e9 shares = 1e18 raw) nears int64's limit.
    i128 volume_ = 0;
    std::int64_t key_ = 0;
    bool has_key_ = false;
    std::uint64_t rejected_ = 0;
};

}  // namespace keel::engine::indicators
