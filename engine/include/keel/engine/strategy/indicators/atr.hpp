// Atr: Wilder's average true range over bars. TR = max(h - l, |h - prev_close|,
// |l - prev_close|), and h - l for the first bar (it has no previous close). The first ATR is
// the mean of the first n TRs (summed exactly in integers), then atr = (atr * (n - 1) + tr) / n.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

class Atr {
  public:
    explicit Atr(std::uint32_t n) : n_(n) { KEEL_ASSERT(n >= 1, "Atr: n >= 1"); }

    void update(std::int64_t high, std::int64_t low, std::int64_t close) noexcept {
        std::int64_t tr = high - low;
        if (has_prev_) {
            const std::int64_t up = high - prev_close_;
            const std::int64_t down = low - prev_close_;
            tr = std::max({tr, up < 0 ? -up : up, down < 0 ? -down : down});
        }
        prev_close_ = close;
        has_prev_ = true;
        last_tr_ = tr;
        const double n = static_cast<double>(n_);
        if (count_ < n_) {
            tr_sum_ += tr;
            if (++count_ == n_)
                atr_ = static_cast<double>(tr_sum_) / n / static_cast<double>(kScale);
            return;
        }
        atr_ = (atr_ * (n - 1.0) + static_cast<double>(tr) / static_cast<double>(kScale)) / n;
    }
    void update(Price high, Price low, Price close) noexcept {
        update(high.raw, low.raw, close.raw);
    }

    // Ready after n bars.
    [[nodiscard]] bool ready() const noexcept { return count_ == n_; }
    // In units; NaN before ready().
    [[nodiscard]] double value() const noexcept {
        return ready() ? atr_ : std::numeric_limits<double>::quiet_NaN();
    }
    // The last bar's true range, raw (exact).
    [[nodiscard]] std::int64_t last_true_range_raw() const noexcept { return last_tr_; }

    void reset() noexcept {
        has_prev_ = false;
        count_ = 0;
        tr_sum_ = 0;
        atr_ = 0.0;
        last_tr_ = 0;
    }

  private:
    std::uint32_t n_;
    std::uint32_t count_ = 0;
    bool has_prev_ = false;
    std::int64_t prev_close_ = 0;
    std::int64_t last_tr_ = 0;
    i128 tr_sum_ = 0;
    double atr_ = 0.0;
};

}  // namespace keel::engine::indicators
