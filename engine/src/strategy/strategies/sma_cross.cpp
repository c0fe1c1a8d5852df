#include "keel/engine/strategy/strategies/sma_cross.hpp"

#include "keel/assert.hpp"

namespace keel::engine {

SmaCrossSignal::SmaCrossSignal(std::uint32_t fast, std::uint32_t slow)
    : fast_(fast), slow_(slow), window_(slow, 0) {
    KEEL_ASSERT(fast >= 1 && fast < slow, "sma_cross needs 1 <= fast < slow");
}

int SmaCrossSignal::update(Price close) noexcept {
    const std::uint64_t slow = slow_;
    const std::uint64_t fast = fast_;
    const std::size_t slot = count_ % slow;
    // The close leaving the fast window is `fast` places back; the one leaving the slow window
    // is the one this slot held.
    if (count_ >= fast)
        fast_sum_ -= window_[(count_ - fast) % slow];
    if (count_ >= slow)
        slow_sum_ -= window_[slot];
    window_[slot] = close.raw;
    fast_sum_ += close.raw;
    slow_sum_ += close.raw;
    ++count_;
    if (count_ < slow)
        return 0;
    const i128 lhs = fast_sum_ * static_cast<i128>(slow);
    const i128 rhs = slow_sum_ * static_cast<i128>(fast);
    const int cmp = lhs > rhs ? 1 : (lhs < rhs ? -1 : 0);
    const bool was_defined = prev_defined_;
    const int prev = prev_cmp_;
    prev_cmp_ = cmp;
    prev_defined_ = true;
    if (!was_defined)
        return 0;
    if (prev <= 0 && cmp > 0)
        return 1;
    if (prev >= 0 && cmp < 0)
        return -1;
    return 0;
}

SmaCrossStrategy::SmaCrossStrategy(const SmaCrossParams& params)
    : Strategy({params.symbol}),
      params_(params),
      signal_(params.fast, params.slow),
      atr_(params.atr_period) {}

std::vector<std::uint32_t> SmaCrossStrategy::bar_intervals() const {
    if (params_.interval_minutes == 0)
        return {};
    return {params_.interval_minutes};
}

void SmaCrossStrategy::on_bar(const BarView& bar, Intents& out) noexcept {
    if (bar.symbol != params_.symbol ||
        (params_.interval_minutes != 0 && bar.interval_minutes != params_.interval_minutes))
        return;
    atr_.update(bar.bar.high, bar.bar.low, bar.bar.close);
    const int cross = signal_.update(bar.bar.close);
    if (cross == 0)
        return;
    const std::int64_t expected = out.view().expected_raw(params_.symbol);
    const Quantity size = params_.sizing.quantity_for(bar.bar.close, out.view().account().equity(),
                                                      indicator_price(atr_.value()));
    Reason skipped = Reason::none;
    std::int64_t target = expected;
    if (cross > 0) {
        if (expected > 0)
            skipped = Reason::already_long;
        else
            target = size.raw;
    } else {
        if (expected < 0)
            skipped = Reason::already_short;
        else if (expected == 0 && !params_.allow_short)
            skipped = Reason::already_flat;
        else
            target = params_.allow_short ? -size.raw : 0;
    }
    // Opening needs a size; closing to flat does not.
    if (skipped == Reason::none && target != 0 && size.raw <= 0) {
        skipped = Reason::no_size;
        target = expected;
    }
    out.note(static_cast<std::int8_t>(cross), cross, AlertAction::none, skipped);
    if (target != expected)
        out.target(params_.symbol, target);
}

}  // namespace keel::engine
