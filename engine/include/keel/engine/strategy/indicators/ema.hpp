// Ema: the exponential moving average with alpha = 2 / (n + 1), seeded with the first input
// (pandas ewm(span=n, adjust=False)).
#pragma once

#include <cstdint>
#include <limits>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Ema {
  public:
    explicit Ema(std::uint32_t n) : n_(n), alpha_(2.0 / (static_cast<double>(n) + 1.0)) {
        KEEL_ASSERT(n >= 1, "Ema: n >= 1");
    }

    void update(std::int64_t raw) noexcept {
        const double x = static_cast<double>(raw) / static_cast<double>(kScale);
        if (count_ == 0)
            value_ = x;
        else
            value_ = (1.0 - alpha_) * value_ + alpha_ * x;
        if (count_ < n_)
            ++count_;
    }
    void update(Price p) noexcept { update(p.raw); }

    // The recurrence is defined from the first input, but a value seeded by one price is mostly
    // that price; ready() waits for n inputs (pandas min_periods=n) so that, like SMA(n), the
    // average has seen a full period before anyone trades on it.
    [[nodiscard]] bool ready() const noexcept { return count_ == n_; }
    // In units; NaN before ready().
    [[nodiscard]] double value() const noexcept {
        return ready() ? value_ : std::numeric_limits<double>::quiet_NaN();
    }
    [[nodiscard]] std::uint32_t period() const noexcept { return n_; }

    void reset() noexcept {
        count_ = 0;
        value_ = 0.0;
    }

  private:
    std::uint32_t n_;
    std::uint32_t count_ = 0;
    double alpha_;
    double value_ = 0.0;
};

}  // namespace keel::engine::indicators
