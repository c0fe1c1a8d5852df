#include "keel/replay/assembly/record_keeper.hpp"

#include <utility>

namespace keel::replay {

RecordKeeper::RecordKeeper(std::size_t accounts, std::size_t ring_capacity) : slots_(accounts) {
    for (Slot& s : slots_) {
        s.points = std::make_unique<engine::SpscRing<engine::EquityPoint>>(ring_capacity);
        s.trips = std::make_unique<engine::SpscRing<engine::RoundTrip>>(ring_capacity);
    }
}

RecordKeeper::~RecordKeeper() {
    stop();
}

void RecordKeeper::attach(std::size_t k, engine::Account& account, engine::EquitySampling sampling,
                          std::size_t pending) {
    Slot& s = slots_.at(k);
    account.reserve_records(sampling, pending, pending);
    account.hand_records_to(*s.points, *s.trips);
    s.account = &account;
}

void RecordKeeper::start() {
    thread_ = std::thread([this] { loop(); });
}

void RecordKeeper::loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
        lock.unlock();
        drain();
        lock.lock();
        cv_.wait_for(lock, kDrainPeriod, [this] { return stopping_; });
    }
}

void RecordKeeper::stop() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable())
        thread_.join();
    drain();
}

void RecordKeeper::drain() {
    // Appending grows the storage: this is the cold side, where allocating is the point.
    for (Slot& s : slots_) {
        s.points->consume_batch([&s](const engine::EquityPoint& p) { s.kept_points.push_back(p); },
                                s.points->capacity());
        s.trips->consume_batch([&s](const engine::RoundTrip& t) { s.kept_trips.push_back(t); },
                               s.trips->capacity());
    }
}

void RecordKeeper::give_back() {
    for (Slot& s : slots_) {
        if (s.account == nullptr)
            continue;
        s.account->take_back_records(std::move(s.kept_points), std::move(s.kept_trips));
        s.account = nullptr;
    }
}

}  // namespace keel::replay
