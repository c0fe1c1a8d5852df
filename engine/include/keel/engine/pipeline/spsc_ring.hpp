// SpscRing: a bounded single-producer single-consumer queue of trivially copyable T between two
// pipeline threads: boost::lockfree::spsc_queue, sized once at construction, behind the
// engine's interface (try_push, a bounded consume_batch, try_pop, depth, high_water).
//
// Why Boost's queue and not our own: keel had its own ring (indices on separate line pairs,
// each side caching the other's, batch release). Measured on the same 2-vCPU hosts in the same
// runs, it moved 1.46x Boost's items/s while the host kept the two vCPUs close and 0.82-0.87x
// when it did not, with equal round trips (bench/README, "The ring is Boost's"). Not clearly
// better, so by the project's rule the well-kept library carries the events.
#pragma once

#include <cstddef>
#include <type_traits>

#include <boost/lockfree/spsc_queue.hpp>

#include "keel/assert.hpp"

namespace keel::engine {

// 128 rather than 64: x86's adjacent-line prefetcher pulls cache lines in pairs, so data 64
// bytes apart still false-shares. Used to keep per-thread data apart (the ring's high water,
// benchmark flags).
inline constexpr std::size_t kFalseSharingRange = 128;

template <class T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied as bytes");

  public:
    // capacity must be a power of two >= 2 (the thread plan's ring_capacity); the storage is
    // allocated here, once, and never again.
    explicit SpscRing(std::size_t capacity) : capacity_(capacity), queue_(capacity) {
        KEEL_ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0,
                    "ring capacity must be a power of two >= 2");
    }
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
    // Events waiting now. Read by the metrics thread as well: both indices are atomics, so the
    // figure is approximate while both sides move, never a data race.
    [[nodiscard]] std::size_t depth() const noexcept { return queue_.read_available(); }

    // --- producer side ---

    // Copies value in and makes it visible to the consumer; false when the ring is full.
    [[nodiscard]] bool try_push(const T& value) noexcept { return queue_.push(value); }

    // --- consumer side ---

    // Calls f(const T&) for up to max_items of the items available when called, each slot freed
    // as soon as it is consumed. Returns the number consumed.
    template <class F>
    std::size_t consume_batch(F&& f, std::size_t max_items) noexcept {
        const std::size_t available = queue_.read_available();
        if (available == 0)
            return 0;
        KEEL_ASSERT(available <= capacity_, "ring indices corrupted");
        if (available > high_water_)
            high_water_ = available;
        const std::size_t n = available < max_items ? available : max_items;
        const auto call = [&f](const T& v) { f(v); };
        for (std::size_t i = 0; i < n; ++i) {
            // Only this thread takes items, so the n it saw are all still there.
            [[maybe_unused]] const bool taken = queue_.consume_one(call);
            KEEL_ASSERT(taken, "ring lost an item it had shown");
        }
        return n;
    }
    // One item, if any (not counted in high_water).
    [[nodiscard]] bool try_pop(T& out) noexcept { return queue_.pop(out); }

    // Highest occupancy the consumer has observed. Consumer thread only (or after join).
    [[nodiscard]] std::size_t high_water() const noexcept { return high_water_; }

  private:
    const std::size_t capacity_;
    boost::lockfree::spsc_queue<T> queue_;
    // Written by the consumer only, on its own line pair so it never dirties the queue's.
    alignas(kFalseSharingRange) std::size_t high_water_ = 0;
};

}  // namespace keel::engine
