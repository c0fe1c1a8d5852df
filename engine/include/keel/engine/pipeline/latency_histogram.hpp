// LatencyHistogram: log-linear buckets over [0, 2^40) ns with <= 1/256 relative bucket width
// (so < 0.4% error reporting bucket midpoints), fixed memory, no allocation when recording.
// One thread records; another may read at any time (relaxed single-writer counters).
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstdint>

namespace keel::engine {

class LatencyHistogram {
  public:
    // Values below 2^kSubBits land in exact unit buckets; above, each power of two is split
    // into 2^(kSubBits-1) linear buckets.
    static constexpr int kSubBits = 9;
    static constexpr std::uint64_t kSubCount = 1u << kSubBits;  // 512
    static constexpr std::uint64_t kHalf = kSubCount / 2;       // 256
    static constexpr int kMaxBits = 40;                         // ~18 minutes in ns
    static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << kMaxBits) - 1;
    static constexpr std::size_t kBuckets = (kMaxBits - kSubBits + 1) * kHalf + kHalf;

    void record(std::uint64_t value) noexcept {
        if (value > kMaxValue)
            value = kMaxValue;
        bump(counts_[index_of(value)]);
        bump(total_);
        if (value > max_.load(std::memory_order_relaxed)) {
            max_.store(value, std::memory_order_relaxed);
        }
    }

    [[nodiscard]] std::uint64_t count() const noexcept {
        return total_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t max() const noexcept {
        return max_.load(std::memory_order_relaxed);
    }

    // The value at quantile q in [0, 1], reported as its bucket's midpoint (exact below 512).
    [[nodiscard]] std::uint64_t value_at(double q) const noexcept {
        const std::uint64_t total = count();
        if (total == 0)
            return 0;
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total) + 0.5);
        if (rank < 1)
            rank = 1;
        if (rank > total)
            rank = total;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < kBuckets; ++i) {
            seen += counts_[i].load(std::memory_order_relaxed);
            if (seen >= rank) {
                const std::uint64_t mid = lowest_of(i) + (width_of(i) - 1) / 2;
                return mid < max() ? mid : max();
            }
        }
        return max();
    }

    // How many recorded values landed in bucket i (i < kBuckets): lets a cold reader export the
    // distribution (e.g. Prometheus buckets) without a copy of the whole array.
    [[nodiscard]] std::uint64_t bucket_count(std::size_t i) const noexcept {
        return counts_[i].load(std::memory_order_relaxed);
    }

    [[nodiscard]] static constexpr std::size_t index_of(std::uint64_t v) noexcept {
        if (v < kSubCount)
            return static_cast<std::size_t>(v);
        const int msb = 63 - std::countl_zero(v);
        const int shift = msb - (kSubBits - 1);
        return static_cast<std::size_t>(static_cast<std::uint64_t>(shift + 1) * kHalf +
                                        (v >> shift) - kHalf);
    }
    [[nodiscard]] static constexpr std::uint64_t lowest_of(std::size_t i) noexcept {
        if (i < kSubCount)
            return i;
        const std::uint64_t shift = i / kHalf - 1;
        return (i % kHalf + kHalf) << shift;
    }
    [[nodiscard]] static constexpr std::uint64_t width_of(std::size_t i) noexcept {
        if (i < kSubCount)
            return 1;
        return std::uint64_t{1} << (i / kHalf - 1);
    }

  private:
    static void bump(std::atomic<std::uint64_t>& c) noexcept {
        c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    std::array<std::atomic<std::uint64_t>, kBuckets> counts_{};
    std::atomic<std::uint64_t> total_{0};
    std::atomic<std::uint64_t> max_{0};
};

}  // namespace keel::engine
