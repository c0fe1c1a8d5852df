// SpscRing: a bounded single-producer single-consumer ring of trivially copyable T.
// The indices live on separate cache lines and each side caches the other's index, so in the
// common case a push or pop touches only lines its own thread owns (rigtorp/SPSCQueue design).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>

#include "keel/assert.hpp"

namespace keel::engine {

// 128 rather than 64: x86's adjacent-line prefetcher pulls cache lines in pairs, so indices
// 64 bytes apart still false-share.
inline constexpr std::size_t kFalseSharingRange = 128;

template <class T>
class SpscRing {
    static_assert(std::is_trivially_copyable_v<T>, "ring slots are copied as bytes");

  public:
    // capacity must be a power of two; storage is allocated here, once, and never again.
    explicit SpscRing(std::size_t capacity)
        : mask_(capacity - 1),
          slots_(static_cast<T*>(
              ::operator new[](capacity * sizeof(T), std::align_val_t{alignof(T)}))) {
        KEEL_ASSERT(capacity >= 2 && (capacity & (capacity - 1)) == 0,
                    "ring capacity must be a power of two >= 2");
    }
    ~SpscRing() { ::operator delete[](slots_, std::align_val_t{alignof(T)}); }
    SpscRing(const SpscRing&) = delete;
    SpscRing& operator=(const SpscRing&) = delete;

    [[nodiscard]] std::size_t capacity() const noexcept { return mask_ + 1; }
    // Events waiting now, read from any thread (metrics): approximate while both sides move.
    [[nodiscard]] std::size_t depth() const noexcept {
        const std::uint64_t tail = consumer_.tail.load(std::memory_order_relaxed);
        const std::uint64_t head = producer_.head.load(std::memory_order_relaxed);
        return head > tail ? static_cast<std::size_t>(head - tail) : 0;
    }

    // --- producer side ---

    // Returns the slot to write in place, or nullptr when the ring is full. The slot becomes
    // visible to the consumer only at publish().
    [[nodiscard]] T* try_claim() noexcept {
        const std::uint64_t head = producer_.head.load(std::memory_order_relaxed);
        if (head - producer_.cached_tail > mask_) {
            producer_.cached_tail = consumer_.tail.load(std::memory_order_acquire);
            if (head - producer_.cached_tail > mask_)
                return nullptr;
        }
        return &slots_[head & mask_];
    }
    void publish() noexcept {
        const std::uint64_t head = producer_.head.load(std::memory_order_relaxed);
        producer_.head.store(head + 1, std::memory_order_release);
    }
    [[nodiscard]] bool try_push(const T& value) noexcept {
        T* slot = try_claim();
        if (slot == nullptr)
            return false;
        *slot = value;
        publish();
        return true;
    }

    // --- consumer side ---

    // Calls f(const T&) for up to max_items available items, then frees their slots with a
    // single release store. Returns the number consumed.
    template <class F>
    std::size_t consume_batch(F&& f, std::size_t max_items) noexcept {
        const std::uint64_t tail = consumer_.tail.load(std::memory_order_relaxed);
        std::uint64_t available = consumer_.cached_head - tail;
        if (available == 0) {
            // Fetch the slot we will read next while we ask for the producer's index, so the
            // two cache-line transfers overlap instead of following each other.
            __builtin_prefetch(&slots_[tail & mask_], 0, 3);
            consumer_.cached_head = producer_.head.load(std::memory_order_acquire);
            available = consumer_.cached_head - tail;
            if (available == 0)
                return 0;
        }
        KEEL_ASSERT(available <= mask_ + 1, "ring indices corrupted");
        if (available > high_water_)
            high_water_ = available;
        const std::size_t n = available < max_items ? available : max_items;
        for (std::size_t i = 0; i < n; ++i)
            f(static_cast<const T&>(slots_[(tail + i) & mask_]));
        consumer_.tail.store(tail + n, std::memory_order_release);
        return n;
    }
    [[nodiscard]] bool try_pop(T& out) noexcept {
        return consume_batch([&out](const T& v) { out = v; }, 1) == 1;
    }

    // Highest occupancy the consumer has observed. Consumer thread only (or after join).
    [[nodiscard]] std::size_t high_water() const noexcept { return high_water_; }

  private:
    struct alignas(kFalseSharingRange) ProducerSide {
        std::atomic<std::uint64_t> head{0};
        std::uint64_t cached_tail = 0;
    };
    struct alignas(kFalseSharingRange) ConsumerSide {
        std::atomic<std::uint64_t> tail{0};
        std::uint64_t cached_head = 0;
    };

    const std::size_t mask_;
    T* const slots_;
    ProducerSide producer_;
    ConsumerSide consumer_;
    // Written by the consumer only, on its own line so it never dirties the producer's.
    alignas(kFalseSharingRange) std::size_t high_water_ = 0;
};

}  // namespace keel::engine
