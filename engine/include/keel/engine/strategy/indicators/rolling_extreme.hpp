// RollingHigh / RollingLow: the maximum / minimum of the last n values. A monotonic deque in a
// fixed ring of n slots: each value is pushed once and popped at most once, so an update is
// amortised O(1), and the ring never grows because the deque holds only values inside the
// window (at most n).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "keel/assert.hpp"
#include "keel/engine/core/fixed_point.hpp"

namespace keel::engine::indicators {

enum class Extreme : std::uint8_t { high, low };

template <Extreme kWhich>
class RollingExtreme {
  public:
    explicit RollingExtreme(std::uint32_t n) : n_(n), ring_(n) {
        KEEL_ASSERT(n >= 1, "RollingExtreme: n >= 1");
    }

    void update(std::int64_t raw) noexcept {
        // The front leaves once it is n values old.
        if (size_ > 0 && ring_[head_].index + n_ <= seen_)
            pop_front();
        // Values that can never again be the extreme (the new value is at least as extreme
        // and will outlive them) leave from the back.
        while (size_ > 0 && !beats(ring_[back()].value, raw))
            --size_;
        KEEL_ASSERT(size_ < n_, "RollingExtreme: deque bound");
        ++size_;
        ring_[back()] = Entry{seen_, raw};
        ++seen_;
    }
    void update(Price p) noexcept { update(p.raw); }

    // Ready once n values have been seen.
    [[nodiscard]] bool ready() const noexcept { return seen_ >= n_; }
    // In units; NaN before ready().
    [[nodiscard]] double value() const noexcept {
        if (!ready())
            return std::numeric_limits<double>::quiet_NaN();
        return static_cast<double>(value_raw()) / static_cast<double>(kScale);
    }
    // The extreme of the values seen so far in the window, raw (exact); valid once a value was
    // seen.
    [[nodiscard]] std::int64_t value_raw() const noexcept {
        KEEL_ASSERT(size_ > 0, "RollingExtreme: no value yet");
        return ring_[head_].value;
    }

    void reset() noexcept {
        head_ = 0;
        size_ = 0;
        seen_ = 0;
    }

  private:
    struct Entry {
        std::uint64_t index;
        std::int64_t value;
    };

    // Whether a value already in the deque stays ahead of a newer one: strictly more extreme.
    static bool beats(std::int64_t older, std::int64_t newer) noexcept {
        if constexpr (kWhich == Extreme::high)
            return older > newer;
        else
            return older < newer;
    }
    [[nodiscard]] std::uint32_t back() const noexcept {
        const std::uint32_t i = head_ + size_ - 1;
        return i >= n_ ? i - n_ : i;
    }
    void pop_front() noexcept {
        head_ = head_ + 1 == n_ ? 0 : head_ + 1;
        --size_;
    }

    std::uint32_t n_;
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
    std::uint64_t seen_ = 0;
    std::vector<Entry> ring_;
};

using RollingHigh = RollingExtreme<Extreme::high>;
using RollingLow = RollingExtreme<Extreme::low>;

}  // namespace keel::engine::indicators
