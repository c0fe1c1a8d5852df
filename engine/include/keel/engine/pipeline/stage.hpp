// Stage and Emit: the shape of every pipeline stage. A stage is a plain single-threaded
// object; it sees events in sequence order and emits what it forwards and derives.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/state_snapshot.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"

namespace keel::engine {

// The most events one stage (one account's, with several accounts) may emit per input event,
// the forwarded input included.
inline constexpr std::size_t kStageEmitBudget = 16;
// The most accounts a session may trade (config `accounts`). Order ids have room for 256
// (order_id.hpp); the emit budget of a stage running one inner stage per account is
// kStageEmitBudget per account (emit_buffer.hpp), which bounds this.
inline constexpr std::size_t kMaxAccounts = 8;

class Emit {
  public:
    virtual void emit(const Event& event) noexcept = 0;

  protected:
    ~Emit() = default;
};

class Stage {
  public:
    virtual ~Stage() = default;
    [[nodiscard]] virtual std::string_view name() const noexcept = 0;
    // Runs on the stage's own thread before the first event; the last place it may allocate.
    virtual void on_start() {}
    // Must forward every event it does not consume (control events included), then emit what
    // it derives. No clock, no I/O, no locks, no allocation.
    virtual void on_event(const Event& event, Emit& out) noexcept = 0;
    // Called after the shutdown event has passed through on_event.
    virtual void on_close() noexcept {}
    // Called on the stage's thread when a snapshot event has passed through on_event: write
    // this stage's part of the state into the preallocated snapshot (no allocation).
    virtual void write_snapshot(StateSnapshot& /*snapshot*/) const noexcept {}
    // The most events it emits per input (the runner's emit buffer holds it to that); a stage
    // that wraps another must forward this.
    [[nodiscard]] virtual std::size_t emit_budget() const noexcept;
};

inline std::size_t Stage::emit_budget() const noexcept {
    return kStageEmitBudget;
}

// The state_hash event a stage emits after its inputs-th input event (every kStateHashEvery).
[[nodiscard]] inline Event make_state_hash(const Event& cause, Source stage, std::uint64_t hash,
                                           std::uint64_t inputs) noexcept {
    Event e =
        make_event(EventType::state_hash, stage, cause.header.seq, cause.header.ts_ns, kNoSymbol);
    e.payload.state_hash.hash = hash;
    e.payload.state_hash.inputs = inputs;
    return e;
}
[[nodiscard]] inline bool state_hash_due(const Event& event, std::uint64_t& inputs) noexcept {
    return is_input(event.header.type) && ++inputs % kStateHashEvery == 0;
}

// The most order requests a strategy stage may derive from one input event. The reply ring
// back to ingest is sized from it (Runner::reply_capacity_for), so it is a hard contract.
inline constexpr std::size_t kMaxOrdersPerEvent = 4;

// Where ingest gets input events from: a file, a feed adapter, a queue of venue replies.
class InputSource {
  public:
    virtual ~InputSource() = default;
    enum class Poll { event, idle, exhausted };
    // Fills out (header.seq and header.ts_ns are set by ingest) or says why it could not.
    virtual Poll poll(Event& out) noexcept = 0;
    // The same, for a source whose events may carry a tail (pipeline/tail_arena.hpp): it
    // writes up to tail.capacity bytes at tail.data and sets tail.length; ingest journals them
    // with the event. A source whose events have none needs only the one above.
    virtual Poll poll(Event& out, TailOut& tail) noexcept {
        tail.length = 0;
        return poll(out);
    }
    // Ingest's verdict on the event the last poll returned: journaled (when the session has a
    // journal) and passed on under event.header.seq, or refused because it could not be
    // journaled. A live source answers its producers from these (an HTTP alert is answered
    // 200 only once it is journaled). Each polled event gets exactly one of the two calls,
    // unless the session stops first with it still held back (see Ingest).
    virtual void sequenced(const Event& /*event*/) noexcept {}
    virtual void refused(const Event& /*event*/) noexcept {}
};

// Where a venue (or anything else off the pipeline) sends replies back to ingest.
class ReplySink {
  public:
    virtual void post(const Event& event) noexcept = 0;

  protected:
    ~ReplySink() = default;
};

// The gateway's view of a venue adapter.
// One order a venue is still working, as its open-order query reports it.
struct VenueOpenOrder {
    std::uint64_t order_id = 0;
    Quantity filled{};
};

class Venue {
  public:
    virtual ~Venue() = default;
    // Hands one order (an order_sent event, already journaled) to the venue.
    virtual void submit(const Event& order_sent) noexcept = 0;
    // Every market-data event (trade, quote, bar), every timer event and every alert with a
    // price the gateway sees, for venues that simulate matching and time in force (a simulated
    // venue expires DAY orders at the session_close timer, and may price a symbol without
    // market data by its alerts). A venue ignores the types it has no use for.
    virtual void on_market_data(const Event& /*event*/) noexcept {}
    // The open-order query (FIX OrderMassStatusRequest, a REST open-orders call): every order
    // the venue is still working, ascending by id. Restart recovery checks the engine's view
    // against it before any new order (cold; replay/recovery.hpp). nullopt: cannot be asked.
    [[nodiscard]] virtual std::optional<std::vector<VenueOpenOrder>> query_open_orders() const {
        return std::nullopt;
    }
    // True for an adapter on its own thread (venue_channel.hpp): submit only hands the order
    // over, so the venue_sent crash point is the adapter's, after it has really sent it. A
    // venue that wraps another must forward this.
    [[nodiscard]] virtual bool sends_on_own_thread() const noexcept { return false; }
};

}  // namespace keel::engine
