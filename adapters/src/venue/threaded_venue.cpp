#include "keel/adapters/venue/threaded_venue.hpp"

#include <pthread.h>
#include <sched.h>

#include "keel/assert.hpp"
#include "keel/engine/core/alloc_guard.hpp"
#include "keel/engine/core/crash_point.hpp"

namespace keel::adapters {

ThreadedVenue::ThreadedVenue(engine::VenueChannel& channel, engine::ReplySink& before_start,
                             const Options& options)
    : channel_(channel), options_(options), sink_(channel, before_start) {}

ThreadedVenue::~ThreadedVenue() { stop(); }

void ThreadedVenue::start() {
    KEEL_ASSERT(inner_ != nullptr, "a threaded venue needs its inner venue");
    KEEL_ASSERT(!started_, "a threaded venue starts once");
    sink_.live_ = true;
    sink_.wall_clock_ = options_.wall_clock;
    started_ = true;
    thread_ = std::thread([this] { body(); });
    (void)pthread_setname_np(thread_.native_handle(), "keel-venue");
}

void ThreadedVenue::stop() noexcept {
    if (!thread_.joinable())
        return;
    stop_.store(true, std::memory_order_release);
    channel_.close();  // an adapter waiting for room in the reply queue gives up
    thread_.join();
}

void ThreadedVenue::submit(const engine::Event& order_sent) noexcept {
    if (started_)
        channel_.push_request(order_sent);
    else
        inner_->submit(order_sent);
}

void ThreadedVenue::on_market_data(const engine::Event& event) noexcept {
    if (!options_.market_data)
        return;
    if (started_)
        channel_.push_request(event);
    else
        inner_->on_market_data(event);
}

std::optional<std::vector<engine::VenueOpenOrder>> ThreadedVenue::query_open_orders() const {
    KEEL_ASSERT(!thread_.joinable(), "the open-order query is asked before the adapter starts");
    return inner_->query_open_orders();
}

void ThreadedVenue::body() noexcept {
    const auto handle = [this](const engine::Event& e) {
        if (e.header.type == engine::EventType::order_sent) {
            inner_->submit(e);
            // Sent (for the simulator: answered, its replies queued), nothing journaled yet.
            engine::crash_point(engine::CrashPoint::venue_sent);
        } else {
            inner_->on_market_data(e);
        }
    };
    if (polled_ != nullptr)
        polled_->on_thread_start();
    std::optional<engine::HotScope> hot;
    if (options_.hot)
        hot.emplace();
    int idle_spins = 0;
    while (!stop_.load(std::memory_order_acquire)) {
        const bool requests = channel_.take_requests(handle, 64) > 0;
        const bool io = polled_ != nullptr && polled_->poll();
        if (requests || io) {
            idle_spins = 0;
            continue;
        }
        switch (options_.idle) {
            case engine::IdleKind::busy_spin:
                engine::cpu_relax();
                break;
            case engine::IdleKind::yield:
                sched_yield();
                break;
            case engine::IdleKind::backoff:
            case engine::IdleKind::park:
                if (++idle_spins < engine::IdleStrategy::kMaxSpins) {
                    engine::cpu_relax();
                } else {
                    channel_.park(options_.park_ns);
                    idle_spins = 0;
                }
                break;
        }
    }
    hot.reset();
    if (polled_ != nullptr)
        polled_->on_thread_stop();
}

}  // namespace keel::adapters
