#include "keel/adapters/input/clock_source.hpp"

#include <pthread.h>

namespace keel::adapters {

void ClockSource::start() {
    thread_ = std::thread([this] { run(); });
    (void)pthread_setname_np(thread_.native_handle(), "keel-clock");
}

void ClockSource::stop() noexcept {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void ClockSource::run() {
    using Clock = std::chrono::steady_clock;
    // Queued inputs so far: when another producer has queued one since the last tick, engine
    // time has moved already and this tick is skipped.
    std::uint64_t seen = queue_.submitted();
    Clock::time_point next = Clock::now();
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        next += tick_;
        if (wake_.wait_until(lock, next, [this] { return stopping_; }))
            return;
        // A stall (a suspended machine) resumes the cadence from now, not with a burst.
        if (const Clock::time_point now = Clock::now(); now - next > tick_)
            next = now;
        if (const std::uint64_t queued = queue_.submitted(); queued != seen) {
            seen = queued;
            skipped_.fetch_add(1, std::memory_order_relaxed);
            continue;
        }
        // ts 0: the queue stamps it with the wall clock (live.time "wall").
        const engine::Event tick = engine::make_event(
            engine::EventType::clock, engine::Source::clock, 0, 0, engine::kNoSymbol);
        if (queue_.submit(tick))
            ticks_.fetch_add(1, std::memory_order_relaxed);
        else
            refused_.fetch_add(1, std::memory_order_relaxed);
        seen = queue_.submitted();
    }
}

}  // namespace keel::adapters
