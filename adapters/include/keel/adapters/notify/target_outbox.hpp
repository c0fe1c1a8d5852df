// TargetOutbox: one notify target's queue, in event order, bounded. When it is full, what
// arrives is counted by kind instead of queued (the overflow), and as soon as there is room
// again one summary takes the place of all of it ("37 fills not sent") before anything newer,
// so the target's messages stay in sequence order and nothing vanishes without a word. The
// head is attempted until it is delivered or refused for good (retry_policy.hpp), waiting what
// a 429 asked or the backoff's delay in between. No thread, no clock: the outbox passes the
// time in, so the tests drive it step by step.
#pragma once

#include <array>
#include <cstdint>
#include <deque>

#include "keel/adapters/notify/notification.hpp"
#include "keel/adapters/notify/retry_policy.hpp"

namespace keel::adapters::notify {

class TargetOutbox {
  public:
    // capacity: notifications waiting at most (at least 2: one more for the summary).
    TargetOutbox(std::size_t capacity, Backoff backoff);

    // A notification for this target, newer than every one offered before. False when the
    // outbox was full and it was counted in the overflow instead.
    bool offer(Notification n);
    // count notifications of kind k that never reached the outbox (the tap's ring was full),
    // the newest of them at or before last_seq: the next summary reports them.
    void lost(NotifyKind k, std::uint64_t count, std::uint64_t last_seq, std::int64_t ts_ns);
    // The notification to attempt at now_ms, or null (nothing queued, or waiting to retry).
    [[nodiscard]] const Notification* due(std::uint64_t now_ms);
    // The head's attempt came back with this status (0: no answer): pops it when delivered
    // or given up, else schedules the next attempt. The decision says which.
    RetryDecision settle(unsigned status, std::string_view retry_after, std::string_view body,
                         std::uint64_t now_ms);

    [[nodiscard]] std::size_t depth() const noexcept { return queue_.size(); }
    [[nodiscard]] bool overflow_pending() const noexcept { return overflow_total_ > 0; }
    // When the head may next be attempted (ms, the outbox's clock); 0: now.
    [[nodiscard]] std::uint64_t next_attempt_ms() const noexcept { return next_attempt_ms_; }
    [[nodiscard]] std::uint32_t failures() const noexcept { return failures_; }

  private:
    // Queues the overflow's summary when there is room for it.
    void seal_overflow();

    std::size_t capacity_;
    Backoff backoff_;
    std::deque<Notification> queue_;
    std::array<std::uint64_t, kNotifyKinds> overflow_{};
    std::uint64_t overflow_total_ = 0;
    std::uint64_t overflow_last_seq_ = 0;
    std::int64_t overflow_ts_ns_ = 0;
    std::uint64_t next_attempt_ms_ = 0;
    std::uint32_t failures_ = 0;  // consecutive failed attempts
};

}  // namespace keel::adapters::notify
