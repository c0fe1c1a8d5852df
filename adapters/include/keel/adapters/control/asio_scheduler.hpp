// AsioScheduler: the Scheduler on a Boost.Asio io_context (the HTTP server's), one steady_timer
// per task. Tasks run on whichever thread runs the io_context.
#pragma once

#include "keel/adapters/control/scheduler.hpp"

namespace boost::asio {
class io_context;
}

namespace keel::adapters::control {

class AsioScheduler final : public Scheduler {
  public:
    explicit AsioScheduler(boost::asio::io_context& io) noexcept : io_(io) {}
    [[nodiscard]] Clock::time_point now() const override { return Clock::now(); }
    void after(Clock::duration delay, std::function<void()> task) override;

  private:
    boost::asio::io_context& io_;
};

}  // namespace keel::adapters::control
