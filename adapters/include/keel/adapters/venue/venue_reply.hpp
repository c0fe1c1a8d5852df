// The one shape of a venue's order replies (venue_ack, venue_reject, venue_cancel): every venue
// adapter posts them so (the gateway's OrderBook applies them; a restart compares a rebuilt
// simulator's byte for byte). `Order` is the adapter's view of the order: SimVenue's SimOrder,
// the FIX codec's KnownOrder; `owner` its owning strategy (header.aux). And what the remote
// venue adapters (FIX, Alpaca) stamp and say of their link: the wall clock, venue_status.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "keel/engine/core/event.hpp"

namespace keel::adapters {

template <class Order>
[[nodiscard]] engine::Event order_reply(engine::EventType type, const Order& o, std::uint16_t owner,
                                        std::int64_t ts_ns, engine::OrderStatus status,
                                        engine::Reason reason,
                                        engine::OrderAction action) noexcept {
    engine::Event e = engine::make_event(type, engine::Source::venue, 0, ts_ns, o.symbol);
    e.header.aux = owner;
    engine::OrderPayload& p = e.payload.order;
    p.order_id = o.order_id;
    p.price = o.price;
    p.stop_price = o.stop_price;
    p.quantity = o.quantity;
    p.side = o.side;
    p.order_type = o.type;
    p.tif = o.tif;
    p.action = action;
    p.status = status;
    p.role = o.role;
    p.reason = reason;
    return e;
}

// The wall clock, ns since the Unix epoch: when a remote venue adapter (or a test
// counterparty) heard what it posts.
[[nodiscard]] inline std::int64_t wall_clock_ns() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A venue_status input of account's venue link, stamped ts_ns.
[[nodiscard]] inline engine::Event link_status(engine::VenueState state, engine::Reason reason,
                                               std::uint8_t account, std::uint32_t reconnects,
                                               std::int64_t ts_ns) noexcept {
    engine::Event e = engine::make_event(engine::EventType::venue_status, engine::Source::venue, 0,
                                         ts_ns, engine::kNoSymbol);
    e.payload.venue_status.state = state;
    e.payload.venue_status.account = account;
    e.payload.venue_status.reason = reason;
    e.payload.venue_status.reconnects = reconnects;
    return e;
}

// What a link's venue_status counts in doubt: the open orders being asked about while
// reconciling, the foreign orders when refused, else the orders still awaiting an answer.
[[nodiscard]] inline std::uint32_t link_in_doubt(engine::VenueState state, std::size_t open,
                                                 std::size_t foreign,
                                                 std::size_t awaiting) noexcept {
    return static_cast<std::uint32_t>(state == engine::VenueState::reconciling ? open
                                      : state == engine::VenueState::refused   ? foreign
                                                                               : awaiting);
}

// The venue's name of a symbol (names[id]), or empty for an id it was not given.
[[nodiscard]] inline std::string symbol_name(const std::vector<std::string>& names,
                                             engine::SymbolId id) {
    return id < names.size() ? names[id] : std::string();
}

}  // namespace keel::adapters
