// LiveInputQueue: the InputPort adapters write to and the InputSource ingest reads, joined by a
// moodycamel::ConcurrentQueue (many producers, one consumer). It never blocks a producer: a
// full queue or ticket pool is refused at once, so the adapter can answer 503 rather than hang.
//
// Tickets live in a fixed pool (no allocation on the ingest thread). Ingest tells the queue
// what became of each polled event (InputSource::sequenced / refused); the durability of a
// journaled one is read from the input stream's durable watermark.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "keel/adapters/input/input_port.hpp"
#include "keel/engine/pipeline/stage.hpp"

namespace keel::adapters {

class LiveInputQueue final : public engine::InputSource, public InputPort {
  public:
    // capacity: events that may wait for ingest; tickets: tracked events in flight at once.
    explicit LiveInputQueue(std::size_t capacity = 1 << 16, std::size_t tickets = 4096);
    ~LiveInputQueue() override;
    LiveInputQueue(const LiveInputQueue&) = delete;
    LiveInputQueue& operator=(const LiveInputQueue&) = delete;

    // Where durability is read: the input stream's durable sequence watermark. Without one
    // (a session with no journal) an event is durable as soon as it is sequenced.
    void set_durable_watermark(const std::atomic<std::uint64_t>* durable_seq) noexcept {
        durable_seq_ = durable_seq;
    }
    // Events ingest takes before anything queued (the symbol definitions a session journals
    // before first use): the queue is not FIFO across producers, so these cannot simply be
    // submitted first. Set before the pipeline starts.
    void set_prelude(std::vector<engine::Event> events) { prelude_ = std::move(events); }
    // live.time "wall": an event queued with header.ts_ns 0 is stamped with the wall clock
    // (Unix ns) as it is queued, on the producer's thread. Set before the pipeline starts.
    void set_wall_clock(bool on) noexcept { wall_clock_ = on; }
    // After close(), submit refuses and poll reports exhausted once the queue is drained.
    void close() noexcept { closed_.store(true, std::memory_order_release); }
    // After the pipeline has stopped: every tracked event ingest never sequenced is refused,
    // so no producer waits forever.
    void abandon() noexcept;

    // InputPort (any thread).
    bool submit(const engine::Event& event) noexcept override;
    bool submit_with_tail(const engine::Event& event,
                          std::string_view short_tail) noexcept override;
    std::optional<Ticket> submit_tracked(const engine::Event& event,
                                         std::string_view tail = {}) noexcept override;
    Fate fate(Ticket ticket) const noexcept override;
    std::uint64_t seq(Ticket ticket) const noexcept override;
    void release(Ticket ticket) noexcept override;

    // InputSource (the ingest thread).
    Poll poll(engine::Event& out) noexcept override;
    // A tracked event's tail goes with it, copied into ingest's slot.
    Poll poll(engine::Event& out, engine::TailOut& tail) noexcept override;
    void sequenced(const engine::Event& event) noexcept override;
    void refused(const engine::Event& event) noexcept override;

    [[nodiscard]] std::uint64_t submitted() const noexcept {
        return submitted_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t refused_full() const noexcept {
        return refused_full_.load(std::memory_order_relaxed);
    }
    // Approximate: events waiting for ingest.
    [[nodiscard]] std::size_t depth() const noexcept;

  private:
    struct Item {
        engine::Event event;
        std::uint32_t ticket;       // kNoTicket when untracked
        std::uint32_t tail_length;  // bytes in the ticket's tail buffer, or in short_tail
        // An untracked event's short tail: in the padding the event's alignment leaves anyway.
        unsigned char short_tail[kShortTailBytes];
    };
    static_assert(sizeof(Item) == 2 * sizeof(engine::Event), "the short tail costs no room");
    static constexpr std::uint32_t kNoTicket = ~std::uint32_t{0};
    enum SlotState : std::uint32_t {
        kFree = 0,
        kQueued = 1,
        kSequenced = 2,
        kRefused = 3,
        kAbandoned = 4,  // released by its producer while still queued; finish() frees it
    };
    struct alignas(64) Slot {
        std::atomic<std::uint32_t> state{kFree};
        std::atomic<std::uint64_t> seq{0};
    };
    struct Queue;

    bool enqueue(const engine::Event& event, std::uint32_t ticket, std::uint32_t tail_length = 0,
                 std::string_view short_tail = {}) noexcept;
    std::optional<std::uint32_t> acquire() noexcept;
    void finish(std::uint64_t seq, std::uint32_t state) noexcept;

    std::unique_ptr<Queue> queue_;
    std::vector<Slot> slots_;
    // Each ticket's tail: written by its producer before the event is queued, read by ingest
    // after taking it off the queue (the queue orders the two). Mapped as tails arrive.
    std::unique_ptr<unsigned char[]> tails_;
    std::size_t capacity_;
    std::atomic<std::uint32_t> next_slot_{0};
    const std::atomic<std::uint64_t>* durable_seq_ = nullptr;
    std::atomic<bool> closed_{false};
    bool wall_clock_ = false;
    std::atomic<std::uint64_t> submitted_{0};
    std::atomic<std::uint64_t> refused_full_{0};
    std::uint32_t polled_ticket_ = kNoTicket;  // ingest thread only
    std::vector<engine::Event> prelude_;
    std::size_t prelude_next_ = 0;  // ingest thread only
};

}  // namespace keel::adapters
