// StalenessTracker: per-symbol market-data staleness from wall-clock receipt times. Pure: the
// caller passes the clock in (the feed client reads its steady clock on its own thread and
// checks on a timer), so every transition is tested without waiting.
//
// Every watched symbol starts fresh at start(now). A symbol whose last message (or the start,
// if none came yet) is older than stale_after_ms at a check becomes stale, once; the next
// message for it makes it fresh again, once. Only transitions are reported.
#pragma once

#include <cstdint>
#include <vector>

#include "keel/engine/core/event.hpp"

namespace keel::adapters::feed {

struct StalenessChange {
    engine::SymbolId symbol;
    engine::FeedState state;       // stale or fresh
    std::int64_t last_data_ts_ns;  // event time of the symbol's last message, 0 = none yet
};

class StalenessTracker {
  public:
    // Watches symbols 0..symbol_count-1. stale_after_ms 0 turns staleness off.
    StalenessTracker(std::size_t symbol_count, std::uint32_t stale_after_ms);

    // The clock the age of "no message yet" counts from.
    void start(std::int64_t now_ns) noexcept;
    // A message for symbol was received at now_ns, carrying event time event_ts_ns. Returns
    // true when the symbol was stale (it is fresh again: report it).
    [[nodiscard]] bool on_data(engine::SymbolId symbol, std::int64_t now_ns,
                               std::int64_t event_ts_ns) noexcept;
    // Appends a change for each symbol that went stale since the last check.
    void check(std::int64_t now_ns, std::vector<StalenessChange>& out);

    [[nodiscard]] bool stale(engine::SymbolId symbol) const noexcept;
    [[nodiscard]] std::int64_t last_data_ts_ns(engine::SymbolId symbol) const noexcept;
    [[nodiscard]] std::uint32_t stale_after_ms() const noexcept { return stale_after_ms_; }
    [[nodiscard]] std::size_t size() const noexcept { return symbols_.size(); }

  private:
    struct State {
        std::int64_t last_receipt_ns = 0;
        std::int64_t last_data_ts_ns = 0;
        bool stale = false;
    };
    std::vector<State> symbols_;
    std::uint32_t stale_after_ms_;
};

}  // namespace keel::adapters::feed
