// TailArena: the variable-length bytes an input event carries after its 64 bytes (an alert's
// raw body, a venue's order and execution ids, a reject text), while the event is in flight.
//
// A source writes a tail straight into the arena's next slot when ingest polls it; ingest
// journals event and tail as one record and, once the event has its sequence number, files the
// slot under that number; any stage reads the tail of an input event it is handling through
// tail(event). No allocation after construction and no copy beyond the source's one into the
// slot. A stage that needs the bytes after on_event returns copies what it needs.
//
// Sizing: slots are reused in turn, so a slot must not come round again while the event that
// filed it can still be in flight. The pipeline bounds that: its rings and batches hold at most
// Runner::in_flight_bound events, each input among them taking at most one slot; the arena
// holds the next power of two above it. The bytes are reserved up front and touched only as
// tails arrive (a large allocation is mapped lazily), so a session without tails costs no
// resident memory for them.
//
// Threads: ingest writes (next_slot, attach); stages read. A slot's bytes and its index entry
// are written before the event is published through a ring (release) and read after it is
// taken from one (acquire), so they need no atomics of their own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

// The most bytes an input event's tail may hold. An alert's body, a FIX message's text fields
// and a REST order's ids fit; a source refuses a longer one as bad input.
inline constexpr std::uint32_t kMaxTailBytes = 4096;
// Readable bytes after every slot, so a stage can parse a JSON tail in place (simdjson reads
// up to 64 bytes past the end of its input; strategy/alert_order.hpp).
inline constexpr std::uint32_t kTailPadding = 64;

// Where a source writes the tail of the event it returns from poll.
struct TailOut {
    unsigned char* data = nullptr;
    std::uint32_t capacity = 0;  // 0: this ingest keeps no tails
    std::uint32_t length = 0;    // what the source wrote (0: no tail)

    // Copies bytes in as the tail; false (length 0) when they do not fit.
    [[nodiscard]] bool put(std::string_view bytes) noexcept {
        length = 0;
        if (bytes.size() > capacity)
            return false;
        std::memcpy(data, bytes.data(), bytes.size());
        length = static_cast<std::uint32_t>(bytes.size());
        return true;
    }
};

class TailArena {
  public:
    // Room for the tails of in_flight input events at once (at least 2).
    explicit TailArena(std::size_t in_flight);

    [[nodiscard]] std::size_t slots() const noexcept { return mask_ + 1; }

    // Ingest: where the next polled event's tail goes.
    [[nodiscard]] TailOut next_slot() noexcept {
        return {bytes_.get() + (next_ & mask_) * kSlotBytes, kMaxTailBytes, 0};
    }
    // Ingest: the event sequenced as seq owns the next slot's first `length` bytes.
    void attach(std::uint64_t seq, std::uint32_t length) noexcept;
    // next_slot, a copy of bytes into it, attach: for a tail that is not a source's (restart
    // recovery files journaled tails as it re-runs their events).
    void store(std::uint64_t seq, std::string_view bytes) noexcept;

    // The tail of input event e, empty when it has none. Valid while e is in flight; the
    // kTailPadding bytes after it are readable.
    [[nodiscard]] std::string_view tail(const Event& e) const noexcept;

  private:
    static constexpr std::size_t kSlotBytes = kMaxTailBytes + kTailPadding;
    struct Entry {
        std::uint64_t seq = 0;  // the input that owns the slot (0: none yet)
        std::uint64_t slot = 0;
        std::uint32_t length = 0;
    };
    std::size_t mask_;
    std::unique_ptr<unsigned char[]> bytes_;
    std::unique_ptr<Entry[]> index_;  // by seq & mask_
    std::uint64_t next_ = 0;          // slots handed out so far
};

}  // namespace keel::engine
