// What the real-venue adapter and codec tests share (FIX, Alpaca): a reply sink that keeps every
// reply the adapter posts with its tail, order_sent events as the gateway hands them to the
// adapter, and the codecs' exact decimals and order payloads.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/adapters/venue/threaded_venue.hpp"
#include "keel/engine/core/event.hpp"
#include "keel/engine/core/fixed_point.hpp"
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

// A codec test's time stamp.
inline constexpr std::int64_t kTs = 1'700'000'000'000'000'000;

// Exact decimals from text (a test's own literal: a parse error fails the test).
inline engine::Price P(const char* text) {
    engine::Price p{};
    EXPECT_EQ(engine::Price::parse(text, p), engine::DecimalError::ok) << text;
    return p;
}
inline engine::Quantity Q(const char* text) {
    engine::Quantity q{};
    EXPECT_EQ(engine::Quantity::parse(text, q), engine::DecimalError::ok) << text;
    return q;
}
inline engine::Money M(const char* text) {
    engine::Money m{};
    EXPECT_EQ(engine::Money::parse(text, m), engine::DecimalError::ok) << text;
    return m;
}

// A new order's payload (order id 7) as the gateway sends it.
inline engine::OrderPayload order(engine::OrderType type, const char* qty = "10",
                                  const char* price = "0", const char* stop = "0",
                                  engine::TimeInForce tif = engine::TimeInForce::day,
                                  engine::Side side = engine::Side::buy) {
    engine::OrderPayload o{};
    o.order_id = 7;
    o.order_type = type;
    o.quantity = Q(qty);
    o.price = P(price);
    o.stop_price = P(stop);
    o.tif = tif;
    o.side = side;
    o.action = engine::OrderAction::new_order;
    o.status = engine::OrderStatus::sent;
    return o;
}

}  // namespace keel::test
