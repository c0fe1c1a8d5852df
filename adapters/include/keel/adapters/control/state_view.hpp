// StateView: what GET /api/status, /api/positions, /api/orders and /api/account report, as one
// plain snapshot the integrator builds on a cold thread from the session (accounts, order book,
// risk mode and limits). StatePublisher hands the latest snapshot to the control API's thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
#include "keel/engine/risk/risk_limits.hpp"

namespace keel::adapters::control {

enum class RunState : std::uint8_t { starting = 0, running = 1, stopping = 2 };
[[nodiscard]] std::string_view to_string(RunState s) noexcept;

struct PositionView {
    std::string symbol;
    engine::Quantity quantity{};  // signed: short < 0
    engine::Price average_price{};
    engine::Money realized{};  // after fees
    engine::Money unrealized{};
};

struct OrderView {
    std::uint64_t id = 0;
    std::string symbol;
    engine::Side side = engine::Side::none;
    engine::OrderType type = engine::OrderType::market;
    engine::Price price{};       // limit price; 0 when none
    engine::Price stop_price{};  // trigger or trail distance; 0 when none
    engine::Quantity quantity{};
    engine::Quantity filled{};
    engine::OrderStatus status = engine::OrderStatus::pending_new;
};

struct AccountView {
    engine::Money starting_cash{};
    engine::Money cash{};
    engine::Money equity{};
    engine::Money realized{};  // after fees
    engine::Money unrealized{};
    engine::Money fees{};
    engine::Money max_drawdown{};
    // What the broker reported (venue_account: an Alpaca account), when it has.
    bool broker = false;
    engine::Money broker_cash{};
    engine::Money broker_buying_power{};
    engine::Money broker_equity{};
};

struct StateView {
    std::string session;
    RunState state = RunState::starting;
    std::uint64_t last_seq = 0;
    std::uint64_t events = 0;     // input events sequenced
    std::uint8_t risk_flags = 0;  // engine::kRiskKilled | kRiskPaused | kRiskHalted |
                                  // kRiskPositionsUnconfirmed
    engine::RiskLimits limits{};  // in force (the risk stage's)
    std::vector<std::string> restricted_symbols;
    std::vector<PositionView> positions;  // open or with P&L, in symbol order
    std::vector<OrderView> orders;        // live orders, ascending by id
    AccountView account;
    // A session with several accounts (config `accounts`): each account's risk mode, limits,
    // positions, orders and money, account_name naming it. The routes then list every account's
    // positions and orders with an "account" field, and /api/status and /api/account add an
    // "accounts" list; the fields above are the accounts' together (money summed, max_drawdown
    // the largest account's, risk flags or-ed, limits account 0's). Empty with one account,
    // whose routes answer as they always have.
    std::string account_name;
    std::vector<StateView> accounts;
};

// The latest StateView, published from a cold thread and read from any other. A mutex guards a
// shared_ptr swap only: readers copy the pointer and then read the immutable snapshot unlocked.
class StatePublisher {
  public:
    void publish(StateView view) {
        auto next = std::make_shared<const StateView>(std::move(view));
        const std::lock_guard lock(mutex_);
        current_.swap(next);
    }
    // nullptr until the first publish.
    [[nodiscard]] std::shared_ptr<const StateView> current() const {
        const std::lock_guard lock(mutex_);
        return current_;
    }

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const StateView> current_;
};

// The raw value of one global limit as RiskLimits holds it (the same units as a limit_stage
// command's arg); 0 for per-symbol ids and none.
[[nodiscard]] std::int64_t limit_raw(const engine::RiskLimits& limits,
                                     engine::RiskLimit id) noexcept;

// The JSON bodies of the four state routes (money, prices and quantities as exact decimal
// strings; counts and sequence numbers as numbers).
[[nodiscard]] std::string status_json(const StateView& view);
[[nodiscard]] std::string positions_json(const StateView& view);
[[nodiscard]] std::string orders_json(const StateView& view);
[[nodiscard]] std::string account_json(const StateView& view);

}  // namespace keel::adapters::control
