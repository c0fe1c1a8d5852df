// Client order ids: a pure function of the journal sequence of the event that caused the
// order and the order's index k among the orders derived from it (k < kMaxOrdersPerEvent).
// So re-deriving a session yields the same ids (idempotent on resend), and the links inside a
// bracket or OCO group follow from the id alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "keel/engine/core/event.hpp"
#include "keel/engine/pipeline/stage.hpp"

namespace keel::engine {

static_assert(kMaxOrdersPerEvent == 4, "order ids keep k in two bits");

[[nodiscard]] constexpr std::uint64_t make_order_id(std::uint64_t cause_seq,
                                                    std::uint32_t k) noexcept {
    return (cause_seq << 2) | (k & 3u);
}
// Accounts (config `accounts`): the account an order belongs to is in bits 55-62 of its id, so
// every order event, reply and fill names its account with no extra field; account 0 (the
// only one of a session without `accounts`) sets none, so its ids are the plain ones.
inline constexpr unsigned kAccountShift = 55;
inline constexpr std::uint64_t kAccountIdMask = std::uint64_t{0xFF} << kAccountShift;
[[nodiscard]] constexpr std::uint64_t with_account(std::uint64_t id, std::size_t account) noexcept {
    return (id & ~kAccountIdMask) | (static_cast<std::uint64_t>(account) << kAccountShift);
}
[[nodiscard]] constexpr std::size_t order_id_account(std::uint64_t id) noexcept {
    return static_cast<std::size_t>((id & kAccountIdMask) >> kAccountShift);
}
// The gateway's mass cancel (the kill switch's) is order id 0 with its account's bits.
[[nodiscard]] constexpr bool is_mass_cancel_id(std::uint64_t id) noexcept {
    return (id & ~kAccountIdMask) == 0;
}
// The order an event is about: order events (a request, risk's verdict, order_sent,
// order_state, the venue's ack, reject and cancel, order_denied) and fills; nullopt for any
// other event.
[[nodiscard]] constexpr std::optional<std::uint64_t> event_order_id(const Event& e) noexcept {
    switch (e.header.type) {
        case EventType::venue_fill:
            return e.payload.fill.order_id;
        case EventType::venue_ack:
        case EventType::venue_reject:
        case EventType::venue_cancel:
        case EventType::order_denied:
        case EventType::order_request:
        case EventType::risk_reject:
        case EventType::order_sent:
        case EventType::order_state:
            return e.payload.order.order_id;
        default:
            return std::nullopt;
    }
}
[[nodiscard]] constexpr std::uint64_t order_id_seq(std::uint64_t id) noexcept {
    return (id & ~(kAccountIdMask | (std::uint64_t{1} << 63))) >> 2;
}
[[nodiscard]] constexpr std::uint32_t order_id_index(std::uint64_t id) noexcept {
    return static_cast<std::uint32_t>(id & 3u);
}

// The owner (header.aux) of orders the risk stage places itself (the kill switch's flatten
// orders), and the id bit that keeps them apart from strategies' ids for the same cause.
inline constexpr std::uint16_t kRiskOwner = 0xFFFF;
inline constexpr std::uint64_t kRiskOrderIdBit = std::uint64_t{1} << 63;

// Orders keel adopts from a venue (reconcile.adopt_unknown: a working order the journal never
// sent, found at reconciliation): the n-th adoption of an account is id n with bit 54 set, apart
// from every id a journal sequence below 2^52 can give. Owned by no strategy (header.aux
// kAdoptedOwner, the strategy stage's kNoStrategyIndex): their fills move the account alone.
inline constexpr std::uint64_t kAdoptedOrderIdBit = std::uint64_t{1} << 54;
inline constexpr std::uint16_t kAdoptedOwner = 0xFFFE;
[[nodiscard]] constexpr std::uint64_t make_adopted_order_id(std::uint64_t n,
                                                            std::size_t account) noexcept {
    return with_account(kAdoptedOrderIdBit | make_order_id(n, 0), account);
}
[[nodiscard]] constexpr bool is_adopted_order_id(std::uint64_t id) noexcept {
    return (id & (kAdoptedOrderIdBit | kRiskOrderIdBit)) == kAdoptedOrderIdBit;
}
// n of an adopted order's id.
[[nodiscard]] constexpr std::uint64_t adopted_index(std::uint64_t id) noexcept {
    return (id & ~(kAccountIdMask | kAdoptedOrderIdBit)) >> 2;
}

// Bracket: the entry is k=0, its stop-loss k=1, its take-profit k=2.
[[nodiscard]] constexpr std::uint64_t bracket_entry_of(std::uint64_t id) noexcept {
    return id & ~std::uint64_t{3};
}
// The other order of a bracket's exit pair, or of an OCO pair (k, k^1).
[[nodiscard]] constexpr std::uint64_t sibling_of(std::uint64_t id, OrderRole role) noexcept {
    switch (role) {
        case OrderRole::stop_loss:
            return bracket_entry_of(id) | 2u;
        case OrderRole::take_profit:
            return bracket_entry_of(id) | 1u;
        case OrderRole::oco:
            return id ^ 1u;
        default:
            return 0;
    }
}

}  // namespace keel::engine
