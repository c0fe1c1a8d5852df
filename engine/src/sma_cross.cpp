#include "keel/engine/sma_cross.hpp"

#include "keel/engine/assert.hpp"

namespace keel::engine {

SmaCross::SmaCross(const SmaCrossParams& params) : params_(params), window_(params.slow, 0) {
    KEEL_ASSERT(params.fast >= 1 && params.fast < params.slow, "sma_cross needs 1 <= fast < slow");
    KEEL_ASSERT(params.quantity.raw > 0, "sma_cross quantity must be positive");
}

OrderIntent SmaCross::on_price(Price price) noexcept {
    last_cross_ = 0;
    const std::uint64_t slow = params_.slow;
    const std::uint64_t fast = params_.fast;
    const std::size_t slot = count_ % slow;
    // The price leaving the fast window is `fast` places back; the one leaving the slow window
    // is the one this slot held.
    if (count_ >= fast)
        fast_sum_ -= window_[(count_ - fast) % slow];
    if (count_ >= slow)
        slow_sum_ -= window_[slot];
    window_[slot] = price.raw;
    fast_sum_ += price.raw;
    slow_sum_ += price.raw;
    ++count_;
    if (count_ < slow)
        return {};

    const i128 lhs = fast_sum_ * static_cast<i128>(slow);
    const i128 rhs = slow_sum_ * static_cast<i128>(fast);
    const int cmp = lhs > rhs ? 1 : (lhs < rhs ? -1 : 0);
    const bool was_defined = prev_defined_;
    const int prev = prev_cmp_;
    prev_cmp_ = cmp;
    prev_defined_ = true;
    if (!was_defined)
        return {};

    if (prev <= 0 && cmp > 0)
        last_cross_ = 1;
    else if (prev >= 0 && cmp < 0)
        last_cross_ = -1;

    const std::int64_t expected = position_ + in_flight_;
    const std::int64_t q = params_.quantity.raw;
    if (last_cross_ > 0) {  // cross up
        if (expected == 0)
            return {Side::buy, Quantity::from_raw(q)};
        if (expected < 0)
            return {Side::buy, Quantity::from_raw(-expected + q)};
    } else if (last_cross_ < 0) {  // cross down
        if (expected > 0) {
            return {Side::sell, Quantity::from_raw(expected + (params_.allow_short ? q : 0))};
        }
        if (expected == 0 && params_.allow_short)
            return {Side::sell, Quantity::from_raw(q)};
    }
    return {};
}

}  // namespace keel::engine
