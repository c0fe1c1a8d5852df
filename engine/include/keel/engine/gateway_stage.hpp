// GatewayStage: the last stage. It turns approved order requests into order_sent events and
// hands them to the venue, echoes risk rejects back to ingest as order_denied inputs (so
// strategies learn of them in sequence), tracks fills into the portfolio and emits order state
// changes. It feeds every market-data event to the venue, for venues that simulate matching.
#pragma once

#include <cstdint>

#include "keel/engine/event_log.hpp"
#include "keel/engine/portfolio.hpp"
#include "keel/engine/stage.hpp"

namespace keel::engine {

class GatewayStage final : public Stage {
  public:
    GatewayStage(Venue& venue, ReplySink& replies, std::size_t symbol_capacity)
        : venue_(venue), replies_(replies), portfolio_(symbol_capacity) {}

    [[nodiscard]] std::string_view name() const noexcept override { return "gateway"; }
    void on_event(const Event& event, Emit& out) noexcept override;
    // Journal order_sent (before the venue sees the order) and order state changes here
    // (optional).
    void set_log(EventLog* log) noexcept { log_ = log; }

    [[nodiscard]] const Portfolio& portfolio() const noexcept { return portfolio_; }
    [[nodiscard]] std::uint64_t orders_sent() const noexcept { return orders_sent_; }
    [[nodiscard]] std::uint64_t fills() const noexcept { return fills_; }
    [[nodiscard]] std::uint64_t risk_rejects() const noexcept { return risk_rejects_; }
    [[nodiscard]] std::uint64_t venue_rejects() const noexcept { return venue_rejects_; }

  private:
    void emit_state(const Event& cause, OrderStatus status, Emit& out) noexcept;
    bool journaled_emit(const Event& e, Emit& out) noexcept;

    Venue& venue_;
    ReplySink& replies_;
    Portfolio portfolio_;
    std::uint64_t orders_sent_ = 0;
    std::uint64_t fills_ = 0;
    std::uint64_t risk_rejects_ = 0;
    std::uint64_t venue_rejects_ = 0;
    EventLog* log_ = nullptr;
};

}  // namespace keel::engine
