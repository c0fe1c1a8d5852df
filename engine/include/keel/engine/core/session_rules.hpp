// SessionRules: a market's UTC offset over time (its time zone, daylight saving included) and
// its calendar (closed days, early closes), as fixed-size sorted tables the engine only reads.
//
// They are built once at start-up in the config layer (engine/config/session_zone.hpp): from
// the system tz database and a calendar file for a new session, or from the `resolved` block
// the journaled configuration carries for a replay or a restart. The engine never calls the tz
// library: a lookup is a binary search over these tables, with no clock and no allocation.
//
// Offsets are seconds east of UTC. A change takes effect at its UTC second; before the first
// change the initial offset holds, after the last one the last offset holds (the table covers
// kZoneFirstYear..kZoneEndYear, so the edges are far from any session keel runs).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace keel::engine {

// Room for a zone's offset changes over kZoneFirstYear..kZoneEndYear (US zones: about 260) and
// for the closed days and early closes of a calendar of several decades.
inline constexpr std::size_t kMaxOffsetChanges = 400;
inline constexpr std::size_t kMaxCalendarDays = 1024;
inline constexpr int kZoneFirstYear = 1970;
inline constexpr int kZoneEndYear = 2100;  // exclusive
// Every UTC offset lies within +-18 hours (what the config accepts and tzdata holds).
inline constexpr std::int32_t kMaxUtcOffsetS = 18 * 3600;

struct OffsetChange {
    std::int64_t utc_s;     // the instant the offset takes effect
    std::int32_t offset_s;  // local = UTC + offset from then on
};

struct CalendarDay {
    std::int64_t day;      // local day index (days since 1970-01-01, local)
    std::int32_t close_s;  // an early close (seconds after local midnight); kClosedDay: closed
};
inline constexpr std::int32_t kClosedDay = -1;

struct SessionRules {
    std::int32_t initial_offset_s = 0;
    std::uint32_t change_count = 0;
    std::uint32_t day_count = 0;
    std::array<OffsetChange, kMaxOffsetChanges> changes{};  // sorted by utc_s, ascending
    std::array<CalendarDay, kMaxCalendarDays> days{};       // sorted by day, one entry per day
};

// The offset in effect at the UTC second utc_s.
[[nodiscard]] std::int32_t offset_at(const SessionRules& r, std::int64_t utc_s) noexcept;
// The UTC second of a local second. A local time that happens twice (the hour the clocks go
// back) is its first occurrence; one that never happens (the hour they skip) is moved forward
// by the gap (02:30 on a spring-forward night is 03:30 of the new offset).
[[nodiscard]] std::int64_t utc_of_local(const SessionRules& r, std::int64_t local_s) noexcept;
// The calendar's entry for a local day, or nullptr when the day is an ordinary one.
[[nodiscard]] const CalendarDay* calendar_day(const SessionRules& r, std::int64_t day) noexcept;

}  // namespace keel::engine
