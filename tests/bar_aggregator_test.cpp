// Proves trading sessions and time bars: bars align to the session open, the last bar is
// short, timers (not later ticks) close bars, ticks outside the session are ignored, five 1m
// bars agree with their 5m bar, 24h sessions cross midnight and weekends are skipped.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/strategy/bar_aggregator.hpp"
#include "keel/engine/core/trading_session.hpp"

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

// The UTC ns of a local wall-clock time on a local day of the session.
std::int64_t at(const TradingSession& s, std::int64_t day, int hh, int mm, int ss = 0) {
    return day * kNsPerDay + (hh * 60 + mm) * kNsPerMinute + ss * kNsPerSecond -
           static_cast<std::int64_t>(s.utc_offset_minutes) * kNsPerMinute;
}

Price px(std::int64_t units) {
    return Price::from_units(units);
}
Quantity qty(std::int64_t units) {
    return Quantity::from_units(units);
}

const TradingSession kUs = TradingSession::us_equities();

// Plays ingest's part: before each tick, fires every bar_close timer due at or before the
// tick's time, earliest first, and schedules the next with next_bar_close_ns.
class TimerDriver {
  public:
    TimerDriver(const TradingSession& s, std::vector<std::uint32_t> intervals,
                std::int64_t start_ns)
        : session_(s), intervals_(std::move(intervals)) {
        for (const std::uint32_t i : intervals_)
            next_.push_back(next_bar_close_ns(s, i, start_ns));
    }
    void advance_to(std::int64_t ts_ns, MultiTimeframeBars& bars, std::vector<Bar>& out) {
        for (;;) {
            std::size_t best = intervals_.size();
            for (std::size_t k = 0; k < intervals_.size(); ++k) {
                if (next_[k] <= ts_ns && (best == intervals_.size() || next_[k] < next_[best]))
                    best = k;
            }
            if (best == intervals_.size())
                return;
            while (const std::optional<Bar> bar = bars.on_timer(intervals_[best], next_[best]))
                out.push_back(*bar);
            next_[best] = next_bar_close_ns(session_, intervals_[best], next_[best]);
        }
    }

  private:
    TradingSession session_;
    std::vector<std::uint32_t> intervals_;
    std::vector<std::int64_t> next_;
};

std::vector<Bar> of_interval(const std::vector<Bar>& bars, std::uint32_t interval) {
    std::vector<Bar> out;
    for (const Bar& b : bars) {
        if (b.interval_minutes == interval)
            out.push_back(b);
    }
    return out;
}

}  // namespace

TEST(TradingSession, WeekdaysOfKnownDates) {
    EXPECT_EQ(weekday(0), 3);  // 1970-01-01, a Thursday
    EXPECT_EQ(weekday(kMon), 0);
    EXPECT_EQ(weekday(kMon + 5), 5);
    EXPECT_EQ(weekday(-1), 2);  // 1969-12-31, a Wednesday
}

TEST(TradingSession, UsEquitiesOpenAndCloseInUtc) {
    // 09:30 and 16:00 in New York winter time are 14:30 and 21:00 UTC.
    EXPECT_EQ(session_open_ns(kUs, kMon), kMon * kNsPerDay + (14 * 60 + 30) * kNsPerMinute);
    EXPECT_EQ(session_close_ns(kUs, kMon), kMon * kNsPerDay + 21 * 60 * kNsPerMinute);
    // 20:00 New York on Monday is already Tuesday in UTC but still Monday locally.
    EXPECT_EQ(local_day(kUs, at(kUs, kMon, 20, 0)), kMon);
}

TEST(TradingSession, InSessionIsHalfOpenAndSkipsWeekends) {
    EXPECT_TRUE(in_session(kUs, at(kUs, kMon, 9, 30)));
    EXPECT_TRUE(in_session(kUs, at(kUs, kMon, 15, 59, 59)));
    EXPECT_FALSE(in_session(kUs, at(kUs, kMon, 16, 0)));
    EXPECT_FALSE(in_session(kUs, at(kUs, kMon, 9, 29, 59)));
    EXPECT_FALSE(in_session(kUs, at(kUs, kMon + 5, 12, 0)));  // Saturday
    EXPECT_FALSE(in_session(kUs, at(kUs, kMon + 6, 12, 0)));  // Sunday
    EXPECT_EQ(session_day(kUs, at(kUs, kMon + 2, 11, 0)), kMon + 2);
    EXPECT_EQ(session_day(kUs, at(kUs, kMon + 2, 17, 0)), std::nullopt);
}

TEST(TradingSession, TimesBeforeTheEpochFloorToTheirDay) {
    const TradingSession utc = TradingSession::all_day(0, kEveryDay);
    EXPECT_EQ(local_day(utc, -1), -1);
    EXPECT_EQ(local_day(utc, -kNsPerDay), -1);
    EXPECT_EQ(local_day(utc, -kNsPerDay - 1), -2);
    EXPECT_TRUE(in_session(utc, -1));
}

TEST(TradingSession, ValidateNamesTheProblem) {
    EXPECT_EQ(validate(kUs), SessionError::ok);
    EXPECT_EQ(validate({-1, 100, 0, kMondayToFriday}), SessionError::open_out_of_range);
    EXPECT_EQ(validate({600, 600, 0, kMondayToFriday}), SessionError::close_out_of_range);
    EXPECT_EQ(validate({0, 86401, 0, kMondayToFriday}), SessionError::close_out_of_range);
    EXPECT_EQ(validate({0, 86400, 19 * 60, kMondayToFriday}), SessionError::offset_out_of_range);
    EXPECT_EQ(validate({0, 86400, 0, 0}), SessionError::no_trading_days);
    EXPECT_FALSE(to_string(SessionError::no_trading_days).empty());
}

TEST(TradingSession, BarsAlignToTheOpenAndTheLastBarIsShort) {
    const auto w = bar_window(kUs, 60, at(kUs, kMon, 10, 45));
    ASSERT_TRUE(w);
    EXPECT_EQ(w->start_ns, at(kUs, kMon, 10, 30));
    EXPECT_EQ(w->close_ns, at(kUs, kMon, 11, 30));
    const auto last = bar_window(kUs, 60, at(kUs, kMon, 15, 45));
    ASSERT_TRUE(last);
    EXPECT_EQ(last->start_ns, at(kUs, kMon, 15, 30));
    EXPECT_EQ(last->close_ns, at(kUs, kMon, 16, 0));
    // 1d is the whole session.
    const auto day = bar_window(kUs, 1440, at(kUs, kMon, 12, 0));
    ASSERT_TRUE(day);
    EXPECT_EQ(day->start_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(day->close_ns, at(kUs, kMon, 16, 0));
    EXPECT_FALSE(bar_window(kUs, 60, at(kUs, kMon, 8, 0)));
}

TEST(TradingSession, NextBarCloseWalksADayThenSkipsTheWeekend) {
    const std::int64_t friday = kMon + 4;
    std::vector<std::int64_t> closes;
    std::int64_t t = at(kUs, friday, 7, 0);
    for (int i = 0; i < 8; ++i) {
        t = next_bar_close_ns(kUs, 60, t);
        closes.push_back(t);
    }
    const std::vector<std::int64_t> want = {
        at(kUs, friday, 10, 30),   at(kUs, friday, 11, 30), at(kUs, friday, 12, 30),
        at(kUs, friday, 13, 30),   at(kUs, friday, 14, 30), at(kUs, friday, 15, 30),
        at(kUs, friday, 16, 0),     // the short last bar
        at(kUs, kMon + 7, 10, 30),  // Monday's first bar
    };
    EXPECT_EQ(closes, want);
}

TEST(TradingSession, NextSessionEventsAlternateAndSkipTheWeekend) {
    const std::int64_t friday = kMon + 4;
    SessionEvent e = next_session_event(kUs, at(kUs, friday, 12, 0));
    EXPECT_EQ(e.kind, TimerKind::session_close);
    EXPECT_EQ(e.ts_ns, at(kUs, friday, 16, 0));
    EXPECT_EQ(e.day, friday);
    e = next_session_event(kUs, e.ts_ns, e.kind);
    EXPECT_EQ(e.kind, TimerKind::session_open);
    EXPECT_EQ(e.ts_ns, at(kUs, kMon + 7, 9, 30));
    EXPECT_EQ(e.day, kMon + 7);
    // Strictly after: an open at ts is past unless the caller says it handled only a close.
    e = next_session_event(kUs, at(kUs, kMon, 9, 30));
    EXPECT_EQ(e.kind, TimerKind::session_close);
}

TEST(TradingSession, AllDaySessionClosesAndReopensAtMidnight) {
    const TradingSession fx = TradingSession::all_day();
    const std::int64_t tuesday_midnight = at(fx, kMon + 1, 0, 0);
    SessionEvent e = next_session_event(fx, at(fx, kMon, 23, 0));
    EXPECT_EQ(e.kind, TimerKind::session_close);
    EXPECT_EQ(e.ts_ns, tuesday_midnight);
    EXPECT_EQ(e.day, kMon);
    e = next_session_event(fx, e.ts_ns, e.kind);
    EXPECT_EQ(e.kind, TimerKind::session_open);
    EXPECT_EQ(e.ts_ns, tuesday_midnight);
    EXPECT_EQ(e.day, kMon + 1);
    e = next_session_event(fx, e.ts_ns, e.kind);
    EXPECT_EQ(e.kind, TimerKind::session_close);
    EXPECT_EQ(e.ts_ns, at(fx, kMon + 2, 0, 0));
    // Friday's session ends at Saturday midnight; the next opens Monday at midnight.
    e = next_session_event(fx, at(fx, kMon + 5, 0, 0), TimerKind::session_close);
    EXPECT_EQ(e.kind, TimerKind::session_open);
    EXPECT_EQ(e.ts_ns, at(fx, kMon + 7, 0, 0));
}

TEST(TradingSession, NoTradingDayMeansNever) {
    const TradingSession never{0, 86400, 0, 0};
    EXPECT_EQ(next_bar_close_ns(never, 5, 0), kNeverNs);
    EXPECT_EQ(next_session_event(never, 0).ts_ns, kNeverNs);
}

TEST(BarAggregator, BarsAlignToTheSessionOpen) {
    BarAggregator agg(kUs, 5);
    agg.on_trade(at(kUs, kMon, 9, 31, 10), px(100), qty(1));
    agg.on_trade(at(kUs, kMon, 9, 32), px(103), qty(2));
    agg.on_trade(at(kUs, kMon, 9, 33), px(99), qty(3));
    agg.on_trade(at(kUs, kMon, 9, 34, 59), px(101), qty(4));
    const std::optional<Bar> bar = agg.on_timer(at(kUs, kMon, 9, 35));
    ASSERT_TRUE(bar);
    EXPECT_EQ(bar->start_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(bar->close_ns, at(kUs, kMon, 9, 35));
    EXPECT_EQ(bar->interval_minutes, 5u);
    EXPECT_EQ(bar->ticks, 4u);
    EXPECT_EQ(bar->ohlcv.open, px(100));
    EXPECT_EQ(bar->ohlcv.high, px(103));
    EXPECT_EQ(bar->ohlcv.low, px(99));
    EXPECT_EQ(bar->ohlcv.close, px(101));
    EXPECT_EQ(bar->ohlcv.volume, qty(10));
    EXPECT_FALSE(agg.on_timer(at(kUs, kMon, 9, 35)));
}

TEST(BarAggregator, TradesOfUnknownSizeAddNothingToTheBarsVolume) {
    BarAggregator agg(kUs, 5);
    agg.on_trade(at(kUs, kMon, 9, 31), px(100), kSizeUnknown);
    agg.on_trade(at(kUs, kMon, 9, 32), px(101), qty(2));
    agg.on_trade(at(kUs, kMon, 9, 33), px(102), kSizeUnknown);
    const std::optional<Bar> bar = agg.on_timer(at(kUs, kMon, 9, 35));
    ASSERT_TRUE(bar);
    EXPECT_EQ(bar->ticks, 3u);
    EXPECT_EQ(bar->ohlcv.volume, qty(2));
}

TEST(BarAggregator, TheLastBarOfTheSessionIsShort) {
    BarAggregator agg(kUs, 60);
    agg.on_trade(at(kUs, kMon, 15, 45), px(50), qty(1));
    EXPECT_FALSE(agg.on_timer(at(kUs, kMon, 15, 59)));
    const std::optional<Bar> bar = agg.on_timer(at(kUs, kMon, 16, 0));
    ASSERT_TRUE(bar);
    EXPECT_EQ(bar->start_ns, at(kUs, kMon, 15, 30));
    EXPECT_EQ(bar->close_ns, at(kUs, kMon, 16, 0));
}

TEST(BarAggregator, TheTimerClosesTheBarWithoutALaterTick) {
    BarAggregator agg(kUs, 1);
    agg.on_trade(at(kUs, kMon, 10, 0, 5), px(7), qty(1));
    EXPECT_TRUE(agg.has_open_bar());
    // Not due yet: the bar closes at 10:01.
    EXPECT_FALSE(agg.on_timer(at(kUs, kMon, 10, 0, 59)));
    const std::optional<Bar> bar = agg.on_timer(at(kUs, kMon, 10, 1));
    ASSERT_TRUE(bar);
    EXPECT_EQ(bar->ohlcv.close, px(7));
    EXPECT_FALSE(agg.has_open_bar());
}

TEST(BarAggregator, ABarWithNoTicksIsNotEmitted) {
    BarAggregator agg(kUs, 1);
    EXPECT_FALSE(agg.on_timer(at(kUs, kMon, 10, 1)));
    agg.on_trade(at(kUs, kMon, 10, 1, 30), px(7), qty(1));
    EXPECT_TRUE(agg.on_timer(at(kUs, kMon, 10, 2)));
    EXPECT_FALSE(agg.on_timer(at(kUs, kMon, 10, 3)));  // a quiet minute
}

TEST(BarAggregator, TicksOutsideTheSessionAreIgnoredAndCounted) {
    BarAggregator agg(kUs, 5);
    agg.on_trade(at(kUs, kMon, 9, 29, 59), px(1), qty(1));
    agg.on_trade(at(kUs, kMon, 16, 0), px(2), qty(1));
    agg.on_trade(at(kUs, kMon + 5, 11, 0), px(3), qty(1));  // Saturday
    agg.on_quote(at(kUs, kMon + 6, 11, 0), px(3), px(4));   // Sunday
    EXPECT_EQ(agg.outside_session(), 4u);
    EXPECT_FALSE(agg.has_open_bar());
}

TEST(BarAggregator, TicksBeforeAFiredTimerAreLate) {
    BarAggregator agg(kUs, 1);
    agg.on_trade(at(kUs, kMon, 10, 0, 10), px(5), qty(1));
    ASSERT_TRUE(agg.on_timer(at(kUs, kMon, 10, 1)));
    agg.on_trade(at(kUs, kMon, 10, 0, 50), px(6), qty(1));
    EXPECT_EQ(agg.late_ticks(), 1u);
    EXPECT_FALSE(agg.has_open_bar());
}

TEST(BarAggregator, TicksBeforeTheOpenBarAreLate) {
    BarAggregator agg(kUs, 5);
    agg.on_trade(at(kUs, kMon, 9, 36), px(5), qty(1));
    agg.on_trade(at(kUs, kMon, 9, 34), px(6), qty(1));  // out of order, the bar before
    EXPECT_EQ(agg.late_ticks(), 1u);
    EXPECT_EQ(agg.missed_timers(), 0u);
    const std::optional<Bar> bar = agg.on_timer(at(kUs, kMon, 9, 40));
    ASSERT_TRUE(bar);
    EXPECT_EQ(bar->ohlcv.close, px(5));
    EXPECT_EQ(bar->ticks, 1u);
}

TEST(BarAggregator, QuotesAddTheMidPriceAndNoVolume) {
    BarAggregator agg(kUs, 1);
    agg.on_quote(at(kUs, kMon, 10, 0, 1), px(10), px(11));
    agg.on_quote(at(kUs, kMon, 10, 0, 2), px(12), px(13));
    agg.on_quote(at(kUs, kMon, 10, 0, 3), Price{}, px(13));  // one-sided
    const std::optional<Bar> bar = agg.on_timer(at(kUs, kMon, 10, 1));
    ASSERT_TRUE(bar);
    EXPECT_EQ(bar->ohlcv.open, Price::from_raw(10'500'000'000));
    EXPECT_EQ(bar->ohlcv.close, Price::from_raw(12'500'000'000));
    EXPECT_EQ(bar->ohlcv.volume, Quantity{});
    EXPECT_EQ(bar->ticks, 2u);
    EXPECT_EQ(agg.bad_quotes(), 1u);
}

TEST(BarAggregator, AMissedTimerKeepsTheBarForTheNextTimer) {
    BarAggregator agg(kUs, 5);
    agg.on_trade(at(kUs, kMon, 9, 31), px(1), qty(1));
    agg.on_trade(at(kUs, kMon, 9, 36), px(2), qty(1));  // 9:35's timer never came
    EXPECT_EQ(agg.missed_timers(), 1u);
    const std::optional<Bar> first = agg.on_timer(at(kUs, kMon, 9, 40));
    const std::optional<Bar> second = agg.on_timer(at(kUs, kMon, 9, 40));
    ASSERT_TRUE(first && second);
    EXPECT_EQ(first->close_ns, at(kUs, kMon, 9, 35));
    EXPECT_EQ(first->ohlcv.close, px(1));
    EXPECT_EQ(second->close_ns, at(kUs, kMon, 9, 40));
    EXPECT_EQ(second->ohlcv.close, px(2));
    EXPECT_FALSE(agg.on_timer(at(kUs, kMon, 9, 40)));
    EXPECT_EQ(agg.dropped_bars(), 0u);
}

TEST(MultiTimeframeBars, FiveOneMinuteBarsMakeTheFiveMinuteBar) {
    const std::vector<std::uint32_t> intervals = {1, 5, 1440};
    MultiTimeframeBars bars(kUs, intervals);
    const std::int64_t start = at(kUs, kMon, 9, 0);
    TimerDriver driver(kUs, intervals, start);
    std::vector<Bar> out;
    std::mt19937_64 rng(7);
    std::uniform_int_distribution<std::int64_t> step_ns(1, 20 * kNsPerSecond);
    std::uniform_int_distribution<std::int64_t> move(-3, 3);
    std::int64_t price = 100 * kScale;
    // Trades from 09:00 (before the open) to 16:30 (after the close).
    for (std::int64_t t = start; t < at(kUs, kMon, 16, 30); t += step_ns(rng)) {
        driver.advance_to(t, bars, out);
        price += move(rng) * 10'000'000;
        bars.on_trade(t, Price::from_raw(price), qty(1 + t % 5));
    }
    driver.advance_to(at(kUs, kMon, 17, 0), bars, out);

    const std::vector<Bar> ones = of_interval(out, 1);
    const std::vector<Bar> fives = of_interval(out, 5);
    const std::vector<Bar> days = of_interval(out, 1440);
    ASSERT_EQ(fives.size(), 78u);  // 390 minutes, every bar traded
    ASSERT_EQ(ones.size(), 390u);
    ASSERT_EQ(days.size(), 1u);
    for (std::size_t k = 0; k < fives.size(); ++k) {
        const Bar& five = fives[k];
        std::vector<Bar> parts(ones.begin() + static_cast<std::ptrdiff_t>(5 * k),
                               ones.begin() + static_cast<std::ptrdiff_t>(5 * k + 5));
        EXPECT_EQ(parts.front().start_ns, five.start_ns);
        EXPECT_EQ(parts.back().close_ns, five.close_ns);
        EXPECT_EQ(parts.front().ohlcv.open, five.ohlcv.open);
        EXPECT_EQ(parts.back().ohlcv.close, five.ohlcv.close);
        Price high = parts[0].ohlcv.high, low = parts[0].ohlcv.low;
        Quantity volume{};
        std::uint32_t ticks = 0;
        for (const Bar& p : parts) {
            high = std::max(high, p.ohlcv.high);
            low = std::min(low, p.ohlcv.low);
            volume += p.ohlcv.volume;
            ticks += p.ticks;
        }
        EXPECT_EQ(high, five.ohlcv.high) << k;
        EXPECT_EQ(low, five.ohlcv.low) << k;
        EXPECT_EQ(volume, five.ohlcv.volume) << k;
        EXPECT_EQ(ticks, five.ticks) << k;
    }
    EXPECT_EQ(days[0].start_ns, at(kUs, kMon, 9, 30));
    EXPECT_EQ(days[0].close_ns, at(kUs, kMon, 16, 0));
    EXPECT_EQ(days[0].ohlcv.open, ones.front().ohlcv.open);
    EXPECT_EQ(days[0].ohlcv.close, ones.back().ohlcv.close);
    // Every 1m bar was closed by its timer in order, none by a later tick.
    for (std::size_t k = 0; k < bars.size(); ++k) {
        EXPECT_EQ(bars.at(k).missed_timers(), 0u);
        EXPECT_GT(bars.at(k).outside_session(), 0u);
    }
}

TEST(MultiTimeframeBars, TimersRouteByIntervalAndUnknownOnesAreCounted) {
    const std::vector<std::uint32_t> intervals = {1, 15};
    MultiTimeframeBars bars(kUs, intervals);
    bars.on_trade(at(kUs, kMon, 9, 30, 1), px(5), qty(1));
    EXPECT_FALSE(bars.on_timer(60, at(kUs, kMon, 10, 30)));
    EXPECT_EQ(bars.unknown_interval_timers(), 1u);
    EXPECT_FALSE(bars.on_timer(15, at(kUs, kMon, 9, 31)));  // the 15m bar is not due
    const std::optional<Bar> one = bars.on_timer(1, at(kUs, kMon, 9, 31));
    ASSERT_TRUE(one);
    EXPECT_EQ(one->interval_minutes, 1u);
    ASSERT_NE(bars.find(15), nullptr);
    EXPECT_TRUE(bars.find(15)->has_open_bar());
    EXPECT_EQ(bars.find(60), nullptr);
}

TEST(MultiTimeframeBars, AllDaySessionBarsCrossMidnight) {
    const TradingSession fx = TradingSession::all_day();
    const std::vector<std::uint32_t> intervals = {60, 1440};
    MultiTimeframeBars bars(fx, intervals);
    TimerDriver driver(fx, intervals, at(fx, kMon, 23, 0));
    std::vector<Bar> out;
    const std::int64_t before = at(fx, kMon, 23, 59, 30);
    const std::int64_t after = at(fx, kMon + 1, 0, 0, 30);
    driver.advance_to(before, bars, out);
    bars.on_trade(before, px(10), qty(1));
    driver.advance_to(after, bars, out);
    bars.on_trade(after, px(11), qty(2));
    driver.advance_to(at(fx, kMon + 2, 0, 0), bars, out);
    // Monday 23:00-00:00 and Tuesday 00:00-01:00, then Monday's and Tuesday's day bars.
    ASSERT_EQ(out.size(), 4u);
    EXPECT_EQ(out[0].interval_minutes, 60u);
    EXPECT_EQ(out[0].close_ns, at(fx, kMon + 1, 0, 0));
    EXPECT_EQ(out[0].ohlcv.close, px(10));
    EXPECT_EQ(out[1].interval_minutes, 1440u);
    EXPECT_EQ(out[1].start_ns, at(fx, kMon, 0, 0));
    EXPECT_EQ(out[1].close_ns, at(fx, kMon + 1, 0, 0));
    EXPECT_EQ(out[1].ohlcv.volume, qty(1));
    EXPECT_EQ(out[2].interval_minutes, 60u);
    EXPECT_EQ(out[2].start_ns, at(fx, kMon + 1, 0, 0));
    EXPECT_EQ(out[2].ohlcv.open, px(11));
    EXPECT_EQ(out[3].interval_minutes, 1440u);
    EXPECT_EQ(out[3].ohlcv.volume, qty(2));
}

TEST(MultiTimeframeBars, WeekendsAreSkipped) {
    const TradingSession fx = TradingSession::all_day();  // Monday to Friday
    const std::vector<std::uint32_t> intervals = {60};
    MultiTimeframeBars bars(fx, intervals);
    const std::int64_t friday = kMon + 4;
    TimerDriver driver(fx, intervals, at(fx, friday, 22, 0));
    std::vector<Bar> out;
    for (const std::int64_t t : {at(fx, friday, 23, 30), at(fx, friday + 1, 12, 0),
                                 at(fx, friday + 2, 23, 59), at(fx, kMon + 7, 0, 10)}) {
        driver.advance_to(t, bars, out);
        bars.on_trade(t, px(1), qty(1));
    }
    driver.advance_to(at(fx, kMon + 7, 1, 0), bars, out);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].close_ns, at(fx, friday + 1, 0, 0));
    EXPECT_EQ(out[1].start_ns, at(fx, kMon + 7, 0, 0));
    EXPECT_EQ(bars.at(0).outside_session(), 2u);
    // The timer after Friday's last bar is Monday's first.
    EXPECT_EQ(next_bar_close_ns(fx, 60, at(fx, friday + 1, 0, 0)), at(fx, kMon + 7, 1, 0));
}

TEST(MultiTimeframeBars, TicksAndTimersDoNotAllocate) {
    const std::vector<std::uint32_t> intervals = {1, 5, 15, 60, 1440};
    MultiTimeframeBars bars(kUs, intervals);
    int emitted = 0;
    {
        // In builds with the allocation guard, any allocation here aborts the test.
        HotScope hot;
        for (int m = 0; m < 390; ++m) {
            const std::int64_t t = at(kUs, kMon, 9, 30) + m * kNsPerMinute;
            bars.on_trade(t + kNsPerSecond, px(100 + m % 7), qty(1));
            bars.on_quote(t + 2 * kNsPerSecond, px(99), px(101));
            for (const std::uint32_t i : intervals) {
                while (bars.on_timer(i, t + kNsPerMinute))
                    ++emitted;
            }
        }
    }
    EXPECT_EQ(emitted, 390 + 78 + 26 + 7 + 1);
}

TEST(BarAggregator, MakeBarEventCarriesIntervalAndCloseTime) {
    Bar bar{};
    bar.ohlcv.close = px(3);
    bar.close_ns = 123;
    bar.interval_minutes = 15;
    const Event e = make_bar_event(bar, Source::engine, 9, 4);
    EXPECT_EQ(e.header.type, EventType::bar);
    EXPECT_EQ(e.header.aux, 15);
    EXPECT_EQ(e.header.ts_ns, 123);
    EXPECT_EQ(e.header.symbol, 4u);
    EXPECT_EQ(e.payload.bar.close, px(3));
}
