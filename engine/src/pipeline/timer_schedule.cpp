#include "keel/engine/pipeline/timer_schedule.hpp"

#include "keel/assert.hpp"

namespace keel::engine {
namespace {

// The first session event of `kind` whose time less `lead` is after after_ns, walking the
// session's opens and closes from (after_ns, after_kind); kNeverNs when there is none.
SessionEvent next_of_kind(const TradingSession& s, TimerKind kind, std::int64_t after_ns,
                          TimerKind after_kind, std::int64_t lead) noexcept {
    std::int64_t t = after_ns;
    TimerKind k = after_kind;
    // Opens and closes alternate, and a lead is shorter than a session: a few steps suffice.
    for (int i = 0; i < 8; ++i) {
        const SessionEvent ev = next_session_event(s, t, k);
        if (ev.ts_ns == kNeverNs)
            break;
        if (ev.kind == kind && ev.ts_ns - lead > after_ns)
            return ev;
        t = ev.ts_ns;
        k = ev.kind;
    }
    return SessionEvent{kNeverNs, kind, 0};
}

}  // namespace

TimerSchedule::TimerSchedule(const std::vector<TimerSpec>& specs) {
    // Bar closes first, then the session's events: at one instant a bar ends before its
    // session does.
    for (const TimerSpec& s : specs) {
        KEEL_ASSERT(validate(s.session) == SessionError::ok, "timer with an invalid session");
        if (s.kind == TimerKind::bar_close) {
            KEEL_ASSERT(s.interval_minutes >= 1, "bar_close timer needs an interval");
            entries_.push_back(Entry{s, TimerKind::bar_close});
        }
    }
    for (const TimerSpec& s : specs) {
        if (s.kind == TimerKind::bar_close)
            continue;
        if (s.before_close_minutes > 0)
            entries_.push_back(Entry{s, TimerKind::before_close});
        entries_.push_back(Entry{s, TimerKind::session_close});
        entries_.push_back(Entry{s, TimerKind::session_open});
    }
}

void TimerSchedule::schedule(Entry& e, std::int64_t after_ns, TimerKind after_kind) noexcept {
    const TradingSession& s = e.spec.session;
    switch (e.kind) {
        case TimerKind::bar_close: {
            e.due_ns = next_bar_close_ns(s, e.spec.interval_minutes, after_ns);
            const auto w = e.due_ns == kNeverNs
                               ? std::nullopt
                               : bar_window(s, e.spec.interval_minutes, e.due_ns - 1);
            e.period_start_ns = w ? w->start_ns : 0;
            return;
        }
        case TimerKind::session_open:
        case TimerKind::session_close: {
            const SessionEvent ev = next_of_kind(s, e.kind, after_ns, after_kind, 0);
            e.due_ns = ev.ts_ns;
            e.period_start_ns = ev.day;
            return;
        }
        case TimerKind::before_close: {
            // The next close whose lead point is still ahead.
            const std::int64_t lead =
                static_cast<std::int64_t>(e.spec.before_close_minutes) * kNsPerMinute;
            const SessionEvent ev =
                next_of_kind(s, TimerKind::session_close, after_ns, after_kind, lead);
            e.due_ns = ev.ts_ns == kNeverNs ? kNeverNs : ev.ts_ns - lead;
            e.period_start_ns = ev.day;
            return;
        }
        default:
            e.due_ns = kNeverNs;
            return;
    }
}

void TimerSchedule::start(std::int64_t ts_ns) noexcept {
    if (started_)
        return;
    started_ = true;
    // Timers at the first event's own time count as ahead (an open at that instant fires).
    for (Entry& e : entries_)
        schedule(e, ts_ns - 1, TimerKind::none);
}

std::optional<Event> TimerSchedule::next_due(std::int64_t ts_ns) noexcept {
    if (entries_.empty())
        return std::nullopt;
    start(ts_ns);
    Entry* best = nullptr;
    for (Entry& e : entries_) {
        if (e.due_ns <= ts_ns && (best == nullptr || e.due_ns < best->due_ns))
            best = &e;
    }
    if (best == nullptr)
        return std::nullopt;
    Event t = make_event(EventType::timer, Source::engine, 0, best->due_ns, best->spec.symbol);
    t.payload.timer.kind = best->kind;
    t.payload.timer.timer_id = static_cast<std::uint32_t>(best - entries_.data());
    t.payload.timer.period_start_ns = best->period_start_ns;
    if (best->kind == TimerKind::bar_close)
        t.header.aux = static_cast<std::uint16_t>(best->spec.interval_minutes);
    ++fired_;
    schedule(*best, best->due_ns, best->kind);
    return t;
}

}  // namespace keel::engine
