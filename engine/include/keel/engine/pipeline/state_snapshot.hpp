// StateSnapshot and SnapshotExchange: how an operator's question ("what are my positions?")
// reaches state that belongs to the pipeline's threads without a lock on the hot path.
//
// A query is a message, as in LMAX: the control API asks the exchange for a snapshot; ingest
// sees the request and sends a `snapshot` control event down the pipeline; each stage, on its
// own thread, writes its part into the exchange's preallocated buffer as the event passes
// (Stage::write_snapshot); the runner publishes the buffer when the last stage has written it.
// The asker waits (off the hot path) until its token is published, then copies the buffer.
// Nothing is allocated, locked or journaled on the pipeline's threads, and a session nobody
// asks pays nothing. Control events are never journaled, so a snapshot changes no replay.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/risk/risk_limits.hpp"

namespace keel::engine {

// StateSnapshot::risk_flags beside risk_state's kRiskKilled | kRiskPaused | kRiskHalted: the
// broker reported positions other than the journal's, not yet acknowledged (ack_positions).
inline constexpr std::uint8_t kRiskPositionsUnconfirmed = 8;

struct StateSnapshot {
    std::uint64_t token = 0;
    // Ingest: where the session was when the request went down the pipeline.
    std::uint64_t last_seq = 0;
    std::int64_t ts_ns = 0;
    // Risk.
    std::uint8_t risk_flags = 0;  // kRiskKilled | kRiskPaused | kRiskHalted |
                                  // kRiskPositionsUnconfirmed
    // The broker's account figures as last journaled (venue_account; broker_seen false: none,
    // e.g. a simulated venue).
    bool broker_seen = false;
    Money broker_cash{}, broker_buying_power{}, broker_equity{};
    RiskLimits limits{};
    std::uint64_t risk_rejects = 0;
    std::array<std::uint64_t, 256> rejects_by_reason{};  // indexed by Reason value (< 256)
    // Gateway: the account of record and the live orders.
    std::vector<PositionState> positions;  // by SymbolId, symbol_capacity entries
    std::vector<OrderRecord> open_orders;  // the first open_order_count are valid
    std::size_t open_order_count = 0;
    Money starting_cash{}, cash{}, equity{}, realized{}, unrealized{}, fees{}, max_drawdown{};
    Money gross_exposure{}, net_exposure{};
    std::uint64_t orders_sent = 0, fills = 0, venue_rejects = 0, round_trips = 0;
    // A session with several accounts (config `accounts`): each account's risk and gateway
    // parts, by account index (pipeline/account_stages.hpp); the fields above are account 0's.
    // Empty with one account.
    std::vector<StateSnapshot> accounts;
};

class SnapshotExchange {
  public:
    SnapshotExchange(std::size_t symbol_capacity, std::size_t order_capacity,
                     std::size_t accounts = 1) {
        buffer_.positions.resize(symbol_capacity);
        buffer_.open_orders.resize(order_capacity);
        if (accounts > 1) {
            buffer_.accounts.resize(accounts);
            for (StateSnapshot& a : buffer_.accounts) {
                a.positions.resize(symbol_capacity);
                a.open_orders.resize(order_capacity);
            }
        }
    }

    // Cold side (any thread, one asker at a time): a copy of the pipeline's state, or nullopt
    // when the pipeline did not answer within timeout (stopping, or not running yet).
    [[nodiscard]] std::optional<StateSnapshot> take(std::chrono::milliseconds timeout) {
        std::lock_guard<std::mutex> one_asker(cold_);
        const std::uint64_t token = requested_.load(std::memory_order_relaxed) + 1;
        requested_.store(token, std::memory_order_release);
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (published_.load(std::memory_order_acquire) < token) {
            if (std::chrono::steady_clock::now() >= deadline)
                return std::nullopt;
            // An asker off the pipeline, waiting on threads it must not slow down.
            std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        StateSnapshot copy = buffer_;
        copy.open_orders.resize(copy.open_order_count);
        for (StateSnapshot& a : copy.accounts)
            a.open_orders.resize(a.open_order_count);
        return copy;
    }

    // Ingest: the newest token asked for (ingest sends one snapshot event per new token).
    [[nodiscard]] std::uint64_t requested() const noexcept {
        return requested_.load(std::memory_order_acquire);
    }
    // Pipeline threads, while the snapshot event with this buffer's token passes them. The
    // asker does not read the buffer until publish(), and stages write it in pipeline order
    // (the rings order them), so no two threads touch it at once.
    [[nodiscard]] StateSnapshot& writable() noexcept { return buffer_; }
    void publish(std::uint64_t token) noexcept {
        published_.store(token, std::memory_order_release);
    }

  private:
    StateSnapshot buffer_;
    std::mutex cold_;  // askers only; never taken on a pipeline thread
    std::atomic<std::uint64_t> requested_{0};
    std::atomic<std::uint64_t> published_{0};
};

}  // namespace keel::engine
