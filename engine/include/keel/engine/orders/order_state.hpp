// The order state machine: which event may move an order from which state to which. The table
// is data (one row per state, one column per event kind) so that a reader checks it at a
// glance, and next_state() is a pure constexpr lookup. Anything not in the table is illegal.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "keel/engine/core/event.hpp"

namespace keel::engine {

// What happened to an order, independent of which event type carried it (OrderBook maps
// events to kinds). venue_cancel is split by reason: expired_day, ioc_remainder and
// fok_unfillable are `expire`, every other reason is `cancel`, so the table stays a function of
// (state, kind) alone.
enum class OrderEventKind : std::uint8_t {
    request_new,      // a new order: creates it in pending_new; on an existing order illegal
    request_cancel,   // cancel requested (also each order of a mass cancel)
    request_replace,  // replace (new price / quantity) requested
    ack_new,          // venue accepted the new order
    ack_replace,      // venue accepted the replace: the order event reports `replaced`
    fill_partial,     // a fill that leaves quantity open
    fill_final,       // a fill that completes the order
    reject,           // the new order was refused: risk_reject, order_denied, venue_reject
    reject_cancel,    // venue refused a cancel: back to the state before pending_cancel
    reject_replace,   // venue refused a replace: back to the state before pending_replace
    cancel,           // venue canceled the order (on request or unsolicited)
    expire,           // venue ended the order for time in force: day end, IOC / FOK remainder
};
inline constexpr std::size_t kOrderEventKinds = 12;

[[nodiscard]] std::string_view to_string(OrderEventKind k) noexcept;

// venue_cancel reasons that mean the order expired rather than was canceled.
[[nodiscard]] constexpr bool is_expiry(Reason r) noexcept {
    return r == Reason::expired_day || r == Reason::ioc_remainder || r == Reason::fok_unfillable;
}

// The resting states an order can be in (OrderStatus also holds pipeline marks such as sent and
// denied, and `replaced`, which is an event status, not a state).
inline constexpr std::array<OrderStatus, 9> kOrderStates = {
    OrderStatus::pending_new, OrderStatus::accepted,       OrderStatus::partially_filled,
    OrderStatus::filled,      OrderStatus::pending_cancel, OrderStatus::canceled,
    OrderStatus::rejected,    OrderStatus::expired,        OrderStatus::pending_replace,
};

[[nodiscard]] constexpr bool is_order_state(OrderStatus s) noexcept {
    for (OrderStatus x : kOrderStates) {
        if (x == s)
            return true;
    }
    return false;
}
[[nodiscard]] constexpr bool is_terminal(OrderStatus s) noexcept {
    return s == OrderStatus::filled || s == OrderStatus::canceled || s == OrderStatus::rejected ||
           s == OrderStatus::expired;
}
// Open = at (or on its way to) the venue and able to fill.
[[nodiscard]] constexpr bool is_open(OrderStatus s) noexcept {
    return is_order_state(s) && !is_terminal(s);
}

namespace order_table {

// One cell of the table: illegal, a target state, or `restore` (back to the state the order was
// in before it went pending_cancel / pending_replace: pending_new, accepted or
// partially_filled).
enum class Cell : std::uint8_t {
    illegal = 0,
    restore = 255,
};
[[nodiscard]] constexpr Cell to(OrderStatus s) noexcept {
    return static_cast<Cell>(static_cast<std::uint8_t>(s));
}

// Short names so that each row of the table fits on one line.
inline constexpr Cell xx = Cell::illegal;
inline constexpr Cell RS = Cell::restore;
inline constexpr Cell PN = to(OrderStatus::pending_new);
inline constexpr Cell AC = to(OrderStatus::accepted);
inline constexpr Cell PF = to(OrderStatus::partially_filled);
inline constexpr Cell FI = to(OrderStatus::filled);
inline constexpr Cell PC = to(OrderStatus::pending_cancel);
inline constexpr Cell CA = to(OrderStatus::canceled);
inline constexpr Cell RJ = to(OrderStatus::rejected);
inline constexpr Cell EX = to(OrderStatus::expired);
inline constexpr Cell PR = to(OrderStatus::pending_replace);

// Why some cells are legal:
// - A fill may arrive before the ack (implicit accept), and while a cancel or replace is pending
//   (the venue filled before it saw the request); a partial fill then keeps the pending state.
// - An ack of the new order may arrive after a cancel was requested (cancel before ack).
// - A replace ack or replace reject may arrive while pending_cancel when the cancel was requested
//   while the replace was still pending (the kill switch cancels every open order).
// - A new-order reject may arrive while pending_cancel when the cancel was sent before the ack.
// - Replace before the ack is not allowed: most venues refuse it, so the engine does too.
// clang-format off
inline constexpr std::array<std::array<Cell, kOrderEventKinds>, kOrderStates.size()> kTable = {{
    // Columns: NW request_new, RC request_cancel, RR request_replace, AN ack_new, AR ack_replace,
    // FP fill_partial, FF fill_final, RJ reject, JC reject_cancel, JR reject_replace, CN cancel,
    // EX expire. Rows: the states in kOrderStates order.
    //                     NW  RC  RR  AN  AR  FP  FF  RJ  JC  JR  CN  EX
    /* pending_new     */ {xx, PC, xx, AC, xx, PF, FI, RJ, xx, xx, CA, EX},
    /* accepted        */ {xx, PC, PR, xx, xx, PF, FI, xx, xx, xx, CA, EX},
    /* partially_filled*/ {xx, PC, PR, xx, xx, PF, FI, xx, xx, xx, CA, EX},
    /* filled          */ {xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx},
    /* pending_cancel  */ {xx, xx, xx, PC, PC, PC, FI, RJ, RS, PC, CA, EX},
    /* canceled        */ {xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx},
    /* rejected        */ {xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx},
    /* expired         */ {xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx, xx},
    /* pending_replace */ {xx, PC, xx, xx, RS, PR, FI, xx, xx, RS, CA, EX},
}};
// clang-format on

[[nodiscard]] constexpr std::optional<std::size_t> row_of(OrderStatus s) noexcept {
    for (std::size_t i = 0; i < kOrderStates.size(); ++i) {
        if (kOrderStates[i] == s)
            return i;
    }
    return std::nullopt;
}

}  // namespace order_table

// The state an order in `from` moves to on `kind`, or nullopt when the table forbids it.
// `before_pending` resolves the restore cells (a rejected cancel / replace, a replace ack): the
// state the order was in before it went pending, as OrderRecord::before_pending keeps it.
[[nodiscard]] constexpr std::optional<OrderStatus> next_state(
    OrderStatus from, OrderEventKind kind,
    OrderStatus before_pending = OrderStatus::accepted) noexcept {
    const auto row = order_table::row_of(from);
    const auto col = static_cast<std::size_t>(kind);
    if (!row || col >= kOrderEventKinds)
        return std::nullopt;
    const order_table::Cell cell = order_table::kTable[*row][col];
    if (cell == order_table::Cell::illegal)
        return std::nullopt;
    if (cell == order_table::Cell::restore)
        return before_pending;
    return static_cast<OrderStatus>(static_cast<std::uint8_t>(cell));
}

// The status an event of this kind asks for, named in an engine_alert when it is illegal.
[[nodiscard]] constexpr OrderStatus requested_status(OrderEventKind kind) noexcept {
    switch (kind) {
        case OrderEventKind::request_new:
            return OrderStatus::pending_new;
        case OrderEventKind::request_cancel:
            return OrderStatus::pending_cancel;
        case OrderEventKind::request_replace:
            return OrderStatus::pending_replace;
        case OrderEventKind::ack_new:
            return OrderStatus::accepted;
        case OrderEventKind::ack_replace:
            return OrderStatus::replaced;
        case OrderEventKind::fill_partial:
            return OrderStatus::partially_filled;
        case OrderEventKind::fill_final:
            return OrderStatus::filled;
        case OrderEventKind::reject:
        case OrderEventKind::reject_cancel:
        case OrderEventKind::reject_replace:
            return OrderStatus::rejected;
        case OrderEventKind::cancel:
            return OrderStatus::canceled;
        case OrderEventKind::expire:
            return OrderStatus::expired;
    }
    return OrderStatus{};
}

// The status an order event reports for a transition: the new state, except that an accepted
// replace reports `replaced` (the order itself rests in accepted / partially_filled again).
[[nodiscard]] constexpr OrderStatus reported_status(OrderEventKind kind, OrderStatus to) noexcept {
    return kind == OrderEventKind::ack_replace ? OrderStatus::replaced : to;
}

}  // namespace keel::engine
