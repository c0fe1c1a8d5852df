// Ingest: the sequencer. It gives every input event the next sequence number and an engine
// timestamp, and only then passes it on. Venue replies come back through a ring and are
// sequenced like market data, so everything downstream sees one total order.
//
// Stopping (end of data or a stop request) is a drain, not a cut: ingest stops reading its
// source, then sends flush markers down the pipeline until one comes back (through the reply
// ring) with no venue reply ahead of it; only then does it send the shutdown event. So every
// reply caused by a sequenced event is itself sequenced, and every stage sees the last event.
// Venue adapters on their own threads (venue_channel.hpp) answer later: after the marker has
// come back with nothing ahead of it, ingest waits up to venue_drain_ns for what they still owe
// (requests not yet handled, requests sent and unanswered), sequences what comes (each reply
// starts another flush round), and counts what is still owed as in doubt (in_doubt_at_stop).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>
#include <vector>

#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/state_snapshot.hpp"
#include "keel/engine/pipeline/timer_schedule.hpp"
#include "keel/engine/pipeline/venue_channel.hpp"

namespace keel::engine {

enum class StopReason : std::uint8_t { none, end_of_data, stop_requested, journal_failed };

class Ingest {
  public:
    struct Options {
        std::uint64_t config_hash = 0;
        std::uint64_t seed = 0;
        std::uint32_t symbol_capacity = 0;
        std::uint64_t venue_id_prefix = 0;  // journaled in session_start (venue_id.hpp)
        // session_start's engine time: 0 for a backtest (time starts with the data), the wall
        // clock at start for a live session in wall time (read by the session, not here), the
        // journaled one for a replay.
        std::int64_t start_ts_ns = 0;
        // When set, every input is appended here before it is passed on; an input that cannot
        // be journaled is dropped, never forwarded, and the session stops.
        EventLog* log = nullptr;
        // Journaled with session_start (the effective config, secrets masked). Must outlive
        // the Ingest.
        std::string_view config_text;
        // Timers made from event time (bar closes, session open and close), sequenced before
        // the first input at or after their time. Optional; must outlive the Ingest.
        TimerSchedule* timers = nullptr;
        // Restart recovery: continue a journaled session after its last input (sequence
        // resume_seq, engine time resume_ts_ns) instead of starting one; no session_start.
        std::uint64_t resume_seq = 0;
        std::int64_t resume_ts_ns = 0;
        // With resume_seq: when `resume.unsent` > 0, the first input sequenced is a
        // session_resume carrying it, so the gateway refuses the orders it held (event.hpp).
        SessionResumePayload resume{};
        // State queries from the control API (state_snapshot.hpp). Optional; must outlive the
        // Ingest and be the one the Runner publishes to.
        SnapshotExchange* snapshots = nullptr;
        // Where input events' tails live while in flight (tail_arena.hpp). Optional (without
        // it sources are offered no room for tails); must outlive the Ingest.
        TailArena* tails = nullptr;
        // Venue adapters on their own threads: their replies (with tails) are sequenced beside
        // the reply ring's, which keeps priority. Each must outlive the Ingest.
        std::vector<VenueChannel*> venues;
        // Fused plans: no new input is read until every venue is settled, so a threaded
        // simulator answers at the same points of the input as the synchronous one.
        bool venue_lockstep = false;
        // At stop: how long to wait for what the venues still owe (venue.drain_ms).
        std::int64_t venue_drain_ns = 0;
    };

    Ingest(InputSource& source, SpscRing<Event>& replies, const std::atomic<bool>& stop,
           const Options& options) noexcept
        : source_(source),
          replies_(replies),
          stop_(stop),
          options_(options),
          has_venues_(!options.venues.empty()) {
        if (options.resume_seq > 0) {
            state_ = options.resume.unsent > 0 ? State::resuming : State::running;
            seq_ = options.resume_seq;
            ts_ns_ = options.resume_ts_ns;
        }
    }

    // Sequences at most one input event (or sends one control event) into out.
    // Returns 1 when it did something, 0 when idle.
    int step(Emit& out) noexcept;

    [[nodiscard]] bool done() const noexcept { return state_ == State::done; }
    [[nodiscard]] std::uint64_t last_seq() const noexcept { return seq_; }
    [[nodiscard]] StopReason stop_reason() const noexcept { return stop_reason_; }
    [[nodiscard]] std::uint64_t flush_rounds() const noexcept { return flush_token_; }
    [[nodiscard]] const SpscRing<Event>& replies() const noexcept { return replies_; }
    // What the venues still owed when the session stopped (after the drain): requests their
    // adapters had not handled plus requests sent and unanswered.
    [[nodiscard]] std::uint64_t in_doubt_at_stop() const noexcept { return in_doubt_at_stop_; }

  private:
    enum class State : std::uint8_t { starting, resuming, running, flushing, done };

    // tail_length: the bytes of the arena's next slot the event carries (0: none).
    bool sequence(Event& event, Emit& out, std::uint32_t tail_length = 0) noexcept;
    void send_control(EventType type, Emit& out) noexcept;
    // Sequences the oldest waiting reply of a threaded venue, if any.
    bool take_venue_reply(Emit& out) noexcept;
    [[nodiscard]] bool venues_settled() const noexcept;
    // Settled, and nothing sent is unanswered.
    [[nodiscard]] bool venues_quiet() const noexcept;

    InputSource& source_;
    SpscRing<Event>& replies_;
    const std::atomic<bool>& stop_;
    Options options_;
    const bool has_venues_;  // a threaded venue's replies to read (checked every step)
    State state_ = State::starting;
    StopReason stop_reason_ = StopReason::none;
    std::uint64_t seq_ = 0;
    std::int64_t ts_ns_ = 0;
    std::uint64_t flush_token_ = 0;
    bool flush_acked_ = false;
    std::uint64_t snapshot_sent_ = 0;  // the last snapshot token sent down the pipeline
    std::uint64_t replies_since_flush_ = 0;
    bool journal_failed_ = false;
    // An input taken from the source but held back while timers due before it go out.
    Event pending_{};
    std::uint32_t pending_tail_ = 0;  // its tail, in the arena's next slot
    bool has_pending_ = false;
    std::int64_t drain_deadline_ns_ = -1;  // steady clock; set when the stop drain begins
    std::uint64_t in_doubt_at_stop_ = 0;
};

}  // namespace keel::engine
