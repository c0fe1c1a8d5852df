#include "keel/engine/core/trading_session.hpp"

namespace keel::engine {

namespace {

struct SessionBounds {
    std::int64_t day;
    std::int64_t open_ns;
    std::int64_t close_ns;
};

// How far ahead the next trading day is looked for: a year of closed days means never.
constexpr std::int64_t kDaysAheadBound = 370;

// Division rounding toward negative infinity, so that times before the epoch get the right day.
std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

// The UTC ns of a local ns (see utc_of_local for the hours daylight saving skips or repeats).
std::int64_t utc_of_local_ns(const TradingSession& s, std::int64_t local_ns) noexcept {
    if (s.rules == nullptr)
        return local_ns - static_cast<std::int64_t>(s.utc_offset_minutes) * kNsPerMinute;
    const std::int64_t local_s = floor_div(local_ns, kNsPerSecond);
    const std::int64_t sub_ns = local_ns - local_s * kNsPerSecond;
    return utc_of_local(*s.rules, local_s) * kNsPerSecond + sub_ns;
}

// The first trading day at or after `day`. A valid session trades at least one weekday, and a
// calendar closes at most a few weeks in a row, so a year bounds the search.
std::optional<std::int64_t> first_trading_day_from(const TradingSession& s,
                                                   std::int64_t day) noexcept {
    for (std::int64_t d = day; d < day + kDaysAheadBound; ++d) {
        if (is_trading_day(s, d))
            return d;
    }
    return std::nullopt;
}

// The session containing ts: its day, open and close, each looked up once (bar_window runs
// for every trade a bar aggregator sees). A fixed offset with no calendar, every backtest's
// case, is plain arithmetic; a zone or calendar takes one offset and one calendar lookup.
std::optional<SessionBounds> session_bounds(const TradingSession& s, std::int64_t ts_ns) noexcept {
    if (s.rules == nullptr) {
        const std::int64_t offset = static_cast<std::int64_t>(s.utc_offset_minutes) * kNsPerMinute;
        const std::int64_t day = floor_div(ts_ns + offset, kNsPerDay);
        if ((s.weekdays & (1U << weekday(day))) == 0)
            return std::nullopt;
        const std::int64_t midnight = day * kNsPerDay - offset;
        const std::int64_t open = midnight + static_cast<std::int64_t>(s.open_s) * kNsPerSecond;
        const std::int64_t close = midnight + static_cast<std::int64_t>(s.close_s) * kNsPerSecond;
        if (ts_ns < open || ts_ns >= close)
            return std::nullopt;
        return SessionBounds{day, open, close};
    }
    // A session lies inside its local day, so only ts's own day can contain it.
    const std::int64_t day = local_day(s, ts_ns);
    if ((s.weekdays & (1U << weekday(day))) == 0)
        return std::nullopt;
    const CalendarDay* c = calendar_day(*s.rules, day);
    if (c != nullptr && c->close_s == kClosedDay)
        return std::nullopt;
    // The calendar file's reader keeps every early close after the open and before the close.
    const std::int32_t close_s = c != nullptr ? c->close_s : s.close_s;
    const std::int64_t open = session_open_ns(s, day);
    if (ts_ns < open)
        return std::nullopt;
    const std::int64_t close =
        utc_of_local_ns(s, day * kNsPerDay + static_cast<std::int64_t>(close_s) * kNsPerSecond);
    if (ts_ns >= close)
        return std::nullopt;
    return SessionBounds{day, open, close};
}

}  // namespace

std::string_view to_string(SessionError e) noexcept {
    switch (e) {
        case SessionError::ok:
            return "ok";
        case SessionError::open_out_of_range:
            return "session open must be in [00:00, 24:00)";
        case SessionError::close_out_of_range:
            return "session close must be after the open and at most 24:00";
        case SessionError::offset_out_of_range:
            return "UTC offset must be within +-18 hours";
        case SessionError::no_trading_days:
            return "no trading weekday";
    }
    return "unknown";
}

SessionError validate(const TradingSession& s) noexcept {
    if (s.open_s < 0 || s.open_s >= kSecondsPerDay)
        return SessionError::open_out_of_range;
    if (s.close_s <= s.open_s || s.close_s > kSecondsPerDay)
        return SessionError::close_out_of_range;
    if (s.utc_offset_minutes < -18 * 60 || s.utc_offset_minutes > 18 * 60)
        return SessionError::offset_out_of_range;
    if ((s.weekdays & kEveryDay) == 0)
        return SessionError::no_trading_days;
    return SessionError::ok;
}

std::int64_t utc_offset_ns(const TradingSession& s, std::int64_t ts_ns) noexcept {
    if (s.rules == nullptr)
        return static_cast<std::int64_t>(s.utc_offset_minutes) * kNsPerMinute;
    return static_cast<std::int64_t>(offset_at(*s.rules, floor_div(ts_ns, kNsPerSecond))) *
           kNsPerSecond;
}

std::int64_t local_day(const TradingSession& s, std::int64_t ts_ns) noexcept {
    return floor_div(ts_ns + utc_offset_ns(s, ts_ns), kNsPerDay);
}

int weekday(std::int64_t day) noexcept {
    // Day 0 (1970-01-01) was a Thursday, weekday 3.
    const std::int64_t w = (day + 3) % 7;
    return static_cast<int>(w < 0 ? w + 7 : w);
}

bool is_trading_day(const TradingSession& s, std::int64_t day) noexcept {
    if ((s.weekdays & (1U << weekday(day))) == 0)
        return false;
    const CalendarDay* c = s.rules == nullptr ? nullptr : calendar_day(*s.rules, day);
    return c == nullptr || c->close_s != kClosedDay;
}

std::int64_t session_open_ns(const TradingSession& s, std::int64_t day) noexcept {
    return utc_of_local_ns(s, day * kNsPerDay + static_cast<std::int64_t>(s.open_s) * kNsPerSecond);
}

std::int64_t session_close_ns(const TradingSession& s, std::int64_t day) noexcept {
    const CalendarDay* c = s.rules == nullptr ? nullptr : calendar_day(*s.rules, day);
    // The calendar file's reader keeps every early close after the open and before the close.
    const std::int32_t close = c != nullptr && c->close_s != kClosedDay ? c->close_s : s.close_s;
    return utc_of_local_ns(s, day * kNsPerDay + static_cast<std::int64_t>(close) * kNsPerSecond);
}

std::optional<std::int64_t> session_day(const TradingSession& s, std::int64_t ts_ns) noexcept {
    const std::optional<SessionBounds> b = session_bounds(s, ts_ns);
    return b ? std::optional<std::int64_t>(b->day) : std::nullopt;
}

bool in_session(const TradingSession& s, std::int64_t ts_ns) noexcept {
    return session_day(s, ts_ns).has_value();
}

std::optional<BarWindow> bar_window(const TradingSession& s, std::uint32_t interval_minutes,
                                    std::int64_t ts_ns) noexcept {
    const std::optional<SessionBounds> b = session_bounds(s, ts_ns);
    if (!b || interval_minutes == 0)
        return std::nullopt;
    const std::int64_t interval_ns = static_cast<std::int64_t>(interval_minutes) * kNsPerMinute;
    const std::int64_t start = b->open_ns + (ts_ns - b->open_ns) / interval_ns * interval_ns;
    const std::int64_t end = start + interval_ns;
    return BarWindow{start, end < b->close_ns ? end : b->close_ns};
}

std::int64_t next_bar_close_ns(const TradingSession& s, std::uint32_t interval_minutes,
                               std::int64_t ts_ns) noexcept {
    if (const std::optional<BarWindow> w = bar_window(s, interval_minutes, ts_ns))
        return w->close_ns;
    // Outside every session: the next session's first bar. Its open is after ts (an open at
    // or before ts on ts's day would put ts inside or after that session).
    std::int64_t day = local_day(s, ts_ns);
    if (session_open_ns(s, day) <= ts_ns)
        ++day;
    const std::optional<std::int64_t> next = first_trading_day_from(s, day);
    if (!next || interval_minutes == 0)
        return kNeverNs;
    const std::int64_t open = session_open_ns(s, *next);
    const std::int64_t end = open + static_cast<std::int64_t>(interval_minutes) * kNsPerMinute;
    const std::int64_t close = session_close_ns(s, *next);
    return end < close ? end : close;
}

SessionEvent next_session_event(const TradingSession& s, std::int64_t ts_ns,
                                TimerKind after) noexcept {
    // Order events by (time, rank) with a close ranked before an open at the same instant.
    // `after` names the last event already handled at ts; none means all of ts is past.
    const int after_rank = after == TimerKind::session_close ? 0 : 1;
    auto is_ahead = [&](std::int64_t t, int rank) {
        return t > ts_ns || (t == ts_ns && rank > after_rank);
    };
    // No event of an earlier day lies ahead of ts (its close is at most ts's local midnight),
    // and the days from ts's own through the following year hold the next trading day's open.
    const std::int64_t first = local_day(s, ts_ns);
    for (std::int64_t day = first; day < first + kDaysAheadBound + 1; ++day) {
        if (!is_trading_day(s, day))
            continue;
        const std::int64_t open = session_open_ns(s, day);
        const std::int64_t close = session_close_ns(s, day);
        if (is_ahead(open, 1))
            return {open, TimerKind::session_open, day};
        if (is_ahead(close, 0))
            return {close, TimerKind::session_close, day};
    }
    return {kNeverNs, TimerKind::none, 0};
}

}  // namespace keel::engine
