// RecordKeeper: the cold side of a live session's equity curves and round trips. Each account
// hands every closed equity point and round trip through a bounded SPSC ring
// (Account::hand_records_to); the keeper's own thread drains the rings into growable storage,
// so the pipeline never allocates for its records and a session of any length keeps them all.
//
// Why a thread of its own, not the live session's monitor: the monitor blocks up to a second
// waiting for a state snapshot, and only live sessions have one, while a generated input (the
// latency harness's) has no span either. The keeper wakes every kDrainPeriod, so a ring of
// kRingCapacity records absorbs a burst of that many closes within one period; beyond it the
// account keeps what waits (Account's pending buffer, kPendingCapacity) and hands it off with
// its next record. Only a keeper starved of the CPU for that long could leave a record unkept,
// and the account counts it (equity_points_dropped, round_trips_dropped).
//
// Threads: the pipeline thread owning account k is the only producer of its rings; the keeper
// thread the only consumer until stop(), after which the caller's thread drains and takes.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/pipeline/spsc_ring.hpp"

namespace keel::replay {

class RecordKeeper {
  public:
    static constexpr std::size_t kRingCapacity = 4096;     // records per ring (a power of two)
    static constexpr std::size_t kPendingCapacity = 1024;  // records an account holds back
    static constexpr std::chrono::milliseconds kDrainPeriod{20};

    // accounts: one pair of rings each, ring_capacity records per ring.
    explicit RecordKeeper(std::size_t accounts, std::size_t ring_capacity = kRingCapacity);
    RecordKeeper(const RecordKeeper&) = delete;
    RecordKeeper& operator=(const RecordKeeper&) = delete;
    ~RecordKeeper();

    // Cold: account k's records go through this keeper's rings (k < accounts), each account
    // holding back up to pending records while its rings are full.
    void attach(std::size_t k, engine::Account& account, engine::EquitySampling sampling,
                std::size_t pending = kPendingCapacity);
    // The keeper's thread: it drains every ring each kDrainPeriod until stop().
    void start();
    // Joins the thread (if started) and drains what is left. Idempotent.
    void stop();
    // Consumer side: moves what the rings hold now into the storage. The keeper's thread only,
    // or any one thread while no thread runs (before start, after stop).
    void drain();
    // After stop(), with the accounts' threads stopped too: gives each attached account its
    // whole record back (Account::take_back_records). Once.
    void give_back();

  private:
    struct Slot {
        std::unique_ptr<engine::SpscRing<engine::EquityPoint>> points;
        std::unique_ptr<engine::SpscRing<engine::RoundTrip>> trips;
        std::vector<engine::EquityPoint> kept_points;  // grows off the hot path
        std::vector<engine::RoundTrip> kept_trips;
        engine::Account* account = nullptr;
    };
    void loop();

    std::vector<Slot> slots_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace keel::replay
