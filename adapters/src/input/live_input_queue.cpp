#include "keel/adapters/input/live_input_queue.hpp"

#include <concurrentqueue/concurrentqueue.h>

#include <chrono>
#include <cstring>

#include "keel/assert.hpp"

namespace keel::adapters {

struct LiveInputQueue::Queue {
    explicit Queue(std::size_t capacity) : q(capacity) {}
    moodycamel::ConcurrentQueue<Item> q;
};

LiveInputQueue::LiveInputQueue(std::size_t capacity, std::size_t tickets)
    : queue_(std::make_unique<Queue>(capacity)),
      slots_(tickets),
      tails_(new unsigned char[tickets * engine::kMaxTailBytes]),
      capacity_(capacity) {
    KEEL_ASSERT(tickets > 0 && tickets < kNoTicket, "ticket pool size out of range");
}

LiveInputQueue::~LiveInputQueue() = default;

bool LiveInputQueue::enqueue(const engine::Event& event, std::uint32_t ticket,
                             std::uint32_t tail_length, std::string_view short_tail) noexcept {
    if (closed_.load(std::memory_order_acquire))
        return false;
    // enqueue (not try_enqueue): a producer's first use allocates its block on the producer's
    // own thread. The bound is applied here instead, so a flood is refused, not buffered.
    if (depth() >= capacity_)
        return false;
    Item item{event, ticket, tail_length, {}};
    if (!short_tail.empty()) {
        std::memcpy(item.short_tail, short_tail.data(), short_tail.size());
        item.tail_length = static_cast<std::uint32_t>(short_tail.size());
    }
    // Wall time: "now" is the wall clock as the producer queues the event (InputPort::submit).
    if (wall_clock_ && item.event.header.ts_ns == 0)
        item.event.header.ts_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count();
    try {
        if (!queue_->q.enqueue(std::move(item)))
            return false;
    } catch (...) {
        return false;  // out of memory: refused like a full queue
    }
    submitted_.fetch_add(1, std::memory_order_relaxed);
    return true;
}

bool LiveInputQueue::submit(const engine::Event& event) noexcept {
    if (enqueue(event, kNoTicket))
        return true;
    refused_full_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

bool LiveInputQueue::submit_with_tail(const engine::Event& event,
                                      std::string_view short_tail) noexcept {
    KEEL_ASSERT(short_tail.size() <= kShortTailBytes, "a short tail longer than kShortTailBytes");
    if (enqueue(event, kNoTicket, 0, short_tail))
        return true;
    refused_full_.fetch_add(1, std::memory_order_relaxed);
    return false;
}

std::optional<std::uint32_t> LiveInputQueue::acquire() noexcept {
    const std::size_t n = slots_.size();
    const std::uint32_t start = next_slot_.fetch_add(1, std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint32_t>((start + i) % n);
        std::uint32_t expected = kFree;
        if (slots_[k].state.compare_exchange_strong(expected, kQueued, std::memory_order_acq_rel))
            return k;
    }
    return std::nullopt;
}

std::optional<InputPort::Ticket> LiveInputQueue::submit_tracked(const engine::Event& event,
                                                                std::string_view tail) noexcept {
    KEEL_ASSERT(tail.size() <= engine::kMaxTailBytes, "a tail longer than kMaxTailBytes");
    const std::optional<std::uint32_t> k = acquire();
    if (!k) {
        refused_full_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    slots_[*k].seq.store(0, std::memory_order_relaxed);
    if (!tail.empty())
        std::memcpy(tails_.get() + std::size_t{*k} * engine::kMaxTailBytes, tail.data(), tail.size());
    if (!enqueue(event, *k, static_cast<std::uint32_t>(tail.size()))) {
        slots_[*k].state.store(kFree, std::memory_order_release);
        refused_full_.fetch_add(1, std::memory_order_relaxed);
        return std::nullopt;
    }
    return *k;
}

InputPort::Fate LiveInputQueue::fate(Ticket ticket) const noexcept {
    KEEL_ASSERT(ticket < slots_.size(), "unknown ticket");
    const Slot& s = slots_[ticket];
    switch (s.state.load(std::memory_order_acquire)) {
        case kSequenced: {
            const std::uint64_t seq = s.seq.load(std::memory_order_relaxed);
            if (durable_seq_ == nullptr || durable_seq_->load(std::memory_order_acquire) >= seq)
                return Fate::durable;
            return Fate::pending;
        }
        case kRefused:
            return Fate::refused;
        default:
            return Fate::pending;
    }
}

std::uint64_t LiveInputQueue::seq(Ticket ticket) const noexcept {
    KEEL_ASSERT(ticket < slots_.size(), "unknown ticket");
    const Slot& s = slots_[ticket];
    return s.state.load(std::memory_order_acquire) == kSequenced
               ? s.seq.load(std::memory_order_relaxed)
               : 0;
}

void LiveInputQueue::release(Ticket ticket) noexcept {
    KEEL_ASSERT(ticket < slots_.size(), "unknown ticket");
    Slot& s = slots_[ticket];
    // A ticket still queued belongs to ingest until it is answered: the producer gave up (a
    // timeout), so mark it abandoned and let finish() free it. Otherwise free it now.
    std::uint32_t expected = kQueued;
    if (s.state.compare_exchange_strong(expected, kAbandoned, std::memory_order_acq_rel))
        return;
    s.state.store(kFree, std::memory_order_release);
}

engine::InputSource::Poll LiveInputQueue::poll(engine::Event& out) noexcept {
    engine::TailOut none;
    return poll(out, none);
}

engine::InputSource::Poll LiveInputQueue::poll(engine::Event& out,
                                               engine::TailOut& tail) noexcept {
    tail.length = 0;
    if (prelude_next_ < prelude_.size()) {
        out = prelude_[prelude_next_++];
        polled_ticket_ = kNoTicket;
        return Poll::event;
    }
    Item item;
    if (!queue_->q.try_dequeue(item)) {
        return closed_.load(std::memory_order_acquire) ? Poll::exhausted : Poll::idle;
    }
    out = item.event;
    polled_ticket_ = item.ticket;
    // A session keeps tails (its ingest offers a slot); without one the bytes stay behind.
    if (item.tail_length > 0 && item.ticket == kNoTicket)
        (void)tail.put({reinterpret_cast<const char*>(item.short_tail), item.tail_length});
    else if (item.tail_length > 0)
        (void)tail.put({reinterpret_cast<const char*>(tails_.get()) +
                            std::size_t{item.ticket} * engine::kMaxTailBytes,
                        item.tail_length});
    return Poll::event;
}

void LiveInputQueue::sequenced(const engine::Event& event) noexcept {
    finish(event.header.seq, kSequenced);
}

void LiveInputQueue::refused(const engine::Event&) noexcept {
    finish(0, kRefused);
}

void LiveInputQueue::finish(std::uint64_t seq, std::uint32_t state) noexcept {
    const std::uint32_t k = polled_ticket_;
    polled_ticket_ = kNoTicket;
    if (k == kNoTicket)
        return;
    Slot& s = slots_[k];
    s.seq.store(seq, std::memory_order_relaxed);
    std::uint32_t expected = kQueued;
    if (!s.state.compare_exchange_strong(expected, state, std::memory_order_acq_rel)) {
        // The producer released it while it was queued: nobody is waiting, free it.
        s.state.store(kFree, std::memory_order_release);
    }
}

void LiveInputQueue::abandon() noexcept {
    closed_.store(true, std::memory_order_release);
    Item item;
    while (queue_->q.try_dequeue(item)) {
        polled_ticket_ = item.ticket;
        finish(0, kRefused);
    }
}

std::size_t LiveInputQueue::depth() const noexcept {
    return queue_->q.size_approx();
}

}  // namespace keel::adapters
