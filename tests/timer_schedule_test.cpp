// Proves the timer schedule: bar closes aligned to the session open (1m, 5m, 1h, 1d, a short
// last bar, none outside sessions or on weekends), session open/close/before-close in time
// order (a 24h session closes then reopens at midnight), ties in the documented order, the
// first call fixing the start, and the timer event's header and payload; and that a session
// schedules bar closes for the intervals its strategies use and session events for the symbols
// with a session (a flatten point for orb), none for the rest.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "keel/engine/pipeline/timer_schedule.hpp"
#include "keel/replay/session/session.hpp"
#include "test_support.hpp"

using namespace keel::engine;

namespace {

// Days since 1970-01-01 for a civil date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The local day index of 2024-01-08, a Monday.
const std::int64_t kMon = days_from_civil(2024, 1, 8);
const TradingSession kUs = TradingSession::us_equities();
const TradingSession kFx = TradingSession::all_day(0, kMondayToFriday);

// The UTC ns of a local wall-clock time on a local day of the session.
std::int64_t at(const TradingSession& s, std::int64_t day, int hh, int mm) {
    return day * kNsPerDay + (hh * 60 + mm) * kNsPerMinute -
           static_cast<std::int64_t>(s.utc_offset_minutes) * kNsPerMinute;
}

TimerSpec bars(SymbolId symbol, const TradingSession& s, std::uint32_t interval) {
    return {symbol, s, TimerKind::bar_close, interval, 0};
}
TimerSpec session_events(SymbolId symbol, const TradingSession& s, std::uint32_t before = 0) {
    return {symbol, s, TimerKind::session_open, 0, before};
}

// Everything due at or before ts, as ingest would take it before an input stamped ts.
std::vector<Event> due(TimerSchedule& t, std::int64_t ts) {
    std::vector<Event> out;
    while (const std::optional<Event> e = t.next_due(ts))
        out.push_back(*e);
    return out;
}

std::vector<std::int64_t> times(const std::vector<Event>& v) {
    std::vector<std::int64_t> out;
    for (const Event& e : v)
        out.push_back(e.header.ts_ns);
    return out;
}

// (kind, aux) per timer, to check the order of timers at one instant.
std::vector<std::pair<TimerKind, std::uint16_t>> kinds(const std::vector<Event>& v) {
    std::vector<std::pair<TimerKind, std::uint16_t>> out;
    for (const Event& e : v)
        out.emplace_back(e.payload.timer.kind, e.header.aux);
    return out;
}

}  // namespace

TEST(TimerSchedule, OneAndFiveMinuteBarsCloseOnTheOpenAlignedGrid) {
    TimerSchedule t({bars(1, kUs, 1), bars(1, kUs, 5)});
    EXPECT_TRUE(due(t, at(kUs, kMon, 9, 30)).empty());  // the first input, at the open
    const std::vector<Event> v = due(t, at(kUs, kMon, 9, 40));
    std::vector<std::int64_t> want;
    for (int m = 31; m <= 40; ++m) {
        want.push_back(at(kUs, kMon, 9, m));
        if (m % 5 == 0)
            want.push_back(at(kUs, kMon, 9, m));
    }
    EXPECT_EQ(times(v), want);
    // At 9:35 the 1m bar (added first) closes before the 5m bar.
    EXPECT_EQ(v[4].header.aux, 1);
    EXPECT_EQ(v[5].header.aux, 5);
    EXPECT_EQ(v[5].payload.timer.period_start_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(v[11].payload.timer.period_start_ns, at(kUs, kMon, 9, 35));
    EXPECT_EQ(t.fired(), 12u);
}

TEST(TimerSchedule, HourlyBarsEndWithAShortBarAtTheClose) {
    TimerSchedule t({bars(3, kUs, 60)});
    ASSERT_TRUE(due(t, at(kUs, kMon, 9, 30)).empty());
    const std::vector<Event> v = due(t, at(kUs, kMon, 23, 0));
    const std::vector<std::int64_t> want =
        {
            at(kUs, kMon, 10, 30), at(kUs, kMon, 11, 30), at(kUs, kMon, 12, 30),
            at(kUs, kMon, 13, 30), at(kUs, kMon, 14, 30), at(kUs, kMon, 15, 30),
            at(kUs, kMon, 16, 0),  // the short last bar, 15:30-16:00
        };
    EXPECT_EQ(times(v), want);
    EXPECT_EQ(v.back().payload.timer.period_start_ns, at(kUs, kMon, 15, 30));
    // The next bar is Tuesday's first.
    EXPECT_TRUE(due(t, at(kUs, kMon + 1, 10, 29)).empty());
    EXPECT_EQ(times(due(t, at(kUs, kMon + 1, 10, 30))),
              std::vector<std::int64_t>{at(kUs, kMon + 1, 10, 30)});
}

TEST(TimerSchedule, ADailyBarIsTheWholeSession) {
    TimerSchedule t({bars(0, kUs, 1440)});
    ASSERT_TRUE(due(t, at(kUs, kMon, 8, 0)).empty());
    const std::vector<Event> v = due(t, at(kUs, kMon + 1, 17, 0));
    ASSERT_EQ(times(v),
              (std::vector<std::int64_t>{at(kUs, kMon, 16, 0), at(kUs, kMon + 1, 16, 0)}));
    EXPECT_EQ(v[0].header.aux, 1440);
    EXPECT_EQ(v[0].payload.timer.period_start_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(v[1].payload.timer.period_start_ns, at(kUs, kMon + 1, 9, 30));
}

TEST(TimerSchedule, NoBarClosesOutsideTheSessionOrOverTheWeekend) {
    const std::int64_t friday = kMon + 4;
    TimerSchedule t({bars(0, kUs, 60)});
    ASSERT_TRUE(due(t, at(kUs, friday, 15, 0)).empty());
    // Data resumes on Monday: only Friday's last two closes and Monday's first are due.
    const std::vector<Event> v = due(t, at(kUs, kMon + 7, 11, 0));
    EXPECT_EQ(times(v), (std::vector<std::int64_t>{at(kUs, friday, 15, 30), at(kUs, friday, 16, 0),
                                                   at(kUs, kMon + 7, 10, 30)}));
}

TEST(TimerSchedule, SessionEventsComeInTimeOrderWithTheFlattenPointBeforeTheClose) {
    TimerSchedule t({session_events(2, kUs, 15)});
    ASSERT_TRUE(due(t, at(kUs, kMon, 9, 0)).empty());
    const std::vector<Event> v = due(t, at(kUs, kMon + 1, 10, 0));
    EXPECT_EQ(times(v),
              (std::vector<std::int64_t>{at(kUs, kMon, 9, 30), at(kUs, kMon, 15, 45),
                                         at(kUs, kMon, 16, 0), at(kUs, kMon + 1, 9, 30)}));
    const std::vector<std::pair<TimerKind, std::uint16_t>> want = {{TimerKind::session_open, 0},
                                                                   {TimerKind::before_close, 0},
                                                                   {TimerKind::session_close, 0},
                                                                   {TimerKind::session_open, 0}};
    EXPECT_EQ(kinds(v), want);
    // Session events carry the session's local day.
    EXPECT_EQ(v[1].payload.timer.period_start_ns, kMon);
    EXPECT_EQ(v[2].payload.timer.period_start_ns, kMon);
    EXPECT_EQ(v[3].payload.timer.period_start_ns, kMon + 1);
}

TEST(TimerSchedule, AFullDaySessionClosesThenReopensAtMidnight) {
    TimerSchedule t({bars(0, kFx, 60), session_events(0, kFx)});
    ASSERT_TRUE(due(t, at(kFx, kMon, 22, 30)).empty());
    const std::int64_t midnight = at(kFx, kMon + 1, 0, 0);
    const std::vector<Event> v = due(t, midnight);
    EXPECT_EQ(times(v),
              (std::vector<std::int64_t>{at(kFx, kMon, 23, 0), midnight, midnight, midnight}));
    const std::vector<std::pair<TimerKind, std::uint16_t>> want = {
        {TimerKind::bar_close, 60},
        {TimerKind::bar_close, 60},  // Monday's last bar, 23:00-24:00
        {TimerKind::session_close, 0},
        {TimerKind::session_open, 0}};
    EXPECT_EQ(kinds(v), want);
    EXPECT_EQ(v[2].payload.timer.period_start_ns, kMon);
    EXPECT_EQ(v[3].payload.timer.period_start_ns, kMon + 1);
    EXPECT_TRUE(due(t, midnight).empty());  // each fires once
}

TEST(TimerSchedule, AFullDaySessionStaysClosedOverTheWeekend) {
    const std::int64_t friday = kMon + 4;
    TimerSchedule t({session_events(0, kFx)});
    ASSERT_TRUE(due(t, at(kFx, friday, 12, 0)).empty());
    const std::vector<Event> v = due(t, at(kFx, kMon + 7, 0, 0));
    EXPECT_EQ(times(v), (std::vector<std::int64_t>{at(kFx, friday + 1, 0, 0),   // Friday's close
                                                   at(kFx, kMon + 7, 0, 0)}));  // Monday's open
    EXPECT_EQ(v[0].payload.timer.kind, TimerKind::session_close);
    EXPECT_EQ(v[1].payload.timer.kind, TimerKind::session_open);
}

TEST(TimerSchedule, TiesComeOutBarClosesFirstThenInTheOrderAdded) {
    // Added session first and 5m before 1m: bar closes still come first, in the order added,
    // then before_close, session_close, session_open; a second symbol's timers after the first's.
    TimerSchedule t(
        {session_events(0, kUs, 30), bars(0, kUs, 5), bars(0, kUs, 1), bars(1, kUs, 60)});
    ASSERT_TRUE(due(t, at(kUs, kMon, 15, 29) + kNsPerMinute / 2).empty());
    std::vector<Event> v = due(t, at(kUs, kMon, 15, 30));
    const std::vector<std::pair<TimerKind, std::uint16_t>> at_1530 = {{TimerKind::bar_close, 5},
                                                                      {TimerKind::bar_close, 1},
                                                                      {TimerKind::bar_close, 60},
                                                                      {TimerKind::before_close, 0}};
    EXPECT_EQ(kinds(v), at_1530);
    EXPECT_EQ(v[2].header.symbol, 1u);
    ASSERT_EQ(due(t, at(kUs, kMon, 15, 59)).size(), 29u + 5u);  // 1m closes and 5m closes
    v = due(t, at(kUs, kMon, 16, 0));
    const std::vector<std::pair<TimerKind, std::uint16_t>> at_close = {
        {TimerKind::bar_close, 5},
        {TimerKind::bar_close, 1},
        {TimerKind::bar_close, 60},
        {TimerKind::session_close, 0}};
    EXPECT_EQ(kinds(v), at_close);
}

TEST(TimerSchedule, TheFirstCallFixesTheStart) {
    // Wednesday noon: nothing of Monday or Tuesday fires, nor the bar that closed at 11:30.
    TimerSchedule t({bars(0, kUs, 60), session_events(0, kUs, 10)});
    EXPECT_FALSE(t.next_due(at(kUs, kMon + 2, 12, 0)));
    EXPECT_EQ(t.fired(), 0u);
    EXPECT_EQ(times(due(t, at(kUs, kMon + 2, 16, 0))),
              (std::vector<std::int64_t>{at(kUs, kMon + 2, 12, 30), at(kUs, kMon + 2, 13, 30),
                                         at(kUs, kMon + 2, 14, 30), at(kUs, kMon + 2, 15, 30),
                                         at(kUs, kMon + 2, 15, 50), at(kUs, kMon + 2, 16, 0),
                                         at(kUs, kMon + 2, 16, 0)}));
}

TEST(TimerSchedule, TimersAtTheFirstEventsOwnTimeStillFire) {
    TimerSchedule open({session_events(0, kUs)});
    const std::vector<Event> v = due(open, at(kUs, kMon, 9, 30));
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].payload.timer.kind, TimerKind::session_open);

    TimerSchedule hourly({bars(0, kUs, 60)});
    EXPECT_EQ(times(due(hourly, at(kUs, kMon, 10, 30))),
              std::vector<std::int64_t>{at(kUs, kMon, 10, 30)});
}

TEST(TimerSchedule, TimerEventsCarryTheirHeaderAndPayload) {
    TimerSchedule t({bars(7, kUs, 15), session_events(7, kUs)});
    ASSERT_TRUE(due(t, at(kUs, kMon, 9, 0)).empty());
    const std::vector<Event> v = due(t, at(kUs, kMon, 9, 45));
    ASSERT_EQ(v.size(), 2u);
    const Event& open = v[0];
    const Event& bar = v[1];
    EXPECT_EQ(bar.header.type, EventType::timer);
    EXPECT_EQ(bar.header.source, Source::engine);
    EXPECT_EQ(bar.header.seq, 0u);  // ingest sequences it
    EXPECT_EQ(bar.header.symbol, 7u);
    EXPECT_EQ(bar.header.ts_ns, at(kUs, kMon, 9, 45));
    EXPECT_EQ(bar.header.aux, 15);
    EXPECT_EQ(bar.payload.timer.kind, TimerKind::bar_close);
    EXPECT_EQ(bar.payload.timer.period_start_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(open.header.type, EventType::timer);
    EXPECT_EQ(open.header.symbol, 7u);
    EXPECT_EQ(open.header.aux, 0);
    EXPECT_EQ(open.header.ts_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(open.payload.timer.kind, TimerKind::session_open);
    EXPECT_EQ(open.payload.timer.period_start_ns, kMon);
    EXPECT_NE(open.payload.timer.timer_id, bar.payload.timer.timer_id);
    // One timer keeps its id from one firing to the next.
    const std::vector<Event> next = due(t, at(kUs, kMon, 10, 0));
    ASSERT_EQ(next.size(), 1u);
    EXPECT_EQ(next[0].payload.timer.timer_id, bar.payload.timer.timer_id);
}

TEST(TimerSchedule, ManyDueTimersComeOutInTimeOrder) {
    TimerSchedule t(
        {session_events(0, kUs, 45), bars(0, kUs, 30), bars(1, kFx, 240), session_events(1, kFx)});
    ASSERT_TRUE(due(t, at(kUs, kMon, 0, 0)).empty());
    const std::vector<Event> v = due(t, at(kUs, kMon + 10, 0, 0));
    ASSERT_GT(v.size(), 100u);
    for (std::size_t i = 1; i < v.size(); ++i)
        ASSERT_LE(v[i - 1].header.ts_ns, v[i].header.ts_ns) << "timer " << i;
    EXPECT_EQ(t.fired(), v.size());
}

TEST(TimerSchedule, AnEmptyScheduleNeverFires) {
    TimerSchedule t({});
    EXPECT_TRUE(t.empty());
    EXPECT_FALSE(t.next_due(at(kUs, kMon, 12, 0)));
    EXPECT_FALSE(t.next_due(at(kUs, kMon + 30, 12, 0)));
}

TEST(SessionTimers, StrategiesGetTheirBarClosesAndSessionSymbolsTheirOpenAndClose) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("keel_session_timers_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    // Monday 2024-01-08: SPY trades every 5 minutes from 09:30 to 16:05 New York (14:30 to 21:05
    // UTC); QQQ trades at 09:31 and 16:01; EURUSD, which has no session, at noon.
    const std::int64_t open_s = 1'704'724'200;
    {
        std::ofstream f(dir / "trades.csv");
        f << "timestamp,symbol,price,size\n";
        for (int m = 0; m <= 395; m += 5) {
            f << open_s + m * 60 << ",SPY,100,1\n";
            if (m == 0 || m == 390)
                f << open_s + (m + 1) * 60 << ",QQQ,50,1\n";
            if (m == 150)
                f << open_s + m * 60 << ",EURUSD,1.1,1\n";
        }
    }
    const std::string config = R"({
      "session": {"name": "timers"},
      "data": {"files": [{"path": "trades.csv"}]},
      "sessions": {"us": {"open": "09:30", "close": "16:00", "utc_offset": "-05:00"}},
      "symbols": {"SPY": {"session": "us"}, "QQQ": {"session": "us"}},
      "strategies": [
        {"type": "orb", "symbol": "SPY", "timeframe": "5m", "range": "15m",
         "trend_timeframe": "1h", "flat_before_close": "5m", "quantity": "1"},
        {"type": "sma_cross", "symbol": "EURUSD", "timeframe": "30m", "fast": 2, "slow": 3,
         "quantity": "1"}],
      "risk": {"max_order_qty": "10"},
      "venue": {"type": "sim", "mode": "ticks"},
      "threads": [{"name": "all", "stages": ["ingest", "strategy", "risk", "gateway"]}]
    })";
    const ConfigResult cr = parse_config(config, "timers.json", dir, {});
    ASSERT_TRUE(cr.ok()) << cr.errors.front().path << ": " << cr.errors.front().message;
    keel::test::Recorder tap(1 << 16);
    keel::replay::SessionOptions options;
    options.tap = &tap;
    std::atomic<bool> stop{false};
    std::string error;
    const auto report = keel::replay::run_session(cr.config, stop, options, error);
    std::filesystem::remove_all(dir);
    ASSERT_TRUE(report) << error;

    std::map<SymbolId, std::string> names;
    for (const Event& e : tap.of_type(EventType::symbol_def))
        names[e.header.symbol] = e.payload.symbol_def.name;
    // (symbol, kind, interval) -> how many fired, and the first and last time.
    using Key = std::tuple<std::string, TimerKind, std::uint16_t>;
    std::map<Key, std::vector<std::int64_t>> fired;
    for (const Event& e : tap.of_type(EventType::timer)) {
        fired[{names[e.header.symbol], e.payload.timer.kind, e.header.aux}].push_back(
            e.header.ts_ns);
    }
    const std::int64_t open_ns = open_s * 1'000'000'000;
    auto after = [&](int minutes) { return open_ns + minutes * kNsPerMinute; };
    auto expect = [&](const Key& k, std::size_t count, std::int64_t first, std::int64_t last) {
        SCOPED_TRACE(std::get<0>(k) + " " + std::string(to_string(std::get<1>(k))) + " " +
                     std::to_string(std::get<2>(k)));
        const auto it = fired.find(k);
        ASSERT_NE(it, fired.end());
        EXPECT_EQ(it->second.size(), count);
        EXPECT_EQ(it->second.front(), first);
        EXPECT_EQ(it->second.back(), last);
    };
    // orb on SPY: 5m and 1h bars (the last one short), the open, the flatten point, the close.
    expect({"SPY", TimerKind::bar_close, 5}, 78, after(5), after(390));
    expect({"SPY", TimerKind::bar_close, 60}, 7, after(60), after(390));
    expect({"SPY", TimerKind::session_open, 0}, 1, after(0), after(0));
    expect({"SPY", TimerKind::before_close, 0}, 1, after(385), after(385));
    expect({"SPY", TimerKind::session_close, 0}, 1, after(390), after(390));
    // QQQ has a session but no strategy: its open and close only.
    expect({"QQQ", TimerKind::session_open, 0}, 1, after(0), after(0));
    expect({"QQQ", TimerKind::session_close, 0}, 1, after(390), after(390));
    // sma_cross on EURUSD (no session: all day, UTC): 30m bars from the first input's time
    // (14:30 UTC, itself a close, so it fires) to the last's (21:00 UTC).
    expect({"EURUSD", TimerKind::bar_close, 30}, 14, after(0), after(390));
    EXPECT_EQ(fired.size(), 8u);  // nothing else: no session events for EURUSD
}
