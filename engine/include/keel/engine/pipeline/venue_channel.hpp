// VenueChannel: the seam between the pipeline and a venue adapter that runs on its own thread
// (a FIX session, a broker's REST and stream, or the simulator with venue.threaded).
//
//   gateway thread --requests (SpscRing<Event>)--> adapter thread
//   adapter thread --replies (events + tails)----> ingest thread
//
// Requests: the gateway journals order_sent, then pushes the order (and, for a venue that
// simulates matching, each market-data and timer event) here. No lock, no allocation, and no
// syscall unless the adapter is parked: a parked adapter sleeps on a futex and the gateway
// wakes it once at the end of its batch (end_batch; the runner calls it), so a spinning adapter
// costs the gateway no syscall at all and a parked one at most one per batch. Wakes are counted.
//
// Replies: the adapter posts each reply with its tail (a venue order id, an execution id, a
// reject text; at most kMaxTailBytes) into a reply queue that ingest reads beside its reply
// ring. The tails live in a byte ring beside the events, so a reply's tail costs its length,
// not a whole slot; ingest copies it into its tail arena (the one copy) and only then frees it.
//
// Settled: every request pushed has been handled by the adapter (a simulator has posted its
// replies by then; a protocol adapter has written the request to its socket). In fused plans
// ingest reads no new input until the venue is settled, so a threaded simulator answers at the
// same points of the input sequence as the synchronous one. Awaiting: the requests the adapter
// has sent and the venue has not yet answered, kept by the adapter; at stop ingest waits up to
// venue.drain_ms for them (Ingest::Options::venue_drain_ns).
//
// Capacities (sizing, chosen by the assembly): the request ring makes the gateway wait when
// full (counted); the reply queue must hold every reply that can be outstanding while ingest
// is blocked on its own output (Runner::venue_reply_capacity_for), so the adapter never waits
// on it in a well-sized session; a wait is counted all the same. The tails' byte ring
// (kTailRingBytes) is bounded in bytes, not by that argument: 16 MiB of unread tails (65,536
// replies of 256 bytes, say) make the adapter wait, counted as a reply-queue wait.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/lockfree/spsc_queue.hpp>

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"
#include "keel/engine/pipeline/stage_metrics.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"

namespace keel::engine {

// What the runner calls on the gateway's thread at the end of each batch of work.
class BatchEnd {
  public:
    virtual void end_batch() noexcept = 0;

  protected:
    ~BatchEnd() = default;
};

// One reply in the queue; its tail (tail_length bytes) is in the channel's byte ring.
struct VenueReply {
    Event event;
    std::uint64_t tail_at = 0;  // position in the byte ring (monotonic; wraps by mask)
    std::uint32_t tail_length = 0;
};

class VenueChannel final : public BatchEnd {
  public:
    // Bytes of reply tails that can be unread at once (reserved up front, mapped lazily).
    static constexpr std::size_t kTailRingBytes = std::size_t{16} << 20;

    // Both capacities are powers of two >= 2.
    VenueChannel(std::size_t request_capacity, std::size_t reply_capacity);
    VenueChannel(const VenueChannel&) = delete;
    VenueChannel& operator=(const VenueChannel&) = delete;

    // --- gateway thread ---
    // Hands one request to the adapter; waits (yielding, counted) when the ring is full, after
    // waking the adapter.
    void push_request(const Event& request) noexcept;
    // Wakes the adapter once if it is parked and anything was pushed since the last call.
    void end_batch() noexcept override;

    // --- adapter thread ---
    // Calls f(const Event&) for up to max requests; each counts as handled once f returns.
    template <class F>
    std::size_t take_requests(F&& f, std::size_t max) noexcept {
        const std::size_t n = requests_.consume_batch(
            [&](const Event& e) {
                f(e);
                handled_.fetch_add(1, std::memory_order_release);
            },
            max);
        return n;
    }
    // Sleeps until woken (push_request/end_batch, wake) or timeout_ns passes, unless a request
    // is already waiting. Returns at once when one is.
    void park(std::int64_t timeout_ns) noexcept;
    // Posts one reply with its tail (at most kMaxTailBytes: the adapter keeps within it,
    // checked). Waits (yielding, counted) when the queue or the tail bytes are full, unless the
    // channel is closed: then the reply is dropped (counted; false), since no ingest will read
    // it. Such a reply was never journaled: its order is in doubt, as at a crash.
    bool post_reply(const Event& reply, std::string_view tail = {}) noexcept;
    // Requests sent to the venue and not yet answered (the adapter's own count).
    void set_awaiting(std::uint32_t n) noexcept { awaiting_.store(n, std::memory_order_release); }

    // --- any thread ---
    // Wakes a parked adapter (to stop it, say).
    void wake() noexcept;
    // The session has stopped reading replies: an adapter waiting for room gives up (its
    // thread can be joined). Cold, after the pipeline has stopped.
    void close() noexcept {
        closed_.store(true, std::memory_order_release);
        wake();
    }

    // --- ingest thread ---
    // The oldest unread reply, or null. Its tail stays valid until pop_reply.
    [[nodiscard]] const VenueReply* front_reply() noexcept {
        return replies_.read_available() > 0 ? &replies_.front() : nullptr;
    }
    [[nodiscard]] std::string_view tail(const VenueReply& r) const noexcept {
        return {reinterpret_cast<const char*>(tail_bytes_.get()) + (r.tail_at & kTailMask),
                r.tail_length};
    }
    // Frees the front reply and its tail bytes.
    void pop_reply() noexcept;
    // Every request pushed has been handled (and, for a simulator, answered).
    [[nodiscard]] bool settled() const noexcept {
        return handled_.load(std::memory_order_acquire) == pushed_.load(std::memory_order_acquire);
    }
    [[nodiscard]] std::uint32_t awaiting() const noexcept {
        return awaiting_.load(std::memory_order_acquire);
    }
    // Requests not yet taken by the adapter. Handled is read first: it never passes pushed, so
    // the difference cannot wrap while both move.
    [[nodiscard]] std::uint64_t unhandled() const noexcept {
        const std::uint64_t handled = handled_.load(std::memory_order_acquire);
        return pushed_.load(std::memory_order_acquire) - handled;
    }
    // Requests not yet handled, and requests sent but unanswered: what a stop leaves in doubt.
    [[nodiscard]] std::uint64_t in_doubt() const noexcept { return unhandled() + awaiting(); }

    // Counters, any thread.
    [[nodiscard]] std::uint64_t wakes() const noexcept { return wakes_.get(); }
    [[nodiscard]] std::uint64_t request_full_waits() const noexcept {
        return request_full_waits_.get();
    }
    [[nodiscard]] std::uint64_t reply_full_waits() const noexcept {
        return reply_full_waits_.get();
    }
    [[nodiscard]] std::uint64_t replies_dropped_at_close() const noexcept {
        return replies_dropped_.get();
    }
    [[nodiscard]] std::uint64_t requests_pushed() const noexcept {
        return pushed_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::size_t request_capacity() const noexcept { return requests_.capacity(); }
    [[nodiscard]] std::size_t reply_capacity() const noexcept { return reply_capacity_; }

  private:
    static constexpr std::size_t kTailMask = kTailRingBytes - 1;

    // Gateway-owned.
    SpscRing<Event> requests_;
    alignas(kFalseSharingRange) std::atomic<std::uint64_t> pushed_{0};
    std::uint64_t pushed_at_last_wake_check_ = 0;
    // Adapter-owned.
    alignas(kFalseSharingRange) std::atomic<std::uint64_t> handled_{0};
    std::atomic<std::uint32_t> awaiting_{0};
    std::uint64_t tail_written_ = 0;  // byte-ring position of the next tail
    // The futex word: 1 while the adapter is parked (or about to be).
    alignas(kFalseSharingRange) std::atomic<std::uint32_t> parked_{0};
    // Ingest-owned: byte-ring position up to which tails are free again.
    alignas(kFalseSharingRange) std::atomic<std::uint64_t> tail_freed_{0};

    const std::size_t reply_capacity_;
    boost::lockfree::spsc_queue<VenueReply> replies_;
    std::unique_ptr<unsigned char[]> tail_bytes_;
    Counter wakes_;
    Counter request_full_waits_;
    Counter reply_full_waits_;
    Counter replies_dropped_;
    std::atomic<bool> closed_{false};
};

}  // namespace keel::engine
