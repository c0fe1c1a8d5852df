// Donchian: Donchian channels over the last n bars: the upper channel is the highest high, the
// lower the lowest low, the middle their mean (pandas high.rolling(n).max(),
// low.rolling(n).min()). Built on RollingHigh / RollingLow (monotonic deques in fixed rings),
// so an update is amortised O(1) and allocates nothing.
#pragma once

#include <cstdint>
#include <limits>

#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/strategy/indicators/rolling_extreme.hpp"

namespace keel::engine::indicators {

class Donchian {
  public:
    explicit Donchian(std::uint32_t n = 20) : high_(n), low_(n), n_(n) {}

    void update(std::int64_t high_raw, std::int64_t low_raw) noexcept {
        high_.update(high_raw);
        low_.update(low_raw);
    }
    void update(Price high, Price low) noexcept { update(high.raw, low.raw); }

    // Ready once n bars have been seen.
    [[nodiscard]] bool ready() const noexcept { return high_.ready(); }
    // The channels in units; NaN before ready().
    [[nodiscard]] double upper() const noexcept { return high_.value(); }
    [[nodiscard]] double lower() const noexcept { return low_.value(); }
    // The middle channel: (upper + lower) / 2.
    [[nodiscard]] double value() const noexcept {
        if (!ready())
            return std::numeric_limits<double>::quiet_NaN();
        return static_cast<double>((static_cast<i128>(high_.value_raw()) + low_.value_raw())) /
               2.0 / static_cast<double>(kScale);
    }
    // Exact channels, raw; valid once a bar was seen.
    [[nodiscard]] std::int64_t upper_raw() const noexcept { return high_.value_raw(); }
    [[nodiscard]] std::int64_t lower_raw() const noexcept { return low_.value_raw(); }
    [[nodiscard]] std::uint32_t period() const noexcept { return n_; }

    void reset() noexcept {
        high_.reset();
        low_.reset();
    }

  private:
    RollingHigh high_;
    RollingLow low_;
    std::uint32_t n_;
};

}  // namespace keel::engine::indicators
