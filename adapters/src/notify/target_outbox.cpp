#include "keel/adapters/notify/target_outbox.hpp"

#include "keel/assert.hpp"

namespace keel::adapters::notify {

TargetOutbox::TargetOutbox(std::size_t capacity, Backoff backoff)
    : capacity_(capacity), backoff_(backoff) {
    KEEL_ASSERT(capacity_ >= 2, "a notify outbox holds at least two notifications");
}

bool TargetOutbox::offer(Notification n) {
    seal_overflow();
    if (overflow_total_ == 0 && queue_.size() < capacity_) {
        queue_.push_back(std::move(n));
        return true;
    }
    lost(n.kind, 1, n.seq, n.ts_ns);
    return false;
}

void TargetOutbox::lost(NotifyKind k, std::uint64_t count, std::uint64_t last_seq,
                        std::int64_t ts_ns) {
    if (count == 0)
        return;
    overflow_[static_cast<std::size_t>(k)] += count;
    overflow_total_ += count;
    overflow_last_seq_ = std::max(overflow_last_seq_, last_seq);
    overflow_ts_ns_ = std::max(overflow_ts_ns_, ts_ns);
}

void TargetOutbox::seal_overflow() {
    if (overflow_total_ == 0 || queue_.size() >= capacity_)
        return;
    queue_.push_back(summarize(overflow_, overflow_last_seq_, overflow_ts_ns_));
    overflow_ = {};
    overflow_total_ = 0;
}

const Notification* TargetOutbox::due(std::uint64_t now_ms) {
    seal_overflow();
    if (queue_.empty() || now_ms < next_attempt_ms_)
        return nullptr;
    return &queue_.front();
}

RetryDecision TargetOutbox::settle(unsigned status, std::string_view retry_after,
                                   std::string_view body, std::uint64_t now_ms) {
    KEEL_ASSERT(!queue_.empty(), "settle without an attempt");
    const RetryDecision d = decide(status, retry_after, body, failures_, backoff_);
    if (d.verdict == Verdict::retry) {
        // A 429 is the service pacing us, not a failure of the endpoint: it does not grow the
        // backoff.
        if (!d.rate_limited)
            ++failures_;
        next_attempt_ms_ = now_ms + d.delay_ms;
        return d;
    }
    failures_ = 0;
    next_attempt_ms_ = 0;
    queue_.pop_front();
    seal_overflow();
    return d;
}

}  // namespace keel::adapters::notify
