#include "keel/adapters/control/asio_scheduler.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>

namespace keel::adapters::control {

void AsioScheduler::after(Clock::duration delay, std::function<void()> task) {
    // The timer keeps itself alive through the handler it waits with. A canceled wait (the
    // io_context stopping) drops the task without running it.
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, delay);
    timer->async_wait([timer, task = std::move(task)](const boost::system::error_code& ec) {
        if (!ec)
            task();
    });
}

}  // namespace keel::adapters::control
