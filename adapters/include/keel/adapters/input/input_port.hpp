// InputPort: how an adapter thread (webhook receiver, control API, market-data feed) hands an
// input event to ingest, and learns whether it was journaled. Many producers, one consumer.
//
// A producer that must answer only once its input is durable (an HTTP alert: 200 only after
// its record is journaled under the configured durability) submits with a ticket and polls
// fate() from its own thread until the input is durable or refused, then releases the ticket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"

namespace keel::adapters {

class InputPort {
  public:
    using Ticket = std::uint32_t;
    enum class Fate : std::uint8_t {
        pending,  // queued, or journaled but not yet durable
        durable,  // journaled and durable; seq() is its sequence number
        refused,  // never journaled (the journal failed or the session stopped first)
    };

    virtual ~InputPort() = default;
    // Queues the event (header.seq is ignored; header.ts_ns 0 means "now": in a live session
    // in wall time the port stamps it with the wall clock as it queues it, its receipt time
    // for every adapter; in data time, the current engine time). Returns false when the queue
    // is full or closed: nothing was queued.
    [[nodiscard]] virtual bool submit(const engine::Event& event) noexcept = 0;
    // Same, with a short tail journaled with the event (at most kShortTailBytes: a feed
    // message's exchange time in wall time, engine/core/exchange_time.hpp). A port that keeps
    // no short tails refuses one (false, nothing queued) rather than drop it.
    static constexpr std::size_t kShortTailBytes = 16;
    [[nodiscard]] virtual bool submit_with_tail(const engine::Event& event,
                                                std::string_view short_tail) noexcept {
        return short_tail.empty() && submit(event);
    }
    // Same, with a ticket to follow it by; nullopt when the queue or the ticket pool is full
    // or closed (nothing was queued). tail: bytes journaled with the event (at most
    // engine::kMaxTailBytes, the caller's to check; engine/pipeline/tail_arena.hpp), copied in.
    [[nodiscard]] virtual std::optional<Ticket> submit_tracked(
        const engine::Event& event, std::string_view tail = {}) noexcept = 0;
    [[nodiscard]] virtual Fate fate(Ticket ticket) const noexcept = 0;
    // The sequence number ingest gave it (0 until journaled).
    [[nodiscard]] virtual std::uint64_t seq(Ticket ticket) const noexcept = 0;
    // The producer is done with the ticket (it may be reused). Always release, whatever fate.
    virtual void release(Ticket ticket) noexcept = 0;
};

}  // namespace keel::adapters
