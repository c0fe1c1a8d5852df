// Strategy: the interface every trading strategy implements, and what it sees and emits.
//
// A strategy is a plain object inside the strategy stage. It is called for the events of its
// own symbols (bars, trades, quotes, fills, timers, external alerts) with a read-only view of
// positions, open orders and the account, and answers with intents: orders (any type, with an
// optional bracket), a target position, or a decision that placed nothing (journaled with its
// reason, e.g. already_long). It reads no clock and allocates nothing after construction.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "keel/engine/orders/account.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/order_book.hpp"
#include "keel/engine/orders/order_id.hpp"
#include "keel/engine/pipeline/stage.hpp"
#include "keel/engine/pipeline/tail_arena.hpp"
#include "keel/engine/core/trading_session.hpp"

namespace keel::engine {

// A closed time bar, from an input bar event or aggregated from ticks on a timer.
struct BarView {
    SymbolId symbol = kNoSymbol;
    std::uint16_t interval_minutes = 0;
    std::int64_t close_ns = 0;
    BarPayload bar{};
};

struct OrderIntent {
    SymbolId symbol = kNoSymbol;  // kNoSymbol: the symbol of the event being handled
    Side side = Side::none;
    Quantity quantity{};
    OrderType type = OrderType::market;
    TimeInForce tif = TimeInForce::day;
    Price price{};       // limit price (limit, stop_limit)
    Price stop_price{};  // stop trigger, or the trail distance of a trailing stop
    // A bracket when both are set: the entry, then (engine-side, after the entry fills) a
    // stop-loss stop order and a take-profit limit order on the other side, one canceling the
    // other. Takes three of the event's kMaxOrdersPerEvent order slots.
    Price stop_loss{};
    Price take_profit{};
};

// The strategy's read-only view of its world: positions and the account (from fills and
// marks), and the orders the strategy stage has requested that are still live.
class StrategyView {
  public:
    StrategyView(const OrderBook& orders, const Account& account,
                 const std::vector<Price>* tick_sizes = nullptr,
                 const TailArena* tails = nullptr) noexcept
        : orders_(orders), account_(&account), ticks_(tick_sizes), tails_(tails) {}
    [[nodiscard]] const OrderBook& orders() const noexcept { return orders_; }
    // The account of the strategy being asked (config `accounts`; the strategy stage points
    // the view at it before each call).
    [[nodiscard]] const Account& account() const noexcept { return *account_; }
    void set_account(const Account& account) noexcept { account_ = &account; }
    // Several strategies on one symbol: the view counts only this strategy's orders as pending
    // (kAllStrategies: every order of the book, as when a strategy has its symbols alone).
    static constexpr std::uint16_t kAllStrategies = 0xFFFF;
    void set_strategy(std::uint16_t index) noexcept { strategy_ = index; }
    // Whether the order is the viewing strategy's to cancel (an adopted order is nobody's).
    [[nodiscard]] bool owns(const OrderRecord& o) const noexcept {
        return o.strategy != kAdoptedOwner &&
               (strategy_ == kAllStrategies || o.strategy == strategy_);
    }
    // The symbol's tick size from its journaled definition; 0 when it has none.
    [[nodiscard]] Price tick_size(SymbolId symbol) const noexcept {
        return ticks_ != nullptr && symbol < ticks_->size() ? (*ticks_)[symbol] : Price{};
    }
    // Filled position (signed raw quantity).
    [[nodiscard]] std::int64_t position_raw(SymbolId symbol) const noexcept {
        return symbol < account_->symbol_capacity() ? account_->position(symbol).quantity_raw : 0;
    }
    // Signed leaves of live orders that open or close (bracket exits not counted: they only
    // act after their entry has filled).
    [[nodiscard]] std::int64_t pending_raw(SymbolId symbol) const noexcept;
    // Where the position is headed: filled plus pending. Decisions use this, so they do not
    // depend on when a fill arrives.
    [[nodiscard]] std::int64_t expected_raw(SymbolId symbol) const noexcept {
        return position_raw(symbol) + pending_raw(symbol);
    }
    // The tail of the input event being handled (an alert's body), empty when it has none or
    // the session keeps no tails. kTailPadding readable bytes follow it.
    [[nodiscard]] std::string_view tail(const Event& input) const noexcept {
        return tails_ != nullptr ? tails_->tail(input) : std::string_view{};
    }

  private:
    const OrderBook& orders_;
    const Account* account_;
    const std::vector<Price>* ticks_;
    const TailArena* tails_;
    std::uint16_t strategy_ = kAllStrategies;
};

// price on the tick grid: rounded up (toward +inf) or down; unchanged when tick is 0.
[[nodiscard]] Price round_to_tick(Price price, Price tick, bool up) noexcept;

// What a strategy emits while handling one event. Bounded: at most kMaxOrdersPerEvent order
// requests (the reply ring is sized from it) and a few decision records.
class Intents {
  public:
    static constexpr std::size_t kMaxNotes = 4;

    struct Note {
        std::int8_t direction = 0;
        std::int64_t value = 0;
        AlertAction action = AlertAction::none;
        Reason reason = Reason::none;
    };

    explicit Intents(const StrategyView& view) noexcept : view_(view) {}

    // Places an order (with a bracket if the intent has one). False, and nothing placed, when
    // the event's order budget would be exceeded or the intent is malformed.
    bool order(const OrderIntent& intent) noexcept;
    // Moves the expected position of symbol to target_raw with a market order (nothing when
    // already there).
    bool target(SymbolId symbol, std::int64_t target_raw,
                TimeInForce tif = TimeInForce::day) noexcept;
    // Asks to cancel a live order of this strategy (takes one order slot).
    bool cancel(std::uint64_t order_id) noexcept;
    // A decision worth journaling: a crossover, or an alert that was skipped and why.
    void note(std::int8_t direction, std::int64_t value, AlertAction action = AlertAction::none,
              Reason reason = Reason::none) noexcept;

    [[nodiscard]] const StrategyView& view() const noexcept { return view_; }
    [[nodiscard]] std::size_t order_slots_used() const noexcept;
    [[nodiscard]] bool has_bracket() const noexcept;
    [[nodiscard]] std::size_t order_count() const noexcept { return orders_used_; }
    [[nodiscard]] const OrderIntent& order_at(std::size_t i) const noexcept { return orders_[i]; }
    [[nodiscard]] std::size_t note_count() const noexcept { return notes_used_; }
    [[nodiscard]] const Note& note_at(std::size_t i) const noexcept { return notes_[i]; }
    [[nodiscard]] std::size_t cancel_count() const noexcept { return cancels_used_; }
    [[nodiscard]] std::uint64_t cancel_at(std::size_t i) const noexcept { return cancels_[i]; }
    // Nothing to journal or send: most events end here, before any flush.
    [[nodiscard]] bool empty() const noexcept {
        return orders_used_ == 0 && notes_used_ == 0 && cancels_used_ == 0;
    }
    void clear() noexcept {
        orders_used_ = 0;
        notes_used_ = 0;
        cancels_used_ = 0;
    }
    // Order slots earlier strategies on the same symbol took while handling this same event:
    // they share its kMaxOrdersPerEvent ids, so a bracket (ids k = 0, 1, 2) fits only when
    // none were taken. 0 when a strategy has its symbols alone; clear() leaves it.
    void reserve_slots(std::size_t slots) noexcept { reserved_ = slots; }

  private:
    const StrategyView& view_;
    std::array<OrderIntent, kMaxOrdersPerEvent> orders_{};
    std::size_t orders_used_ = 0;
    std::array<Note, kMaxNotes> notes_{};
    std::size_t notes_used_ = 0;
    std::array<std::uint64_t, kMaxOrdersPerEvent> cancels_{};
    std::size_t cancels_used_ = 0;
    std::size_t reserved_ = 0;
};

class Strategy {
  public:
    explicit Strategy(std::vector<SymbolId> symbols) : symbols_(std::move(symbols)) {}
    virtual ~Strategy() = default;

    [[nodiscard]] virtual std::string_view type() const noexcept = 0;
    [[nodiscard]] const std::vector<SymbolId>& symbols() const noexcept { return symbols_; }
    // Bar intervals (minutes) this strategy wants aggregated from trades or quotes of its
    // symbols (cold: asked once at construction of the stage).
    [[nodiscard]] virtual std::vector<std::uint32_t> bar_intervals() const { return {}; }
    // The trading session its symbols follow: bars align to it, session timers come from it.
    [[nodiscard]] const TradingSession& session() const noexcept { return session_; }
    void set_session(const TradingSession& session) noexcept { session_ = session; }
    // The account it trades (config `accounts`: an index; 0 with one account). Its orders'
    // ids carry it (order_id.hpp) and its view is that account's.
    [[nodiscard]] std::uint8_t account() const noexcept { return account_; }
    void set_account(std::uint8_t account) noexcept { account_ = account; }

    virtual void on_bar(const BarView& /*bar*/, Intents& /*out*/) noexcept {}
    virtual void on_trade(const Event& /*trade*/, Intents& /*out*/) noexcept {}
    virtual void on_quote(const Event& /*quote*/, Intents& /*out*/) noexcept {}
    virtual void on_fill(const Event& /*fill*/, Intents& /*out*/) noexcept {}
    virtual void on_timer(const Event& /*timer*/, Intents& /*out*/) noexcept {}
    // An external alert (e.g. TradingView) about one of the strategy's symbols.
    virtual void on_signal(const Event& /*alert*/, Intents& /*out*/) noexcept {}

  private:
    std::vector<SymbolId> symbols_;
    TradingSession session_ = TradingSession::all_day(0, kEveryDay);
    std::uint8_t account_ = 0;
};

}  // namespace keel::engine
