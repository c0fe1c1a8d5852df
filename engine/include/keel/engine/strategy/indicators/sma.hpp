// Sma: the simple moving average of the last n values, kept as an exact integer running sum so
// that the average never drifts however long it runs.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Sma {
  public:
    // The window is allocated here, once; update() never allocates.
    explicit Sma(std::uint32_t n) : n_(n), window_(n, 0) { KEEL_ASSERT(n >= 1, "Sma: n >= 1"); }

    // raw: a fixed-point value with 9 implied decimals (Price::raw).
    void update(std::int64_t raw) noexcept {
        std::int64_t& slot = window_[next_];
        if (count_ == n_)
            sum_ -= slot;  // the value leaving the window
        else
            ++count_;
        slot = raw;
        sum_ += raw;
        next_ = next_ + 1 == n_ ? 0 : next_ + 1;
    }
    void update(Price p) noexcept { update(p.raw); }

    // Ready once n values have been seen.
    [[nodiscard]] bool ready() const noexcept { return count_ == n_; }
    // The average in units (not raw); NaN before ready().
    [[nodiscard]] double value() const noexcept {
        if (!ready())
            return std::numeric_limits<double>::quiet_NaN();
        return static_cast<double>(sum_) / static_cast<double>(n_) / static_cast<double>(kScale);
    }
    // The exact window sum in raw units, for comparisons without rounding.
    [[nodiscard]] i128 sum_raw() const noexcept { return sum_; }
    [[nodiscard]] std::uint32_t period() const noexcept { return n_; }

    void reset() noexcept {
        count_ = 0;
        next_ = 0;
        sum_ = 0;
    }

  private:
    std::uint32_t n_;
    std::uint32_t count_ = 0;
    std::uint32_t next_ = 0;
    // i128 so that n values near the int64 limit still sum exactly.
    i128 sum_ = 0;
    std::vector<std::int64_t> window_;
};

}  // namespace keel::engine::indicators
