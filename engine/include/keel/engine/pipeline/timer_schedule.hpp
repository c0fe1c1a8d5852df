// TimerSchedule: the timers ingest makes from event time. Time is an input: a bar closes, and
// a session opens or closes, when the data says that time has come, so ingest sequences a
// timer event before the first input stamped at or after it. A replay of the journal sees the
// same timers, because they are journaled inputs like any other.
//
// Per symbol it can hold bar_close timers for several intervals and the session's open, close
// and before-close (a lead time ahead of the close, where strategies flatten). Due timers come
// out in time order; timers due at the same instant in the order they were added (bar closes
// first, then before_close, session_close, session_open), so the order never depends on
// anything but the configuration and the data.
//
// A bar still open when the data ends is not closed: its close time never came.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/trading_session.hpp"

namespace keel::engine {

struct TimerSpec {
    SymbolId symbol = kNoSymbol;
    TradingSession session{};
    TimerKind kind = TimerKind::bar_close;   // bar_close, or session_open for session events
    std::uint32_t interval_minutes = 0;      // bar_close only
    std::uint32_t before_close_minutes = 0;  // session events: 0 = no before_close timer
};

class TimerSchedule {
  public:
    explicit TimerSchedule(const std::vector<TimerSpec>& specs);

    // The earliest timer due at or before ts (removed from the schedule and rescheduled), or
    // nullopt. The first call fixes the start: timers before it never fire.
    [[nodiscard]] std::optional<Event> next_due(std::int64_t ts_ns) noexcept;
    // Fixes the start as the first next_due(ts_ns) would, firing nothing; later calls do
    // nothing (restart recovery, which re-asks for journaled timers only).
    void start(std::int64_t ts_ns) noexcept;

    [[nodiscard]] bool empty() const noexcept { return entries_.empty(); }
    [[nodiscard]] std::uint64_t fired() const noexcept { return fired_; }

  private:
    struct Entry {
        TimerSpec spec;
        TimerKind kind;  // bar_close, before_close, session_close or session_open
        std::int64_t due_ns = kNeverNs;
        std::int64_t period_start_ns = 0;
    };
    void schedule(Entry& e, std::int64_t after_ns, TimerKind after_kind) noexcept;

    std::vector<Entry> entries_;
    bool started_ = false;
    std::uint64_t fired_ = 0;
};

}  // namespace keel::engine
