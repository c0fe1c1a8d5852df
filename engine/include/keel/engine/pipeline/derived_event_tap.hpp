// DerivedEventTap: a copy of chosen events leaving the last stage, for a consumer on a cold
// thread (the notification outbox; later the dashboard). The session's sink calls offer() on
// the last stage's hot thread for every event whose type the chain of taps asked for (the
// sink holds their union, so any other event costs one inline bit test and no call:
// SessionOptions::derived_tap), so it never waits, never allocates, never makes a syscall. An
// event a tap asked for is copied into its SpscRing, and when that ring is full the event is
// dropped and counted by type, so the consumer can say what it missed ("37 fills not sent")
// instead of the pipeline slowing down for it. That is the one place in keel where a full ring
// drops rather than waits: what the tap carries is a copy, the journal holds the original.
//
// Several consumers: each has its own tap, chained (`next`), so a slow consumer never costs
// another one its events.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/stage_metrics.hpp"

namespace keel::engine {

// A set of event types (every EventType value is below 256).
class EventTypeSet {
  public:
    EventTypeSet() = default;
    EventTypeSet(std::initializer_list<EventType> types) noexcept {
        for (const EventType t : types)
            add(t);
    }
    void add(EventType t) noexcept {
        const auto v = static_cast<std::uint8_t>(t);
        bits_[v >> 6] |= std::uint64_t{1} << (v & 63);
    }
    [[nodiscard]] bool contains(EventType t) const noexcept {
        const auto v = static_cast<std::uint8_t>(t);
        return ((bits_[v >> 6] >> (v & 63)) & 1) != 0;
    }
    void merge(const EventTypeSet& other) noexcept {
        for (std::size_t i = 0; i < bits_.size(); ++i)
            bits_[i] |= other.bits_[i];
    }
    [[nodiscard]] bool empty() const noexcept {
        return (bits_[0] | bits_[1] | bits_[2] | bits_[3]) == 0;
    }

  private:
    std::array<std::uint64_t, 4> bits_{};
};

class DerivedEventTap final : public Emit {
  public:
    // capacity: a power of two (the ring's); types: what this consumer wants; next: another
    // consumer's tap, offered every event after this one, or null.
    DerivedEventTap(std::size_t capacity, EventTypeSet types, DerivedEventTap* next = nullptr)
        : ring_(capacity), types_(types), next_(next) {}
    DerivedEventTap(const DerivedEventTap&) = delete;
    DerivedEventTap& operator=(const DerivedEventTap&) = delete;

    // --- producer side: the last stage's thread ---
    // Copies the event if this tap wants its type (dropped and counted when the ring is full),
    // then offers it down the chain.
    void offer(const Event& event) noexcept {
        if (types_.contains(event.header.type) && !ring_.try_push(event))
            dropped_[static_cast<std::uint8_t>(event.header.type)].add();
        if (next_ != nullptr)
            next_->offer(event);
    }
    void emit(const Event& event) noexcept override { offer(event); }
    // The types any tap of the chain wants: the sink offers only those.
    [[nodiscard]] EventTypeSet chain_types() const noexcept {
        EventTypeSet all = types_;
        for (const DerivedEventTap* t = next_; t != nullptr; t = t->next_)
            all.merge(t->types_);
        return all;
    }

    // --- consumer side: one cold thread ---
    // Calls f(const Event&) for up to max events, oldest first; returns how many.
    template <class F>
    std::size_t drain(F&& f, std::size_t max) noexcept {
        return ring_.consume_batch(f, max);
    }
    // Events of type t dropped because the ring was full, since the start. Any thread.
    [[nodiscard]] std::uint64_t dropped(EventType t) const noexcept {
        return dropped_[static_cast<std::uint8_t>(t)].get();
    }
    [[nodiscard]] std::uint64_t dropped_total() const noexcept {
        std::uint64_t n = 0;
        for (const Counter& c : dropped_)
            n += c.get();
        return n;
    }
    [[nodiscard]] const EventTypeSet& types() const noexcept { return types_; }
    [[nodiscard]] std::size_t depth() const noexcept { return ring_.depth(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return ring_.capacity(); }

  private:
    SpscRing<Event> ring_;
    EventTypeSet types_;
    DerivedEventTap* next_;
    // Written by the producer only (single-writer relaxed counters), read by any thread.
    std::array<Counter, 256> dropped_{};
};

}  // namespace keel::engine
