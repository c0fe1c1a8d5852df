#include "keel/engine/pipeline/venue_channel.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstring>

#include "keel/assert.hpp"
#include "keel/engine/pipeline/idle_strategy.hpp"

namespace keel::engine {
namespace {

// The futex word is the atomic's own storage (a lock-free 32-bit atomic is a plain int).
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
              std::atomic<std::uint32_t>::is_always_lock_free);

void futex_wait(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                std::int64_t timeout_ns) noexcept {
    timespec ts{static_cast<time_t>(timeout_ns / 1'000'000'000),
                static_cast<long>(timeout_ns % 1'000'000'000)};
    // Returns at once when the word no longer holds `expected` (the waker cleared it), on a
    // wake, a signal or the timeout; the caller checks what it waits for either way.
    (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected,
                  &ts, nullptr, 0);
}

void futex_wake(std::atomic<std::uint32_t>& word) noexcept {
    (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1,
                  nullptr, nullptr, 0);
}

}  // namespace

VenueChannel::VenueChannel(std::size_t request_capacity, std::size_t reply_capacity)
    : requests_(request_capacity),
      reply_capacity_(reply_capacity),
      replies_(reply_capacity),
      tail_bytes_(new unsigned char[kTailRingBytes]) {
    KEEL_ASSERT(reply_capacity >= 2 && (reply_capacity & (reply_capacity - 1)) == 0,
                "reply capacity must be a power of two >= 2");
    static_assert((kTailRingBytes & kTailMask) == 0 && kTailRingBytes >= 2 * kMaxTailBytes);
}

void VenueChannel::push_request(const Event& request) noexcept {
    if (!requests_.try_push(request)) {
        request_full_waits_.add();
        IdleStrategy idle(IdleKind::yield);
        do {
            // The adapter may be parked with the ring full of what this batch pushed.
            pushed_at_last_wake_check_ = ~std::uint64_t{0};
            end_batch();
            idle.idle(0);
        } while (!requests_.try_push(request));
    }
    pushed_.store(pushed_.load(std::memory_order_relaxed) + 1, std::memory_order_release);
}

void VenueChannel::end_batch() noexcept {
    const std::uint64_t pushed = pushed_.load(std::memory_order_relaxed);
    if (pushed == pushed_at_last_wake_check_)
        return;
    pushed_at_last_wake_check_ = pushed;
    // Paired with the fence in park(): either the adapter sees the requests pushed before this
    // fence and does not sleep, or this sees it parked and wakes it (Dekker's pattern). The
    // load alone costs a spinning adapter's gateway nothing more than the fence.
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (parked_.load(std::memory_order_relaxed) == 1 &&
        parked_.exchange(0, std::memory_order_acq_rel) == 1) {
        futex_wake(parked_);
        wakes_.add();
    }
}

void VenueChannel::park(std::int64_t timeout_ns) noexcept {
    parked_.store(1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (requests_.depth() == 0)
        futex_wait(parked_, 1, timeout_ns);
    parked_.store(0, std::memory_order_relaxed);
}

void VenueChannel::wake() noexcept {
    parked_.store(0, std::memory_order_release);
    futex_wake(parked_);
}

bool VenueChannel::post_reply(const Event& reply, std::string_view tail) noexcept {
    KEEL_ASSERT(tail.size() <= kMaxTailBytes, "a venue reply's tail exceeds kMaxTailBytes");
    const auto length = static_cast<std::uint32_t>(tail.size());
    std::uint64_t at = tail_written_;
    IdleStrategy idle(IdleKind::yield);
    bool waited = false;
    // Waits one cycle for room; false (the reply dropped, counted) once the channel is closed.
    const auto wait_for_room = [&]() noexcept {
        if (closed_.load(std::memory_order_acquire)) {
            replies_dropped_.add();
            return false;
        }
        waited = true;
        idle.idle(0);
        return true;
    };
    if (length > 0) {
        // A tail is contiguous: one that would cross the ring's end starts at the next lap.
        if ((at & kTailMask) + length > kTailRingBytes)
            at = (at | kTailMask) + 1;
        while (at + length - tail_freed_.load(std::memory_order_acquire) > kTailRingBytes) {
            if (!wait_for_room())
                return false;
        }
        std::memcpy(tail_bytes_.get() + (at & kTailMask), tail.data(), length);
        tail_written_ = at + length;
    }
    const VenueReply r{reply, at, length};
    while (!replies_.push(r)) {
        if (!wait_for_room())
            return false;
    }
    if (waited)
        reply_full_waits_.add();
    return true;
}

void VenueChannel::pop_reply() noexcept {
    const VenueReply& r = replies_.front();
    if (r.tail_length > 0)
        tail_freed_.store(r.tail_at + r.tail_length, std::memory_order_release);
    [[maybe_unused]] const bool popped = replies_.pop();
    KEEL_ASSERT(popped, "pop_reply with no reply waiting");
}

}  // namespace keel::engine
