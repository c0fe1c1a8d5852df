// Scheduler: how the control API waits without blocking the server's I/O thread. A command is
// answered only once its input is durable, so the handler polls the InputPort's fate() later,
// from a task the scheduler runs on the same thread (asio_scheduler.hpp: a steady_timer on the
// server's io_context). Tests drive a manual scheduler with a manual clock.
#pragma once

#include <chrono>
#include <functional>

namespace keel::adapters::control {

class Scheduler {
  public:
    using Clock = std::chrono::steady_clock;
    virtual ~Scheduler() = default;
    [[nodiscard]] virtual Clock::time_point now() const = 0;
    // Runs task once, no sooner than delay from now. Never runs it inline.
    virtual void after(Clock::duration delay, std::function<void()> task) = 0;
};

}  // namespace keel::adapters::control
