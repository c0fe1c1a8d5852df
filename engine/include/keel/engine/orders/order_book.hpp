// OrderBook: the orders one stage knows about and the state each is in, driven by the ordered
// event stream. Every stage that needs orders keeps its own book (strategy: its requests and
// their replies; risk: what it approved; gateway: what it sent), so no state is shared between
// threads. Transitions follow the table in order_state.hpp; an event that would make an illegal
// transition is not applied and is reported to the caller, who journals an engine_alert.
//
// Which events a book is fed: order_request and order_sent mean the same to it (a book is fed one
// of them for a given order, never both: strategy and risk feed order_request, the gateway feeds
// the order_sent it made, so its book holds exactly what went to the venue). An order_request or
// order_sent with action cancel and order_id 0 is a mass cancel: every open order that may be
// canceled goes pending_cancel (the kill switch). A venue_fill completes the order when its
// flags carry kFillFinal or its quantity reaches the order's leaves; a fill of zero or of more
// than the leaves is illegal. A reply about an unknown order id is illegal, but for an adoption
// (is_adoption: a venue's working order keel adopts at reconciliation): it inserts the order as
// accepted with the ack's terms.
//
// Capacity is fixed at construction (all memory up front); live orders are kept sorted by id
// (ids grow with the sequence), so iteration order is deterministic. Terminal orders (filled,
// canceled, rejected, expired) leave the book.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/order_state.hpp"

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
    // For an unknown order (illegal) `from` is OrderStatus{} (0, not a state); for an illegal
    // event `to` is the status the event asked for (requested_status of its kind).
    OrderStatus from{};
    OrderStatus to{};
    OrderEventKind kind = OrderEventKind::request_new;  // meaningful unless ignored
    // A mass cancel (order_id 0) moves every open order at once: how many went pending_cancel.
    std::uint32_t affected = 0;
    // The order after the change (a copy: terminal orders leave the book). For an illegal event
    // on a known order: the order as it is, unchanged. For a mass cancel: order_id 0.
    OrderRecord order{};

    // The status an order_state event reports: `to`, or `replaced` for an accepted replace.
    [[nodiscard]] OrderStatus reported() const noexcept { return reported_status(kind, to); }
};

// A venue_ack adopting a venue's working order keel never sent: from the venue, action
// new_order, reason foreign_order, an adopted id (order_id.hpp's make_adopted_order_id).
[[nodiscard]] bool is_adoption(const Event& e) noexcept;

// An order_request that cancels `order` (its id, symbol, owner, side, type, prices and the
// quantity it was placed for), derived by `source` from `cause`.
[[nodiscard]] Event cancel_request(const OrderRecord& order, const Event& cause, Source source,
                                   Reason reason) noexcept;

class OrderBook {
  public:
    explicit OrderBook(std::size_t capacity);

    // Feeds one event. order_request (new): inserts pending_new. order_request (cancel /
    // replace): pending_cancel / pending_replace. venue_ack, venue_fill, venue_reject,
    // venue_cancel, order_denied and risk_reject move the order per the table. Everything else
    // is ignored.
    Transition apply(const Event& event) noexcept;
    // What apply(event) would do, without changing the book (so a caller can journal first).
    [[nodiscard]] Transition peek(const Event& event) const noexcept;

    [[nodiscard]] const OrderRecord* find(std::uint64_t order_id) const noexcept;
    [[nodiscard]] std::size_t open_count() const noexcept { return orders_.size(); }
    [[nodiscard]] std::size_t open_count(SymbolId symbol) const noexcept;
    // Sum of leaves of live orders on one side of one symbol.
    [[nodiscard]] Quantity open_quantity(SymbolId symbol, Side side) const noexcept;
    // Live orders, ascending by id.
    [[nodiscard]] const std::vector<OrderRecord>& open_orders() const noexcept { return orders_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return orders_.capacity(); }
    // A hash (hash_mix) of every live order (id, status, quantity, filled, prices), in id order.
    [[nodiscard]] std::uint64_t state_hash(std::uint64_t seed) const noexcept;

  private:
    struct Plan {
        Transition t;
        std::size_t index = 0;  // where the order is (or is inserted)
        bool mass_cancel = false;
        bool insert = false;  // a new order or an adoption goes in at index
    };
    [[nodiscard]] Plan plan(const Event& event) const noexcept;
    [[nodiscard]] std::size_t lower_bound(std::uint64_t order_id) const noexcept;

    std::vector<OrderRecord> orders_;  // sorted by order_id; capacity reserved up front
};

}  // namespace keel::engine
