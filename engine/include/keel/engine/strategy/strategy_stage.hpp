// StrategyStage: hosts the configured strategies, each on its own symbols, and turns their
// intents into journaled events: a signal for every decision worth recording (crossovers,
// skipped alerts with their reason) and order_request events with client order ids that are
// a pure function of the cause's sequence (order_id.hpp).
//
// It keeps its own view of the world from the ordered stream: an OrderBook of the orders it
// requested (moved by venue replies and risk denials), an Account per account (fills and marks;
// config `accounts`), and time
// bars aggregated from ticks for the intervals its strategies ask for, closed by ingest's
// bar_close timers.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/strategy/bar_aggregator.hpp"
#include "keel/engine/pipeline/event_log.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/strategy/strategy.hpp"

namespace keel::engine {

// The strategy index of a decision no strategy made (an alert for a symbol no strategy trades,
// journaled as a signal with Reason::no_strategy).
inline constexpr std::uint16_t kNoStrategyIndex = 0xFFFE;  // not kRiskOwner (0xFFFF)

struct StrategyStageOptions {
    std::size_t symbol_capacity = 0;
    Money starting_cash{};
    std::size_t order_capacity = 4096;  // live orders the stage's book can hold
    // Where input events' tails are read (StrategyView::tail); optional, must outlive the stage.
    const TailArena* tails = nullptr;
    // Config `accounts`: each account's starting cash, by index (the strategies' account()
    // index into it). Empty: one account with starting_cash.
    std::vector<Money> account_cash{};
};

class StrategyStage final : public Stage {
  public:
    StrategyStage(std::vector<std::unique_ptr<Strategy>> strategies,
                  const StrategyStageOptions& options);

    [[nodiscard]] std::string_view name() const noexcept override { return "strategy"; }
    // Handles the event, then every kStateHashEvery inputs journals a hash of its state.
    void on_event(const Event& event, Emit& out) noexcept override;
    // Journal each signal and order request here before emitting it (optional).
    void set_log(EventLog* log) noexcept { log_ = log; }

    [[nodiscard]] const std::vector<std::unique_ptr<Strategy>>& strategies() const noexcept {
        return strategies_;
    }
    [[nodiscard]] std::uint64_t orders_requested() const noexcept { return orders_requested_; }
    [[nodiscard]] std::uint64_t signals() const noexcept { return signals_; }
    [[nodiscard]] const OrderBook& orders() const noexcept { return book_; }
    // Account k's view (positions and cash from its fills); account() is account 0's.
    [[nodiscard]] const Account& account(std::size_t k = 0) const noexcept { return accounts_[k]; }

  private:
    // Journals the decision on an alert whose symbol no strategy trades (Reason::no_strategy).
    void no_strategy(const Event& alert, Emit& out) noexcept;
    // A fill into the book and, when it applies, into its account.
    void on_fill(const Event& event) noexcept;
    [[nodiscard]] std::uint64_t state_hash() const noexcept;
    std::uint64_t inputs_seen_ = 0;
    Strategy* owner(SymbolId symbol) noexcept;
    void dispatch(const Event& event, Strategy& s, Emit& out) noexcept;
    // Journals and emits what one strategy decided while handling `cause`.
    void flush(const Intents& intents, std::uint16_t index, const Event& cause, Emit& out) noexcept;
    bool journaled_emit(const Event& e, Emit& out) noexcept;
    [[nodiscard]] Account& account_of(SymbolId symbol) noexcept {
        if (!several_accounts_)
            return accounts_.front();
        return accounts_[symbol < symbol_account_.size() ? symbol_account_[symbol] : 0];
    }
    // The account a fill of order `order_id` moves (account 0 for an id naming none kept).
    [[nodiscard]] Account& fill_account(std::uint64_t order_id) noexcept {
        const std::size_t k = order_id_account(order_id);
        return accounts_[k < accounts_.size() ? k : 0];
    }
    // False when the order could not be journaled (then it is neither emitted nor booked).
    bool request(const Event& cause, std::uint16_t index, std::uint32_t k, SymbolId symbol,
                 Side side, Quantity quantity, OrderType type, TimeInForce tif, Price price,
                 Price stop_price, OrderRole role, Emit& out) noexcept;

    std::vector<std::unique_ptr<Strategy>> strategies_;
    std::vector<std::int32_t> by_symbol_;   // symbol id -> index into strategies_, -1 if none
    std::vector<MultiTimeframeBars> bars_;  // per symbol (empty when nothing to aggregate)
    std::vector<std::int32_t> bars_index_;  // symbol id -> index into bars_, -1 if none
    OrderBook book_;
    std::vector<Account> accounts_;  // by account index
    // Per symbol, the account of the strategy that trades it: the only account that can hold
    // a position in it (one strategy per symbol), so the only one its market data marks.
    std::vector<std::uint8_t> symbol_account_;
    bool several_accounts_ = false;
    std::vector<Price> tick_sizes_;  // per symbol, from the journaled symbol definitions
    StrategyView view_;
    Intents intents_;
    std::uint64_t orders_requested_ = 0;
    std::uint64_t signals_ = 0;
    EventLog* log_ = nullptr;
};

}  // namespace keel::engine
