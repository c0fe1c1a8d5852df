// What the real-venue adapter tests share (FIX, Alpaca): a reply sink that keeps every reply the
// adapter posts with its tail, and order_sent events as the gateway hands them to the adapter.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/orders/order_id.hpp"

namespace keel::test {

class Capture final : public adapters::TailReplySink {
  public:
    void post(const engine::Event& e) noexcept override { post(e, {}); }
    void post(const engine::Event& e, std::string_view tail) noexcept override {
        posted.emplace_back(e, std::string(tail));
    }
    [[nodiscard]] std::size_t count(engine::EventType t) const {
        std::size_t n = 0;
        for (const auto& [e, tail] : posted)
            n += e.header.type == t ? 1 : 0;
        return n;
    }
    [[nodiscard]] const engine::Event* last(engine::EventType t) const {
        for (auto it = posted.rbegin(); it != posted.rend(); ++it) {
            if (it->first.header.type == t)
                return &it->first;
        }
        return nullptr;
    }
    [[nodiscard]] bool ready() const {
        const engine::Event* s = last(engine::EventType::venue_status);
        return s != nullptr && s->payload.venue_status.state == engine::VenueState::ready;
    }
    std::vector<std::pair<engine::Event, std::string>> posted;
};

// A new order of 10 (a buy) as the gateway sends it: order id make_order_id(seq, 0).
inline engine::Event order_sent(std::uint64_t seq,
                                engine::OrderType type = engine::OrderType::market,
                                std::int64_t limit = 0) {
    engine::Event e =
        engine::make_event(engine::EventType::order_sent, engine::Source::gateway, seq, 1, 0);
    e.payload.order = {};
    e.payload.order.order_id = engine::make_order_id(seq, 0);
    e.payload.order.quantity = engine::Quantity::from_units(10);
    e.payload.order.price = engine::Price::from_units(limit);
    e.payload.order.side = engine::Side::buy;
    e.payload.order.order_type = type;
    e.payload.order.tif = engine::TimeInForce::day;
    e.payload.order.action = engine::OrderAction::new_order;
    e.payload.order.status = engine::OrderStatus::sent;
    return e;
}

}  // namespace keel::test
