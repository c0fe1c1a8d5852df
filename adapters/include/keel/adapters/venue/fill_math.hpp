// fill_math.hpp: what the adapters of remote venues (FIX, Alpaca) share about an order they
// mirror: the adapter's view of it (KnownOrder), the few venue replies one venue message maps
// onto (Mapped), the price of a fill caught up from cumulative figures (catch_up_price), and
// the fill and expiry replies in SimVenue's shapes (adapters/src/sim_venue/sim_venue.cpp),
// keel's view from the gateway's record (known_order) and the ack adopting a venue's order keel
// never sent (adopted_ack). Both codecs (fix/fix_codec.hpp, alpaca/alpaca_codec.hpp) build
// their replies from these, so a fill or an expiry looks the same whichever venue reported it.
//
// Thread: the venue adapter's. Pure functions; Mapped::push asserts its bound.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/order_book.hpp"

namespace keel::adapters {

// What the adapter knows of the order a venue message is about (from the order_sent events it
// sent and the replies keel journaled).
struct KnownOrder {
    std::uint64_t order_id = 0;  // keel's client order id
    engine::SymbolId symbol = engine::kNoSymbol;
    std::uint16_t owner = 0;  // the owning strategy: header.aux of every reply
    engine::Side side = engine::Side::none;
    engine::TimeInForce tif = engine::TimeInForce::day;
    engine::OrderType type = engine::OrderType::market;
    engine::OrderRole role = engine::OrderRole::none;
    engine::Price price{};       // limit (limit, stop limit); 0 otherwise
    engine::Price stop_price{};  // trigger (stop, stop limit), trail (trailing stop); 0 otherwise
    engine::Quantity quantity{};
    engine::Quantity filled{};        // as keel has journaled
    engine::Money filled_notional{};  // sum of price * quantity of those fills (notional())
    // Sum of those fills' fees: a venue that reports the order's total commission (Alpaca)
    // charges each new fill the difference. FIX reports per-fill commissions and leaves it 0.
    engine::Money fees{};
    engine::OrderStatus state = engine::OrderStatus::pending_new;
};

// Up to three venue replies, in the order to post them; none with a note saying why. Three is
// the most one message needs: an Alpaca order snapshot of an order keel still holds
// pending_new that filled in part and then ended is an ack, a catch-up fill and the close.
struct Mapped {
    std::array<engine::Event, 3> events{};
    std::size_t count = 0;
    std::string note;

    void push(const engine::Event& e) noexcept;
};

// The price of a fill of (cum_qty - filled) that brings an order whose fills so far came to
// filled_notional to an average of avg_px:
//     price = (cum_qty * avg_px - filled_notional) / (cum_qty - filled)
// in raw fixed point with 128-bit intermediates, rounded to the nearest raw unit (halves away
// from zero); nullopt when cum_qty is not above filled or the price does not fit.
[[nodiscard]] std::optional<engine::Price> catch_up_price(engine::Quantity cum_qty,
                                                          engine::Price avg_px,
                                                          engine::Quantity filled,
                                                          engine::Money filled_notional) noexcept;

// A venue_fill of the known order (SimVenue's fill shape): kFillFinal when `final`.
[[nodiscard]] engine::Event fill_reply(const KnownOrder& known, std::int64_t ts_ns,
                                       engine::Price price, engine::Quantity qty, engine::Money fee,
                                       bool final) noexcept;

// The venue ended the known order for its time in force (SimVenue's expiry shapes): a
// venue_cancel with reason ioc_remainder (status canceled) for IOC, fok_unfillable (canceled)
// for FOK, expired_day (status expired) otherwise; action new_order.
[[nodiscard]] engine::Event expiry_reply(const KnownOrder& known, std::int64_t ts_ns) noexcept;

// keel's view of order_id from the gateway's record of it (record null: the id alone). The
// adapter then adds what its own mirror counts (fills' notional and fees, offsets).
[[nodiscard]] KnownOrder known_order(std::uint64_t order_id,
                                     const engine::OrderRecord* record) noexcept;

// A venue's open order keel never sent, in keel's terms, as reconcile.adopt_unknown adopts it.
struct ForeignOrder {
    engine::SymbolId symbol = engine::kNoSymbol;
    engine::Side side = engine::Side::none;
    engine::OrderType type = engine::OrderType::market;
    engine::TimeInForce tif = engine::TimeInForce::day;
    engine::Price price{};       // the limit (0 for a type without one)
    engine::Price stop_price{};  // the trigger (0 for a type without one)
    engine::Quantity left{};     // what is left to fill: the adopted order's quantity
};

// The venue_ack that adopts it: order_id (make_adopted_order_id), owner kAdoptedOwner, status
// accepted, reason foreign_order, action new_order.
[[nodiscard]] engine::Event adopted_ack(std::uint64_t order_id, const ForeignOrder& foreign,
                                        std::int64_t ts_ns) noexcept;

}  // namespace keel::adapters
