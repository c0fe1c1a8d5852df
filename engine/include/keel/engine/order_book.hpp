// OrderBook: the orders one stage knows about and the state each is in, driven by the ordered
// event stream. Every stage that needs orders keeps its own book (strategy: its requests and
// their replies; risk: what it approved; gateway: what it sent), so no state is shared between
// threads. Transitions follow the table in order_state.hpp; an event that would make an illegal
// transition is not applied and is reported to the caller, who journals an engine_alert.
//
// Capacity is fixed at construction (all memory up front); live orders are kept sorted by id
// (ids grow with the sequence), so iteration order is deterministic. Terminal orders (filled,
// canceled, rejected, expired) leave the book.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "keel/engine/event.hpp"

namespace keel::engine {

struct OrderRecord {
    std::uint64_t order_id = 0;
    SymbolId symbol = kNoSymbol;
    std::uint16_t strategy = 0;
    Side side = Side::none;
    OrderType type = OrderType::market;
    TimeInForce tif = TimeInForce::day;
    OrderRole role = OrderRole::none;
    OrderStatus status = OrderStatus::pending_new;
    OrderStatus before_pending = OrderStatus::pending_new;  // restored when a cancel/replace
                                                            // is rejected
    Price price{};
    Price stop_price{};
    Quantity quantity{};
    Quantity filled{};
    std::int64_t created_ns = 0;
    std::int64_t updated_ns = 0;

    [[nodiscard]] Quantity leaves() const noexcept {
        return Quantity::from_raw(quantity.raw - filled.raw);
    }
};

enum class ApplyResult : std::uint8_t {
    ignored,  // not an order event, or not one this book tracks
    applied,  // the order moved from `from` to `to` (or was inserted: from == to == pending_new)
    illegal,  // the transition is not in the table (or the order is unknown): nothing changed
    full,     // a new order did not fit: the caller must refuse it
};

struct Transition {
    ApplyResult result = ApplyResult::ignored;
    OrderStatus from{};
    OrderStatus to{};
    // The order after the change (a copy: terminal orders leave the book).
    OrderRecord order{};
};

class OrderBook {
  public:
    explicit OrderBook(std::size_t capacity);

    // Feeds one event. order_request (new): inserts pending_new. order_request (cancel /
    // replace): pending_cancel / pending_replace. venue_ack, venue_fill, venue_reject,
    // venue_cancel, order_denied and risk_reject move the order per the table. Everything else
    // is ignored.
    Transition apply(const Event& event) noexcept;

    [[nodiscard]] const OrderRecord* find(std::uint64_t order_id) const noexcept;
    [[nodiscard]] std::size_t open_count() const noexcept { return orders_.size(); }
    [[nodiscard]] std::size_t open_count(SymbolId symbol) const noexcept;
    // Sum of leaves of live orders on one side of one symbol.
    [[nodiscard]] Quantity open_quantity(SymbolId symbol, Side side) const noexcept;
    // Live orders, ascending by id.
    [[nodiscard]] const std::vector<OrderRecord>& open_orders() const noexcept { return orders_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return orders_.capacity(); }

  private:
    std::vector<OrderRecord> orders_;  // sorted by order_id; capacity reserved up front
};

}  // namespace keel::engine
