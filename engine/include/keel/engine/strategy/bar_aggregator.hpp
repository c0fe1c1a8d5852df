// BarAggregator: time bars of one interval for one symbol, built from trades (price, size) or
// quotes (mid price, no volume), aligned to the trading session, closed by timers.
//
// Bars close on a bar_close timer, not on the next tick: ingest makes the timer from event time
// (next_bar_close_ns) and sequences it before any tick at or after the close, so a bar is
// complete at its close time even when the market goes quiet. A bar that saw no tick is not
// emitted: it has no price to report, and inventing one (the previous close) is a policy that
// belongs to the consumer, which sees the gap as a missing close time.
//
// MultiTimeframeBars owns one aggregator per interval for one symbol and routes ticks to all
// and each timer (header.aux = interval minutes) to its interval's aggregator.
//
// Nothing allocates after construction; every call is O(1) (MultiTimeframeBars: O(intervals)).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/trading_session.hpp"

namespace keel::engine {

struct Bar {
    BarPayload ohlcv;
    std::int64_t start_ns;  // the bar's aligned start, not its first tick
    std::int64_t close_ns;  // exclusive end: start + interval, or the session close
    std::uint32_t interval_minutes;
    std::uint32_t ticks;  // trades and quotes that went into it
};

// The bar as a market-data event (type bar, header.aux = interval, ts = the close time).
[[nodiscard]] Event make_bar_event(const Bar& bar, Source source, std::uint64_t seq,
                                   SymbolId symbol) noexcept;

class BarAggregator {
  public:
    // session must be valid (validate()); interval_minutes >= 1.
    BarAggregator(const TradingSession& session, std::uint32_t interval_minutes) noexcept;

    // A size of kSizeUnknown (the data gave none) adds nothing to the bar's volume.
    void on_trade(std::int64_t ts_ns, Price price, Quantity size) noexcept;
    // Mid price (bid + ask) / 2, rounded toward negative infinity at 1e-9; a one-sided or
    // empty quote (a side <= 0) carries no mid and is counted in bad_quotes().
    void on_quote(std::int64_t ts_ns, Price bid, Price ask) noexcept;

    // Closes and returns the oldest finished bar whose close is <= close_ts, or nullopt (no bar
    // is due, or the due bar saw no tick). Ticks before close_ts are late from now on.
    // Callers loop until nullopt: normally one bar comes out, but after a missed timer (a tick
    // that arrived at or past the open bar's close) two may be due.
    [[nodiscard]] std::optional<Bar> on_timer(std::int64_t close_ts_ns) noexcept;

    [[nodiscard]] std::uint32_t interval_minutes() const noexcept { return interval_minutes_; }
    [[nodiscard]] const TradingSession& session() const noexcept { return session_; }
    // Whether a bar is open (has seen a tick and not closed yet).
    [[nodiscard]] bool has_open_bar() const noexcept { return open_.has_value(); }

    // Ticks outside every session, ignored.
    [[nodiscard]] std::uint64_t outside_session() const noexcept { return outside_session_; }
    // Ticks older than a bar already closed by a timer or than the open bar's start, ignored.
    [[nodiscard]] std::uint64_t late_ticks() const noexcept { return late_ticks_; }
    [[nodiscard]] std::uint64_t bad_quotes() const noexcept { return bad_quotes_; }
    // Ticks that arrived at or after the open bar's close before its timer: the bar was put
    // aside for the next timer. Zero when the timer source keeps its contract.
    [[nodiscard]] std::uint64_t missed_timers() const noexcept { return missed_timers_; }
    // Finished bars overwritten because two timers in a row were missed.
    [[nodiscard]] std::uint64_t dropped_bars() const noexcept { return dropped_bars_; }

  private:
    void on_price(std::int64_t ts_ns, Price price, Quantity size) noexcept;
    static void extend(Bar& bar, Price price, Quantity size) noexcept;

    TradingSession session_;
    std::uint32_t interval_minutes_;
    // Ticks before this time belong to bars that a timer has already closed.
    std::int64_t watermark_ns_ = INT64_MIN;
    std::optional<Bar> open_;
    // A bar past its close whose timer has not come yet (see missed_timers).
    std::optional<Bar> finished_;
    std::uint64_t outside_session_ = 0;
    std::uint64_t late_ticks_ = 0;
    std::uint64_t bad_quotes_ = 0;
    std::uint64_t missed_timers_ = 0;
    std::uint64_t dropped_bars_ = 0;
};

class MultiTimeframeBars {
  public:
    static constexpr std::size_t kMaxIntervals = 8;

    // intervals: distinct, each >= 1, at most kMaxIntervals.
    MultiTimeframeBars(const TradingSession& session, std::span<const std::uint32_t> intervals);

    void on_trade(std::int64_t ts_ns, Price price, Quantity size) noexcept;
    void on_quote(std::int64_t ts_ns, Price bid, Price ask) noexcept;
    // The timer's interval (header.aux) picks the aggregator; same contract as
    // BarAggregator::on_timer (loop until nullopt). An interval not held is counted.
    [[nodiscard]] std::optional<Bar> on_timer(std::uint32_t interval_minutes,
                                              std::int64_t close_ts_ns) noexcept;

    [[nodiscard]] std::size_t size() const noexcept { return aggregators_.size(); }
    [[nodiscard]] const BarAggregator& at(std::size_t i) const noexcept { return aggregators_[i]; }
    // The aggregator for an interval, or nullptr.
    [[nodiscard]] const BarAggregator* find(std::uint32_t interval_minutes) const noexcept;
    [[nodiscard]] std::uint64_t unknown_interval_timers() const noexcept {
        return unknown_interval_timers_;
    }

  private:
    std::vector<BarAggregator> aggregators_;  // sized once in the constructor
    std::uint64_t unknown_interval_timers_ = 0;
};

}  // namespace keel::engine
