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
//
// Several strategies may trade one symbol. Each keeps its own position view and P&L,
// attributed by its own fills (an order carries its strategy in header.aux, and so does the
// venue's fill of it): the stage keeps one attribution Account per strategy (strategy_book),
// while the account it trades holds the one net position per symbol that risk and the venue
// see. A strategy that shares a symbol decides on its own book (position, pending orders,
// equity), so it acts as it would alone on the data; each one's orders go to the venue as they
// are (no internal crossing). A market event of a shared symbol reaches its strategies through
// a list built at construction, in config order; a symbol with one strategy takes the same
// path as before (one index, no list).
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
static_assert(kNoStrategyIndex == kAdoptedOwner, "an adopted order is no strategy's");

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
    // Strategy i's own fills (positions, realized P&L, fees; starting cash its account's).
    // Marked by market data only when the strategy shares a symbol (then it is the strategy's
    // view); a report re-marks its positions at the account's last prices.
    [[nodiscard]] const Account& strategy_book(std::size_t i) const noexcept { return books_[i]; }
    // Whether strategy i decides on its own book (it shares one of its symbols).
    [[nodiscard]] bool own_view(std::size_t i) const noexcept { return own_view_[i] != 0; }

  private:
    // Journals the decision on an alert whose symbol no strategy trades (Reason::no_strategy).
    void no_strategy(const Event& alert, Emit& out) noexcept;
    // A fill into the book and, when it applies, into its account.
    void on_fill(const Event& event) noexcept;
    [[nodiscard]] std::uint64_t state_hash() const noexcept;
    std::uint64_t inputs_seen_ = 0;
    // by_symbol_ values: a strategy index when one strategy has the symbol alone, kNoRoute when
    // none trades it, kFirstRoute - k for routes_[k] (several, or one with its own view).
    static constexpr std::int32_t kNoRoute = -1;
    static constexpr std::int32_t kFirstRoute = -2;
    struct Route {
        std::uint32_t first = 0;  // into route_strategies_
        std::uint32_t count = 0;
    };
    void build_routes(std::size_t symbol_capacity);
    void build_bars(std::size_t symbol_capacity);
    static bool deliver(const Event& event, Strategy& s, Intents& intents) noexcept;
    void dispatch(const Event& event, Strategy& s, Emit& out) noexcept;
    // A shared symbol's event to each of its strategies in config order.
    void dispatch_route(const Event& event, const Route& route, Emit& out) noexcept;
    void mark_books(const Event& event, const Route& route) noexcept;
    // One strategy of a route on the event (bar: an aggregated bar, or null); the event's
    // order slots and ids the strategies before it took are in slots and k.
    void run_one(const Event& event, std::uint16_t index, const BarView* bar, std::size_t& slots,
                 std::uint32_t& k, Emit& out) noexcept;
    [[nodiscard]] bool wants_interval(std::uint16_t index, std::uint32_t minutes) const noexcept;
    // Risk's own fill (not a strategy's order) into the books of the symbol's strategies.
    void attribute_risk_fill(const Event& event) noexcept;
    // Journals and emits what one strategy decided while handling `cause`; its order ids start
    // at k (0 unless other strategies on the symbol ordered on the same event). Returns the
    // next free k.
    std::uint32_t flush(const Intents& intents, std::uint16_t index, const Event& cause,
                        std::uint32_t k, Emit& out) noexcept;
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
    std::vector<std::int32_t> by_symbol_;  // symbol id -> strategy index or route (above)
    std::vector<Route> routes_;
    std::vector<std::uint16_t> route_strategies_;
    std::vector<Account> books_;          // per strategy: its own fills (attribution)
    std::vector<std::uint8_t> own_view_;  // per strategy: 1 when it decides on its book
    std::vector<std::vector<std::uint32_t>> intervals_;  // per strategy: its bar intervals
    std::vector<MultiTimeframeBars> bars_;  // per symbol (empty when nothing to aggregate)
    std::vector<std::int32_t> bars_index_;  // symbol id -> index into bars_, -1 if none
    OrderBook book_;
    std::vector<Account> accounts_;  // by account index
    // Per symbol, the account of the strategies that trade it: the only account that can hold
    // a position in it (config refuses strategies of one symbol on different accounts), so the
    // only one its market data marks.
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
