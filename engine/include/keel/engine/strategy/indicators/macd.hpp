// Macd: moving average convergence/divergence (Appel; 12/26/9 by default). The MACD line is
// EMA(fast) - EMA(slow) of the input, the signal line the EMA(signal) of the MACD line, and the
// histogram their difference. Every EMA is the recurrence with alpha = 2 / (n + 1) seeded with
// its first input (pandas ewm(span=n, adjust=False)), the signal EMA seeded with the first MACD
// value, so an update is O(1) with no state beyond three doubles.
#pragma once

#include <cstdint>
#include <limits>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Macd {
  public:
    explicit Macd(std::uint32_t fast = 12, std::uint32_t slow = 26, std::uint32_t signal = 9)
        : fast_alpha_(alpha(fast)),
          slow_alpha_(alpha(slow)),
          signal_alpha_(alpha(signal)),
          // The slow EMA has seen a full period when the first slow - 1 inputs are past, and
          // the signal EMA a full period of those MACD values after signal - 1 more.
          warmup_(slow + signal - 1) {
        KEEL_ASSERT(fast >= 1 && fast < slow, "Macd: 1 <= fast < slow");
        KEEL_ASSERT(signal >= 1, "Macd: signal >= 1");
    }

    void update(std::int64_t raw) noexcept {
        const double x = static_cast<double>(raw) / static_cast<double>(kScale);
        if (count_ == 0) {
            fast_ = x;
            slow_ = x;
            signal_ = 0.0;  // MACD of one input is 0, and the signal is seeded with it
        } else {
            fast_ = (1.0 - fast_alpha_) * fast_ + fast_alpha_ * x;
            slow_ = (1.0 - slow_alpha_) * slow_ + slow_alpha_ * x;
            signal_ = (1.0 - signal_alpha_) * signal_ + signal_alpha_ * (fast_ - slow_);
        }
        if (count_ < warmup_)
            ++count_;
    }
    void update(Price p) noexcept { update(p.raw); }

    // Ready once slow + signal - 1 inputs were seen (26 + 9 - 1 = 34 by default), so that both
    // the slow average and the signal line have seen a full period before anyone trades on them.
    [[nodiscard]] bool ready() const noexcept { return count_ == warmup_; }
    // The MACD line in units; NaN before ready().
    [[nodiscard]] double value() const noexcept { return ready() ? fast_ - slow_ : kNaN; }
    [[nodiscard]] double signal() const noexcept { return ready() ? signal_ : kNaN; }
    [[nodiscard]] double histogram() const noexcept {
        return ready() ? fast_ - slow_ - signal_ : kNaN;
    }
    [[nodiscard]] std::uint32_t warmup() const noexcept { return warmup_; }

    void reset() noexcept {
        count_ = 0;
        fast_ = slow_ = signal_ = 0.0;
    }

  private:
    static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
    static double alpha(std::uint32_t n) noexcept { return 2.0 / (static_cast<double>(n) + 1.0); }

    double fast_alpha_;
    double slow_alpha_;
    double signal_alpha_;
    std::uint32_t warmup_;
    std::uint32_t count_ = 0;
    double fast_ = 0.0;
    double slow_ = 0.0;
    double signal_ = 0.0;
};

}  // namespace keel::engine::indicators
