// AsioScheduler: the Scheduler on a Boost.Asio io_context (the HTTP server's), one steady_timer
// per task. Tasks run on whichever thread runs the io_context.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <utility>

#include "keel/adapters/control/scheduler.hpp"

namespace keel::adapters::control {

class AsioScheduler final : public Scheduler {
  public:
    explicit AsioScheduler(boost::asio::io_context& io) : io_(io.get_executor()) {}
    // The executor of a server's io_context (http::HttpServer::executor()).
    explicit AsioScheduler(boost::asio::any_io_executor io) : io_(std::move(io)) {}
    [[nodiscard]] Clock::time_point now() const override { return Clock::now(); }
    void after(Clock::duration delay, std::function<void()> task) override;

  private:
    boost::asio::any_io_executor io_;
};

}  // namespace keel::adapters::control
