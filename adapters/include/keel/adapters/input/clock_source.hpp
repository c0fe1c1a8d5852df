// ClockSource: the clock of a live session in wall time (live.time "wall"). Its own thread
// queues a `clock` input every tick (live.clock_tick_ms), stamped with the wall clock by the
// queue (LiveInputQueue::set_wall_clock), so ingest's timers (bar closes, session open and
// close, before-close, and what hangs on them: DAY expiry, daily resets, the flatten before the
// close) fire when their time comes even if nothing else arrives. Ingest journals each tick
// like any input: replay and restart recovery read the tick, never the clock.
//
// Journal volume: a tick is skipped when any other input was queued since the last one (that
// input advanced engine time already), so a busy feed adds no ticks and a quiet session adds
// one small record per tick (10 a second at the default 100 ms, about 100 bytes each). Engine
// time then lags the wall clock by at most about two ticks when nothing else arrives.
//
// Not a pipeline stage: an adapter thread like the feed client's, started after the other
// adapters and stopped with them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "keel/adapters/input/live_input_queue.hpp"

namespace keel::adapters {

class ClockSource {
  public:
    ClockSource(LiveInputQueue& queue, std::chrono::milliseconds tick) noexcept
        : queue_(queue), tick_(tick) {}
    ~ClockSource() { stop(); }
    ClockSource(const ClockSource&) = delete;
    ClockSource& operator=(const ClockSource&) = delete;

    void start();
    // Idempotent; joins the thread.
    void stop() noexcept;

    // Ticks queued; ticks skipped (another input came first); ticks the queue refused (full
    // or closed: inputs are flowing, or the session is stopping).
    [[nodiscard]] std::uint64_t ticks() const noexcept {
        return ticks_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t skipped() const noexcept {
        return skipped_.load(std::memory_order_relaxed);
    }
    [[nodiscard]] std::uint64_t refused() const noexcept {
        return refused_.load(std::memory_order_relaxed);
    }

  private:
    void run();

    LiveInputQueue& queue_;
    const std::chrono::milliseconds tick_;
    std::atomic<std::uint64_t> ticks_{0};
    std::atomic<std::uint64_t> skipped_{0};
    std::atomic<std::uint64_t> refused_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace keel::adapters
