#include "keel/adapters/feed/staleness_tracker.hpp"

namespace keel::adapters::feed {

StalenessTracker::StalenessTracker(std::size_t symbol_count, std::uint32_t stale_after_ms)
    : symbols_(symbol_count), stale_after_ms_(stale_after_ms) {}

void StalenessTracker::start(std::int64_t now_ns) noexcept {
    for (State& s : symbols_)
        s.last_receipt_ns = now_ns;
}

bool StalenessTracker::on_data(engine::SymbolId symbol, std::int64_t now_ns,
                               std::int64_t event_ts_ns) noexcept {
    if (symbol >= symbols_.size())
        return false;
    State& s = symbols_[symbol];
    s.last_receipt_ns = now_ns;
    s.last_data_ts_ns = event_ts_ns;
    const bool was_stale = s.stale;
    s.stale = false;
    return was_stale;
}

void StalenessTracker::check(std::int64_t now_ns, std::vector<StalenessChange>& out) {
    if (stale_after_ms_ == 0)
        return;
    const std::int64_t limit_ns = static_cast<std::int64_t>(stale_after_ms_) * 1'000'000;
    for (std::size_t i = 0; i < symbols_.size(); ++i) {
        State& s = symbols_[i];
        if (s.stale || now_ns - s.last_receipt_ns <= limit_ns)
            continue;
        s.stale = true;
        out.push_back(
            {static_cast<engine::SymbolId>(i), engine::FeedState::stale, s.last_data_ts_ns});
    }
}

bool StalenessTracker::stale(engine::SymbolId symbol) const noexcept {
    return symbol < symbols_.size() && symbols_[symbol].stale;
}

std::int64_t StalenessTracker::last_data_ts_ns(engine::SymbolId symbol) const noexcept {
    return symbol < symbols_.size() ? symbols_[symbol].last_data_ts_ns : 0;
}

}  // namespace keel::adapters::feed
