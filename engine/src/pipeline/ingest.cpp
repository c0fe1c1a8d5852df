#include "keel/engine/pipeline/ingest.hpp"

#include <chrono>

#include "keel/assert.hpp"
#include "keel/engine/core/crash_point.hpp"
#include "keel/engine/core/input_check.hpp"

namespace keel::engine {

bool Ingest::sequence(Event& event, Emit& out, std::uint32_t tail_length) noexcept {
    KEEL_ASSERT(is_input(event.header.type), "ingest sequences input events only");
    // A number outside what keel accepts never enters the pipeline: the input is journaled
    // as input_refused (which field, which value) instead, and no stage acts on it.
    if (const InputCheck c = check_input(event); c.field != InputField::none) [[unlikely]]
        event = refused_input(event, c);
    event.header.seq = seq_ + 1;
    // Engine time never goes backwards: an input stamped earlier than the last one (a late
    // venue reply, an out-of-order feed) takes the current engine time.
    const std::int64_t ts = event.header.ts_ns > ts_ns_ ? event.header.ts_ns : ts_ns_;
    event.header.ts_ns = ts;
    if (options_.log != nullptr) {
        const bool start = event.header.type == EventType::session_start;
        std::string_view extra = start ? options_.config_text : std::string_view{};
        if (tail_length > 0) {
            const TailOut slot = options_.tails->next_slot();
            extra = {reinterpret_cast<const char*>(slot.data), tail_length};
        }
        if (!options_.log->append(event, extra.data(), static_cast<std::uint32_t>(extra.size()))) {
            // Not journaled, so it does not exist: no sequence number, not passed on.
            journal_failed_ = true;
            return false;
        }
        crash_point(CrashPoint::input_journaled);
    }
    if (tail_length > 0)
        options_.tails->attach(event.header.seq, tail_length);
    seq_ = event.header.seq;
    ts_ns_ = ts;
    out.emit(event);
    return true;
}

void Ingest::send_control(EventType type, Emit& out) noexcept {
    Event e = make_event(type, Source::engine, seq_, ts_ns_, kNoSymbol);
    e.payload.control_token = flush_token_;
    out.emit(e);
}

bool Ingest::take_venue_reply(Emit& out) noexcept {
    for (VenueChannel* venue : options_.venues) {
        const VenueReply* r = venue->front_reply();
        if (r == nullptr)
            continue;
        const std::string_view tail = venue->tail(*r);
        // A polled input held back for timers keeps its tail in the arena's next slot: a reply
        // with a tail waits until that input is sequenced (a few steps; timers go one a step).
        if (!tail.empty() && has_pending_ && pending_tail_ > 0)
            continue;
        crash_point(CrashPoint::reply_received);
        Event reply = r->event;
        std::uint32_t tail_length = 0;
        if (!tail.empty() && options_.tails != nullptr) {
            TailOut slot = options_.tails->next_slot();
            (void)slot.put(tail);  // fits: both are bounded by kMaxTailBytes
            tail_length = slot.length;
        }
        venue->pop_reply();
        if (sequence(reply, out, tail_length))
            ++replies_since_flush_;
        return true;
    }
    return false;
}

bool Ingest::venues_settled() const noexcept {
    for (const VenueChannel* venue : options_.venues) {
        if (!venue->settled())
            return false;
    }
    return true;
}

bool Ingest::venues_quiet() const noexcept {
    for (const VenueChannel* venue : options_.venues) {
        if (!venue->settled() || venue->awaiting() > 0)
            return false;
    }
    return true;
}

int Ingest::step(Emit& out) noexcept {
    if (state_ == State::done)
        return 0;
    if (state_ == State::starting) {
        Event e = make_event(EventType::session_start, Source::engine, 0, options_.start_ts_ns,
                             kNoSymbol);
        e.payload.session.config_hash = options_.config_hash;
        e.payload.session.seed = options_.seed;
        e.payload.session.symbol_capacity = options_.symbol_capacity;
        e.payload.session.venue_id_prefix = options_.venue_id_prefix;
        sequence(e, out);
        state_ = State::running;
        return 1;
    }
    if (state_ == State::resuming) {
        Event e = make_event(EventType::session_resume, Source::engine, 0, ts_ns_, kNoSymbol);
        e.payload.resume = options_.resume;
        sequence(e, out);
        state_ = State::running;
        return 1;
    }

    // Replies first: a fill is sequenced before the next market event that is ready.
    Event reply;
    if (replies_.try_pop(reply)) {
        if (reply.header.type == EventType::flush) {
            KEEL_ASSERT(state_ == State::flushing && reply.payload.control_token == flush_token_,
                        "unexpected flush acknowledgement");
            flush_acked_ = true;
        } else {
            crash_point(CrashPoint::reply_received);
            if (sequence(reply, out))
                ++replies_since_flush_;
        }
        return 1;
    }
    // Sessions without a threaded venue (every backtest) skip the call altogether.
    if (has_venues_ && take_venue_reply(out))
        return 1;

    if (state_ == State::running && options_.snapshots != nullptr) {
        const std::uint64_t wanted = options_.snapshots->requested();
        if (wanted != snapshot_sent_) {
            snapshot_sent_ = wanted;
            StateSnapshot& s = options_.snapshots->writable();
            s.token = wanted;
            s.last_seq = seq_;
            s.ts_ns = ts_ns_;
            Event e = make_event(EventType::snapshot, Source::engine, seq_, ts_ns_, kNoSymbol);
            e.payload.control_token = wanted;
            out.emit(e);
            return 1;
        }
    }

    if (state_ == State::running) {
        if (journal_failed_) {
            stop_reason_ = StopReason::journal_failed;
        } else if (stop_.load(std::memory_order_relaxed)) {
            stop_reason_ = StopReason::stop_requested;
        } else {
            if (options_.venue_lockstep) {
                // Before any input or timer (a timer sequenced for a held input may have caused
                // orders too). Settled first, then the replies looked at again: the adapter
                // posts before it counts a request handled, so none can slip in between.
                if (!venues_settled())
                    return 0;
                if (take_venue_reply(out))
                    return 1;
            }
            if (!has_pending_) {
                // Zeroed first, so a source that fills only some fields journals no stale bytes;
                // in place, because copying in a just-built temporary stalled on store
                // forwarding (half of this function's time in a replay).
                reset_event(pending_, EventType::none, Source::engine, 0, 0, kNoSymbol);
                TailOut tail = options_.tails != nullptr ? options_.tails->next_slot() : TailOut{};
                switch (source_.poll(pending_, tail)) {
                    case InputSource::Poll::event:
                        KEEL_ASSERT(tail.length <= tail.capacity, "a source overran its tail slot");
                        pending_tail_ = tail.length;
                        has_pending_ = true;
                        break;
                    case InputSource::Poll::idle:
                        if (options_.log != nullptr)
                            options_.log->idle();
                        return 0;
                    case InputSource::Poll::exhausted:
                        stop_reason_ = StopReason::end_of_data;
                        break;
                }
            }
            if (has_pending_) {
                // Timers due at or before this input go first, one per step (replies keep
                // their priority). Symbol definitions carry no time of their own.
                if (options_.timers != nullptr && pending_.header.type != EventType::symbol_def) {
                    if (std::optional<Event> t = options_.timers->next_due(pending_.header.ts_ns)) {
                        sequence(*t, out);
                        return 1;
                    }
                }
                has_pending_ = false;
                if (sequence(pending_, out, pending_tail_))
                    source_.sequenced(pending_);
                else
                    source_.refused(pending_);
                return 1;
            }
        }
        state_ = State::flushing;
        ++flush_token_;
        flush_acked_ = false;
        replies_since_flush_ = 0;
        send_control(EventType::flush, out);
        return 1;
    }

    // Flushing: wait for the marker to come back; go round again if replies came ahead of it.
    if (!flush_acked_)
        return 0;
    if (replies_since_flush_ > 0) {
        ++flush_token_;
        flush_acked_ = false;
        replies_since_flush_ = 0;
        send_control(EventType::flush, out);
        return 1;
    }
    if (!venues_quiet()) {
        // The stop drain (the top of this file): the only clock ingest reads, and only here.
        const std::int64_t now = std::chrono::steady_clock::now().time_since_epoch().count();
        if (drain_deadline_ns_ < 0)
            drain_deadline_ns_ = now + options_.venue_drain_ns;
        if (now < drain_deadline_ns_)
            return 0;
        for (const VenueChannel* venue : options_.venues)
            in_doubt_at_stop_ += venue->in_doubt();
    }
    send_control(EventType::shutdown, out);
    state_ = State::done;
    return 1;
}

}  // namespace keel::engine
