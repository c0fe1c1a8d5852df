// Bollinger: Bollinger bands (20, 2 by default): the middle band is the simple moving average of
// the last n inputs, the upper and lower bands k population standard deviations above and below
// it (ddof = 0, Bollinger's own definition; pandas rolling(n).std(ddof=0)).
//
// The window's sum and sum of squares are kept exactly as 128-bit integers of each input's
// offset from the first input seen since the last reset, so an update is O(1), never drifts
// however long it runs, and the variance is taken from small offsets (little cancellation).
// Exact while n * (largest offset)^2 < 1.7e38: for any window of up to kMaxPeriod inputs at
// prices keel accepts (at most a billion units, core/input_check.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Bollinger {
  public:
    static constexpr std::uint32_t kMaxPeriod = 128;

    // The window is allocated here, once; update() never allocates.
    explicit Bollinger(std::uint32_t n = 20, double k = 2.0) : n_(n), k_(k), window_(n, 0) {
        KEEL_ASSERT(n >= 1 && n <= kMaxPeriod, "Bollinger: 1 <= n <= kMaxPeriod");
        KEEL_ASSERT(k >= 0.0, "Bollinger: k >= 0");
    }

    // raw: a fixed-point value with 9 implied decimals (Price::raw).
    void update(std::int64_t raw) noexcept {
        if (count_ == 0 && next_ == 0)
            origin_ = raw;
        const i128 d = static_cast<i128>(raw) - origin_;
        i128& slot = window_[next_];
        if (count_ == n_) {
            sum_ -= slot;  // the offset leaving the window
            sum_sq_ -= slot * slot;
        } else {
            ++count_;
        }
        slot = d;
        sum_ += d;
        sum_sq_ += d * d;
        next_ = next_ + 1 == n_ ? 0 : next_ + 1;
    }
    void update(Price p) noexcept { update(p.raw); }

    // Ready once n values have been seen.
    [[nodiscard]] bool ready() const noexcept { return count_ == n_; }
    // The middle band (the SMA) in units; NaN before ready().
    [[nodiscard]] double value() const noexcept {
        if (!ready())
            return kNaN;
        const long double mean_offset =
            static_cast<long double>(sum_) / static_cast<long double>(n_);
        return static_cast<double>((static_cast<long double>(origin_) + mean_offset) /
                                   static_cast<long double>(kScale));
    }
    // The population standard deviation of the window in units; NaN before ready().
    [[nodiscard]] double stddev() const noexcept {
        if (!ready())
            return kNaN;
        const auto n = static_cast<long double>(n_);
        // n^2 * variance = n * sum(d^2) - sum(d)^2, exact in 128 bits would need n * sum(d^2)
        // to fit; long double keeps 64 bits of it, far below the 1e-9 of a price.
        const long double mean = static_cast<long double>(sum_) / n;
        long double var = static_cast<long double>(sum_sq_) / n - mean * mean;
        if (var < 0)
            var = 0;  // rounding on a flat window
        return static_cast<double>(std::sqrt(var) / static_cast<long double>(kScale));
    }
    [[nodiscard]] double upper() const noexcept { return value() + k_ * stddev(); }
    [[nodiscard]] double lower() const noexcept { return value() - k_ * stddev(); }
    // Where the last input lies in the bands: 0 at the lower, 1 at the upper (%b); NaN before
    // ready() or when the bands have no width.
    [[nodiscard]] double percent_b(double x) const noexcept {
        const double width = upper() - lower();
        return width > 0 ? (x - lower()) / width : kNaN;
    }
    [[nodiscard]] std::uint32_t period() const noexcept { return n_; }

    void reset() noexcept {
        count_ = 0;
        next_ = 0;
        sum_ = 0;
        sum_sq_ = 0;
    }

  private:
    static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

    std::uint32_t n_;
    double k_;
    std::uint32_t count_ = 0;
    std::uint32_t next_ = 0;
    std::int64_t origin_ = 0;
    i128 sum_ = 0;
    i128 sum_sq_ = 0;
    std::vector<i128> window_;  // offsets from origin_
};

}  // namespace keel::engine::indicators
