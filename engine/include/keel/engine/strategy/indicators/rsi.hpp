// Rsi: Wilder's relative strength index over n price changes. The first average gain and loss
// are the simple means of the first n changes (summed exactly in integers); after that
// avg = (avg * (n - 1) + x) / n. RSI = 100 - 100 / (1 + avg_gain / avg_loss), and 100 when
// avg_loss is 0, which includes a flat series (no gains either): by this definition a market
// that never fell reads fully overbought.
#pragma once

#include <cstdint>
#include <limits>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Rsi {
  public:
    explicit Rsi(std::uint32_t n) : n_(n) { KEEL_ASSERT(n >= 1, "Rsi: n >= 1"); }

    void update(std::int64_t raw) noexcept {
        if (!has_prev_) {
            prev_ = raw;
            has_prev_ = true;
            return;
        }
        const std::int64_t change = raw - prev_;
        prev_ = raw;
        const std::int64_t gain = change > 0 ? change : 0;
        const std::int64_t loss = change < 0 ? -change : 0;
        const double n = static_cast<double>(n_);
        if (changes_ < n_) {
            gain_sum_ += gain;
            loss_sum_ += loss;
            if (++changes_ == n_) {
                avg_gain_ = static_cast<double>(gain_sum_) / n / static_cast<double>(kScale);
                avg_loss_ = static_cast<double>(loss_sum_) / n / static_cast<double>(kScale);
            }
            return;
        }
        avg_gain_ = (avg_gain_ * (n - 1.0) + to_units(gain)) / n;
        avg_loss_ = (avg_loss_ * (n - 1.0) + to_units(loss)) / n;
    }
    void update(Price p) noexcept { update(p.raw); }

    // Ready after n changes, i.e. n + 1 prices.
    [[nodiscard]] bool ready() const noexcept { return changes_ == n_; }
    // 0..100; NaN before ready().
    [[nodiscard]] double value() const noexcept {
        if (!ready())
            return std::numeric_limits<double>::quiet_NaN();
        if (avg_loss_ == 0.0)
            return 100.0;
        return 100.0 - 100.0 / (1.0 + avg_gain_ / avg_loss_);
    }
    [[nodiscard]] double average_gain() const noexcept { return avg_gain_; }
    [[nodiscard]] double average_loss() const noexcept { return avg_loss_; }

    void reset() noexcept {
        has_prev_ = false;
        changes_ = 0;
        gain_sum_ = 0;
        loss_sum_ = 0;
        avg_gain_ = 0.0;
        avg_loss_ = 0.0;
    }

  private:
    static double to_units(std::int64_t raw) noexcept {
        return static_cast<double>(raw) / static_cast<double>(kScale);
    }

    std::uint32_t n_;
    std::uint32_t changes_ = 0;
    bool has_prev_ = false;
    std::int64_t prev_ = 0;
    i128 gain_sum_ = 0;
    i128 loss_sum_ = 0;
    double avg_gain_ = 0.0;
    double avg_loss_ = 0.0;
};

}  // namespace keel::engine::indicators
