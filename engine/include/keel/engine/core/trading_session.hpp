// TradingSession: when a market trades, as pure functions of event time (no clock, no
// allocation). Ingest uses them to make bar_close / session_open / session_close timers from
// event time; BarAggregator uses them to align bars to the session open.
//
// A session is [open, close) in local time, to the second. Local time is UTC + a fixed offset,
// or, with rules (core/session_rules.hpp), UTC + the offset a time zone had at that instant
// (daylight saving included). Days are indexed as whole local days since 1970-01-01 (local),
// so day 0 is a Thursday. A session lies inside one local day (0 <= open < close <= 86400 s).
// A market whose trading day spans local midnight is described by shifting a fixed offset so
// that its day starts at local midnight: FX trading Sunday 17:00 to Friday 17:00 New York is
// 24h Monday-Friday at offset -300 + 420 = +120 minutes.
// The rules' calendar closes whole days (no session, no timers) and moves a day's close
// earlier (an early close); the functions below read it, so every caller sees the same days.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/session_rules.hpp"

namespace keel::engine {

inline constexpr std::int64_t kNsPerSecond = 1'000'000'000;
inline constexpr std::int64_t kNsPerMinute = 60'000'000'000;
inline constexpr std::int32_t kSecondsPerDay = 86'400;
inline constexpr std::int64_t kMinutesPerDay = 1440;
inline constexpr std::int64_t kNsPerDay = kMinutesPerDay * kNsPerMinute;
// Returned when there is no such time (a session with no trading weekdays).
inline constexpr std::int64_t kNeverNs = INT64_MAX;

// Weekday bits: bit 0 = Monday ... bit 6 = Sunday.
inline constexpr std::uint8_t kMonday = 1U << 0;
inline constexpr std::uint8_t kFriday = 1U << 4;
inline constexpr std::uint8_t kSaturday = 1U << 5;
inline constexpr std::uint8_t kSunday = 1U << 6;
inline constexpr std::uint8_t kMondayToFriday = 0x1F;
inline constexpr std::uint8_t kEveryDay = 0x7F;

struct TradingSession {
    std::int32_t open_s = 0;           // seconds after local midnight
    std::int32_t close_s = 86'400;     // exclusive; 86400 = local midnight at the day's end
    std::int32_t utc_offset_minutes = 0;  // local time when rules is null
    std::uint8_t weekdays = kMondayToFriday;
    // Zone and calendar, built at start-up and alive for the process (config/session_zone.hpp);
    // null: the fixed offset above and no closed days.
    const SessionRules* rules = nullptr;

    // The US equity regular session in New York winter time (EST, UTC-5).
    [[nodiscard]] static constexpr TradingSession us_equities() noexcept {
        return {(9 * 60 + 30) * 60, 16 * 3600, -300, kMondayToFriday};
    }
    // Round the clock on the given weekdays.
    [[nodiscard]] static constexpr TradingSession all_day(
        std::int32_t utc_offset_minutes = 0, std::uint8_t weekdays = kMondayToFriday) noexcept {
        return {0, kSecondsPerDay, utc_offset_minutes, weekdays};
    }
};

enum class SessionError : std::uint8_t {
    ok = 0,
    open_out_of_range,    // open must be in [00:00, 24:00)
    close_out_of_range,   // close must be in (open, 24:00]
    offset_out_of_range,  // |offset| <= 18 hours
    no_trading_days,
};
[[nodiscard]] std::string_view to_string(SessionError e) noexcept;
// For configuration checks at start-up; the functions below assume a valid session.
[[nodiscard]] SessionError validate(const TradingSession& s) noexcept;

// The local day index that ts falls in.
[[nodiscard]] std::int64_t local_day(const TradingSession& s, std::int64_t ts_ns) noexcept;
// 0 = Monday ... 6 = Sunday.
[[nodiscard]] int weekday(std::int64_t day) noexcept;
// A weekday of the session that its calendar does not close.
[[nodiscard]] bool is_trading_day(const TradingSession& s, std::int64_t day) noexcept;
// The UTC offset (ns) in effect at ts.
[[nodiscard]] std::int64_t utc_offset_ns(const TradingSession& s, std::int64_t ts_ns) noexcept;

// The open and close (exclusive) of the session on a day, in UTC ns (the close is the
// calendar's early close on such a day); whether the day trades is a separate question
// (is_trading_day).
[[nodiscard]] std::int64_t session_open_ns(const TradingSession& s, std::int64_t day) noexcept;
[[nodiscard]] std::int64_t session_close_ns(const TradingSession& s, std::int64_t day) noexcept;

// Whether ts is inside a session: a trading day and open <= ts < close.
[[nodiscard]] bool in_session(const TradingSession& s, std::int64_t ts_ns) noexcept;
// The day index of the session that contains ts, or nullopt when ts is outside every session.
[[nodiscard]] std::optional<std::int64_t> session_day(const TradingSession& s,
                                                      std::int64_t ts_ns) noexcept;

// One bar: [start_ns, close_ns).
struct BarWindow {
    std::int64_t start_ns;
    std::int64_t close_ns;
};
// The bar of interval_minutes containing ts, or nullopt outside a session. Bars are aligned to
// the session open; the last bar of a session ends at the close even if that makes it short;
// an interval of the session's length or more (1440 = "1d") is the whole session.
[[nodiscard]] std::optional<BarWindow> bar_window(const TradingSession& s,
                                                  std::uint32_t interval_minutes,
                                                  std::int64_t ts_ns) noexcept;
// The first bar close strictly after ts: inside a session, the close of the bar containing ts;
// outside, the close of the first bar of the next session. So a timer source can call it with
// the close it just fired to get the next one. kNeverNs when nothing ever trades.
[[nodiscard]] std::int64_t next_bar_close_ns(const TradingSession& s,
                                             std::uint32_t interval_minutes,
                                             std::int64_t ts_ns) noexcept;

struct SessionEvent {
    std::int64_t ts_ns;  // kNeverNs when nothing ever trades
    TimerKind kind;      // session_open or session_close
    std::int64_t day;    // the session's day index
};
// The first session open or close after (ts, after). Events are ordered by time, and a close
// before an open at the same instant (24h sessions close and reopen at midnight). With
// after = none (or session_open) every event at ts counts as past; with after = session_close
// an open at ts is still ahead, so a timer source passes the kind it just fired.
[[nodiscard]] SessionEvent next_session_event(const TradingSession& s, std::int64_t ts_ns,
                                              TimerKind after = TimerKind::none) noexcept;

}  // namespace keel::engine
