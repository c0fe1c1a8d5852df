// Proves sessions keep real local time: IANA zones with daylight saving from the system tz
// database, exchange calendars (closed days, early closes), HH:MM:SS times, keys named in every
// error, and a journaled config that rebuilds the same session without the tz database or the
// calendar file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "keel/engine/config/config.hpp"
#include "keel/engine/config/session_zone.hpp"
#include "keel/engine/core/trading_session.hpp"
#include "keel/engine/pipeline/timer_schedule.hpp"
#include "keel/engine/risk/risk_checks.hpp"

using namespace keel::engine;

namespace {

const std::string kConfigDir = std::string(KEEL_SOURCE_DIR) + "/config";
constexpr std::int64_t kHour = 3600 * kNsPerSecond;

// Days since 1970-01-01 of a civil date (the session's local day index).
std::int64_t day_of(int y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return static_cast<std::int64_t>(era) * 146097 + doe - 719468;
}
// UTC ns of a date and time of day in UTC.
std::int64_t utc(int y, unsigned m, unsigned d, int hh, int mm = 0, int ss = 0) {
    return day_of(y, m, d) * kNsPerDay + (hh * 3600 + mm * 60 + ss) * kNsPerSecond;
}

// A minimal valid config around a `sessions` body (and optional risk keys).
std::string config_text(const std::string& sessions, const std::string& risk = "") {
    return R"({"session": {"name": "t", "symbol_capacity": 8},
      "data": {"files": [{"path": ")" +
           std::string(KEEL_SOURCE_DIR) + R"(/data/msft_daily.csv", "symbol": "MSFT",
                          "bar_interval": "1d"}]},
      "sessions": )" +
           sessions + R"(, "symbols": {"MSFT": {"session": "us"}},
      "strategies": [{"type": "sma_cross", "symbol": "MSFT", "fast": 2, "slow": 5,
                      "quantity": "1"}],
      "risk": {)" +
           risk + R"(}, "venue": {"type": "sim"}})";
}

ConfigResult parse(const std::string& text, const std::string& dir = kConfigDir) {
    return parse_config(text, "t.json", dir, {});
}

std::string dump(const ConfigResult& r) {
    std::string out;
    for (const ConfigError& e : r.errors)
        out += e.path + ": " + e.message + "\n";
    return out;
}

bool has_error(const ConfigResult& r, const std::string& path, const std::string& fragment) {
    for (const ConfigError& e : r.errors) {
        if (e.path == path && e.message.find(fragment) != std::string::npos)
            return true;
    }
    return false;
}

const char* kNyse = R"({"us": {"open": "09:30", "close": "16:00", "tz": "America/New_York",
                                "calendar": "nyse-2026-2027.json"}})";

}  // namespace

TEST(SessionZone, NewYorkOpenFollowsDaylightSaving) {
    const ConfigResult r = parse(config_text(
        R"({"us": {"open": "09:30", "close": "16:00", "tz": "America/New_York"}})"));
    ASSERT_TRUE(r.ok()) << dump(r);
    const TradingSession s = session_for(r.config, "MSFT");
    ASSERT_NE(s.rules, nullptr);
    // Friday 2026-03-06 is still EST (UTC-5); Monday 2026-03-09 is EDT (UTC-4).
    EXPECT_EQ(session_open_ns(s, day_of(2026, 3, 6)), utc(2026, 3, 6, 14, 30));
    EXPECT_EQ(session_open_ns(s, day_of(2026, 3, 9)), utc(2026, 3, 9, 13, 30));
    EXPECT_EQ(session_close_ns(s, day_of(2026, 3, 9)), utc(2026, 3, 9, 20));
    EXPECT_TRUE(in_session(s, utc(2026, 3, 9, 13, 30)));
    EXPECT_FALSE(in_session(s, utc(2026, 3, 9, 13, 29, 59)));
    // The timers ingest makes walk across the change: Friday's close, then Monday's open.
    TimerSchedule timers({{0, s, TimerKind::session_open, 0, 0}});
    ASSERT_FALSE(timers.next_due(utc(2026, 3, 6, 15)));
    const auto close = timers.next_due(utc(2026, 3, 9, 14));
    ASSERT_TRUE(close);
    EXPECT_EQ(close->payload.timer.kind, TimerKind::session_close);
    EXPECT_EQ(close->header.ts_ns, utc(2026, 3, 6, 21));
    const auto open = timers.next_due(utc(2026, 3, 9, 14));
    ASSERT_TRUE(open);
    EXPECT_EQ(open->payload.timer.kind, TimerKind::session_open);
    EXPECT_EQ(open->header.ts_ns, utc(2026, 3, 9, 13, 30));
}

TEST(SessionZone, OpenAndCloseTakeSeconds) {
    const ConfigResult r = parse(config_text(
        R"({"us": {"open": "09:30:15", "close": "15:59:59", "utc_offset": "-05:00"}})"));
    ASSERT_TRUE(r.ok()) << dump(r);
    const TradingSession s = session_for(r.config, "MSFT");
    EXPECT_EQ(s.open_s, 9 * 3600 + 30 * 60 + 15);
    EXPECT_EQ(session_close_ns(s, day_of(2026, 3, 9)), utc(2026, 3, 9, 20, 59, 59));
}

TEST(SessionZone, ACalendarHolidayHasNoSessionAndNoOpenTimer) {
    const ConfigResult r = parse(config_text(kNyse));
    ASSERT_TRUE(r.ok()) << dump(r);
    const TradingSession s = session_for(r.config, "MSFT");
    // Friday 2026-07-03: Independence Day observed.
    EXPECT_FALSE(is_trading_day(s, day_of(2026, 7, 3)));
    EXPECT_FALSE(in_session(s, utc(2026, 7, 3, 15)));
    EXPECT_TRUE(is_trading_day(s, day_of(2026, 7, 2)));
    // After Thursday's close the next event is Monday's open, not Friday's.
    const SessionEvent next = next_session_event(s, utc(2026, 7, 2, 20));
    EXPECT_EQ(next.kind, TimerKind::session_open);
    EXPECT_EQ(next.ts_ns, utc(2026, 7, 6, 13, 30));
    TimerSchedule timers({{0, s, TimerKind::session_open, 0, 0}});
    ASSERT_FALSE(timers.next_due(utc(2026, 7, 2, 19)));
    std::vector<Event> fired;
    while (auto t = timers.next_due(utc(2026, 7, 6, 14)))
        fired.push_back(*t);
    ASSERT_EQ(fired.size(), 2u);  // Thursday's close, Monday's open
    EXPECT_EQ(fired[0].header.ts_ns, utc(2026, 7, 2, 20));
    EXPECT_EQ(fired[1].header.ts_ns, utc(2026, 7, 6, 13, 30));
}

TEST(SessionZone, TradingHoursRefuseACalendarHoliday) {
    const ConfigResult r = parse(
        config_text(R"({"us": {"open": "09:30", "close": "16:00", "utc_offset": "-05:00"}})",
                    R"("trading_hours": {"open": "09:30", "close": "16:00",
                        "tz": "America/New_York", "calendar": "nyse-2026-2027.json"})"));
    ASSERT_TRUE(r.ok()) << dump(r);
    EXPECT_FALSE(within_trading_hours(utc(2026, 7, 3, 15), r.config.risk));  // holiday
    EXPECT_TRUE(within_trading_hours(utc(2026, 7, 2, 15), r.config.risk));
    EXPECT_TRUE(within_trading_hours(utc(2026, 11, 27, 17, 59, 59), r.config.risk));
    EXPECT_FALSE(within_trading_hours(utc(2026, 11, 27, 18), r.config.risk));  // 13:00 EST
}

TEST(SessionZone, AnEarlyCloseClosesAtItsTime) {
    const ConfigResult r = parse(config_text(kNyse));
    ASSERT_TRUE(r.ok()) << dump(r);
    const TradingSession s = session_for(r.config, "MSFT");
    // Friday 2026-11-27, the day after Thanksgiving: 13:00 EST = 18:00 UTC.
    EXPECT_EQ(session_close_ns(s, day_of(2026, 11, 27)), utc(2026, 11, 27, 18));
    EXPECT_EQ(session_close_ns(s, day_of(2026, 11, 30)), utc(2026, 11, 30, 21));
    TimerSchedule timers({{0, s, TimerKind::session_open, 0, 0}});
    ASSERT_FALSE(timers.next_due(utc(2026, 11, 27, 15)));
    const auto close = timers.next_due(utc(2026, 11, 27, 18));
    ASSERT_TRUE(close);
    EXPECT_EQ(close->payload.timer.kind, TimerKind::session_close);
    EXPECT_EQ(close->header.ts_ns, utc(2026, 11, 27, 18));
}

TEST(SessionZone, TheJournaledConfigRebuildsTheSessionWithoutTheFiles) {
    const ConfigResult first = parse(config_text(kNyse));
    ASSERT_TRUE(first.ok()) << dump(first);
    const Json& resolved = first.config.effective["sessions"]["us"]["resolved"];
    EXPECT_EQ(resolved["tz"], "America/New_York");
    EXPECT_EQ(resolved["tzdb_version"], tz_database_version());
    EXPECT_EQ(resolved["closed"].size(), 20u);
    EXPECT_EQ(resolved["early_closes"][0], "2026-11-27 13:00:00");
    // Read from a folder without the calendar file, as a replay does: same session, and the
    // text is unchanged (the journal's config hash still matches).
    const std::string journaled = first.config.effective.dump();
    const ConfigResult again = parse(journaled, "/nonexistent");
    ASSERT_TRUE(again.ok()) << dump(again);
    EXPECT_EQ(again.config.effective.dump(), journaled);
    const TradingSession s = session_for(again.config, "MSFT");
    EXPECT_FALSE(is_trading_day(s, day_of(2026, 7, 3)));
    EXPECT_EQ(session_close_ns(s, day_of(2026, 11, 27)), utc(2026, 11, 27, 18));
    EXPECT_EQ(session_open_ns(s, day_of(2026, 3, 9)), utc(2026, 3, 9, 13, 30));
    // The offsets come from the journaled block, not the tz database: a block that says New
    // York stayed on EST moves the open.
    Json changed = first.config.effective;
    changed["sessions"]["us"]["resolved"]["offset_changes"] = Json::array();
    const ConfigResult est = parse(changed.dump(), "/nonexistent");
    ASSERT_TRUE(est.ok()) << dump(est);
    EXPECT_EQ(session_open_ns(session_for(est.config, "MSFT"), day_of(2026, 3, 9)),
              utc(2026, 3, 9, 14, 30));
}

TEST(SessionZone, MistakesNameTheirKey) {
    const ConfigResult r = parse(config_text(
        R"({"us": {"open": "09:30", "close": "16:00", "tz": "America/New_Yrok"},
            "secs": {"open": "09:30:60", "close": "16:00:00"},
            "both": {"open": "09:30", "close": "16:00", "tz": "UTC", "utc_offset": "+00:00"},
            "nocal": {"open": "09:30", "close": "16:00", "calendar": "missing.json"}})"));
    EXPECT_TRUE(has_error(r, "sessions.us.tz", "'America/New_Yrok' is not a time zone")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.secs.open", "'09:30:60' is not a time of day")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.both.utc_offset", "either tz or utc_offset")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.nocal.calendar", "missing.json: cannot be read")) << dump(r);
}

TEST(SessionZone, AMalformedCalendarFileIsNamedWithItsPathAndKey) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("keel_cal_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const char* name, const char* text) {
        std::ofstream(dir / name) << text;
    };
    write("syntax.json", "{\n  \"from\": \"2026-01-01\",\n  \"to\": \n}\n");
    write("bad.json", R"({"from": "2026-01-01", "to": "2026-12-31",
        "closed": [{"date": "2026-02-30"}, {"date": "2027-01-01"}, {"day": "2026-01-02"}],
        "early_closes": [{"date": "2026-11-27", "close": "08:00"},
                         {"date": "2026-12-24", "close": "13:00:99"}], "holidays": []})");
    const std::string sessions =
        R"({"us": {"open": "09:30", "close": "16:00", "calendar": "syntax.json"},
            "b": {"open": "09:30", "close": "16:00", "calendar": "bad.json"}})";
    const ConfigResult r = parse(config_text(sessions), dir.string());
    const std::string bad = (dir / "bad.json").string();
    EXPECT_TRUE(has_error(r, "sessions.us.calendar", (dir / "syntax.json").string() + ": "))
        << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.us.calendar", "line 4")) << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.b.calendar", bad + ": closed[0].date: '2026-02-30'"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.b.calendar", bad + ": closed[1].date: 2027-01-01 is "))
        << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.b.calendar", bad + ": closed[2].day: unknown key"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.b.calendar", bad + ": early_closes[0].close: 08:00:00"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.b.calendar", bad + ": early_closes[1].close: '13:00:99'"))
        << dump(r);
    EXPECT_TRUE(has_error(r, "sessions.b.calendar", bad + ": holidays: unknown key")) << dump(r);
    std::filesystem::remove_all(dir);
}

TEST(SessionZone, NonexistentAndRepeatedLocalTimesResolveOnce) {
    const ConfigResult r = parse(config_text(
        R"({"us": {"open": "02:30", "close": "03:30", "tz": "America/New_York",
                   "days": ["sun"]}})"));
    ASSERT_TRUE(r.ok()) << dump(r);
    const TradingSession s = session_for(r.config, "MSFT");
    // 2026-03-08 02:30 does not exist in New York: moved forward by the hour skipped.
    EXPECT_EQ(session_open_ns(s, day_of(2026, 3, 8)), utc(2026, 3, 8, 7, 30));
    // 2026-11-01 02:30 happens once (EST), 03:30 too; 01:30 would be the first (EDT) of two.
    EXPECT_EQ(session_open_ns(s, day_of(2026, 11, 1)), utc(2026, 11, 1, 7, 30));
    EXPECT_EQ(offset_at(*s.rules, utc(2026, 11, 1, 5, 59, 59) / kNsPerSecond), -4 * 3600);
    EXPECT_EQ(utc_of_local(*s.rules, (day_of(2026, 11, 1) * 86400) + 3600 + 1800),
              utc(2026, 11, 1, 5, 30) / kNsPerSecond);
    (void)kHour;
}
