// TokenBucket: a message-rate throttle driven by event time, so replay refills it exactly as
// the live run did. Tokens are counted in billionths so that a refill of rate tokens per second
// is rate billionths per nanosecond: integer arithmetic, no rounding drift.
#pragma once

#include <cstdint>

namespace keel::engine {

class TokenBucket {
  public:
    static constexpr std::int64_t kUnit = 1'000'000'000;  // one token, in billionths

    // rate_per_s = 0 turns the bucket off; burst 0 holds one token. The tokens held are kept
    // (capped at the new burst), so a limit change neither grants nor takes a burst.
    void configure(std::int64_t rate_per_s, std::int64_t burst) noexcept {
        rate_ = rate_per_s;
        capacity_ = (burst > 0 ? burst : 1) * kUnit;
        if (tokens_ > capacity_)
            tokens_ = capacity_;
    }
    [[nodiscard]] bool enabled() const noexcept { return rate_ > 0; }

    // Refills up to now_ns, then says whether a whole token is there. The first call finds the
    // bucket full.
    [[nodiscard]] bool available(std::int64_t now_ns) noexcept {
        refill(now_ns);
        return tokens_ >= kUnit;
    }
    // Takes one token; call only after available() said yes.
    void take() noexcept { tokens_ -= kUnit; }
    [[nodiscard]] std::int64_t tokens_billionths() const noexcept { return tokens_; }

  private:
    void refill(std::int64_t now_ns) noexcept {
        if (!started_) {
            started_ = true;
            last_ns_ = now_ns;
            tokens_ = capacity_;
            return;
        }
        if (now_ns <= last_ns_)
            return;  // event time never goes back; equal times add nothing
        std::int64_t elapsed = now_ns - last_ns_;
        last_ns_ = now_ns;
        // Cap elapsed before multiplying: past the time a full refill takes, more adds nothing,
        // and the cap keeps elapsed * rate inside int64.
        const std::int64_t full_after = capacity_ / rate_ + 1;
        if (elapsed > full_after)
            elapsed = full_after;
        tokens_ += elapsed * rate_;
        if (tokens_ > capacity_)
            tokens_ = capacity_;
    }

    std::int64_t rate_ = 0;  // tokens per second = billionths per nanosecond
    std::int64_t capacity_ = kUnit;
    std::int64_t tokens_ = 0;
    std::int64_t last_ns_ = 0;
    bool started_ = false;
};

}  // namespace keel::engine
